package entra

import (
	"bytes"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/internal/clock"

	"context"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Graph's retry policy: one layer, one budget per request.
//
// Every Graph request (one page of a listing) goes through graphRetry, and
// through nothing else that retries: New removes kiota's RetryHandler from the
// SDK's middleware. We keep our own rather than configure kiota's because
// kiota's (kiota-http-go v1.5.6, retry_handler.go) turns a fractional
// Retry-After into whole seconds (`time.Duration(0.249) * time.Second` is 0,
// so "Retry-After: 0.249" is retried at once), cannot retry a dropped
// connection (it only sees answers), caps retries at 10 and sleeps on the
// wall clock, which no test can fake. Stacking both, as before, gave a page
// up to 9 × 8 tries.
//
// The budget of one request:
//   - tries: at most 1 + Config.MaxRetries (default 9, at most 11);
//   - retried: 429, 502, 503 and 504 answers, and a GET/HEAD whose connection
//     dropped before an answer; 502, 504 and dropped connections only for
//     GET and HEAD (another method may have been carried out), 429 and 503
//     for any method whose body can be sent again;
//   - wait before a retry: the answer's Retry-After (seconds, fractions
//     included, or an HTTP date) when it has one, else exponential backoff
//     from 500 ms doubling to at most 8 s, plus up to 50 % random jitter;
//   - longest total wait: MaxRetryWait (180 s). A Retry-After that would take
//     the total past it ends the retries at once with the answer in hand, rather
//     than retrying before the server asked.
//
// Config.Timeout (default 5 min) bounds the whole request, tries and waits.

// MaxRetryWait is the most one Graph request waits between its tries, in
// total (the figure kiota used, so a request keeps the patience it had).
const MaxRetryWait = 180 * time.Second

// Backoff without Retry-After: first wait, and the cap of one wait (jitter excluded).
const (
	retryFirstWait = 500 * time.Millisecond
	retryMaxWait   = 8 * time.Second
)

// graphRetry is the http.RoundTripper that retries Graph requests; it sits
// below the SDK's middleware, next to the network, so that it also sees
// dropped connections.
type graphRetry struct {
	next       http.RoundTripper
	maxRetries int
	// sleep waits d or until ctx ends (then it returns ctx's error).
	sleep func(ctx context.Context, d time.Duration) error
	// jitter returns a random duration in [0, max].
	jitter func(max time.Duration) time.Duration
	// now reads the clock for Retry-After dates.
	now func() time.Time
}

func newGraphRetry(next http.RoundTripper, maxRetries int, sleep func(context.Context, time.Duration) error) *graphRetry {
	if sleep == nil {
		sleep = clock.Sleep
	}
	return &graphRetry{
		next: next, maxRetries: maxRetries, sleep: sleep, now: time.Now,
		jitter: func(max time.Duration) time.Duration { return time.Duration(rand.Int64N(int64(max) + 1)) },
	}
}

// maxKeptBody is the largest request body without GetBody that RoundTrip
// keeps in memory to send again (a mail is a few kilobytes).
const maxKeptBody = 1 << 20

func (t *graphRetry) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	idempotent := req.Method == http.MethodGet || req.Method == http.MethodHead
	if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
		// The SDK's compression middleware hands over a body it cannot
		// rewind (sendMail's gzipped message): keep a small one, so that a
		// 429 or 503, which the server did not act on, can be sent again.
		// A larger body is sent once, as it comes.
		b, err := io.ReadAll(io.LimitReader(req.Body, maxKeptBody+1))
		if err != nil {
			req.Body.Close()
			return nil, err
		}
		req = req.Clone(ctx)
		if len(b) <= maxKeptBody {
			req.Body.Close()
			req.Body = io.NopCloser(bytes.NewReader(b))
			req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
		} else {
			req.Body = struct {
				io.Reader
				io.Closer
			}{io.MultiReader(bytes.NewReader(b), req.Body), req.Body}
		}
	}
	replayable := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
	var waited time.Duration
	backoff := retryFirstWait
	for retry := 0; ; retry++ {
		if retry > 0 && req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			req = req.Clone(ctx)
			req.Body = body
		}
		resp, err := t.next.RoundTrip(req)
		if !replayable || retry >= t.maxRetries || !retriable(resp, err, idempotent) {
			return resp, err
		}
		wait, fromServer := t.retryAfter(resp)
		if !fromServer {
			wait = backoff + t.jitter(backoff/2)
			backoff = min(2*backoff, retryMaxWait)
		}
		if waited+wait > MaxRetryWait {
			return resp, err
		}
		if resp != nil {
			// Drain a little so the connection can be reused.
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
		}
		if err := t.sleep(ctx, wait); err != nil {
			return nil, err
		}
		waited += wait
	}
}

// retriable reports whether an answer (or its absence) is worth another try.
func retriable(resp *http.Response, err error, idempotent bool) bool {
	if err != nil {
		return idempotent && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		return true
	case http.StatusBadGateway, http.StatusGatewayTimeout:
		return idempotent
	}
	return false
}

// retryAfter reads the Retry-After header: delay-seconds (fractions
// accepted, as Graph and proxies sometimes send them) or an HTTP date.
// ok is false when there is no usable value.
func (t *graphRetry) retryAfter(resp *http.Response) (d time.Duration, ok bool) {
	if resp == nil {
		return 0, false
	}
	return parseRetryAfter(resp.Header.Get("Retry-After"), t.now())
}

func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		switch {
		case math.IsNaN(secs) || secs < 0:
			return 0, false
		case secs > MaxRetryWait.Seconds():
			// Beyond the whole budget (Inf included): the caller gives up
			// rather than retry before the server asked.
			return MaxRetryWait + time.Second, true
		}
		return time.Duration(secs * float64(time.Second)), true
	}
	if at, err := http.ParseTime(v); err == nil {
		return max(at.Sub(now), 0), true
	}
	return 0, false
}
