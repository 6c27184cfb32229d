package fakemm

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// createRate runs n creates through p's model with workers in flight, each
// one request's latency followed by a hash, on synctest's fake clock, and
// returns creates per second of fake time.
func createRate(t *testing.T, p Profile, workers, n int) float64 {
	t.Helper()
	var rate float64
	synctest.Test(t, func(t *testing.T) {
		c := newCores(p.CPU)
		ctx := context.Background()
		var next atomic.Int64
		var wg sync.WaitGroup
		start := time.Now()
		for range workers {
			wg.Go(func() {
				for next.Add(1) <= int64(n) {
					if err := realSleep(ctx, p.Latency); err != nil {
						t.Error(err)
						return
					}
					if err := c.hashPassword(ctx, realSleep); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		rate = float64(n) / time.Since(start).Seconds()
	})
	return rate
}

// The profiles reproduce the four measured figures (reference §10) within
// 5 %, and their Capacity is the measured parallel rate.
func TestProfilesMatchTheMeasuredServers(t *testing.T) {
	for _, tc := range []struct {
		p        Profile
		workers  int
		measured float64 // creates/s on the real server
	}{
		{profile536, 1, 15},
		{profile536, 4, 30},
		{profile114, 1, 5.5},
		{profile114, 4, 10.7},
	} {
		got := createRate(t, tc.p, tc.workers, 200)
		if math.Abs(got-tc.measured)/tc.measured > 0.05 {
			t.Errorf("%s with %d in flight: %.2f creates/s, measured %.1f", tc.p.Name, tc.workers, got, tc.measured)
		}
		t.Logf("%s with %d in flight: %.2f creates/s (measured %.1f)", tc.p.Name, tc.workers, got, tc.measured)
	}
	for _, tc := range []struct {
		p    Profile
		want float64
	}{{profile536, 30}, {profile114, 10.7}} {
		if got := tc.p.CPU.Capacity(); math.Abs(got-tc.want) > 0.01 {
			t.Errorf("%s capacity %.3f/s, want %.1f", tc.p.Name, got, tc.want)
		}
	}
}

// More creates in flight than cores do not create faster: they wait.
func TestCoresBoundThroughput(t *testing.T) {
	p := Profile{CPU: CPU{Cores: 2, Hash: 100 * time.Millisecond}}
	for _, workers := range []int{2, 3, 8, 32} {
		if got := createRate(t, p, workers, 100); math.Abs(got-20) > 0.01 {
			t.Errorf("%d in flight: %.3f creates/s, want the 2 cores' 20/s", workers, got)
		}
	}
	if got := createRate(t, p, 1, 100); math.Abs(got-10) > 0.01 {
		t.Errorf("1 in flight: %.3f creates/s, want 10/s", got)
	}
}

// A create whose request goes away while it waits for a core gives up and
// takes no core.
func TestHashWaitEndsWithTheRequest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCores(CPU{Cores: 1, Hash: time.Second})
		bg := context.Background()
		go func() { _ = c.hashPassword(bg, realSleep) }()
		synctest.Wait() // the first create holds the core
		ctx, cancel := context.WithTimeout(bg, 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		if err := c.hashPassword(ctx, realSleep); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want the request's deadline", err)
		}
		if d := time.Since(start); d != 100*time.Millisecond {
			t.Errorf("gave up after %v, want the request's 100ms", d)
		}
		if err := c.hashPassword(bg, realSleep); err != nil || time.Since(start) != 2*time.Second {
			t.Errorf("next create: err %v at %v, want the core at 1s and done at 2s", err, time.Since(start))
		}
	})
	if newCores(CPU{}) != nil {
		t.Error("the zero CPU has cores")
	}
	if err := (*cores)(nil).hashPassword(context.Background(), nil); err != nil {
		t.Errorf("free hashing: %v", err)
	}
}

// Every wait of a create over HTTP goes through the injected Sleeper: the
// request's latency, CreateLatency and the hash (only for a password).
func TestSleeperTakesEveryWait(t *testing.T) {
	s := New(Options{Latency: 3 * time.Millisecond, CreateLatency: 5 * time.Millisecond,
		CPU: CPU{Cores: 2, Hash: 70 * time.Millisecond}})
	defer s.Close()
	var mu sync.Mutex
	var slept []time.Duration
	s.SetSleeper(func(_ context.Context, d time.Duration) error {
		mu.Lock()
		defer mu.Unlock()
		slept = append(slept, d)
		return nil
	})
	took := func() []time.Duration {
		mu.Lock()
		defer mu.Unlock()
		out := slept
		slept = nil
		return out
	}
	if r := call(t, s, s.AdminToken(), "POST", "/api/v4/users", createBody("alice", "alice@example.com", "Passw0rd-Long!")); r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	if got, want := took(), []time.Duration{3 * time.Millisecond, 5 * time.Millisecond, 70 * time.Millisecond}; !slices.Equal(got, want) {
		t.Errorf("password create waited %v, want %v", got, want)
	}
	b, _ := json.Marshal(map[string]any{"username": "bob", "email": "bob@example.com", "auth_service": "saml", "auth_data": "bob"})
	if r := call(t, s, s.AdminToken(), "POST", "/api/v4/users", string(b)); r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	if got, want := took(), []time.Duration{3 * time.Millisecond, 5 * time.Millisecond}; !slices.Equal(got, want) {
		t.Errorf("external-login create waited %v, want %v (no password to hash)", got, want)
	}
	s.SetProfile(profile114)
	if r := call(t, s, s.AdminToken(), "POST", "/api/v4/users", createBody("carol", "carol@example.com", "Passw0rd-Long!")); r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	if got, want := took(), []time.Duration{profile114.Latency, profile114.CPU.Hash}; !slices.Equal(got, want) {
		t.Errorf("11.4 profile create waited %v, want %v", got, want)
	}
}
