package sync

import (
	"context"
	"fmt"
)

// teamBatch is Mattermost's limit for one batch add (limits.go).
const teamBatch = MaxTeamAddBatch

// teams runs the membership changes once every account has an id: adds in
// batches per team, removals one by one.
func (x *applier) teams(ctx context.Context) {
	plan := x.plan
	created := x.createdAccounts() // object id → account id of a create
	byTeam := map[string][]int{}
	var order []string
	for i, a := range plan.Actions {
		if a.Kind == KindTeamAdd {
			if _, seen := byTeam[a.TeamID]; !seen {
				order = append(order, a.TeamID)
			}
			byTeam[a.TeamID] = append(byTeam[a.TeamID], i)
		}
	}
	tt, ok := x.t.(TeamTarget)
	if !ok {
		x.failAll(KindTeamAdd, KindTeamRemove, errNoTeams)
		return
	}
	for _, teamID := range order {
		var ids []string
		var idx []int
		for _, i := range byTeam[teamID] {
			a := plan.Actions[i]
			if a.AccountID == "" {
				a.AccountID = created[a.EntraID]
			}
			if a.AccountID == "" {
				x.finish(i, failed(Result{Action: a}, fmt.Errorf("add %s to team %s: the account was not created", a.Email, a.Team)))
				continue
			}
			ids, idx = append(ids, a.AccountID), append(idx, i)
		}
		for start := 0; start < len(ids); start += teamBatch {
			end := min(start+teamBatch, len(ids))
			var perUser map[string]error
			err := ctx.Err()
			if err == nil {
				perUser, err = tt.AddTeamMembers(ctx, teamID, ids[start:end])
			}
			for k, i := range idx[start:end] {
				a := plan.Actions[i]
				r := Result{Action: a, Status: StatusDone, AccountID: ids[start+k]}
				switch {
				case err != nil && ctx.Err() != nil:
					// Only an add that was never answered is not attempted: a
					// batch that came back is what the server did.
					r = notAttempted(r, ctx.Err())
				case err != nil:
					r = failed(r, fmt.Errorf("add %s to team %s: %w", a.Username, a.Team, err))
				case perUser[ids[start+k]] != nil:
					r = failed(r, fmt.Errorf("add %s to team %s: %w", a.Username, a.Team, perUser[ids[start+k]]))
				}
				x.finish(i, r)
			}
		}
	}
	x.removeMembers(ctx, KindTeamRemove)
}
