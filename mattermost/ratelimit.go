package mattermost

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/internal/clock"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/internal/retryafter"
	"golang.org/x/time/rate"
)

// rateGate slows every request of a client down when the server says its
// rate limit is reached or nearly so (Mattermost's limiter is per token or
// per address, so one worker's 429 concerns them all):
//
//   - a 429 with Retry-After (or X-RateLimit-Reset) holds every request, not
//     only the one that is retried, until then;
//   - X-RateLimit-Remaining: 0 holds every request until X-RateLimit-Reset;
//   - X-RateLimit-Remaining at or below a tenth of X-RateLimit-Limit, or
//     below the number of requests already in flight, spaces requests out at
//     the rate the budget refills, estimated as Reset / (Limit - Remaining),
//     so that the burst is not spent to the last request and then answered
//     with 429s; it stops once half the budget is back.
//
// The pacing is a rate.Limiter (burst 1, rate.Inf while not pacing). The
// hold is a deadline next to it: a Limiter models a refill rate, and has no
// way to say "nothing before 12:00:03" without draining tokens it would
// then refill at the wrong rate.
type rateGate struct {
	clock    clock.Clock
	mu       sync.Mutex
	until    time.Time     // no request before this
	interval time.Duration // when > 0, at most one request per interval
	pace     *rate.Limiter
	inflight atomic.Int64 // requests sent and not yet answered
}

func newRateGate(clock clock.Clock) *rateGate {
	return &rateGate{clock: clock, pace: rate.NewLimiter(rate.Inf, 1)}
}

// wait blocks until the request may go: it takes the next slot after the
// hold, or gives it back if ctx ends first.
func (g *rateGate) wait(ctx context.Context) error {
	g.mu.Lock()
	now := g.clock.Now()
	at := now
	if g.until.After(at) {
		at = g.until
	}
	r := g.pace.ReserveN(at, 1)
	d := r.DelayFrom(now)
	g.mu.Unlock()
	if d <= 0 {
		return nil
	}
	if err := g.clock.Sleep(ctx, d); err != nil {
		r.CancelAt(g.clock.Now())
		return err
	}
	return nil
}

// nearZero: requests are paced once X-RateLimit-Remaining is at most
// X-RateLimit-Limit / nearZero.
const nearZero = 10

// observe reads the rate limit headers of an answer (nil after a transport
// error).
func (g *rateGate) observe(resp *http.Response) {
	if resp == nil {
		return
	}
	h := resp.Header
	now := g.clock.Now()
	if resp.StatusCode == http.StatusTooManyRequests {
		if d, ok := serverWait(resp, now); ok && d > 0 {
			g.hold(now.Add(d))
		}
		return
	}
	rem, err := strconv.Atoi(strings.TrimSpace(h.Get("X-RateLimit-Remaining")))
	if err != nil || rem < 0 {
		return
	}
	reset, ok := retryafter.Seconds(h.Get("X-RateLimit-Reset"))
	if rem == 0 {
		if ok && reset > 0 {
			g.hold(now.Add(min(reset, MaxRetryAfter)))
		}
		return
	}
	limit, err := strconv.Atoi(strings.TrimSpace(h.Get("X-RateLimit-Limit")))
	if err != nil || limit <= rem {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	inflight := g.inflight.Load()
	interval := time.Duration(0)
	switch {
	case !ok || reset <= 0:
	case rem*nearZero <= limit || int64(rem) <= inflight:
		// Nearly spent: pace at the refill rate.
		interval = reset / time.Duration(limit-rem)
	case g.interval > 0 && (rem*2 <= limit || int64(rem) <= 2*inflight):
		// Recovering while paced: keep pacing, at the current estimate,
		// until half the budget is back; stopping at once would spend it
		// again in one burst.
		interval = reset / time.Duration(limit-rem)
	}
	g.setInterval(now, interval)
}

// setInterval paces at one request per interval (0: no pacing). Caller
// holds mu.
func (g *rateGate) setInterval(now time.Time, interval time.Duration) {
	if interval == g.interval {
		return
	}
	was := g.interval
	g.interval = interval
	switch {
	case interval <= 0:
		g.pace.SetLimitAt(now, rate.Inf)
	case was <= 0:
		// A fresh limiter, its one token ready: the first paced request
		// goes at once. (SetLimitAt from rate.Inf would compute the
		// tokens gained as Inf × 0 s = NaN when no time has passed.)
		g.pace = rate.NewLimiter(rate.Every(interval), 1)
	default:
		g.pace.SetLimitAt(now, rate.Every(interval))
	}
}

func (g *rateGate) hold(until time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if until.After(g.until) {
		g.until = until
	}
}
