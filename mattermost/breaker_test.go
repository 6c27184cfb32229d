package mattermost

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	fakemm "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/mattermost"
	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
)

// Eight workers are reading when the server goes away (it is closed: every
// connection is refused). The breaker opens within 10 s of the fake clock,
// every worker then fails fast with ErrUnavailable, and nothing more is sent.
func TestBreakerOpensWhenServerGone(t *testing.T) {
	const workers = 8
	var sent atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sent.Add(1)
		fmt.Fprint(w, `{"id":"u1"}`)
	}))
	clock := NewFakeClock()
	clock.Parties = workers
	c, err := New(srv.URL, "token", Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var unavailable, other atomic.Int32
	var downAt atomic.Pointer[time.Time]
	var tries atomic.Int32 // requests made once the server is down
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer clock.Leave()
			for {
				down := downAt.Load() != nil
				_, err := c.GetMe(context.Background())
				switch {
				case err == nil:
					if sent.Load() >= 40 {
						srv.Close() // refused from now on
						now := clock.Now()
						downAt.CompareAndSwap(nil, &now)
					}
				case errors.Is(err, mmsync.ErrUnavailable):
					unavailable.Add(1)
					return
				default:
					if down {
						tries.Add(1)
					}
					other.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	opened := c.breaker.openedAt.Sub(*downAt.Load())
	t.Logf("breaker open %v after the server went away; %d requests failed, %d failed fast", opened, other.Load(), unavailable.Load())
	if opened > 10*time.Second {
		t.Errorf("breaker opened after %v, want within 10 s", opened)
	}
	if unavailable.Load() != workers {
		t.Errorf("%d workers stopped on ErrUnavailable, want %d", unavailable.Load(), workers)
	}
	if other.Load() < DefaultBreakerThreshold || other.Load() > DefaultBreakerThreshold+2*workers {
		t.Errorf("%d requests failed before the breaker opened", other.Load())
	}
}

func TestBreakerCounts(t *testing.T) {
	srv := fakemm.New(fakemm.Options{})
	defer srv.Close()
	c, err := New(srv.URL(), srv.AdminToken(), Options{Clock: NewFakeClock(), BreakerThreshold: 2, RetryMax: -1})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	fail := func(status int) {
		srv.FailNext(1, status, "GET /api/v4/users/me")
		if _, err := c.GetMe(ctx); StatusCode(err) != status {
			t.Fatalf("want %d, got %v", status, err)
		}
	}
	// A success, a 429, a 500 or a 404 between failures resets the count.
	for _, between := range []func(){
		func() { _, _ = c.GetMe(ctx) },
		func() { fail(429) },
		func() { fail(500) },
		func() { _, _ = c.GetUser(ctx, "missingmissingmissingmissi") },
	} {
		fail(502)
		between()
		fail(503)
		if _, open := c.breaker.allow(); open {
			t.Fatal("opened across a reset")
		}
		_, _ = c.GetMe(ctx)
	}
	fail(504)
	fail(502)
	srv.ResetCounters()
	_, err = c.GetMe(ctx)
	var ue *UnavailableError
	if !errors.Is(err, mmsync.ErrUnavailable) || !errors.As(err, &ue) || !isTransient(err) {
		t.Fatalf("err = %v", err)
	}
	if srv.TotalRequests() != 0 {
		t.Error("a request was sent through the open breaker")
	}
	t.Log(err)
}

// A request waiting between tries stops waiting when the breaker opens and
// returns its own last failure.
func TestBreakerEndsWaits(t *testing.T) {
	srv := fakemm.New(fakemm.Options{})
	defer srv.Close()
	clock := NewFakeClock()
	clock.Manual = true
	c, err := New(srv.URL(), srv.AdminToken(), Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	srv.InjectFault(fakemm.Fault{Status: 503, RetryAfter: 30, Count: 10})
	errc := make(chan error)
	go func() { _, err := c.GetMe(context.Background()); errc <- err }()
	if err := clock.BlockUntil(context.Background(), 1); err != nil { // until the request waits
		t.Fatal(err)
	}
	for range DefaultBreakerThreshold {
		c.breaker.record(true, errors.New("dial tcp: connection refused"))
	}
	if err := <-errc; StatusCode(err) != 503 {
		t.Fatalf("err = %v", err)
	}
	if n := srv.Requests()["GET /api/v4/users/me"]; n != 1 {
		t.Errorf("requests = %d", n)
	}
}
