package entra

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"time"
)

// readRetry retries what the SDK's retry handler leaves alone: a 502 from a
// gateway, and a read whose connection dropped before an answer. It sits
// below the SDK's middleware and only touches GET requests, which are safe
// to repeat; 429/503/504 with Retry-After stay the SDK handler's business.
type readRetry struct {
	next     http.RoundTripper
	attempts int
}

// readRetryWait is the first backoff; a variable so tests need not wait.
var readRetryWait = 500 * time.Millisecond

func (t *readRetry) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet || req.Body != nil && req.Body != http.NoBody {
		return t.next.RoundTrip(req)
	}
	wait := readRetryWait
	for attempt := 1; ; attempt++ {
		resp, err := t.next.RoundTrip(req)
		retry := err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) ||
			resp != nil && resp.StatusCode == http.StatusBadGateway
		if !retry || attempt > t.attempts {
			return resp, err
		}
		if resp != nil {
			resp.Body.Close()
		}
		jitter := time.Duration(rand.Int64N(int64(wait)/2 + 1))
		select {
		case <-req.Context().Done():
			return nil, req.Context().Err()
		case <-time.After(wait + jitter):
		}
		wait = min(2*wait, 8*time.Second)
	}
}
