package entra

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	fakegraph "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/graph"
)

// The direct reads go out in JSON batches of 20 and see through a lagging
// listing.
func TestDirectReadsConfirmDepartures(t *testing.T) {
	users := fakegraph.GenerateUsers(30) // user0010, 20, 30 are disabled
	var groups []fakegraph.Group
	for i := range 25 {
		groups = append(groups, fakegraph.Group{ID: fmt.Sprintf("g%02d", i), DisplayName: fmt.Sprintf("G%d", i)})
	}
	groups[24].Members = []string{users[0].ID()}
	groups[23].Members = []string{"g24"} // nested
	e := setup(t, fakegraph.Options{Users: users, Groups: groups}, nil)
	e.fake.SetLagging(users[0].ID())

	var ids []string
	for _, u := range users {
		ids = append(ids, u.ID())
	}
	ids = append(ids, "00000000-0000-4000-8000-999999999999") // deleted
	read, err := e.src.ReadUsers(ctx(t), ids)
	if err != nil {
		t.Fatal(err)
	}
	if r := read[ids[0]]; !r.Found || r.User.AccountEnabled.String() != "true" {
		t.Errorf("lagging user: %+v", r)
	}
	if r := read[ids[9]]; !r.Found || r.User.AccountEnabled.String() != "false" {
		t.Errorf("disabled user: %+v", r)
	}
	if r := read[ids[30]]; r.Found || r.Err != nil {
		t.Errorf("deleted user: %+v", r)
	}
	if n := e.fake.Requests()["POST /v1.0/$batch"]; n != 2 {
		t.Errorf("%d batches for 31 reads, want 2", n)
	}

	all := make([]string, len(groups))
	for i, g := range groups {
		all[i] = g.ID
	}
	member, err := e.src.CheckMemberGroups(ctx(t), map[string][]string{ids[0]: all, ids[1]: all[:3]})
	if err != nil {
		t.Fatal(err)
	}
	if m := member[ids[0]]; m.Err != nil || len(m.Groups) != 2 || !m.Groups["g24"] || !m.Groups["g23"] {
		t.Errorf("lagging member: %+v", m)
	}
	if m := member[ids[1]]; m.Err != nil || len(m.Groups) != 0 {
		t.Errorf("non-member: %+v", m)
	}

	match, err := e.src.MatchFilter(ctx(t), ids[:2], "jobTitle eq 'Engineer'")
	if err != nil {
		t.Fatal(err)
	}
	if !match[ids[0]].Match || match[ids[0]].Err != nil {
		t.Errorf("filter: %+v", match)
	}
	match, _ = e.src.MatchFilter(ctx(t), ids[:1], "jobTitle eq 'Manager'")
	if match[ids[0]].Match || match[ids[0]].Err != nil {
		t.Errorf("filter: %+v", match)
	}
}

// Items of a batch answered 429 (the batch itself 200, the Retry-After in
// the item's headers, as Graph throttles each request of a batch) are sent
// again after the wait they ask for, on the injected clock; what is still
// throttled once the budget is spent stays an error for that item alone.
func TestBatchItemsThrottledAreRetried(t *testing.T) {
	users := fakegraph.GenerateUsers(25)
	var waits []time.Duration
	e := setup(t, fakegraph.Options{Users: users}, func(c *Config) {
		c.Clock = sleepFunc(func(ctx context.Context, d time.Duration) error { waits = append(waits, d); return ctx.Err() })
	})
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.ID()
	}
	e.fake.ThrottleBatchItems(3, 7)
	read, err := e.src.ReadUsers(ctx(t), ids)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if r := read[id]; !r.Found || r.Err != nil {
			t.Fatalf("%s: %+v", id, r)
		}
	}
	if !slices.Equal(waits, []time.Duration{7 * time.Second}) {
		t.Errorf("waits %v, want one of 7s (the items' Retry-After)", waits)
	}
	if n := e.fake.Requests()["POST /v1.0/$batch"]; n != 3 {
		t.Errorf("%d batches, want 3 (2 for 25 reads, 1 for the 3 throttled)", n)
	}

	// Throttled for longer than a run waits: those users stay unconfirmed,
	// the others are answered.
	waits = nil
	e.fake.ThrottleBatchItems(1000, 60)
	member, err := e.src.CheckMemberGroups(ctx(t), map[string][]string{ids[0]: {"g1"}, ids[1]: {"g1"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids[:2] {
		var ge *GraphError
		if m := member[id]; !errors.As(m.Err, &ge) || ge.Status != 429 || ge.Code != "TooManyRequests" {
			t.Errorf("%s: %+v, want the 429 as its error", id, m)
		}
	}
	if total := sumDurations(waits); total > MaxRetryWait || len(waits) != 3 {
		t.Errorf("waits %v: want 3 of 60s (the fourth would pass %v)", waits, MaxRetryWait)
	}
	e.fake.ThrottleBatchItems(0, 0)
}

func sumDurations(ds []time.Duration) time.Duration {
	var t time.Duration
	for _, d := range ds {
		t += d
	}
	return t
}
