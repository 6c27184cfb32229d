package fakemm

import (
	"maps"
	"strings"
	"time"
)

// The knobs a test turns (user limits, password policy, team size,
// latency, rate limit, faults) and the request counters it reads.

// SetUserLimits changes maxUsersLimit / maxUsersHardLimit.
func (s *Server) SetUserLimits(limit, hard int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.MaxUsersLimit, s.opts.MaxUsersHardLimit = limit, hard
}

// SetPasswordPolicy changes the password policy.
func (s *Server) SetPasswordPolicy(p PasswordPolicy) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.MinimumLength == 0 {
		p.MinimumLength = 8
	}
	s.opts.PasswordPolicy = p
}

// SetMaxUsersPerTeam changes TeamSettings.MaxUsersPerTeam.
func (s *Server) SetMaxUsersPerTeam(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.MaxUsersPerTeam = n
}

// SetLatency changes the per-request and per-create latency.
func (s *Server) SetLatency(perRequest, perCreate time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.Latency, s.opts.CreateLatency = perRequest, perCreate
}

// SetRateLimit changes the random 429 mode (Fraction 0 turns it off).
func (s *Server) SetRateLimit(rl RateLimit) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.RateLimit = rl
	s.bucket = tokenBucket{}
}

// InjectFault queues a fault. Faults are consumed in order of injection.
func (s *Server) InjectFault(f Fault) {
	if f.Count <= 0 {
		f.Count = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// FailNext makes the next n requests matching methodPath ("POST
// /api/v4/users", "GET /api/v4/users", "GET" or "" for any; the path is a
// prefix) fail with status.
func (s *Server) FailNext(n, status int, methodPath string) {
	method, path, _ := strings.Cut(strings.TrimSpace(methodPath), " ")
	if strings.HasPrefix(method, "/") {
		method, path = "", method
	}
	s.InjectFault(Fault{Method: method, PathPrefix: path, Status: status, Count: n})
}

// ClearFaults drops pending faults.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// Requests returns request counts keyed by "METHOD /api/v4/route/{param}".
func (s *Server) Requests() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.requests)
}

// TotalRequests is the sum of Requests().
func (s *Server) TotalRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, v := range s.requests {
		n += v
	}
	return n
}

// Writes counts POST/PUT/DELETE requests that passed authentication and
// reached a handler.
func (s *Server) Writes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writes
}

// ResetCounters zeroes Requests and Writes.
func (s *Server) ResetCounters() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = map[string]int{}
	s.writes = 0
	s.chaosCounts = map[chaosOutcome]int{}
	s.bucketStats.requests, s.bucketStats.limited = 0, 0
}
