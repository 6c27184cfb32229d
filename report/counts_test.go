package report

import (
	"fmt"
	"testing"

	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
)

// oldCounts is the switch Counts.byKind replaced (report.go before
// fbce222), kept as the oracle of TestCountsByKindAsTheOldSwitch.
func oldCounts(results []mmsync.Result) Counts {
	var c Counts
	for _, res := range results {
		switch res.Status {
		case mmsync.StatusFailed:
			c.Failed++
			continue
		case mmsync.StatusNotAttempted:
			c.NotAttempted++
			continue
		}
		switch {
		case res.Pending && len(res.Changes) == 1:
			c.Skipped++
		case res.Status == mmsync.StatusAdopted, res.Kind == mmsync.KindUpdate:
			c.Updated++
		case res.Kind == mmsync.KindCreate:
			c.Created++
		case res.Kind == mmsync.KindDeactivate:
			c.Deactivated++
		case res.Kind == mmsync.KindRelease:
			c.Released++
		case res.Kind == mmsync.KindReactivate:
			c.Reactivated++
		case res.Kind == mmsync.KindTeamAdd:
			c.TeamAdded++
		case res.Kind == mmsync.KindTeamRemove:
			c.TeamRemoved++
		case res.Kind == mmsync.KindChannelAdd:
			c.ChannelAdded++
		case res.Kind == mmsync.KindChannelRemove:
			c.ChannelRemoved++
		case res.Kind == mmsync.KindOnboard:
			c.Onboarded++
		}
	}
	return c
}

// TestCountsByKindAsTheOldSwitch: every kind (and one the report does not
// know) with every status, pending or not, with one change or two, adds to
// the count it added to before the table replaced the switch: adopted is
// updated, a pending address-only update is skipped, failed and not
// attempted count apart, a dry run's planned actions count by kind.
func TestCountsByKindAsTheOldSwitch(t *testing.T) {
	kinds := []mmsync.Kind{mmsync.KindCreate, mmsync.KindUpdate, mmsync.KindDeactivate, mmsync.KindRelease,
		mmsync.KindReactivate, mmsync.KindTeamAdd, mmsync.KindTeamRemove, mmsync.KindChannelAdd,
		mmsync.KindChannelRemove, mmsync.KindOnboard, "something-new"}
	statuses := []mmsync.Status{mmsync.StatusDone, mmsync.StatusAdopted, mmsync.StatusFailed, mmsync.StatusNotAttempted}
	one := []mmsync.Change{{Field: "email", Old: "a@x.example", New: "b@x.example"}}
	two := append(one, mmsync.Change{Field: "nickname", Old: "A", New: "B"})
	var all []mmsync.Result
	for _, k := range kinds {
		for _, s := range statuses {
			for _, pending := range []bool{false, true} {
				for _, changes := range [][]mmsync.Change{nil, one, two} {
					res := mmsync.Result{Action: mmsync.Action{Kind: k, Changes: changes}, Status: s, Pending: pending}
					name := fmt.Sprintf("%s/%s/pending=%v/changes=%d", k, s, pending, len(changes))
					got := New(&mmsync.Plan{Actions: []mmsync.Action{res.Action}}, []mmsync.Result{res}, false).Counts
					if want := oldCounts([]mmsync.Result{res}); got != want {
						t.Errorf("%s: counts %+v, want %+v", name, got, want)
					}
					all = append(all, res)
				}
			}
		}
	}
	plan := &mmsync.Plan{}
	for _, res := range all {
		plan.Actions = append(plan.Actions, res.Action)
	}
	if got, want := New(plan, all, false).Counts, oldCounts(all); got != want {
		t.Errorf("all together: counts %+v, want %+v", got, want)
	}
	planned := make([]mmsync.Result, len(plan.Actions))
	for i, a := range plan.Actions {
		planned[i] = mmsync.Result{Action: a, Status: "planned"}
	}
	if got, want := New(plan, nil, true).Counts, oldCounts(planned); got != want {
		t.Errorf("dry run: counts %+v, want %+v", got, want)
	}
}
