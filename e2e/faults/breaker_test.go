package faults

// The circuit breaker end to end: Mattermost dies in the middle of a large
// apply and the run stops within a minute, accounting for every action.

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/e2e/world"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/internal/clock"
	fakegraph "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/graph"
	fakemm "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/mattermost"
)

// breakerDeadline is the contract for a run whose Mattermost went
// away: it reports and exits within a minute, rather than after every
// remaining action has spent its own retry budget (2,000 actions of about
// 4-7.5 s each, 3 at a time: over an hour). The breaker itself opens after
// 5 requests in a row fail their whole budget, about 8-15 s with 3 create
// workers (mattermost.DefaultBreakerThreshold), so the margin is about 4x.
const breakerDeadline = 60 * time.Second

// Mattermost's process dies after 300 writes of a first sync of 2,000
// accounts (every connection refused from then on, until after the run).
// The run ends in under a minute with exit 1, the JSON report accounts for
// every planned action (done + failed + not attempted), the actions never
// sent say why, and the next run, with Mattermost back, converges.
func TestBreakerStopsARunWhoseServerDied(t *testing.T) {
	const planned = 2000
	users := fakegraph.GenerateUsers(planned)
	for _, u := range users {
		u["accountEnabled"] = true // one create each: 2,000 actions
	}
	w := world.New(t, "")
	w.SetUsers(users)
	w.MM.SetLatency(time.Millisecond, 3*time.Millisecond)

	var died atomic.Bool
	wc := &world.WriteCounter{Next: http.DefaultTransport.(*http.Transport).Clone(), N: 300, Hook: func() {
		w.MM.SetOutage(fakemm.Outage{Mode: fakemm.OutageRefuse})
		died.Store(true)
	}}
	// The run's waits are virtual (World.RunWith): took is the time the run
	// would have taken, on its clock, which starts at clock.NewFake's instant.
	start := time.Now()
	code := w.RunCtx(context.Background(), wc)
	took := w.Clock.Now().Sub(clock.NewFake().Now())
	if !died.Load() {
		t.Fatal("the server never died: the run made fewer than 300 writes")
	}
	w.MM.SetOutage(fakemm.Outage{})
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if took >= breakerDeadline {
		t.Errorf("the run took %v after the server died, want under %v", took, breakerDeadline)
	}

	rep := w.Report()
	if len(rep.Results) != planned {
		t.Fatalf("the report lists %d actions, want the %d planned", len(rep.Results), planned)
	}
	byStatus := map[string]int{}
	for _, r := range rep.Results {
		byStatus[string(r.Status)]++
		if r.Status == "not_attempted" && r.Error != "not attempted: Mattermost unavailable" {
			t.Errorf("not attempted with %q, want the outage named", r.Error)
		}
	}
	done := byStatus["done"] + byStatus["adopted"]
	if sum := done + byStatus["failed"] + byStatus["not_attempted"]; sum != planned {
		t.Errorf("statuses %v add up to %d, want every one of the %d planned actions done, failed or not attempted", byStatus, sum, planned)
	}
	c := rep.Counts
	if c.Created+c.Failed+c.NotAttempted != planned {
		t.Errorf("counts created %d + failed %d + not attempted %d, want %d", c.Created, c.Failed, c.NotAttempted, planned)
	}
	if byStatus["not_attempted"] < planned/2 {
		t.Errorf("only %d actions not attempted: the breaker did not stop the run", byStatus["not_attempted"])
	}
	t.Logf("the run ended %v after it started on its clock, %v on the wall (the server died after 300 writes): %v",
		took.Round(10*time.Millisecond), time.Since(start).Round(10*time.Millisecond), byStatus)

	w.MustRun(0)
	if f := w.OutputInt("failed"); f != 0 {
		t.Fatalf("failed = %d once Mattermost is back", f)
	}
	w.Converged(planned)
}
