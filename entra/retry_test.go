package entra

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// scripted answers one call after the other from answers (the last one
// repeats) and records the bodies it was sent.
type scripted struct {
	answers []any // *http.Response or error, one per call
	calls   int
	bodies  []string
}

func (s *scripted) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		b, _ := io.ReadAll(req.Body)
		s.bodies = append(s.bodies, string(b))
	}
	a := s.answers[min(s.calls, len(s.answers)-1)]
	s.calls++
	if err, ok := a.(error); ok {
		return nil, err
	}
	r := *a.(*http.Response) // a fresh copy: the retry closes bodies
	r.Body = io.NopCloser(strings.NewReader(""))
	return &r, nil
}

func status(code int) *http.Response {
	return &http.Response{StatusCode: code, Header: http.Header{}}
}

func statusAfter(code int, retryAfter string) *http.Response {
	r := status(code)
	r.Header.Set("Retry-After", retryAfter)
	return r
}

// fakeClock records the waits instead of sleeping.
type fakeClock struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waits = append(c.waits, d)
	return nil
}

func (c *fakeClock) Now() time.Time { return time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC) }

// sleepFunc is a clock whose Sleep is the function.
type sleepFunc func(ctx context.Context, d time.Duration) error

func (f sleepFunc) Sleep(ctx context.Context, d time.Duration) error { return f(ctx, d) }
func (sleepFunc) Now() time.Time                                     { return time.Now() }

func (c *fakeClock) Waits() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.waits...)
}

func (c *fakeClock) Total() (sum time.Duration) {
	for _, w := range c.Waits() {
		sum += w
	}
	return sum
}

const ms = time.Millisecond

func TestGraphRetry(t *testing.T) {
	dropped := errors.New("read tcp 127.0.0.1:1->127.0.0.1:2: connection reset by peer")
	tests := []struct {
		name    string
		method  string
		answers []any
		calls   int
		code    int // 0: an error is expected
		waits   []time.Duration
	}{
		{"502 then ok", http.MethodGet, []any{status(502), status(200)}, 2, 200, []time.Duration{750 * ms}},
		{"504 then ok", http.MethodGet, []any{status(504), status(200)}, 2, 200, []time.Duration{750 * ms}},
		{"dropped then ok", http.MethodGet, []any{dropped, status(200)}, 2, 200, []time.Duration{750 * ms}},
		{"404 is final", http.MethodGet, []any{status(404)}, 1, 404, nil},
		{"500 is final", http.MethodGet, []any{status(500)}, 1, 500, nil},
		{"fractional Retry-After is waited for", http.MethodGet,
			[]any{statusAfter(429, "0.249"), status(200)}, 2, 200, []time.Duration{249 * ms}},
		{"Retry-After on 503", http.MethodGet, []any{statusAfter(503, "2"), status(200)}, 2, 200, []time.Duration{2 * time.Second}},
		{"Retry-After 0 retries at once", http.MethodGet, []any{statusAfter(429, "0"), status(200)}, 2, 200, []time.Duration{0}},
		{"429 without Retry-After backs off", http.MethodGet,
			[]any{status(429), status(429), status(200)}, 3, 200, []time.Duration{750 * ms, 1500 * ms}},
		{"unusable Retry-After backs off", http.MethodGet,
			[]any{statusAfter(429, "soon"), status(200)}, 2, 200, []time.Duration{750 * ms}},
		// internal/retryafter reads digits with at most one point; "+Inf"
		// (which strconv.ParseFloat takes) names no wait.
		{"+Inf is no Retry-After", http.MethodGet,
			[]any{statusAfter(429, "+Inf"), status(200)}, 2, 200, []time.Duration{750 * ms}},
		{"HTTP-date Retry-After", http.MethodGet,
			[]any{statusAfter(503, "Tue, 04 Mar 2025 10:00:30 GMT"), status(200)}, 2, 200, []time.Duration{30 * time.Second}},
		{"POST 502 is not repeated", http.MethodPost, []any{status(502)}, 1, 502, nil},
		{"POST dropped is not repeated", http.MethodPost, []any{dropped}, 1, 0, nil},
		{"POST 429 is repeated", http.MethodPost, []any{statusAfter(429, "1"), status(201)}, 2, 201, []time.Duration{time.Second}},
		{"gives up after the budget", http.MethodGet, []any{status(502)}, 1 + 6, 502,
			[]time.Duration{750 * ms, 1500 * ms, 3 * time.Second, 6 * time.Second, 12 * time.Second, 12 * time.Second}},
		{"faults of every kind share one budget", http.MethodGet,
			[]any{dropped, statusAfter(503, "0"), status(502), statusAfter(429, "0"), status(504), dropped, status(502)},
			1 + 6, 502, []time.Duration{750 * ms, 0, 1500 * ms, 0, 3 * time.Second, 6 * time.Second}},
		{"Retry-After beyond the total budget ends the retries", http.MethodGet,
			[]any{statusAfter(429, "181"), status(200)}, 1, 429, nil},
		{"Retry-After that would exceed the total budget", http.MethodGet,
			[]any{statusAfter(503, "100"), statusAfter(503, "100"), status(200)}, 2, 503, []time.Duration{100 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &scripted{answers: tt.answers}
			clock := &fakeClock{}
			rt := newGraphRetry(s, 6, clock)
			rt.jitter = func(max time.Duration) time.Duration { return max } // the longest wait
			req, _ := http.NewRequest(tt.method, "https://graph.example/v1.0/users", nil)
			resp, err := rt.RoundTrip(req)
			code := 0
			if resp != nil {
				code = resp.StatusCode
			}
			if s.calls != tt.calls || code != tt.code || (tt.code == 0) != (err != nil) {
				t.Errorf("%d calls, answer %d, error %v; want %d calls, answer %d", s.calls, code, err, tt.calls, tt.code)
			}
			if w := clock.Waits(); !slices.Equal(w, tt.waits) {
				t.Errorf("waits %v, want %v", w, tt.waits)
			}
			if clock.Total() > MaxRetryWait {
				t.Errorf("waited %v in total, more than MaxRetryWait", clock.Total())
			}
		})
	}
}

func TestGraphRetryResendsTheBody(t *testing.T) {
	s := &scripted{answers: []any{statusAfter(429, "0"), status(200)}}
	rt := newGraphRetry(s, 3, &fakeClock{})
	req, _ := http.NewRequest(http.MethodPost, "https://graph.example/v1.0/$batch", bytes.NewReader([]byte(`{"a":1}`)))
	if resp, err := rt.RoundTrip(req); err != nil || resp.StatusCode != 200 {
		t.Fatal(resp, err)
	}
	if !slices.Equal(s.bodies, []string{`{"a":1}`, `{"a":1}`}) {
		t.Fatalf("bodies sent: %q", s.bodies)
	}

	// A small body that cannot be rewound (the SDK's gzipped sendMail
	// body) is kept and sent again.
	s = &scripted{answers: []any{statusAfter(429, "0"), status(200)}}
	rt = newGraphRetry(s, 3, &fakeClock{})
	req, _ = http.NewRequest(http.MethodPost, "https://graph.example/v1.0/users/x/sendMail", io.NopCloser(strings.NewReader("x")))
	if resp, _ := rt.RoundTrip(req); resp.StatusCode != 200 || !slices.Equal(s.bodies, []string{"x", "x"}) {
		t.Fatalf("answer %d, bodies %q", resp.StatusCode, s.bodies)
	}

	// A large one is sent once, whole, and never retried.
	big := strings.Repeat("y", maxKeptBody+10)
	s = &scripted{answers: []any{statusAfter(429, "0"), status(200)}}
	rt = newGraphRetry(s, 3, &fakeClock{})
	req, _ = http.NewRequest(http.MethodPost, "https://graph.example/v1.0/$batch", io.NopCloser(strings.NewReader(big)))
	if resp, _ := rt.RoundTrip(req); resp.StatusCode != 429 || s.calls != 1 || len(s.bodies) != 1 || s.bodies[0] != big {
		t.Fatalf("answer %d after %d calls", resp.StatusCode, s.calls)
	}
}

func TestGraphRetryStopsWithTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	s := &scripted{answers: []any{status(503)}}
	rt := newGraphRetry(s, 8, sleepFunc(func(context.Context, time.Duration) error {
		cancel()
		return context.Canceled
	}))
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "https://graph.example/v1.0/users", nil)
	resp, err := rt.RoundTrip(req)
	if !errors.Is(err, context.Canceled) || resp != nil || s.calls != 1 {
		t.Fatalf("%v %v after %d calls", resp, err, s.calls)
	}
	// A cancelled request's own error is final.
	s = &scripted{answers: []any{context.Canceled}}
	rt = newGraphRetry(s, 8, &fakeClock{})
	if _, err := rt.RoundTrip(req); !errors.Is(err, context.Canceled) || s.calls != 1 {
		t.Fatalf("%v after %d calls", err, s.calls)
	}
}

// TestBackoffWait: the wait without Retry-After doubles from 500 ms and
// stays at 8 s, also for a count whose shift would overflow.
func TestBackoffWait(t *testing.T) {
	for _, tt := range []struct {
		n    int
		want time.Duration
	}{
		{0, 500 * time.Millisecond},
		{1, time.Second},
		{3, 4 * time.Second},
		{4, 8 * time.Second},
		{5, 8 * time.Second},
		{70, 8 * time.Second},
	} {
		if got := backoffWait(tt.n); got != tt.want {
			t.Errorf("backoffWait(%d) = %v, want %v", tt.n, got, tt.want)
		}
	}
}
