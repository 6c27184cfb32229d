package mattermost

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fakemm"
)

func rateResp(status int, h map[string]string) *http.Response {
	r := &http.Response{StatusCode: status, Header: http.Header{}}
	for k, v := range h {
		r.Header.Set(k, v)
	}
	return r
}

func TestRateGatePacesNearZero(t *testing.T) {
	g := &rateGate{}
	// 5 of 101 left, full again in 10 s: about one request per 10s/96.
	g.observe(rateResp(200, map[string]string{"X-RateLimit-Limit": "101", "X-RateLimit-Remaining": "5", "X-RateLimit-Reset": "10"}))
	if want := 10 * time.Second / 96; g.interval != want {
		t.Fatalf("interval = %v, want %v", g.interval, want)
	}
	// Three requests at once take consecutive slots.
	ctx := context.Background()
	start := time.Now()
	for range 3 {
		if err := g.wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if took := time.Since(start); took < 2*g.interval || took > 2*g.interval+time.Second {
		t.Errorf("3 paced requests took %v, want about %v", took, 2*g.interval)
	}
	// The budget recovers: no more pacing.
	g.observe(rateResp(200, map[string]string{"X-RateLimit-Limit": "101", "X-RateLimit-Remaining": "60", "X-RateLimit-Reset": "4"}))
	if g.interval != 0 {
		t.Fatalf("still pacing at %v", g.interval)
	}
	// No limit header: nothing to pace against.
	g.observe(rateResp(200, map[string]string{"X-RateLimit-Remaining": "1", "X-RateLimit-Reset": "4"}))
	if g.interval != 0 || !g.until.IsZero() {
		t.Fatal("paced without X-RateLimit-Limit")
	}
}

func TestRateGateHoldsEveryoneOn429(t *testing.T) {
	g := &rateGate{}
	g.observe(rateResp(429, map[string]string{"Retry-After": "2"}))
	if d := time.Until(g.until); d < time.Second || d > 2*time.Second {
		t.Fatalf("hold = %v, want about 2 s", d)
	}
	g2 := &rateGate{}
	g2.observe(rateResp(429, map[string]string{"X-RateLimit-Reset": "1"}))
	if d := time.Until(g2.until); d <= 0 || d > time.Second {
		t.Fatalf("hold from X-RateLimit-Reset = %v", d)
	}
	g3 := &rateGate{}
	g3.observe(rateResp(429, map[string]string{"Retry-After": "0"}))
	if !g3.until.IsZero() {
		t.Fatal("Retry-After: 0 should not hold")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := g.wait(ctx); err == nil {
		t.Fatal("wait ignores cancellation")
	}
}

// Against Mattermost's own limiter (a token bucket: PerSec 50, MaxBurst 10),
// eight workers send 120 requests, with the rate gate and without it (each
// request then only waits out its own 429). Every request succeeds either
// way; the gate keeps most of them from being refused.
func TestRateLimiterIsRespected(t *testing.T) {
	run := func(gated bool) (took time.Duration, limited int) {
		srv := fakemm.New(fakemm.Options{RateLimit: fakemm.RateLimit{PerSecond: 50, MaxBurst: 10}})
		defer srv.Close()
		c, err := New(srv.URL(), srv.AdminToken(), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !gated {
			c.rc.HTTPClient.Transport = c.rc.HTTPClient.Transport.(*gateTransport).next
		}
		const total, workers = 120, 8
		jobs := make(chan int)
		var wg sync.WaitGroup
		var mu sync.Mutex
		var errs []error
		start := time.Now()
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
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
		took = time.Since(start)
		if len(errs) > 0 {
			t.Fatalf("gated=%v: %d requests failed, e.g. %v", gated, len(errs), errs[0])
		}
		// The budget allows 11 at once and 50 a second: (120-11)/50 ≈ 2.2 s.
		if took < 2*time.Second {
			t.Errorf("gated=%v: took %v, faster than the limiter allows", gated, took)
		}
		return took, srv.RateLimited()
	}
	tookUngated, ungated := run(false)
	took, limited := run(true)
	t.Logf("120 requests: with the gate %v and %d answered 429; without it %v and %d answered 429", took, limited, tookUngated, ungated)
	if limited*3 > ungated {
		t.Errorf("with the gate %d requests were answered 429, without it %d: not a third", limited, ungated)
	}
}
