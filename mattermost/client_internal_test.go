package mattermost

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
)

// script starts a server that answers with handle(n, w, r), n counting
// requests from 1, and a client for it on a fake clock.
func script(t *testing.T, opts Options, handle func(n int, w http.ResponseWriter, r *http.Request)) (*Client, *FakeClock, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handle(int(n.Add(1)), w, r)
	}))
	t.Cleanup(srv.Close)
	clock, _ := opts.Clock.(*FakeClock)
	if clock == nil {
		clock = NewFakeClock()
		opts.Clock = clock
	}
	c, err := New(srv.URL, "tok-"+strings.Repeat("x", 20), opts)
	if err != nil {
		t.Fatal(err)
	}
	return c, clock, &n
}

func TestRetryAfterValues(t *testing.T) {
	start := NewFakeClock().Now()
	cases := []struct {
		name, retryAfter string
		status           int
		want             []time.Duration
	}{
		{"fraction on 503", "0.249", 503, []time.Duration{249 * time.Millisecond}},
		{"seconds on 429", "2", 429, []time.Duration{2 * time.Second}},
		{"HTTP-date on 503", start.Add(7 * time.Second).Format(http.TimeFormat), 503, []time.Duration{7 * time.Second}},
	}
	for _, tc := range cases {
		c, clock, n := script(t, Options{}, func(n int, w http.ResponseWriter, r *http.Request) {
			if n == 1 {
				w.Header().Set("Retry-After", tc.retryAfter)
				w.WriteHeader(tc.status)
				return
			}
			fmt.Fprint(w, `{"id":"u1"}`)
		})
		if _, err := c.GetMe(context.Background()); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := clock.Sleeps(); fmt.Sprint(got) != fmt.Sprint(tc.want) || n.Load() != 2 {
			t.Errorf("%s: waits %v, want %v; requests %d", tc.name, got, tc.want, n.Load())
		}
	}
}

// The request's waits stay within MaxRequestWait: after 20 s, another
// 20 s would pass it, so the last answer is returned at once.
func TestRequestBudget(t *testing.T) {
	c, clock, n := script(t, Options{BreakerThreshold: -1}, func(_ int, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "20")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(503)
		fmt.Fprint(w, `{"id":"app.maintenance","message":"down for maintenance"}`)
	})
	_, err := c.GetMe(context.Background())
	var ae *AppError
	if !errors.As(err, &ae) || ae.ID != "app.maintenance" || ae.StatusCode != 503 {
		t.Fatalf("err = %v (the final answer's AppError must be decoded)", err)
	}
	if got := clock.Sleeps(); len(got) != 1 || got[0] != 20*time.Second || n.Load() != 2 {
		t.Errorf("waits %v, requests %d", got, n.Load())
	}
}

func TestErrorsTransient(t *testing.T) {
	cases := []struct {
		err  error
		want bool
	}{
		{&AppError{StatusCode: 429}, true},
		{&AppError{StatusCode: 500}, true},
		{&AppError{StatusCode: 502}, true},
		{&AppError{StatusCode: 503}, true},
		{&AppError{StatusCode: 504}, true},
		{&AppError{StatusCode: 501}, false},
		{&AppError{StatusCode: 400, ID: IDEmailExists}, false},
		{&AppError{StatusCode: 404}, false},
		{&TransportError{Err: errors.New("connection refused")}, true},
		{&UnavailableError{}, true},
		{&RedirectError{StatusCode: 301}, false},
	}
	for _, tc := range cases {
		if got := isTransient(tc.err); got != tc.want {
			t.Errorf("%v: transient %v, want %v", tc.err, got, tc.want)
		}
	}
	// A 2xx body that does not decode is not transient.
	c, _, _ := script(t, Options{}, func(_ int, w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "<html>") })
	_, err := c.GetMe(context.Background())
	if err == nil || isTransient(err) {
		t.Errorf("decode error: %v, transient %v", err, isTransient(err))
	}
}

func isTransient(err error) bool {
	var t interface{ Transient() bool }
	return errors.As(err, &t) && t.Transient()
}

func TestAppErrorIs(t *testing.T) {
	e := &AppError{ID: IDMissingAccount, StatusCode: 404, Method: "GET", Path: "/api/v4/users/email/x@example.com"}
	if got := e.Error(); got != "GET /api/v4/users/email/x@example.com: 404 app.user.missing_account.const" {
		t.Errorf("Error() = %q", got)
	}
	cases := []struct {
		e    *AppError
		want bool
	}{
		{e, true},
		{&AppError{ID: IDRouteNotFound, StatusCode: 404, Path: "/api/v4/users/email/x"}, false},
		{&AppError{StatusCode: 404, Path: "/api/v4/users/email/x", Message: "not found"}, false},
		{&AppError{ID: IDMissingAccount, StatusCode: 404, Path: "/api/v4/teams/x"}, false},
	}
	for _, tc := range cases {
		if got := errors.Is(tc.e, mmsync.ErrNotFound); got != tc.want {
			t.Errorf("%v Is ErrNotFound = %v", tc.e, got)
		}
	}
}

// The password of a created user never reaches an error, even when the
// server echoes it; the error still matches and unwraps as before.
func TestCreatePasswordRedacted(t *testing.T) {
	const pw = "Unguessable-Passw0rd!"
	c, _, _ := script(t, Options{}, func(_ int, w http.ResponseWriter, r *http.Request) {
		var u User
		_ = json.NewDecoder(r.Body).Decode(&u)
		w.WriteHeader(400)
		fmt.Fprintf(w, `{"id":%q,"message":"taken","detailed_error":"password=%s token=%s","status_code":400}`,
			IDEmailExists, u.Password, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
	})
	_, err := c.CreateUser(context.Background(), User{Username: "a", Email: "a@example.com", Password: pw})
	var ae *AppError
	if !errors.Is(err, mmsync.ErrEmailExists) || !errors.As(err, &ae) {
		t.Fatalf("err = %v", err)
	}
	for _, s := range []string{err.Error(), fmt.Sprintf("%+v %#v", ae, ae)} {
		if strings.Contains(s, pw) || strings.Contains(s, c.token) {
			t.Fatalf("secret in %q", s)
		}
	}
}

// A runaway server that always answers a full page stops after maxPages.
func TestPageCap(t *testing.T) {
	c, _, n := script(t, Options{}, func(_ int, w http.ResponseWriter, r *http.Request) {
		page := make([]map[string]string, PerPage)
		for i := range page {
			page[i] = map[string]string{"id": fmt.Sprint(i), "user_id": fmt.Sprint(i)}
		}
		_ = json.NewEncoder(w).Encode(page)
	})
	c.maxPages = 3
	if _, err := c.GetTeamMembers(context.Background(), "team1"); err == nil || n.Load() != 3 {
		t.Errorf("team members: %v after %d requests", err, n.Load())
	}
	if _, err := c.ListUsers(context.Background()); err == nil || n.Load() != 6 {
		t.Errorf("users: %v after %d requests", err, n.Load())
	}
}
