package mattermost

import (
	"context"
	"sync"
	"time"
)

// FakeClock is a Clock for tests (exported to the external test package
// only: this file is a _test.go file). Now starts at a fixed instant.
//
// By default a Sleep returns at once and moves the clock to the sleeper's
// deadline (its start plus d) if that is later than now: concurrent sleepers
// overlap as they would in real time rather than add up. With Manual set, a
// Sleep blocks until Advance moves the clock past its deadline or its
// context ends.
type FakeClock struct {
	Manual bool

	mu      sync.Mutex
	now     time.Time
	sleeps  []time.Duration
	waiters []fakeWaiter
}

type fakeWaiter struct {
	at   time.Time
	done chan struct{}
}

// NewFakeClock starts at 2026-01-01T00:00:00Z.
func NewFakeClock() *FakeClock {
	return &FakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *FakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.sleeps = append(c.sleeps, d)
	at := c.now.Add(d)
	if !c.Manual {
		if at.After(c.now) {
			c.now = at
		}
		c.mu.Unlock()
		return nil
	}
	w := fakeWaiter{at: at, done: make(chan struct{})}
	c.waiters = append(c.waiters, w)
	c.mu.Unlock()
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Advance moves the clock by d and wakes the sleepers whose deadline passed.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if w.at.After(c.now) {
			kept = append(kept, w)
			continue
		}
		close(w.done)
	}
	c.waiters = kept
}

// Sleeps returns every duration asked of Sleep, in order.
func (c *FakeClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// Sleepers is how many Manual sleeps are waiting.
func (c *FakeClock) Sleepers() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.waiters)
}
