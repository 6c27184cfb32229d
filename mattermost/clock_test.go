package mattermost

import "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/clock"

// FakeClock is the shared fake clock (internal/clock), under the name this
// package's tests (internal and external) know it by.
type FakeClock = clock.Fake

// NewFakeClock starts at 2026-01-01T00:00:00Z.
func NewFakeClock() *FakeClock { return clock.NewFake() }
