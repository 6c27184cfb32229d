package mattermost

import (
	"context"
	"time"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/internal/clock"
)

// Clock is the client's source of time: every wait (a retry's backoff, a
// Retry-After, the rate gate's pacing) goes through Sleep, and every
// "now" (an HTTP-date Retry-After, the rate gate's slots) through Now, so
// tests run the client on a fake clock with no real sleeps.
type Clock interface {
	Now() time.Time
	// Sleep waits d, or returns ctx's error as soon as ctx is done.
	Sleep(ctx context.Context, d time.Duration) error
}

// realClock is the wall clock.
type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error { return clock.Sleep(ctx, d) }
