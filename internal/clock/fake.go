package clock

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Fake is a Clock for tests. Now starts at 2026-01-01T00:00:00Z and moves
// only when a Sleep or the test moves it. It has three modes, chosen before
// first use:
//
//   - instant (the default): a Sleep returns at once and moves the clock to
//     the sleeper's deadline (now plus d);
//   - Manual: a Sleep blocks until Advance (or AdvanceToNext) moves the
//     clock to its deadline, or its context ends. Sleepers and Changed tell
//     the test when a goroutine starts waiting;
//   - Parties > 0 (goroutines that share the clock; each calls Leave when
//     done): a Sleep blocks until all parties sleep, then the clock jumps to
//     the earliest deadline and wakes its sleepers, so concurrent waits
//     overlap exactly as in real time.
//
// Timers (AfterFunc, WithTimeout) fire when the clock reaches them in any
// mode; they are not sleepers.
type Fake struct {
	Manual  bool
	Parties int

	mu      sync.Mutex
	now     time.Time
	sleeps  []time.Duration
	waiters []*waiter
	changed chan struct{} // closed and replaced whenever waiters changes
}

type waiter struct {
	at    time.Time
	done  chan struct{} // closed when the deadline passes (sleepers)
	fire  func()        // run when the deadline passes (timers)
	timer bool
}

// NewFake returns an instant Fake at 2026-01-01T00:00:00Z.
func NewFake() *Fake {
	return &Fake{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), changed: make(chan struct{})}
}

// Now is the fake time.
func (c *Fake) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Sleep records d and waits for it as the mode says.
func (c *Fake) Sleep(ctx context.Context, d time.Duration) error {
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
		fire := c.moveTo(at)
		c.mu.Unlock()
		run(fire)
		return nil
	}
	w := &waiter{at: at, done: make(chan struct{})}
	c.add(w)
	fire := c.step()
	c.mu.Unlock()
	run(fire)
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		c.mu.Lock()
		c.remove(w)
		fire := c.step()
		c.mu.Unlock()
		run(fire)
		return ctx.Err()
	}
}

// AfterFunc runs f once the clock reaches now+d, on the goroutine that
// moves it there (keep f short and free of waits on the clock).
// stop cancels it and reports whether it had not fired yet.
func (c *Fake) AfterFunc(d time.Duration, f func()) (stop func() bool) {
	c.mu.Lock()
	w := &waiter{at: c.now.Add(d), fire: f, timer: true}
	if d <= 0 {
		c.mu.Unlock()
		go f()
		return func() bool { return false }
	}
	c.add(w)
	c.mu.Unlock()
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.remove(w)
	}
}

// WithTimeout is context.WithTimeout on the fake clock: the context ends
// with context.DeadlineExceeded once the clock reaches now+d (it reports no
// Deadline, which the network code would read on the wall clock).
func (c *Fake) WithTimeout(parent context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	ctx, start, cancel := c.TimeoutFrom(parent, d)
	start()
	return ctx, cancel
}

// TimeoutFrom is WithTimeout counted from an event: the context ends with
// context.DeadlineExceeded d after start is first called (a test's "1.5 s
// into the wait", whenever the wait begins).
func (c *Fake) TimeoutFrom(parent context.Context, d time.Duration) (ctx context.Context, start func(), cancel context.CancelFunc) {
	v := &virtualDeadline{parent: parent, done: make(chan struct{})}
	unhook := context.AfterFunc(parent, func() { v.end(parent.Err()) })
	var (
		once sync.Once
		mu   sync.Mutex
		stop = func() bool { return false }
	)
	start = func() {
		once.Do(func() {
			s := c.AfterFunc(d, func() { v.end(context.DeadlineExceeded) })
			mu.Lock()
			stop = s
			mu.Unlock()
		})
	}
	return v, start, func() {
		unhook()
		mu.Lock()
		stop()
		mu.Unlock()
		v.end(context.Canceled)
	}
}

// virtualDeadline is a context ended by a Fake's timer.
type virtualDeadline struct {
	parent context.Context
	done   chan struct{}
	mu     sync.Mutex
	err    error
}

func (v *virtualDeadline) Deadline() (time.Time, bool) { return v.parent.Deadline() }
func (v *virtualDeadline) Done() <-chan struct{}       { return v.done }
func (v *virtualDeadline) Value(key any) any           { return v.parent.Value(key) }
func (v *virtualDeadline) Err() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.err
}

func (v *virtualDeadline) end(err error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.err == nil {
		v.err = err
		close(v.done)
	}
}

// Advance moves the clock by d, waking the sleepers and firing the timers
// whose deadline it passes.
func (c *Fake) Advance(d time.Duration) {
	c.mu.Lock()
	fire := c.moveTo(c.now.Add(d))
	c.mu.Unlock()
	run(fire)
}

// Next is the earliest deadline of a sleeper or timer; ok is false when
// nothing waits.
func (c *Fake) Next() (at time.Time, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.next()
}

// AdvanceToNext moves the clock to the earliest deadline (if it is ahead)
// and wakes what waits for it. It reports whether anything waited.
func (c *Fake) AdvanceToNext() bool {
	c.mu.Lock()
	at, ok := c.next()
	var fire []func()
	if ok {
		fire = c.moveTo(at) // never backwards
	}
	c.mu.Unlock()
	run(fire)
	return ok
}

// Sleeps returns every duration asked of Sleep, in order.
func (c *Fake) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.sleeps)
}

// Sleepers is how many Sleeps are blocked (Manual and Parties modes).
func (c *Fake) Sleepers() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sleepers()
}

// Changed is closed the next time a sleeper or timer starts or stops
// waiting: a test selects on it rather than polling Sleepers.
func (c *Fake) Changed() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.changed
}

// BlockUntil returns once at least n Sleeps are blocked, or with ctx's
// error.
func (c *Fake) BlockUntil(ctx context.Context, n int) error {
	for {
		ch := c.Changed()
		if c.Sleepers() >= n {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Leave says one of Parties is done and sleeps no more.
func (c *Fake) Leave() {
	c.mu.Lock()
	c.Parties--
	fire := c.step()
	c.mu.Unlock()
	run(fire)
}

// add and remove keep waiters; remove reports whether w was there. Caller
// holds mu.
func (c *Fake) add(w *waiter) {
	c.waiters = append(c.waiters, w)
	c.notify()
}

func (c *Fake) remove(w *waiter) bool {
	i := slices.Index(c.waiters, w)
	if i < 0 {
		return false
	}
	c.waiters = slices.Delete(c.waiters, i, i+1)
	c.notify()
	return true
}

func (c *Fake) notify() {
	if c.changed == nil {
		c.changed = make(chan struct{})
	}
	close(c.changed)
	c.changed = make(chan struct{})
}

func (c *Fake) next() (time.Time, bool) {
	if len(c.waiters) == 0 {
		return time.Time{}, false
	}
	at := c.waiters[0].at
	for _, w := range c.waiters[1:] {
		if w.at.Before(at) {
			at = w.at
		}
	}
	return at, true
}

// moveTo sets the clock to at (never backwards), wakes the sleepers whose
// deadline passed and returns the timers to fire, outside the lock. Caller
// holds mu.
func (c *Fake) moveTo(at time.Time) (fire []func()) {
	if at.After(c.now) {
		c.now = at
	}
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		switch {
		case w.at.After(c.now):
			kept = append(kept, w)
		case w.timer:
			fire = append(fire, w.fire)
		default:
			close(w.done)
		}
	}
	if len(kept) != len(c.waiters) {
		clear(c.waiters[len(kept):])
		c.waiters = kept
		c.notify()
	}
	return fire
}

// step: in Parties mode, once every party sleeps, jump to the earliest
// deadline. Caller holds mu.
func (c *Fake) step() []func() {
	if c.Parties <= 0 || c.sleepers() < c.Parties {
		return nil
	}
	at, _ := c.next()
	return c.moveTo(at)
}

// sleepers is Sleepers with mu held.
func (c *Fake) sleepers() int {
	n := 0
	for _, w := range c.waiters {
		if !w.timer {
			n++
		}
	}
	return n
}

// run fires timers in order, on the goroutine that moved the clock (so
// that what a timer changes has happened before time moves on).
func run(fire []func()) {
	for _, f := range fire {
		f()
	}
}
