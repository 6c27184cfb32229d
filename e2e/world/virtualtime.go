package world

// Virtual time for end-to-end runs: the clients' waits (retry backoff,
// Retry-After, the rate gate) and the fake Mattermost's latency run on a
// clock.Fake that a driver moves forward whenever the run has nothing else to
// do, so a test of a 12 s outage or a 30 s Retry-After takes milliseconds
// and waits on no wall clock.

import (
	"context"
	"net/http"
	"runtime"
	"runtime/metrics"
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
//
// What it cannot see: a request stops counting when RoundTrip returns
// (the status and headers), not when its body has been read, because the
// clients' CheckRetry waits on the clock with the failed try's body still
// open (go-retryablehttp drains it after CheckRetry) and a body counted
// until Close would hold the clock for ever. And runtime/metrics counts a
// goroutine in a system call (writing a long answer) as neither running
// nor ready. So a large answer still streaming while another goroutine
// sleeps can, on a loaded machine, let the clock move while it is read:
// the reader then only seems slow, as a real one may be.
type virtualTime struct {
	clk  *clock.Fake
	busy atomic.Int64  // requests in flight
	held atomic.Int64  // of which held by the server's latency
	gen  atomic.Uint64 // bumped by every request's start and end
	kick chan struct{}
	stop chan struct{}
	// stopped ends, with Stop, every wait serverSleep still holds: once the
	// driver is gone the clock stands still, and a handler left asleep on it
	// (a request the run gave up on) would hold the fake server's Close
	// forever.
	stopped context.Context
	release context.CancelFunc
	wg      sync.WaitGroup
}

// driveVirtualTime starts the driver of clk, which must be Manual; Stop
// ends it.
func driveVirtualTime(clk *clock.Fake) *virtualTime {
	v := &virtualTime{clk: clk, kick: make(chan struct{}, 1), stop: make(chan struct{})}
	v.stopped, v.release = context.WithCancel(context.Background())
	v.wg.Add(1)
	go v.loop()
	return v
}

// Stop ends the driver.
func (v *virtualTime) Stop() {
	close(v.stop)
	v.wg.Wait()
	v.release()
}

// transport counts next's requests in flight (nil next: a fresh default
// transport).
func (v *virtualTime) transport(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport.(*http.Transport).Clone()
	}
	return RoundTripFunc(func(r *http.Request) (*http.Response, error) {
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
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(v.stopped, cancel)()
	return v.clk.Sleep(ctx, d)
}

func (v *virtualTime) loop() {
	defer v.wg.Done()
	relook := time.NewTimer(time.Hour)
	defer relook.Stop()
	for {
		changed := v.clk.Changed()
		var again <-chan time.Time
		switch v.idle() {
		case idle:
			v.clk.AdvanceToNext()
			continue
		case othersRunning:
			// Nothing tells the driver when a goroutine that computes
			// stops (it may block on a channel, not on the clock): look
			// again after relookAfter, or at the next event.
			relook.Reset(relookAfter)
			again = relook.C
		}
		// A relook still pending when an event comes first needs no Stop:
		// since Go 1.23 (go.mod says 1.25) the next Reset discards it.
		select {
		case <-changed:
		case <-v.kick:
		case <-again:
		case <-v.stop:
			return
		}
	}
}

// relookAfter is how long the driver leaves a computing run alone before it
// looks again. It decides nothing on the wall clock (the virtual clock moves
// only when the run waits on it alone); it only keeps the driver from
// spinning, which, with go test running several packages on a few cores,
// took the processor from the very goroutines it waited for (a test of
// 7 s alone took 60 s of CPU beside another). It is a floor, not the wait:
// a process with nothing else to run sleeps in the kernel's poller, which
// on Linux counts in milliseconds, so a relook then takes about 1 ms.
const relookAfter = 50 * time.Microsecond

// settleYields is how many times the driver yields the processor before it
// trusts that an idle-looking run is idle: enough for a goroutine woken by
// the clock, or just answered, to reach its next request or wait.
const settleYields = 64

// schedSamples are the scheduler's counts of goroutines running and ready
// to run (Go 1.26 and later; on an older runtime they read as KindBad and
// only the yields settle).
var schedSamples = []string{"/sched/goroutines/running:goroutines", "/sched/goroutines/runnable:goroutines"}

// othersRun reports whether a goroutine other than the caller runs or is
// ready to run, as far as the runtime can tell.
func othersRun() bool {
	samples := make([]metrics.Sample, len(schedSamples))
	for i, name := range schedSamples {
		samples[i].Name = name
	}
	metrics.Read(samples)
	if samples[0].Value.Kind() != metrics.KindUint64 || samples[1].Value.Kind() != metrics.KindUint64 {
		return false
	}
	return samples[0].Value.Uint64() > 1 || samples[1].Value.Uint64() > 0
}

// runState is what idle finds.
type runState int

const (
	busy          runState = iota // a request in flight, or no sleeper: wait for an event
	othersRunning                 // quiet, but a goroutine runs or is ready to run
	idle                          // the run waits on the clock only
)

// idle reports whether the run waits on the clock only, and stays so while
// the driver yields: no request in flight but those the server's latency
// holds, a sleeper, and (where the runtime tells) no other goroutine running
// or ready to run, e.g. one building its next request on the other core.
func (v *virtualTime) idle() runState {
	snapshot := func() (uint64, int, bool) {
		return v.gen.Load(), v.clk.Sleepers(), v.busy.Load() == v.held.Load()
	}
	gen, sleepers, quiet := snapshot()
	if !quiet || sleepers == 0 {
		return busy
	}
	for range settleYields {
		runtime.Gosched()
	}
	g2, s2, q2 := snapshot()
	switch {
	case !q2 || g2 != gen || s2 != sleepers:
		return busy
	case othersRun():
		return othersRunning
	}
	return idle
}
