package faults

// Fault injection, end to end: the real code path (run) against the fakes
// with throttling, gateway errors, dropped connections, a run killed in the
// middle of applying, and a Mattermost restart.

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/e2e/world"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/entra"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/internal/clock"
	fakegraph "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/graph"
	fakemm "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/mattermost"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/mattermost"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/report"
)

// The mix: 20 % of requests answered 429 with Retry-After, 3 % 502,
// and dropped connections (before and after the server acted), on Graph and
// on Mattermost at once. The run converges in one go with zero failures and
// without a duplicate account: a create whose answer was lost is retried by
// the applier, answered email_exists and adopted.
//
// This directory is one Graph page; TestGraphFaultsOnEveryPage puts the same
// faults on a read of several pages.
func TestFaultsConverge(t *testing.T) {
	w := world.New(t, "tenant-2000.json")
	w.Subset(400)
	want := world.ExpectedCreatesOf(t, w.Users)
	w.Graph.SetChaos(fakegraph.Chaos{TooMany: 0.20, RetryAfter: 0, BadGateway: 0.03, Drop: 0.02, IncludeToken: true})
	w.MM.SetChaos(fakemm.Chaos{TooMany: 0.20, RetryAfter: 0, BadGateway: 0.03, Drop: 0.01, DropAfter: 0.01})
	w.MM.SetLatency(time.Millisecond, 2*time.Millisecond)

	code := w.RunCtx(context.Background(), nil)
	t.Logf("Mattermost faults %v, Graph faults %v", w.MM.ChaosCounts(), w.Graph.ChaosCounts())
	if code != 0 {
		if msgs := transientWriteFailures(w.Report()); len(msgs) > 0 {
			// The next run must still converge.
			w.MustRun(0)
			w.Converged(want)
			// A write call fails transiently about 6 % of the time here
			// (3 % 502 + 2 % dropped, 429s retried by the client); with
			// sync.Apply's 5 attempts that leaves ~1e-6 per write.
			t.Fatalf("%d write(s) failed on every attempt under these faults (the rerun converged), e.g. %s", len(msgs), msgs[0])
		}
		t.Fatalf("exit %d under faults\nstdout:\n%s", code, world.Tail(w.Stdout.String(), 3000))
	}
	if f := w.OutputInt("failed"); f != 0 {
		t.Fatalf("failed = %d", f)
	}
	mc := w.MM.ChaosCounts()
	if mc["429"] == 0 || mc["502"] == 0 || mc["drop"]+mc["drop-after"] == 0 {
		t.Errorf("the fake Mattermost did not inject every kind of fault: %v", mc)
	}
	created, adopted := 0, 0
	for _, r := range w.Report().Results {
		switch {
		case r.Kind == "create" && r.Status == "done":
			created++
		case r.Kind == "create" && r.Status == "adopted":
			adopted++
		}
	}
	if created+adopted != want {
		t.Errorf("%d created + %d adopted, want %d accounts", created, adopted, want)
	}
	t.Logf("%d creates whose answer was lost were adopted on retry", adopted)

	// Still under fire, the next run changes nothing.
	w.Converged(want)
}

// Graph under the mix, 429, 502 and dropped connections, over a
// 6-page directory read four times: every read completes. (A read that did
// fail would fail closed: nothing is written from a partial directory.)
func TestGraphFaultsOnEveryPage(t *testing.T) {
	w := world.New(t, "")
	w.SetUsers(fakegraph.GenerateUsers(5000))
	w.Env["INPUT_DRY-RUN"] = "true"
	w.Graph.SetChaos(fakegraph.Chaos{TooMany: 0.20, RetryAfter: 0, BadGateway: 0.03, Drop: 0.02, IncludeToken: true})
	for run := range 4 {
		if code := w.RunCtx(context.Background(), nil); code != 0 {
			t.Fatalf("read %d: exit %d with Graph faults %v\n%s", run, code, w.Graph.ChaosCounts(), world.Tail(w.Stdout.String(), 2000))
		}
		if c := w.OutputInt("created"); c != 4500 {
			t.Fatalf("read %d: planned %d creates, want 4500", run, c)
		}
	}
	gc := w.Graph.ChaosCounts()
	t.Logf("Graph faults over 4 reads: %v", gc)
	if gc["502"] == 0 || gc["drop"] == 0 {
		t.Errorf("no 502 or no dropped connection was injected (%v): the test proves nothing", gc)
	}
	if w.MM.Writes() != 0 {
		t.Fatal("a dry run wrote to Mattermost")
	}
}

// transientWriteFailures returns the errors of a report's failures when
// every one of them is a write that failed transiently (502/503/504 or a
// dropped connection), and nothing otherwise.
func transientWriteFailures(rep report.Report) []string {
	var msgs []string
	for _, r := range rep.Results {
		if r.Status != "failed" {
			continue
		}
		transient := false
		for _, m := range []string{": 502 ", ": 503 ", ": 504 ", "EOF", "connection reset", "broken pipe"} {
			if strings.Contains(r.Error, m) {
				transient = true
			}
		}
		if !transient {
			return nil
		}
		msgs = append(msgs, r.Error)
	}
	return msgs
}

// Retry-After up to 30 s is honoured within the clients' time budgets: a
// run whose context ends 1.5 s into a 30-second Retry-After stops while it
// waits, without sending the request again. Time is virtual: the context's
// deadline is on the run's fake clock, counted from the 429 (startOn).
func TestRetryAfterBudget(t *testing.T) {
	const retryAfter = 30 * time.Second
	if mattermost.MaxRetryAfter < retryAfter {
		t.Errorf("mattermost.MaxRetryAfter = %v caps a %v Retry-After", mattermost.MaxRetryAfter, retryAfter)
	}
	// Graph: the client timeout covers a request with its retries; kiota
	// stops retrying once 180 s of waits have accumulated.
	if entra.DefaultTimeout < 180*time.Second+retryAfter {
		t.Errorf("entra.DefaultTimeout = %v is shorter than entra.MaxRetryWait (180 s) of waits", entra.DefaultTimeout)
	}

	t.Run("mattermost", func(t *testing.T) {
		w := world.New(t, "tenant-60.json")
		w.MM.InjectFault(fakemm.Fault{Method: "GET", PathPrefix: "/api/v4/users/me", Status: 429, RetryAfter: 30})
		clk := clock.NewFake()
		clk.Manual = true
		ctx, startDeadline, cancel := clk.TimeoutFrom(context.Background(), 1500*time.Millisecond)
		defer cancel()
		start := time.Now()
		code := w.RunWith(ctx, world.Edges{Clock: clk, MattermostTransport: startOn(nil, "/api/v4/users/me", startDeadline)})
		if code == 0 || time.Since(start) > 10*time.Second {
			t.Fatalf("exit %d after %v", code, time.Since(start))
		}
		if n := w.MM.Requests()["GET /api/v4/users/me"]; n != 1 {
			t.Errorf("GET /users/me sent %d times within 1.5 s of a 30 s Retry-After", n)
		}
		if !strings.Contains(w.Stdout.String(), "context deadline exceeded") {
			t.Errorf("the run did not stop while waiting:\n%s", world.Tail(w.Stdout.String(), 1500))
		}
	})
	t.Run("graph", func(t *testing.T) {
		w := world.New(t, "tenant-60.json")
		w.Graph.FailPage(1, http.StatusTooManyRequests, 30)
		clk := clock.NewFake()
		clk.Manual = true
		ctx, startDeadline, cancel := clk.TimeoutFrom(context.Background(), 1500*time.Millisecond)
		defer cancel()
		code := w.RunWith(ctx, world.Edges{Clock: clk, GraphTransport: startOn(w.Graph.Transport(), "/v1.0/users", startDeadline)})
		if code == 0 {
			t.Fatal("exit 0")
		}
		if n := w.Graph.Requests()["GET /v1.0/users"]; n != 1 {
			t.Errorf("GET /users sent %d times within 1.5 s of a 30 s Retry-After", n)
		}
		if w.MM.Writes() != 0 {
			t.Error("writes without a directory")
		}
	})
}

// startOn is next (nil: a default transport) that calls start when a
// request to path is answered 429.
func startOn(next http.RoundTripper, path string, start func()) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport.(*http.Transport).Clone()
	}
	return world.RoundTripFunc(func(r *http.Request) (*http.Response, error) {
		resp, err := next.RoundTrip(r)
		if err == nil && resp.StatusCode == http.StatusTooManyRequests && r.URL.Path == path {
			start()
		}
		return resp, err
	})
}

// TestRetryAfter30s: Graph and Mattermost each answer one request 429 with
// Retry-After: 30, and the run waits for both and converges, on a virtual
// clock.
func TestRetryAfter30s(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	want := world.ExpectedCreates(t, "tenant-60.json")
	w.Graph.FailPage(1, http.StatusTooManyRequests, 30)
	w.MM.InjectFault(fakemm.Fault{Method: "POST", PathPrefix: "/api/v4/users", Status: 429, RetryAfter: 30, Count: 1})
	// The page fault is persistent: it is lifted while the client waits out
	// the first Retry-After, as a throttling window ends.
	clock := &world.SleepClock{OnSleep: func(d time.Duration) {
		if d == 30*time.Second {
			w.Graph.ClearFaults()
		}
	}}
	code := w.RunWith(context.Background(), world.Edges{Clock: clock})
	if code != 0 || w.OutputInt("failed") != 0 || w.OutputInt("created") != want {
		t.Fatalf("exit %d\n%s", code, world.Tail(w.Stdout.String(), 2000))
	}
	thirty := 0
	for _, d := range clock.Slept() {
		if d == 30*time.Second {
			thirty++
		}
	}
	if thirty < 2 {
		t.Errorf("waits %v: a 30 s Retry-After was not honoured on both sides", clock.Slept())
	}
}

func TestKilledMidApplyThenRerun(t *testing.T) {
	w := world.New(t, "tenant-2000.json")
	w.Subset(400)
	want := world.ExpectedCreatesOf(t, w.Users)
	w.MM.SetLatency(time.Millisecond, 3*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	wc := &world.WriteCounter{Next: http.DefaultTransport.(*http.Transport).Clone(), N: 150, Cancel: cancel}
	if code := w.RunCtx(ctx, wc); code == 0 {
		t.Fatal("the killed run exited 0")
	}
	half := len(w.MM.Users()) - 1
	if half <= 0 || half >= want {
		t.Fatalf("the run was not stopped part-way: %d of %d accounts", half, want)
	}
	unlinked := 0
	for _, u := range w.MM.Users() {
		if u.Props["entra_link"] == "" && u.ID != w.MM.AdminID() {
			unlinked++
		}
	}
	t.Logf("killed after %d writes: %d of %d accounts exist, %d created but not yet linked", wc.Seen(), half, want, unlinked)
	if unlinked == 0 {
		t.Error("the kill did not leave a created, unlinked account behind")
	}

	w.MM.ResetCounters()
	w.MustRun(0)
	if f := w.OutputInt("failed"); f != 0 {
		t.Fatalf("failed = %d after the rerun", f)
	}
	if c := w.OutputInt("created"); c != want-half {
		t.Errorf("rerun created %d, want the %d missing", c, want-half)
	}
	w.Converged(want)
}

// A Mattermost restart in the middle of applying. A short one (2 s) is
// ridden out by the client's retries (about 4-7.5 s of backoff a request):
// nothing fails. A long one (12 s) outlasts them: the circuit breaker
// opens, the writes caught by it fail or are not attempted and are reported
// with their user and cause, and the next run converges.
func TestMattermostRestartMidRun(t *testing.T) {
	for _, mode := range []struct {
		name string
		o    fakemm.Outage
	}{
		{"503", fakemm.Outage{Mode: fakemm.OutageUnavailable}},
		{"connection refused", fakemm.Outage{Mode: fakemm.OutageRefuse}},
	} {
		for _, outage := range []struct {
			name string
			d    time.Duration
			exit int
		}{{"short", 2 * time.Second, 0}, {"long", 12 * time.Second, 1}} {
			t.Run(mode.name+"/"+outage.name, func(t *testing.T) {
				w := world.New(t, "tenant-2000.json")
				w.Subset(300)
				want := world.ExpectedCreatesOf(t, w.Users)
				w.MM.SetLatency(time.Millisecond, 5*time.Millisecond)
				// The outage ends on the run's virtual clock, whose waits the
				// client's retries also spend (World.RunWith).
				var up func() bool
				wc := &world.WriteCounter{Next: http.DefaultTransport.(*http.Transport).Clone(), N: 100, Hook: func() {
					w.MM.SetOutage(mode.o)
					up = w.Clock.AfterFunc(outage.d, func() { w.MM.SetOutage(fakemm.Outage{}) })
				}}
				code := w.RunCtx(context.Background(), wc)
				if up == nil {
					t.Fatal("the outage never started")
				}
				up()
				w.MM.SetOutage(fakemm.Outage{})
				if code != outage.exit {
					t.Fatalf("exit %d, want %d\n%s", code, outage.exit, world.Tail(w.Stdout.String(), 2000))
				}
				if outage.exit == 0 {
					if f := w.OutputInt("failed"); f != 0 {
						t.Fatalf("a %v restart was not ridden out: failed = %d", outage.d, f)
					}
					w.Converged(want)
					return
				}
				failed := w.OutputInt("failed")
				if failed == 0 {
					t.Fatal("no failure reported while the server was down")
				}
				rep := w.Report()
				var listed, done int
				for _, r := range rep.Results {
					switch r.Status {
					case "failed", "not_attempted":
						listed++
						if r.Email == "" || r.Error == "" {
							t.Errorf("failure without its user or cause: %+v", r)
						}
					case "done", "adopted":
						done++
					}
				}
				if listed != failed || listed+done != len(rep.Results) {
					t.Errorf("report lists %d failed or not attempted and %d done of %d, output says %d failed", listed, done, len(rep.Results), failed)
				}
				if !strings.Contains(w.Summary(), "### Failures") {
					t.Error("the job summary does not list the failures")
				}
				t.Logf("%d of %d changes failed or were not attempted while Mattermost was down, %d went through; e.g. %s",
					failed, len(rep.Results), done, world.FirstFailure(rep))

				w.MustRun(0)
				if f := w.OutputInt("failed"); f != 0 {
					t.Fatalf("failed = %d after the restart", f)
				}
				w.Converged(want)
			})
		}
	}
}
