package fakemm

import (
	"math"
	"net/http"
	"strconv"
	"time"
)

// Chaos makes a random share of requests fail the way a Mattermost server
// behind a reverse proxy does under load. Each request (other than one
// taken by an injected Fault or an Outage) draws once from the server's
// seeded RNG; the shares add up, so their sum must not exceed 1.
// Its shape follows fakegraph.Chaos on purpose (one way to ask both fakes for
// faults), but the answers are each server's own, so the two are not shared.
type Chaos struct {
	// TooMany is the share answered 429 with Mattermost's plain-text body
	// before the handler runs.
	TooMany float64
	// RetryAfter is sent as Retry-After and X-RateLimit-Reset with those
	// 429s, in seconds; 0 sends "0" (retry at once), so tests stay fast.
	RetryAfter int
	// BadGateway is the share answered 502 with nginx's HTML page before the
	// handler runs (the proxy could not reach the server).
	BadGateway float64
	// Drop is the share whose connection is closed without an answer before
	// the handler runs.
	Drop float64
	// DropAfter is the share whose connection is closed without an answer
	// after the handler ran: a write took effect and its answer is lost.
	DropAfter float64
	// ReadsOnly limits Drop, DropAfter and BadGateway to GET requests.
	ReadsOnly bool
}

func (c Chaos) active() bool {
	return c.TooMany > 0 || c.BadGateway > 0 || c.Drop > 0 || c.DropAfter > 0
}

type chaosOutcome int

const (
	chaosNone chaosOutcome = iota
	chaosTooMany
	chaosBadGateway
	chaosDrop
	chaosDropAfter
)

// drawChaos picks the fate of one request. Caller holds mu.
func (s *Server) drawChaos(method string) chaosOutcome {
	c := s.chaos
	if !c.active() {
		return chaosNone
	}
	x := s.rng.Float64()
	if x < c.TooMany {
		s.chaosCounts[chaosTooMany]++
		return chaosTooMany
	}
	x -= c.TooMany
	if c.ReadsOnly && method != http.MethodGet {
		return chaosNone
	}
	for _, o := range []struct {
		share float64
		out   chaosOutcome
	}{{c.BadGateway, chaosBadGateway}, {c.Drop, chaosDrop}, {c.DropAfter, chaosDropAfter}} {
		if x < o.share {
			s.chaosCounts[o.out]++
			return o.out
		}
		x -= o.share
	}
	return chaosNone
}

func (s *Server) chaosRetryAfter() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return max(s.chaos.RetryAfter, 0)
}

// SetChaos changes the random failure mode (the zero Chaos turns it off).
func (s *Server) SetChaos(c Chaos) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chaos = c
}

// ChaosCounts returns how many requests each random failure took, keyed
// "429", "502", "drop" and "drop-after".
func (s *Server) ChaosCounts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := map[chaosOutcome]string{chaosTooMany: "429", chaosBadGateway: "502", chaosDrop: "drop", chaosDropAfter: "drop-after"}
	out := map[string]int{}
	for k, v := range s.chaosCounts {
		out[names[k]] = v
	}
	return out
}

// OutageMode says how the server behaves while it is down.
type OutageMode int

// Outage modes.
const (
	// OutageUnavailable answers every request 503 (the proxy's page), with
	// Retry-After when Outage.RetryAfter > 0: a server restarting behind
	// nginx.
	OutageUnavailable OutageMode = iota + 1
	// OutageRefuse closes every connection without an answer: the process
	// is gone and nothing listens.
	OutageRefuse
)

// Outage is a period in which the server is down. No handler runs.
type Outage struct {
	Mode OutageMode
	// RetryAfter, in seconds, is sent with OutageUnavailable when > 0.
	RetryAfter int
}

// SetOutage takes the server down (Mode != 0) or brings it back (the zero
// Outage). Requests answered during the outage are counted in Requests.
func (s *Server) SetOutage(o Outage) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.outage = o
}

func (s *Server) writeOutage(w http.ResponseWriter, o Outage) {
	if o.Mode == OutageRefuse {
		dropConnection(w)
		return
	}
	writeFault(w, &Fault{Status: http.StatusServiceUnavailable, RetryAfter: o.RetryAfter})
}

// dropConnection closes the client's connection without writing anything.
func dropConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	conn.Close()
}

// tokenBucket is Mattermost's rate limiter (throttled's GCRA) reduced to a
// token bucket.
type tokenBucket struct {
	tokens float64
	last   time.Time
	init   bool
}

type bucketAnswer struct {
	ok         bool
	limit      int
	remaining  int
	reset      int
	retryAfter int
}

func (a bucketAnswer) setHeaders(w http.ResponseWriter) {
	w.Header().Set("X-RateLimit-Limit", strconv.Itoa(a.limit))
	w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(a.remaining))
	w.Header().Set("X-RateLimit-Reset", strconv.Itoa(a.reset))
}

// takeToken spends one token of the bucket. Caller holds mu.
func (s *Server) takeToken(rl RateLimit) bucketAnswer {
	burst := rl.MaxBurst
	if burst <= 0 {
		burst = DefaultRateLimitLimit - 1
	}
	capacity := float64(burst + 1)
	now := s.clockNow()
	b := &s.bucket
	if !b.init {
		b.tokens, b.last, b.init = capacity, now, true
	}
	b.tokens = math.Min(capacity, b.tokens+now.Sub(b.last).Seconds()*rl.PerSecond)
	b.last = now
	a := bucketAnswer{limit: burst + 1}
	if b.tokens >= 1 {
		b.tokens--
		a.ok = true
	} else {
		a.retryAfter = int(math.Ceil((1 - b.tokens) / rl.PerSecond))
	}
	a.remaining = int(b.tokens)
	a.reset = int(math.Ceil((capacity - b.tokens) / rl.PerSecond))
	s.bucketStats.requests++
	if !a.ok {
		s.bucketStats.limited++
	}
	return a
}

// RateLimited returns how many requests the token-bucket limiter (RateLimit
// with PerSecond > 0) refused since the last ResetCounters.
func (s *Server) RateLimited() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bucketStats.limited
}

// sortedCache returns the users sorted by username, computed once per
// change: GET /users pages through it. Callers must not modify it. Caller
// holds mu.
func (s *Server) sortedCache() []User {
	if s.sorted == nil {
		s.sorted = s.sortedUsers()
	}
	return s.sorted
}
