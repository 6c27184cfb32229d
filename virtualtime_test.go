package main

// Virtual time for end-to-end runs: the clients' waits (retry backoff,
// Retry-After, the rate gate) and the fake Mattermost's latency run on a
// clock.Fake that a driver moves forward whenever the run has nothing else to
// do, so a test of a 12 s outage or a 30 s Retry-After takes milliseconds
// and waits on no wall clock.

import (
	"context"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/internal/clock"
)

// virtualTime drives a Manual clock.Fake for one run. The run is idle when
// every request in flight on the transports it wraps is held by the fake
// server's latency (serverSleep), and at least one goroutine sleeps on the
// clock; then, once the goroutines just woken or
// answered have had their turn (settle), the driver moves the clock to the
// earliest deadline. Concurrent waits so overlap as they would in real
// time: a 4 s backoff and a 2 s outage started together end 2 s apart.
type virtualTime struct {
	clk  *clock.Fake
	busy atomic.Int64  // requests in flight
	held atomic.Int64  // of which held by the server's latency
	gen  atomic.Uint64 // bumped by every request's start and end
	kick chan struct{}
	stop chan struct{}
	wg   sync.WaitGroup
}

// driveVirtualTime starts the driver of clk, which must be Manual; Stop
// ends it.
func driveVirtualTime(clk *clock.Fake) *virtualTime {
	v := &virtualTime{clk: clk, kick: make(chan struct{}, 1), stop: make(chan struct{})}
	v.wg.Add(1)
	go v.loop()
	return v
}

// Stop ends the driver.
func (v *virtualTime) Stop() {
	close(v.stop)
	v.wg.Wait()
}

// transport counts next's requests in flight (nil next: a fresh default
// transport).
func (v *virtualTime) transport(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport.(*http.Transport).Clone()
	}
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		v.busy.Add(1)
		v.gen.Add(1)
		defer func() {
			v.busy.Add(-1)
			v.gen.Add(1)
			select {
			case v.kick <- struct{}{}:
			default:
			}
		}()
		return next.RoundTrip(r)
	})
}

// serverSleep is a fakemm.Sleeper on the virtual clock: the fake's latency
// passes in virtual time, and the request it holds counts as waiting.
func (v *virtualTime) serverSleep(ctx context.Context, d time.Duration) error {
	v.held.Add(1)
	v.gen.Add(1)
	defer func() {
		v.held.Add(-1)
		v.gen.Add(1)
	}()
	return v.clk.Sleep(ctx, d)
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func (v *virtualTime) loop() {
	defer v.wg.Done()
	for {
		changed := v.clk.Changed()
		if v.idle() {
			v.clk.AdvanceToNext()
			continue
		}
		select {
		case <-changed:
		case <-v.kick:
		case <-v.stop:
			return
		}
	}
}

// settleYields is how many times the driver yields the processor before it
// trusts that an idle-looking run is idle: enough for a goroutine woken by
// the clock, or just answered, to reach its next request or wait.
const settleYields = 64

// idle reports whether the run waits on the clock only, and stays so while
// the driver yields.
func (v *virtualTime) idle() bool {
	snapshot := func() (uint64, int, bool) {
		return v.gen.Load(), v.clk.Sleepers(), v.busy.Load() == v.held.Load()
	}
	gen, sleepers, quiet := snapshot()
	if !quiet || sleepers == 0 {
		return false
	}
	for range settleYields {
		runtime.Gosched()
	}
	g2, s2, q2 := snapshot()
	return q2 && g2 == gen && s2 == sleepers
}
