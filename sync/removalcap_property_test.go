package sync

import (
	"context"
	"slices"
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

// planReading plans as internal/cli/run.go does: when the plan's team removals need the
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
		// What each removal takes, from the server's own state (README,
		// Removal cap): one membership for a channel removal, one plus the
		// user's channel memberships in the team for a team removal.
		channelsIn := func(teamID, accountID string, mapped map[string]bool, unmappedOnly bool) int {
			n := 0
			for id, ch := range target.channels {
				if ch.TeamID == teamID && ch.Members[accountID] && !(unmappedOnly && mapped[id]) {
					n++
				}
			}
			return n
		}
		mappedIDs := map[string]bool{}
		if pol := w.opts.Channels; pol != nil {
			for _, ref := range append(slices.Clone(pol.Everyone), pol.ByGroup[0].Channels...) {
				mappedIDs[propChannels[ref]] = true
			}
		}
		cost, teamRemoved := 0, map[string]bool{}
		for i := range plan.Actions {
			a := &plan.Actions[i]
			switch a.Kind {
			case KindTeamRemove:
				if _, known := obs.TeamChannels[TeamAccount{a.TeamID, a.AccountID}]; !known && !w.opts.MaxRemovals.All() {
					t.Fatalf("%s %s planned without its channel memberships read", a.Kind, a.Username)
				}
				cost += 1 + channelsIn(a.TeamID, a.AccountID, nil, false)
				teamRemoved[a.AccountID] = true
			case KindChannelRemove:
				cost++
			}
		}
		// The base in the same units: memberships of managed, active
		// accounts in the mapped team (when a team mapping names it) and the
		// mapped channels, plus the unmapped channels the planned team
		// removals take.
		base := 0
		for _, a := range obs.Accounts {
			if !a.Active() || !oracleManaged(w.opts, w.dir, "self", &a) {
				continue
			}
			if w.opts.Teams != nil && target.teams["t-eng"][a.ID] {
				base++
			}
			for id := range mappedIDs {
				if target.channels[id].Members[a.ID] {
					base++
				}
			}
			if teamRemoved[a.ID] {
				base += channelsIn("t-eng", a.ID, mappedIDs, true)
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
			if limit := w.opts.MaxRemovals.Limit(base); lost > limit {
				t.Fatalf("%d memberships removed, max-removals allows %d of %d", lost, limit, base)
			}
		}
	})
}
