// Package clock is the wall clock behind the clients' waits, in one place:
// the Mattermost client and the Graph retry layer both wait through a
// function of this shape, which tests replace with a fake.
package clock

import (
	"context"
	"time"
)

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
