package main

// Fault injection, end to end: the real code path (run) against the fakes
// with throttling, gateway errors, dropped connections, a run killed in the
// middle of applying, and a Mattermost restart.

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/entra"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/internal/clock"
	fakegraph "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/graph"
	fakemm "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/mattermost"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/mattermost"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/report"
)

// runCtx is world.run with a context and a Mattermost transport of the
// test's choosing (nil: the default).
func (w *world) runCtx(ctx context.Context, mmTransport http.RoundTripper, args ...string) int {
	w.t.Helper()
	return w.runWith(ctx, deps{mmTransport: mmTransport}, args...)
}

// runWith is runCtx with more of the process's edges set (clock, transport).
// With no clock the run gets a virtual one (w.clock); a Manual clock.Fake
// passed in is driven the same way (virtualtime_test.go).
func (w *world) runWith(ctx context.Context, d deps, args ...string) int {
	w.t.Helper()
	w.stdout.Reset()
	w.stderr.Reset()
	for _, f := range []string{"output", "summary.md"} {
		os.Remove(filepath.Join(w.dir, f))
	}
	env := maps.Clone(w.env)
	d.stdout, d.stderr = &w.stdout, &w.stderr
	d.getenv = func(k string) string { return env[k] }
	if d.graphTransport == nil {
		d.graphTransport = w.graph.Transport()
	}
	if d.clock == nil {
		clk := clock.NewFake()
		clk.Manual = true
		d.clock = clk
	}
	w.clock, _ = d.clock.(*clock.Fake)
	if w.clock != nil && w.clock.Manual {
		vt := driveVirtualTime(w.clock)
		defer vt.Stop()
		d.graphTransport, d.mmTransport = vt.transport(d.graphTransport), vt.transport(d.mmTransport)
		w.mm.SetSleeper(vt.serverSleep)
		defer w.mm.SetSleeper(nil)
	}
	return run(ctx, args, d)
}

// report reads the JSON report of the last run.
func (w *world) report() report.Report {
	w.t.Helper()
	var rep report.Report
	b, err := os.ReadFile(w.env["INPUT_REPORT-PATH"])
	if err != nil || json.Unmarshal(b, &rep) != nil {
		w.t.Fatalf("report: %v", err)
	}
	return rep
}

// converged checks that every directory user who should have an account has
// exactly one, linked to them, and that a further run writes nothing.
func (w *world) converged(want int) {
	w.t.Helper()
	users := w.mm.Users()
	if len(users) != want+1 { // + the token owner
		w.t.Errorf("Mattermost has %d accounts, want %d + the token owner", len(users), want)
	}
	byObject := map[string]int{}
	for _, u := range users {
		if id := u.Props["entra_object_id"]; id != "" {
			byObject[id]++
		}
	}
	for id, n := range byObject {
		if n > 1 {
			w.t.Errorf("Entra ID user %s has %d accounts", id, n)
		}
	}
	if len(byObject) != want {
		w.t.Errorf("%d accounts are linked, want %d", len(byObject), want)
	}
	w.noop()
}

// subset keeps the first n users of the world's tenant.
func (w *world) subset(n int) {
	w.setUsers(w.users[:n])
}

// expectedCreatesOf is expectedCreates for a tenant held in memory.
func expectedCreatesOf(t *testing.T, users []fakegraph.User) int {
	t.Helper()
	b, err := json.Marshal(map[string]any{"users": users})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "tenant.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	// expectedCreates reads testdata/<fixture>: name the file relative to it.
	rel, err := filepath.Rel(filepath.Join(wd, "testdata"), path)
	if err != nil {
		t.Fatal(err)
	}
	return expectedCreates(t, rel)
}

// The mix: 20 % of requests answered 429 with Retry-After, 3 % 502,
// and dropped connections (before and after the server acted), on Graph and
// on Mattermost at once. The run converges in one go with zero failures and
// without a duplicate account: a create whose answer was lost is retried by
// the applier, answered email_exists and adopted.
//
// This directory is one Graph page; TestGraphFaultsOnEveryPage puts the same
// faults on a read of several pages.
func TestFaultsConverge(t *testing.T) {
	w := newWorld(t, "tenant-2000.json")
	w.subset(400)
	want := expectedCreatesOf(t, w.users)
	w.graph.SetChaos(fakegraph.Chaos{TooMany: 0.20, RetryAfter: 0, BadGateway: 0.03, Drop: 0.02, IncludeToken: true})
	w.mm.SetChaos(fakemm.Chaos{TooMany: 0.20, RetryAfter: 0, BadGateway: 0.03, Drop: 0.01, DropAfter: 0.01})
	w.mm.SetLatency(time.Millisecond, 2*time.Millisecond)

	code := w.runCtx(context.Background(), nil)
	t.Logf("Mattermost faults %v, Graph faults %v", w.mm.ChaosCounts(), w.graph.ChaosCounts())
	if code != 0 {
		if msgs := transientWriteFailures(w.report()); len(msgs) > 0 {
			// The next run must still converge.
			w.mustRun(0)
			w.converged(want)
			// A write call fails transiently about 6 % of the time here
			// (3 % 502 + 2 % dropped, 429s retried by the client); with
			// sync.Apply's 5 attempts that leaves ~1e-6 per write.
			t.Fatalf("%d write(s) failed on every attempt under these faults (the rerun converged), e.g. %s", len(msgs), msgs[0])
		}
		t.Fatalf("exit %d under faults\nstdout:\n%s", code, tail(w.stdout.String(), 3000))
	}
	if f := w.outputInt("failed"); f != 0 {
		t.Fatalf("failed = %d", f)
	}
	mc := w.mm.ChaosCounts()
	if mc["429"] == 0 || mc["502"] == 0 || mc["drop"]+mc["drop-after"] == 0 {
		t.Errorf("the fake Mattermost did not inject every kind of fault: %v", mc)
	}
	created, adopted := 0, 0
	for _, r := range w.report().Results {
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
	w.converged(want)
}

// Graph under the mix, 429, 502 and dropped connections, over a
// 6-page directory read four times: every read completes. (A read that did
// fail would fail closed: nothing is written from a partial directory.)
func TestGraphFaultsOnEveryPage(t *testing.T) {
	w := newWorld(t, "")
	w.setUsers(fakegraph.GenerateUsers(5000))
	w.env["INPUT_DRY-RUN"] = "true"
	w.graph.SetChaos(fakegraph.Chaos{TooMany: 0.20, RetryAfter: 0, BadGateway: 0.03, Drop: 0.02, IncludeToken: true})
	for run := range 4 {
		if code := w.runCtx(context.Background(), nil); code != 0 {
			t.Fatalf("read %d: exit %d with Graph faults %v\n%s", run, code, w.graph.ChaosCounts(), tail(w.stdout.String(), 2000))
		}
		if c := w.outputInt("created"); c != 4500 {
			t.Fatalf("read %d: planned %d creates, want 4500", run, c)
		}
	}
	gc := w.graph.ChaosCounts()
	t.Logf("Graph faults over 4 reads: %v", gc)
	if gc["502"] == 0 || gc["drop"] == 0 {
		t.Errorf("no 502 or no dropped connection was injected (%v): the test proves nothing", gc)
	}
	if w.mm.Writes() != 0 {
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
		w := newWorld(t, "tenant-60.json")
		w.mm.InjectFault(fakemm.Fault{Method: "GET", PathPrefix: "/api/v4/users/me", Status: 429, RetryAfter: 30})
		clk := clock.NewFake()
		clk.Manual = true
		ctx, startDeadline, cancel := clk.TimeoutFrom(context.Background(), 1500*time.Millisecond)
		defer cancel()
		start := time.Now()
		code := w.runWith(ctx, deps{clock: clk, mmTransport: startOn(nil, "/api/v4/users/me", startDeadline)})
		if code == 0 || time.Since(start) > 10*time.Second {
			t.Fatalf("exit %d after %v", code, time.Since(start))
		}
		if n := w.mm.Requests()["GET /api/v4/users/me"]; n != 1 {
			t.Errorf("GET /users/me sent %d times within 1.5 s of a 30 s Retry-After", n)
		}
		if !strings.Contains(w.stdout.String(), "context deadline exceeded") {
			t.Errorf("the run did not stop while waiting:\n%s", tail(w.stdout.String(), 1500))
		}
	})
	t.Run("graph", func(t *testing.T) {
		w := newWorld(t, "tenant-60.json")
		w.graph.FailPage(1, http.StatusTooManyRequests, 30)
		clk := clock.NewFake()
		clk.Manual = true
		ctx, startDeadline, cancel := clk.TimeoutFrom(context.Background(), 1500*time.Millisecond)
		defer cancel()
		code := w.runWith(ctx, deps{clock: clk, graphTransport: startOn(w.graph.Transport(), "/v1.0/users", startDeadline)})
		if code == 0 {
			t.Fatal("exit 0")
		}
		if n := w.graph.Requests()["GET /v1.0/users"]; n != 1 {
			t.Errorf("GET /users sent %d times within 1.5 s of a 30 s Retry-After", n)
		}
		if w.mm.Writes() != 0 {
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
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		resp, err := next.RoundTrip(r)
		if err == nil && resp.StatusCode == http.StatusTooManyRequests && r.URL.Path == path {
			start()
		}
		return resp, err
	})
}

// virtualClock runs the clients' waits in virtual time: Sleep returns at
// once and moves Now forward, so a 30 s Retry-After is honoured (the rate
// gate's hold sees the time pass) without the test waiting for it.
type virtualClock struct {
	mu    sync.Mutex
	ahead time.Duration
	slept []time.Duration
	// onSleep, when set, runs at each wait (the world changing while the
	// client waits), outside the lock.
	onSleep func(d time.Duration)
}

func (c *virtualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.ahead)
}

func (c *virtualClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	if d > 0 {
		c.ahead += d
		c.slept = append(c.slept, d)
	}
	hook := c.onSleep
	c.mu.Unlock()
	if hook != nil {
		hook(d)
	}
	return nil
}

// TestRetryAfter30s: Graph and Mattermost each answer one request 429 with
// Retry-After: 30, and the run waits for both and converges, on a virtual
// clock.
func TestRetryAfter30s(t *testing.T) {
	w := newWorld(t, "tenant-60.json")
	want := expectedCreates(t, "tenant-60.json")
	w.graph.FailPage(1, http.StatusTooManyRequests, 30)
	w.mm.InjectFault(fakemm.Fault{Method: "POST", PathPrefix: "/api/v4/users", Status: 429, RetryAfter: 30, Count: 1})
	// The page fault is persistent: it is lifted while the client waits out
	// the first Retry-After, as a throttling window ends.
	clock := &virtualClock{onSleep: func(d time.Duration) {
		if d == 30*time.Second {
			w.graph.ClearFaults()
		}
	}}
	code := w.runWith(context.Background(), deps{clock: clock})
	if code != 0 || w.outputInt("failed") != 0 || w.outputInt("created") != want {
		t.Fatalf("exit %d\n%s", code, tail(w.stdout.String(), 2000))
	}
	thirty := 0
	for _, d := range clock.slept {
		if d == 30*time.Second {
			thirty++
		}
	}
	if thirty < 2 {
		t.Errorf("waits %v: a 30 s Retry-After was not honoured on both sides", clock.slept)
	}
}

// writeCounter watches the Mattermost writes of a run. Once n writes have
// been answered, the next create triggers hook and cancel: the create reaches
// the server, its answer is lost, and the run's context is cancelled, as when
// the runner is killed.
type writeCounter struct {
	next   http.RoundTripper
	n      int64
	seen   atomic.Int64
	cancel context.CancelFunc
	hook   func()
	once   sync.Once
}

func (c *writeCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(r)
	if r.Method == http.MethodGet || err != nil || resp.StatusCode >= 300 {
		return resp, err
	}
	if c.seen.Add(1) <= c.n || r.Method != http.MethodPost {
		return resp, err
	}
	fired := false
	c.once.Do(func() {
		fired = true
		if c.hook != nil {
			c.hook()
		}
		if c.cancel != nil {
			c.cancel()
		}
	})
	if fired && c.cancel != nil {
		resp.Body.Close()
		return nil, context.Canceled
	}
	return resp, err
}

func TestKilledMidApplyThenRerun(t *testing.T) {
	w := newWorld(t, "tenant-2000.json")
	w.subset(400)
	want := expectedCreatesOf(t, w.users)
	w.mm.SetLatency(time.Millisecond, 3*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	wc := &writeCounter{next: http.DefaultTransport.(*http.Transport).Clone(), n: 150, cancel: cancel}
	if code := w.runCtx(ctx, wc); code == 0 {
		t.Fatal("the killed run exited 0")
	}
	half := len(w.mm.Users()) - 1
	if half <= 0 || half >= want {
		t.Fatalf("the run was not stopped part-way: %d of %d accounts", half, want)
	}
	unlinked := 0
	for _, u := range w.mm.Users() {
		if u.Props["entra_link"] == "" && u.ID != w.mm.AdminID() {
			unlinked++
		}
	}
	t.Logf("killed after %d writes: %d of %d accounts exist, %d created but not yet linked", wc.seen.Load(), half, want, unlinked)
	if unlinked == 0 {
		t.Error("the kill did not leave a created, unlinked account behind")
	}

	w.mm.ResetCounters()
	w.mustRun(0)
	if f := w.outputInt("failed"); f != 0 {
		t.Fatalf("failed = %d after the rerun", f)
	}
	if c := w.outputInt("created"); c != want-half {
		t.Errorf("rerun created %d, want the %d missing", c, want-half)
	}
	w.converged(want)
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
				w := newWorld(t, "tenant-2000.json")
				w.subset(300)
				want := expectedCreatesOf(t, w.users)
				w.mm.SetLatency(time.Millisecond, 5*time.Millisecond)
				// The outage ends on the run's virtual clock, whose waits the
				// client's retries also spend (world.runWith).
				var up func() bool
				wc := &writeCounter{next: http.DefaultTransport.(*http.Transport).Clone(), n: 100, hook: func() {
					w.mm.SetOutage(mode.o)
					up = w.clock.AfterFunc(outage.d, func() { w.mm.SetOutage(fakemm.Outage{}) })
				}}
				code := w.runCtx(context.Background(), wc)
				if up == nil {
					t.Fatal("the outage never started")
				}
				up()
				w.mm.SetOutage(fakemm.Outage{})
				if code != outage.exit {
					t.Fatalf("exit %d, want %d\n%s", code, outage.exit, tail(w.stdout.String(), 2000))
				}
				if outage.exit == 0 {
					if f := w.outputInt("failed"); f != 0 {
						t.Fatalf("a %v restart was not ridden out: failed = %d", outage.d, f)
					}
					w.converged(want)
					return
				}
				failed := w.outputInt("failed")
				if failed == 0 {
					t.Fatal("no failure reported while the server was down")
				}
				rep := w.report()
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
				if !strings.Contains(w.summary(), "### Failures") {
					t.Error("the job summary does not list the failures")
				}
				t.Logf("%d of %d changes failed or were not attempted while Mattermost was down, %d went through; e.g. %s",
					failed, len(rep.Results), done, firstFailure(rep))

				w.mustRun(0)
				if f := w.outputInt("failed"); f != 0 {
					t.Fatalf("failed = %d after the restart", f)
				}
				w.converged(want)
			})
		}
	}
}

func firstFailure(rep report.Report) string {
	for _, r := range rep.Results {
		if r.Status == "failed" {
			return r.Error
		}
	}
	return ""
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
