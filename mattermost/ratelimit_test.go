package mattermost

import (
	"context"
	"sync"
	"testing"
	"time"

	fakemm "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/mattermost"
)

func TestRateGatePacesNearZero(t *testing.T) {
	clock := NewFakeClock()
	g := newRateGate(clock)
	// 5 of 101 left, full again in 10 s: about one request per 10s/96.
	g.observe(answer(200, map[string]string{"X-RateLimit-Limit": "101", "X-RateLimit-Remaining": "5", "X-RateLimit-Reset": "10"}))
	interval := 10 * time.Second / 96
	if g.interval != interval {
		t.Fatalf("interval = %v, want %v", g.interval, interval)
	}
	// Three requests at once take consecutive slots: the first goes at once.
	ctx := context.Background()
	start := clock.Now()
	for range 3 {
		if err := g.wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if took := clock.Now().Sub(start); took < 2*interval-time.Millisecond || took > 2*interval+time.Millisecond {
		t.Errorf("3 paced requests took %v, want %v", took, 2*interval)
	}
	// Still paced while less than half the budget is back.
	g.observe(answer(200, map[string]string{"X-RateLimit-Limit": "101", "X-RateLimit-Remaining": "40", "X-RateLimit-Reset": "6"}))
	if g.interval != 6*time.Second/61 {
		t.Fatalf("recovering: interval %v", g.interval)
	}
	// The budget recovers: no more pacing.
	g.observe(answer(200, map[string]string{"X-RateLimit-Limit": "101", "X-RateLimit-Remaining": "60", "X-RateLimit-Reset": "4"}))
	if g.interval != 0 {
		t.Fatalf("still pacing at %v", g.interval)
	}
	before := clock.Now()
	for range 5 {
		if err := g.wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if clock.Now() != before {
		t.Errorf("unpaced requests waited %v", clock.Now().Sub(before))
	}
	// No limit header: nothing to pace against.
	g.observe(answer(200, map[string]string{"X-RateLimit-Remaining": "1", "X-RateLimit-Reset": "4"}))
	if g.interval != 0 || !g.until.IsZero() {
		t.Fatal("paced without X-RateLimit-Limit")
	}
}

func TestRateGateHolds(t *testing.T) {
	cases := []struct {
		name   string
		status int
		h      map[string]string
		want   time.Duration
	}{
		{"429 Retry-After", 429, map[string]string{"Retry-After": "2"}, 2 * time.Second},
		{"429 fractional Retry-After", 429, map[string]string{"Retry-After": "0.249"}, 249 * time.Millisecond},
		{"429 X-RateLimit-Reset", 429, map[string]string{"X-RateLimit-Reset": "1"}, time.Second},
		{"429 Retry-After 0", 429, map[string]string{"Retry-After": "0"}, 0},
		{"429 capped", 429, map[string]string{"Retry-After": "3600"}, MaxRetryAfter},
		{"remaining 0", 200, map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "2"}, 2 * time.Second},
		{"remaining 5, no limit", 200, map[string]string{"X-RateLimit-Remaining": "5", "X-RateLimit-Reset": "2"}, 0},
		{"no headers", 200, nil, 0},
	}
	for _, tc := range cases {
		clock := NewFakeClock()
		g := newRateGate(clock)
		g.observe(answer(tc.status, tc.h))
		start := clock.Now()
		// Every request waits for the hold, not only the first.
		for range 2 {
			if err := g.wait(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := clock.Now().Sub(start); got != tc.want {
				t.Errorf("%s: waited until +%v, want +%v", tc.name, got, tc.want)
			}
		}
	}
}

func TestRateGateWaitCancelled(t *testing.T) {
	clock := NewFakeClock()
	clock.Manual = true
	g := newRateGate(clock)
	g.observe(answer(429, map[string]string{"Retry-After": "30"}))
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error)
	go func() { errc <- g.wait(ctx) }()
	if err := clock.BlockUntil(context.Background(), 1); err != nil { // until the goroutine sleeps
		t.Fatal(err)
	}
	cancel()
	if err := <-errc; err == nil {
		t.Fatal("wait ignores cancellation")
	}
}

// Against Mattermost's own limiter (a token bucket: PerSec 50, MaxBurst 10),
// eight workers send 120 requests, with the rate gate and without it (each
// request then only waits out its own 429), on a fake clock that the fake
// server's bucket reads too, and on which the workers' waits overlap as in
// real time. Every request succeeds either way; the gate
// keeps most of them from being refused.
func TestRateLimiterIsRespected(t *testing.T) {
	run := func(gated bool) (took time.Duration, limited int) {
		srv := fakemm.New(fakemm.Options{RateLimit: fakemm.RateLimit{PerSecond: 50, MaxBurst: 10}})
		defer srv.Close()
		const total, workers = 120, 8
		clock := NewFakeClock()
		clock.Parties = workers
		srv.SetClock(clock.Now)
		c, err := New(srv.URL(), srv.AdminToken(), Options{Clock: clock})
		if err != nil {
			t.Fatal(err)
		}
		if !gated {
			c.tr.gate = nil
		}
		jobs := make(chan int)
		var wg sync.WaitGroup
		var mu sync.Mutex
		var errs []error
		start := clock.Now()
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer clock.Leave()
				for range jobs {
					if _, err := c.Ping(context.Background()); err != nil {
						mu.Lock()
						errs = append(errs, err)
						mu.Unlock()
					}
				}
			}()
		}
		for i := range total {
			jobs <- i
		}
		close(jobs)
		wg.Wait()
		if len(errs) > 0 {
			t.Fatalf("gated=%v: %d requests failed, e.g. %v", gated, len(errs), errs[0])
		}
		return clock.Now().Sub(start), srv.RateLimited()
	}
	tookUngated, ungated := run(false)
	took, limited := run(true)
	t.Logf("120 requests: with the gate %v (fake clock) and %d answered 429; without it %v and %d answered 429", took, limited, tookUngated, ungated)
	// The budget allows 11 at once and 50 a second: (120-11)/50 ≈ 2.2 s.
	if took < 2*time.Second {
		t.Errorf("gated: took %v on the fake clock, faster than the limiter allows", took)
	}
	if ungated == 0 || limited*3 > ungated {
		t.Errorf("with the gate %d requests were answered 429, without it %d: not a third", limited, ungated)
	}
}
