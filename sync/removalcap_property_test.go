package sync

import (
	"context"
	"testing"

	"pgregory.net/rapid"
)

// teamChannels answers what GET /users/{id}/teams/{team}/channels tells the
// run: the ids of the team's channels each account is in.
func (f *memberTarget) teamChannels(pairs []TeamAccount) map[TeamAccount][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[TeamAccount][]string, len(pairs))
	for _, ta := range pairs {
		var ids []string
		for id, ch := range f.channels {
			if ch.TeamID == ta.TeamID && ch.Members[ta.AccountID] {
				ids = append(ids, id)
			}
		}
		out[ta] = ids
	}
	return out
}

// planReading plans as run.go does: when the plan's team removals need the
// accounts' channel memberships, it reads them and plans again.
func planReading(dir Directory, obs Observed, opts Options, f *memberTarget) (*Plan, Observed) {
	plan := BuildPlan(dir, obs, opts)
	if len(plan.NeedTeamChannels) == 0 {
		return plan, obs
	}
	obs.TeamChannels = f.teamChannels(plan.NeedTeamChannels)
	return BuildPlan(dir, obs, opts), obs
}

// memberships counts every (team or channel, account) membership on the
// target, by account.
func (f *memberTarget) memberships() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := map[string]int{}
	for _, t := range f.teams {
		for id, in := range t {
			if in {
				n[id]++
			}
		}
	}
	for _, ch := range f.channels {
		for id, in := range ch.Members {
			if in {
				n[id]++
			}
		}
	}
	return n
}

// The removal cap counts memberships as Mattermost changes them: what a run
// takes away (team memberships, and the channel memberships that leave
// with them) is exactly what the plan counted, and within max-removals of
// a base in the same units; a team removal is never planned uncounted.
func TestPropRemovalCapInMemberships(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w := drawWorld(t)
		if w.opts.Channels == nil {
			drawMemberships(t, &w)
		}
		if rapid.Bool().Draw(t, "tightCap") {
			w.opts.MaxRemovals = Threshold{Count: rapid.IntRange(0, 6).Draw(t, "maxRemovals")}
		} else if rapid.Bool().Draw(t, "shareCap") {
			w.opts.MaxRemovals = Percent(rapid.Int64Range(1, 60).Draw(t, "percent"))
		}
		target := memberTargetFor(w)
		observe := func() Observed { return target.observedWith(propTeams, propChannels) }
		plan, obs := planReading(w.dir, observe(), w.opts, target)
		if err := plan.Check(w.dir, obs, w.opts); err != nil {
			t.Fatal(err)
		}
		cost := 0
		for i := range plan.Actions {
			a := &plan.Actions[i]
			if a.Kind == KindTeamRemove || a.Kind == KindChannelRemove {
				n, known := removalCost(a, obs)
				if !known && !w.opts.MaxRemovals.All() {
					t.Fatalf("%s %s planned without its channel memberships read", a.Kind, a.Username)
				}
				cost += n
			}
		}
		before := target.memberships()
		Apply(context.Background(), plan, target, ApplyOptions{Options: w.opts, SelfID: "self", Workers: 2, CreateWorkers: 2})
		after := target.memberships()
		lost := 0
		for id, n := range before {
			if d := n - after[id]; d > 0 {
				lost += d
			}
		}
		if lost != cost && !w.opts.MaxRemovals.All() {
			t.Fatalf("the run took %d memberships away, the plan counted %d", lost, cost)
		}
		if !w.opts.MaxRemovals.All() && plan.RemovalError == "" {
			r := newRules(w.opts.withDefaults(), "self")
			if limit := w.opts.MaxRemovals.Limit(removalBase(indexAccounts(obs.Accounts, r), w.opts, obs)); lost > limit {
				t.Fatalf("%d memberships removed, max-removals allows %d", lost, limit)
			}
		}
	})
}
