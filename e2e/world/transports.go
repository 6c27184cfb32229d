package world

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Transports and clocks a test puts between a run and the fakes.

// RoundTripFunc is a function that is an http.RoundTripper.
type RoundTripFunc func(*http.Request) (*http.Response, error)

// RoundTrip calls f.
func (f RoundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// SleepClock runs the clients' waits in virtual time: Sleep returns at
// once and moves Now forward, so a 30 s Retry-After is honoured (the rate
// gate's hold sees the time pass) without the test waiting for it.
type SleepClock struct {
	mu    sync.Mutex
	ahead time.Duration
	slept []time.Duration
	// OnSleep, when set, runs at each wait (the world changing while the
	// client waits), outside the lock.
	OnSleep func(d time.Duration)
}

// Slept lists the waits so far, in order.
func (c *SleepClock) Slept() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.slept...)
}

// Now is the wall clock plus every wait so far.
func (c *SleepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.ahead)
}

// Sleep records d and returns at once (ctx.Err() if ctx is done).
func (c *SleepClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	if d > 0 {
		c.ahead += d
		c.slept = append(c.slept, d)
	}
	hook := c.OnSleep
	c.mu.Unlock()
	if hook != nil {
		hook(d)
	}
	return nil
}

// WriteCounter watches the Mattermost writes of a run (requests other than
// GET that succeeded). Once N writes have been answered, the next create
// (POST) calls Hook; with Cancel set, it also cancels the run's context and
// loses the create's answer although the create took effect, as when the
// runner is killed.
type WriteCounter struct {
	Next   http.RoundTripper
	N      int64
	Cancel context.CancelFunc // nil: the run goes on
	Hook   func()             // nil: nothing
	seen   atomic.Int64
	once   sync.Once
}

// Seen counts the writes answered so far.
func (c *WriteCounter) Seen() int64 { return c.seen.Load() }

// RoundTrip sends r on Next and counts it.
func (c *WriteCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.Next.RoundTrip(r)
	if r.Method == http.MethodGet || err != nil || resp.StatusCode >= 300 {
		return resp, err
	}
	if c.seen.Add(1) <= c.N || r.Method != http.MethodPost {
		return resp, err
	}
	fired := false
	c.once.Do(func() {
		fired = true
		if c.Hook != nil {
			c.Hook()
		}
		if c.Cancel != nil {
			c.Cancel()
		}
	})
	if fired && c.Cancel != nil {
		resp.Body.Close()
		return nil, context.Canceled
	}
	return resp, err
}
