package mattermost

import (
	"net/http"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	mk := func(status int, h map[string]string) *http.Response {
		r := &http.Response{StatusCode: status, Header: http.Header{}}
		for k, v := range h {
			r.Header.Set(k, v)
		}
		return r
	}
	if d := backoff(time.Second, 30*time.Second, 0, mk(429, map[string]string{"Retry-After": "3"})); d != 3*time.Second {
		t.Errorf("seconds: %v", d)
	}
	if d := backoff(time.Second, 30*time.Second, 0, mk(503, map[string]string{"Retry-After": "600"})); d != MaxRetryAfter {
		t.Errorf("cap: %v", d)
	}
	date := time.Now().Add(5 * time.Second).UTC().Format(http.TimeFormat)
	if d := backoff(time.Second, 30*time.Second, 0, mk(429, map[string]string{"Retry-After": date})); d < 3*time.Second || d > 6*time.Second {
		t.Errorf("date: %v", d)
	}
	if d := backoff(time.Second, 30*time.Second, 0, mk(429, map[string]string{"X-RateLimit-Reset": "2"})); d != 2*time.Second {
		t.Errorf("reset: %v", d)
	}
	for attempt := 0; attempt < 10; attempt++ {
		d := backoff(100*time.Millisecond, time.Second, attempt, mk(502, nil))
		want := 100 * time.Millisecond << attempt
		if want > time.Second {
			want = time.Second
		}
		if d < want/2 || d > want {
			t.Errorf("attempt %d: %v not in [%v,%v]", attempt, d, want/2, want)
		}
	}
}

func TestRateGate(t *testing.T) {
	g := &rateGate{}
	g.observe(&http.Response{StatusCode: 200, Header: http.Header{"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {"2"}}})
	if d := time.Until(g.until); d < time.Second || d > 2*time.Second {
		t.Fatalf("pause = %v", d)
	}
	g2 := &rateGate{}
	g2.observe(&http.Response{StatusCode: 200, Header: http.Header{"X-Ratelimit-Remaining": {"5"}, "X-Ratelimit-Reset": {"2"}}})
	if !g2.until.IsZero() {
		t.Fatal("should not pause")
	}
}

func TestAppErrorIs(t *testing.T) {
	e := &AppError{ID: IDMissingAccount, StatusCode: 404, Method: "GET", Path: "/api/v4/users/email/x@example.com"}
	if got := e.Error(); got != "GET /api/v4/users/email/x@example.com: 404 app.user.missing_account.const" {
		t.Errorf("Error() = %q", got)
	}
	e404 := &AppError{ID: IDRouteNotFound, StatusCode: 404, Path: "/api/v4/users/email/x"}
	plain := &AppError{StatusCode: 404, Path: "/api/v4/users/email/x", Message: "not found"}
	for _, tc := range []struct {
		e    *AppError
		want bool
	}{{e, true}, {e404, false}, {plain, false}} {
		if got := tc.e.Is(errNotFound()); got != tc.want {
			t.Errorf("%v Is ErrNotFound = %v", tc.e, got)
		}
	}
}
