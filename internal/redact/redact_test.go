package redact

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

func TestString(t *testing.T) {
	cases := []struct {
		name, in string
		secrets  []string
		want     string
	}{
		{"none", "plain text", nil, "plain text"},
		{"empty secret ignored", "plain text", []string{""}, "plain text"},
		{"every occurrence", "tok tok", []string{"tok"}, "*** ***"},
		{"longest first", "abcdef", []string{"abc", "abcdef"}, "***"},
		{"two secrets", "user=alice pw=hunter2", []string{"alice", "hunter2"}, "user=*** pw=***"},
	}
	for _, tc := range cases {
		if got := String(tc.in, tc.secrets...); got != tc.want {
			t.Errorf("%s: String(%q) = %q, want %q", tc.name, tc.in, got, tc.want)
		}
	}
}

func TestURL(t *testing.T) {
	u, _ := url.Parse("https://bob:secret@chat.example.com/x?y=1")
	got := URL(u)
	if strings.Contains(got, "secret") || strings.Contains(got, "bob") || got != "https://***@chat.example.com/x?y=1" {
		t.Errorf("URL = %q", got)
	}
	plain, _ := url.Parse("https://chat.example.com")
	if got := URL(plain); got != "https://chat.example.com" {
		t.Errorf("URL without user = %q", got)
	}
	if URL(nil) != "" {
		t.Error("URL(nil)")
	}
}

// apiError is a typed error with a text field a secret can reach.
type apiError struct{ Msg string }

func (e *apiError) Error() string { return "api: " + e.Msg }
func (e *apiError) Redacted(scrub func(string) string) error {
	return &apiError{Msg: scrub(e.Msg)}
}
func (e *apiError) Transient() bool { return true }

var errSentinel = errors.New("sentinel")

func TestError(t *testing.T) {
	const secret = "s3cr3t"
	if Error(nil, secret) != nil {
		t.Fatal("nil error")
	}
	clean := errors.New("nothing to hide")
	if Error(clean, secret) != clean {
		t.Fatal("a clean error must come back as it is")
	}

	orig := &apiError{Msg: "token " + secret + " refused"}
	err := Error(fmt.Errorf("call: %w: %w", orig, errSentinel), secret)
	if strings.Contains(err.Error(), secret) || err.Error() != "call: api: token *** refused: sentinel" {
		t.Fatalf("Error() = %q", err.Error())
	}
	if !errors.Is(err, errSentinel) {
		t.Error("sentinel lost")
	}
	var ae *apiError
	if !errors.As(err, &ae) || ae == orig || strings.Contains(ae.Msg, secret) {
		t.Fatalf("As = %+v (orig %p)", ae, orig)
	}
	if orig.Msg != "token "+secret+" refused" {
		t.Error("the original was changed")
	}
	var tr interface{ Transient() bool }
	if !errors.As(err, &tr) || !tr.Transient() {
		t.Error("Transient lost")
	}
	// Nothing in the chain hands back the secret.
	for e := range chain(err) {
		if strings.Contains(e.Error(), secret) || strings.Contains(fmt.Sprintf("%+v %#v", e, e), secret) {
			t.Errorf("chain element %T leaks: %v", e, e)
		}
	}

	// A plain wrapped error: only the text and Is survive.
	ctxErr := Error(fmt.Errorf("dial %s: %w", secret, context.Canceled), secret)
	if !errors.Is(ctxErr, context.Canceled) || strings.Contains(ctxErr.Error(), secret) {
		t.Errorf("context error: %v", ctxErr)
	}
	if errors.Unwrap(ctxErr) != nil {
		t.Error("Unwrap handed something back")
	}
}

// chain yields err and everything reachable by Unwrap.
func chain(err error) func(func(error) bool) {
	return func(yield func(error) bool) {
		walk(err, func(e error) { yield(e) })
	}
}

func FuzzString(f *testing.F) {
	f.Add("a secret in a text", "secret")
	f.Add("aaaa", "aa")
	f.Fuzz(func(t *testing.T, s, secret string) {
		if secret == "" || strings.ContainsRune(secret, '*') {
			return
		}
		if got := String(s, secret); strings.Contains(got, secret) {
			t.Errorf("String(%q, %q) = %q still holds the secret", s, secret, got)
		}
	})
}

func TestBareURL(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"https://user:pw@hooks.example.com/x/y?token=abc#frag", "https://hooks.example.com/x/y"},
		{"  http://hooks.example.com  ", "http://hooks.example.com"},
		{"hooks.example.com/x?sig=1", "(not an absolute URL)"},
		{"http://[::1", "(invalid URL)"},
	} {
		if got := BareURL(tt.in); got != tt.want {
			t.Errorf("BareURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
