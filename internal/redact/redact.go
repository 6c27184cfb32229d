// Package redact removes secrets (tokens, passwords, signed URL queries) from
// texts and errors before they reach a log, a report or a webhook. It is the
// one way the project hides a secret: every package calls it instead of
// keeping its own strings.ReplaceAll.
package redact

import (
	"errors"
	"net/url"
	"slices"
	"strings"
)

// Mask replaces each secret. It is what GitHub Actions prints for a masked
// value, so a redacted text reads the same in the log and in the report.
const Mask = "***"

// String returns s with every occurrence of each non-empty secret replaced by
// Mask. Longer secrets are replaced first, so a secret that contains another
// is hidden whole.
func String(s string, secrets ...string) string {
	for _, sec := range ordered(secrets) {
		s = strings.ReplaceAll(s, sec, Mask)
	}
	return s
}

// Contains reports whether s holds any non-empty secret.
func Contains(s string, secrets ...string) bool {
	for _, sec := range secrets {
		if sec != "" && strings.Contains(s, sec) {
			return true
		}
	}
	return false
}

// ordered returns the non-empty secrets, longest first.
func ordered(secrets []string) []string {
	out := make([]string, 0, len(secrets))
	for _, s := range secrets {
		if s != "" {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}

// URL renders u with its user information (user name and password) replaced
// by Mask, e.g. "https://***@chat.example.com/x". The query is kept: use
// String with u.RawQuery as a secret when the query is one (a signed URL).
func URL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	if c.User == nil {
		return c.String()
	}
	// url.User would escape the mask ("%2A%2A%2A@"): render without the
	// user information, then put the mask where it was.
	c.User = nil
	s := c.String()
	if i := strings.Index(s, "//"); i >= 0 {
		return s[:i+2] + Mask + "@" + s[i+2:]
	}
	return s
}

// BareURL is raw reduced to scheme://host/path, for a message or a log: no
// user information, query or fragment, any of which may carry a token.
// What is not an absolute URL says so instead ("(invalid URL)", "(not an
// absolute URL)"), without echoing it.
func BareURL(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "(invalid URL)"
	}
	if u.Scheme == "" && u.Host == "" {
		return "(not an absolute URL)"
	}
	return u.Scheme + "://" + u.Host + u.Path
}

// Redactor is implemented by error types that hold text a secret may reach
// (a server's message, a detail field). Redacted returns a copy whose text
// fields went through scrub; the receiver is left as it was.
type Redactor interface {
	Redacted(scrub func(string) string) error
}

// Error hides the secrets in err. When err's text holds none of them, err is
// returned as it is. Otherwise the result:
//
//   - prints err's text with each secret replaced by Mask;
//   - matches with errors.Is whatever err matched (a sentinel such as
//     context.Canceled or a sync error kind): Is answers a yes or no and hands
//     nothing out;
//   - unwraps to a redacted copy of each error in err's chain that implements
//     Redactor, so errors.As still finds, for example, a Mattermost
//     *AppError, with its fields redacted;
//   - never unwraps to err itself, whose text holds the secret;
//   - answers Transient() as err does, when err's chain has such a method.
func Error(err error, secrets ...string) error {
	if err == nil || !Contains(err.Error(), secrets...) {
		return err
	}
	scrub := func(s string) string { return String(s, secrets...) }
	e := &redactedError{msg: scrub(err.Error()), orig: err}
	walk(err, func(x error) {
		if r, ok := x.(Redactor); ok {
			e.copies = append(e.copies, r.Redacted(scrub))
		}
	})
	return e
}

// redactedError is err with its secrets hidden; see Error.
type redactedError struct {
	msg    string
	orig   error   // never returned: its text holds the secret
	copies []error // redacted copies of the Redactors in orig's chain
}

func (e *redactedError) Error() string { return e.msg }

// Is reports whether the original error matches target.
func (e *redactedError) Is(target error) bool { return errors.Is(e.orig, target) }

// Unwrap gives the redacted copies only.
func (e *redactedError) Unwrap() []error { return e.copies }

// Transient reports what the original's Transient method says (false when
// it has none), so a retry or report decision survives redaction.
func (e *redactedError) Transient() bool {
	var t interface{ Transient() bool }
	return errors.As(e.orig, &t) && t.Transient()
}

// walk calls fn for err and every error in its chain, depth first, as
// errors.As visits them.
func walk(err error, fn func(error)) {
	for err != nil {
		fn(err)
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				walk(e, fn)
			}
			return
		default:
			return
		}
	}
}
