package mattermost

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/internal/clock"
)

// DefaultBreakerThreshold is how many requests in a row must fail, each
// after its whole retry budget, before the client stops sending requests.
//
// The breaker counts requests, not tries: the retry budget is what rides
// out a blip (a proxy's 502 while Mattermost restarts), so a request that
// spent it is evidence of an outage; counting tries would open the breaker
// on a two-second restart once 8 workers each met a couple of 502s. With
// Mattermost gone (refused connections, no Retry-After) one request fails
// after about 4-7.5 s of backoff, so 8 workers open the breaker within about
// 7.5 s; one worker alone needs 5 requests, about 20-40 s. A 503 with a
// Retry-After of 30 s opens it after about 30 s (MaxRequestWait).
//
// Once open, the breaker stays open for the rest of the client's life (a run
// is minutes; the next scheduled run converges): every request fails at once
// with an error matching sync.ErrUnavailable, and requests waiting between
// tries stop waiting and return their last failure.
const DefaultBreakerThreshold = 5

// breaker is the client's circuit breaker; see DefaultBreakerThreshold.
type breaker struct {
	threshold int // <= 0: never opens
	clock     clock.Clock

	mu       sync.Mutex
	failures int       // consecutive failed requests
	cause    string    // the failure that opened it, for the error text
	openedAt time.Time // when it opened, on the client's clock

	// open is cancelled when the breaker opens: waits between tries select
	// on it.
	open   context.Context
	cancel context.CancelFunc
}

func newBreaker(threshold int, clock clock.Clock) *breaker {
	b := &breaker{threshold: threshold, clock: clock}
	b.open, b.cancel = context.WithCancel(context.Background())
	return b
}

// allow reports whether the breaker is open and, if so, why it opened.
func (b *breaker) allow() (cause string, open bool) {
	if b.open.Err() == nil {
		return "", false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.cause, true
}

// record counts the outcome of one request (after its retries): failed is a
// transport error or a final 502, 503 or 504. Any other answer, an error
// status included, shows the server is there and resets the count.
func (b *breaker) record(failed bool, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !failed {
		b.failures = 0
		return
	}
	b.failures++
	if b.threshold > 0 && b.failures >= b.threshold && b.open.Err() == nil {
		b.cause = fmt.Sprintf("%d requests in a row failed, the last: %v", b.failures, err)
		b.openedAt = b.clock.Now()
		b.cancel()
	}
}

// errBreakerOpen ends a wait between tries when the breaker opens.
var errBreakerOpen = errors.New("circuit breaker open")

// waitContext is ctx, also ended (with cause errBreakerOpen) when the
// breaker opens; stop releases it.
func (b *breaker) waitContext(ctx context.Context) (wctx context.Context, stop func()) {
	wctx, cancel := context.WithCancelCause(ctx)
	unhook := context.AfterFunc(b.open, func() { cancel(errBreakerOpen) })
	return wctx, func() {
		unhook()
		cancel(nil)
	}
}
