package mattermost

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
)

// Every error this package returns for a request is one of these, or the
// caller's context error wrapped with the method and path, or a decode
// error of a 2xx body (which is not transient: the server answered, and the
// same request would get the same body):
//
//   - *AppError: the server (or a proxy in front of it) answered non-2xx;
//   - *TransportError: no answer at all;
//   - *RedirectError: an answer 3xx, which is not followed;
//   - *UnavailableError: not sent, the circuit breaker is open.
//
// Transient() bool (sync.IsTransient's contract) is true for transport
// errors and for 429 and 5xx answers other than 501, and for
// *UnavailableError.

// Error ids the sync branches on.
const (
	IDEmailExists        = "app.user.save.email_exists.app_error"
	IDUsernameExists     = "app.user.save.username_exists.app_error"
	IDMissingAccount     = "app.user.missing_account.const"
	IDRouteNotFound      = "api.context.404.app_error"
	IDUserLimitExceeded  = "api.user.create_user.user_limits.exceeded"
	IDReactivationLimit  = "app.user.update_active.user_limit.exceeded"
	IDPermissions        = "api.context.permissions.app_error"
	IDTeamMaxAccounts    = "app.team.join_user_to_team.max_accounts.app_error"
	IDTeamMaxAccountsNew = "app.team.join_user_to_team.save_member.max_accounts.app_error"
)

// Error ids of the channel endpoints (Mattermost server, app/channel.go and
// api4/channel.go; the add and remove ids were also seen on 5.36.1 and
// 11.4.0, mattermost-api.md §5 and §10).
const (
	// IDChannelByNameMissing: no channel of that name in the team (or it is
	// archived and include_deleted was not set), 404.
	IDChannelByNameMissing = "app.channel.get_by_name.missing.app_error"
	// IDTeamByNameMissing: no team of that name, 404.
	IDTeamByNameMissing = "app.team.get_by_name.missing.app_error"
	// IDChannelMissing: no channel with that id, 404.
	IDChannelMissing = "app.channel.get.existing.app_error"
	// IDChannelAddNotTeamMember: the user was never in the channel's team, 404.
	IDChannelAddNotTeamMember = "app.team.get_member.missing.app_error"
	// IDChannelAddLeftTeam: the user was removed from the channel's team, 400.
	IDChannelAddLeftTeam = "api.channel.add_user.to.channel.failed.deleted.app_error"
	// IDChannelAddDeactivated: the user is deactivated, 403.
	IDChannelAddDeactivated = "app.channel.add_member.deleted_user.app_error"
	// IDChannelArchived: the channel is archived, 400.
	IDChannelArchived = "api.channel.add_user_to_channel.deleted.app_error"
	// IDChannelNotMember: the user is not a member of the channel, 404.
	IDChannelNotMember = "app.channel.get_member.missing.app_error"
	// IDChannelRemoveDefault: nobody but a guest leaves town-square, 400.
	IDChannelRemoveDefault = "api.channel.remove.default.app_error"
	// IDInvalidBodyParam: a body parameter is missing or malformed, 400. A
	// 5.x–9.10 server answers the batch add form with it.
	IDInvalidBodyParam = "api.context.invalid_body_param.app_error"
)

// AppError is an error answer from Mattermost. For JSON bodies the fields
// come from Mattermost's AppError; for other bodies (the plain-text 429
// "limit exceeded", a proxy's HTML 502) ID is empty and Message holds the
// start of the body.
type AppError struct {
	ID            string `json:"id"`
	Message       string `json:"message"`
	DetailedError string `json:"detailed_error"`
	RequestID     string `json:"request_id"`
	StatusCode    int    `json:"status_code"`
	Method        string `json:"-"`
	Path          string `json:"-"`
}

// Error renders e.g.
// "POST /api/v4/users: 400 app.user.save.email_exists.app_error: An account with that email already exists."
func (e *AppError) Error() string {
	var b strings.Builder
	if e.Method != "" || e.Path != "" {
		fmt.Fprintf(&b, "%s %s: ", e.Method, e.Path)
	}
	fmt.Fprintf(&b, "%d", e.StatusCode)
	if e.ID != "" {
		b.WriteString(" " + e.ID)
		if e.Message != "" {
			b.WriteString(": " + e.Message)
		}
	} else if e.Message != "" {
		b.WriteString(" " + e.Message)
	}
	if e.DetailedError != "" {
		b.WriteString(" (" + truncate(e.DetailedError, maxErrorBody) + ")")
	}
	return b.String()
}

// ErrorID returns Mattermost's error id (implements sync.ErrorIDer).
func (e *AppError) ErrorID() string { return e.ID }

// Transient is true for 429 (once the retries ran out) and for 5xx other
// than 501 (Not Implemented will not change).
func (e *AppError) Transient() bool {
	return e.StatusCode == http.StatusTooManyRequests ||
		(e.StatusCode >= 500 && e.StatusCode != http.StatusNotImplemented)
}

// Redacted returns a copy with scrub applied to the server's texts
// (implements redact.Redactor).
func (e *AppError) Redacted(scrub func(string) string) error {
	c := *e
	c.Message, c.DetailedError = scrub(c.Message), scrub(c.DetailedError)
	return &c
}

// Is maps Mattermost error ids onto the sync package's sentinel errors.
func (e *AppError) Is(target error) bool {
	switch target {
	case mmsync.ErrEmailExists:
		return e.ID == IDEmailExists
	case mmsync.ErrUsernameExists:
		return e.ID == IDUsernameExists
	case mmsync.ErrNotFound:
		return e.StatusCode == http.StatusNotFound && e.ID != "" && e.ID != IDRouteNotFound &&
			strings.HasPrefix(e.Path, APIPrefix+"/users/")
	}
	return false
}

// StatusCode returns the HTTP status of an *AppError in err's chain, or 0.
func StatusCode(err error) int {
	var ae *AppError
	if errors.As(err, &ae) {
		return ae.StatusCode
	}
	return 0
}

// TransportError is a request that got no answer: refused, reset, dropped,
// timed out, or a TLS failure. Err is the transport's error with the token
// redacted.
type TransportError struct {
	Method, Path string
	Err          error
}

func (e *TransportError) Error() string { return e.Method + " " + e.Path + ": " + e.Err.Error() }
func (e *TransportError) Unwrap() error { return e.Err }

// Transient is true unless the next try would meet the same failure (a
// certificate the client does not trust).
func (e *TransportError) Transient() bool { return retryableTransportError(e.Err) }

// RedirectError is a 3xx answer. The client does not follow redirects: the
// token must only ever go to the server named in mattermost-url, and a
// redirect means that URL is not the server's own address (http:// to
// https://, a bare host to a subpath, a login page).
type RedirectError struct {
	Method, Path string
	StatusCode   int
	// Base is the configured site URL; Location the absolute URL the
	// answer points to ("" if it named none); Suggested the site URL to
	// configure instead, when Location is this request's path on another
	// base ("" otherwise).
	Base, Location, Suggested string
}

func (e *RedirectError) Error() string {
	to := e.Location
	if to == "" {
		to = "(no Location)"
	}
	msg := fmt.Sprintf("%s %s: %s answered %d → %s; set mattermost-url to the server's own address", e.Method, e.Path, e.Base, e.StatusCode, to)
	if e.Suggested != "" {
		msg += " (" + e.Suggested + ")"
	}
	return msg
}

// UnavailableError is a request that was not sent because the circuit
// breaker is open (see DefaultBreakerThreshold). It matches
// sync.ErrUnavailable with errors.Is.
type UnavailableError struct {
	Method, Path string
	// Cause says why the breaker opened, e.g. "5 requests in a row failed,
	// the last: GET /api/v4/users: dial tcp …: connection refused" (text
	// only: the failures were other requests').
	Cause string
}

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("%s %s: %v (%s)", e.Method, e.Path, mmsync.ErrUnavailable, e.Cause)
}

// Is matches sync.ErrUnavailable.
func (e *UnavailableError) Is(target error) bool { return target == mmsync.ErrUnavailable }

// Transient: the server may be back by the next run.
func (e *UnavailableError) Transient() bool { return true }

// newAppError builds the error for a non-2xx answer with body data.
func newAppError(method, path string, resp *http.Response, data []byte) *AppError {
	e := &AppError{}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '{' && json.Unmarshal(trimmed, e) == nil && (e.ID != "" || e.Message != "") {
		// Mattermost AppError JSON.
	} else {
		*e = AppError{Message: truncate(string(trimmed), maxErrorBody)}
		if e.Message == "" {
			e.Message = http.StatusText(resp.StatusCode)
		}
	}
	if e.RequestID == "" {
		e.RequestID = resp.Header.Get("X-Request-Id")
	}
	e.StatusCode = resp.StatusCode
	e.Method = method
	e.Path = path
	return e
}

// truncate collapses white space and cuts s to at most n bytes, on a rune
// boundary, marking the cut with "…".
func truncate(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
