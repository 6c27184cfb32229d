package fakegraph

import (
	"maps"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Chaos makes a random share of Graph requests fail the way Microsoft Graph
// does under load. Each request draws once from the generator seeded with
// Options.Seed; the shares add up, so their sum must not exceed 1. It applies
// to the Graph endpoints (/v1.0/...), and with IncludeToken also to the
// token and discovery endpoints. It is independent of ThrottleRate.
// Its shape follows fakemm.Chaos on purpose (one way to ask both fakes for
// faults), but the answers are each server's own, so the two are not shared.
type Chaos struct {
	// TooMany is the share answered 429 TooManyRequests.
	TooMany float64
	// RetryAfter is the Retry-After sent with those 429s, in seconds: 0
	// sends "0" (retry at once) so that tests stay fast; negative sends none.
	RetryAfter int
	// BadGateway is the share answered 502 (an OData error, code BadGateway).
	BadGateway float64
	// ServiceUnavailable is the share answered 503 with RetryAfter.
	ServiceUnavailable float64
	// Drop is the share whose connection is closed without an answer.
	Drop float64
	// IncludeToken extends the faults to the token and discovery endpoints.
	IncludeToken bool
}

func (c Chaos) active() bool {
	return c.TooMany > 0 || c.BadGateway > 0 || c.ServiceUnavailable > 0 || c.Drop > 0
}

// SetChaos changes the random failure mode (the zero Chaos turns it off).
func (s *Server) SetChaos(c Chaos) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chaos = c
}

// ChaosCounts returns how many requests each random failure took, keyed
// "429", "502", "503" and "drop".
func (s *Server) ChaosCounts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.chaosCounts)
}

// chaotic draws the fate of one request and answers it when it fails.
func (s *Server) chaotic(w *statusWriter, r *http.Request, rec *Request) bool {
	s.mu.Lock()
	c := s.chaos
	if !c.active() || (!c.IncludeToken && !isGraphPath(r.URL.Path)) {
		s.mu.Unlock()
		return false
	}
	x := s.rnd.Float64()
	fate := ""
	for _, o := range []struct {
		share float64
		name  string
	}{{c.TooMany, "429"}, {c.BadGateway, "502"}, {c.ServiceUnavailable, "503"}, {c.Drop, "drop"}} {
		if x < o.share {
			fate = o.name
			break
		}
		x -= o.share
	}
	if fate != "" {
		s.chaosCounts[fate]++
		if strings.HasSuffix(r.URL.Path, "/oauth2/v2.0/token") {
			rec.Key = "POST /token"
		}
	}
	s.mu.Unlock()

	retryAfter := func() {
		if c.RetryAfter >= 0 {
			w.Header().Set("Retry-After", strconv.Itoa(c.RetryAfter))
		}
	}
	switch fate {
	case "429":
		retryAfter()
		writeODataError(w, http.StatusTooManyRequests, "TooManyRequests", "Too many requests")
	case "502":
		writeODataError(w, http.StatusBadGateway, "BadGateway", "Bad gateway")
	case "503":
		retryAfter()
		writeODataError(w, http.StatusServiceUnavailable, "ServiceUnavailable", "Service unavailable")
	case "drop":
		s.record(*rec) // Status 0: no answer
		w.recorded = true
		hj, ok := w.ResponseWriter.(http.Hijacker)
		if !ok {
			panic(http.ErrAbortHandler)
		}
		conn, _, err := hj.Hijack()
		if err != nil {
			panic(http.ErrAbortHandler)
		}
		conn.Close()
	default:
		return false
	}
	return true
}

func isGraphPath(p string) bool {
	return strings.HasPrefix(p, "/v1.0/")
}

// SetLatency changes the latency added before every answer.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.Latency = d
}
