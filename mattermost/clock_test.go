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
// deadline (its start plus d) if that is later than now. With Manual set, a
// Sleep blocks until Advance moves the clock past its deadline or its
// context ends. With Parties > 0 (goroutines that share the clock; each
// calls Leave when it is done), time is virtual: a Sleep blocks until all
// parties sleep, then the clock jumps to the earliest deadline and wakes its
// sleepers, so concurrent waits overlap exactly as in real time.
type FakeClock struct {
	Manual  bool
	Parties int

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
	if d <= 0 {
		return nil
	}
	c.mu.Lock()
	c.sleeps = append(c.sleeps, d)
	at := c.now.Add(d)
	if !c.Manual && c.Parties == 0 {
		if at.After(c.now) {
			c.now = at
		}
		c.mu.Unlock()
		return nil
	}
	w := fakeWaiter{at: at, done: make(chan struct{})}
	c.waiters = append(c.waiters, w)
	c.step()
	c.mu.Unlock()
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		c.mu.Lock()
		defer c.mu.Unlock()
		for i, x := range c.waiters {
			if x.done == w.done {
				c.waiters = append(c.waiters[:i], c.waiters[i+1:]...)
				break
			}
		}
		c.step()
		return ctx.Err()
	}
}

// Advance moves the clock by d and wakes the sleepers whose deadline passed.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.wake()
}

// wake closes the sleepers whose deadline passed. Caller holds mu.
func (c *FakeClock) wake() {
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

// Leave says one of Parties is done and sleeps no more.
func (c *FakeClock) Leave() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.Parties--
	c.step()
}

// step: once every party sleeps, jump to the earliest deadline. Caller
// holds mu.
func (c *FakeClock) step() {
	if c.Parties <= 0 || len(c.waiters) < c.Parties {
		return
	}
	next := c.waiters[0].at
	for _, w := range c.waiters {
		if w.at.Before(next) {
			next = w.at
		}
	}
	if next.After(c.now) {
		c.now = next
	}
	c.wake()
}
