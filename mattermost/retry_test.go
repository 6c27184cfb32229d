package mattermost

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"syscall"
	"testing"
	"time"
)

func answer(status int, h map[string]string) *http.Response {
	r := &http.Response{StatusCode: status, Header: http.Header{}}
	for k, v := range h {
		r.Header.Set(k, v)
	}
	return r
}

func TestDefaultRetryPolicy(t *testing.T) {
	live := context.Background()
	done, cancel := context.WithCancel(context.Background())
	cancel()
	refused := fmt.Errorf("dial tcp: %w", syscall.ECONNREFUSED)
	cases := []struct {
		name    string
		ctx     context.Context
		resp    *http.Response
		err     error
		want    bool
		wantErr bool
	}{
		{"refused", live, nil, refused, true, false},
		{"unknown authority", live, nil, fmt.Errorf("tls: %w", x509.UnknownAuthorityError{}), false, false},
		{"hostname", live, nil, x509.HostnameError{Host: "x"}, false, false},
		{"caller's context ended", done, nil, refused, false, true},
		{"caller's context ended, answer", done, answer(503, nil), nil, false, true},
	}
	for _, code := range []int{429, 502, 503, 504} {
		cases = append(cases, struct {
			name    string
			ctx     context.Context
			resp    *http.Response
			err     error
			want    bool
			wantErr bool
		}{fmt.Sprint(code), live, answer(code, nil), nil, true, false})
	}
	for _, code := range []int{200, 201, 301, 400, 401, 403, 404, 409, 500, 501} {
		cases = append(cases, struct {
			name    string
			ctx     context.Context
			resp    *http.Response
			err     error
			want    bool
			wantErr bool
		}{fmt.Sprint(code), live, answer(code, nil), nil, false, false})
	}
	for _, tc := range cases {
		got, err := DefaultRetryPolicy(tc.ctx, tc.resp, tc.err)
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("%s: retry=%v err=%v, want retry=%v err=%v", tc.name, got, err, tc.want, tc.wantErr)
		}
	}
}

// The wait before a retry, as checkRetry works it out: the server's wait
// first, else DefaultBackoff.
func TestDefaultBackoff(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	wait := func(minWait, maxWait time.Duration, attempt int, resp *http.Response) time.Duration {
		if d, ok := serverWait(resp, now); ok {
			return d
		}
		return DefaultBackoff(minWait, maxWait, attempt, resp)
	}
	cases := []struct {
		name string
		resp *http.Response
		want time.Duration
	}{
		{"429 seconds", answer(429, map[string]string{"Retry-After": "3"}), 3 * time.Second},
		{"503 seconds", answer(503, map[string]string{"Retry-After": "2"}), 2 * time.Second},
		{"fraction", answer(429, map[string]string{"Retry-After": "0.249"}), 249 * time.Millisecond},
		{"zero", answer(503, map[string]string{"Retry-After": "0"}), 0},
		{"capped", answer(503, map[string]string{"Retry-After": "600"}), MaxRetryAfter},
		{"date", answer(429, map[string]string{"Retry-After": now.Add(5 * time.Second).Format(http.TimeFormat)}), 5 * time.Second},
		{"date in the past", answer(503, map[string]string{"Retry-After": now.Add(-time.Hour).Format(http.TimeFormat)}), 0},
		{"429 reset", answer(429, map[string]string{"X-RateLimit-Reset": "2"}), 2 * time.Second},
	}
	for _, tc := range cases {
		if got := wait(time.Second, 8*time.Second, 0, tc.resp); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	// Retry-After counts on 429 and 503 only; X-RateLimit-Reset on 429 only.
	for _, resp := range []*http.Response{
		nil,
		answer(502, map[string]string{"Retry-After": "20"}),
		answer(503, map[string]string{"X-RateLimit-Reset": "20"}),
		answer(429, map[string]string{"Retry-After": "soon"}),
	} {
		for attempt := range 8 {
			want := min(100*time.Millisecond<<attempt, time.Second)
			d := wait(100*time.Millisecond, time.Second, attempt, resp)
			if d < want/2 || d > want {
				t.Errorf("attempt %d after %v: %v not in [%v, %v]", attempt, resp, d, want/2, want)
			}
		}
	}
}

// The budget as documented on DefaultRetryMax: with no Retry-After, the
// backoff waits of one request add up to at most 7.5 s; with one, the waits
// stay within MaxRequestWait.
func TestRetryBudget(t *testing.T) {
	var worst time.Duration
	for attempt := range DefaultRetryMax {
		worst += min(DefaultRetryWaitMin<<attempt, DefaultRetryWaitMax)
	}
	if worst != 7500*time.Millisecond {
		t.Errorf("longest backoff of a request = %v, documented 7.5 s", worst)
	}
	if MaxRetryAfter > MaxRequestWait {
		t.Errorf("one wait (%v) may not exceed the request's (%v)", MaxRetryAfter, MaxRequestWait)
	}
}

func TestRetryableTransportError(t *testing.T) {
	if !retryableTransportError(errors.New("connection reset by peer")) {
		t.Error("reset")
	}
	if retryableTransportError(fmt.Errorf("Get x: %w", &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}})) {
		t.Error("certificate verification")
	}
}
