// Package clock is the time behind every wait of the HTTP clients (a retry's
// backoff, a Retry-After, the rate gate's pacing) and every "now" those waits
// are measured from, in one place, so that tests run them on a fake clock
// (fake.go) and nothing waits on the wall clock in a test.
package clock

import (
	"context"
	"time"
)

// Clock is a source of time: Now for readings, Sleep for waits.
type Clock interface {
	Now() time.Time
	// Sleep waits d, or returns ctx's error as soon as ctx is done. A d of
	// zero or less returns at once (with ctx's error, if any).
	Sleep(ctx context.Context, d time.Duration) error
}

// Real is the wall clock.
type Real struct{}

// Now is time.Now.
func (Real) Now() time.Time { return time.Now() }

// Sleep waits on a real timer.
func (Real) Sleep(ctx context.Context, d time.Duration) error { return Sleep(ctx, d) }

// Or is c, or the wall clock when c is nil.
func Or(c Clock) Clock {
	if c == nil {
		return Real{}
	}
	return c
}

// Sleep waits d on a real timer, or returns ctx's error as soon as ctx is
// done. A d of zero or less returns at once (with ctx's error, if any).
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
