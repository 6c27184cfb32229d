package fakemm

import "time"

// SetClock makes the rate limiter's token bucket (RateLimit.PerSecond) read
// the time from now instead of the wall clock, so a client on a fake clock
// sees the bucket refill as its own waits pass. nil restores the wall clock.
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clock = now
}

// clockNow is the bucket's time. Caller holds mu.
func (s *Server) clockNow() time.Time {
	if s.clock != nil {
		return s.clock()
	}
	return time.Now()
}
