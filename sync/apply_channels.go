package sync

import (
	"context"
	"fmt"
	gosync "sync"
)

// channelBatch is the most accounts one AddChannelMembers call is given:
// Mattermost's limit for the batch add form (limits.go). A target on a
// server without the batch form adds them one by one.
const channelBatch = MaxChannelAddBatch

// channels runs the channel membership changes after the team changes
// (joining a channel needs the team): adds grouped per channel in batches,
// up to workers channels at once, then removals one by one. An account
// created in this run gets its id from the create's result; an account
// whose team add failed is not sent, since the server would refuse it.
func (x *applier) channels(ctx context.Context, workers int) {
	plan := x.plan
	ct, ok := x.t.(ChannelTarget)
	if !ok {
		x.failAll(KindChannelAdd, KindChannelRemove, errNoChannels)
		return
	}
	created := x.createdAccounts()
	type teamUser struct{ team, entraID string }
	teamFailed := map[teamUser]string{}
	notReactivated := map[string]string{} // object id → why
	for _, r := range x.results {
		if r.Kind == KindTeamAdd && r.Status != StatusDone {
			teamFailed[teamUser{r.Team, r.EntraID}] = "adding the account to team " + r.Team + " failed: " + r.Error
		}
		if r.Kind == KindReactivate && r.Status != StatusDone {
			// Mattermost refuses a deactivated account in a channel.
			notReactivated[r.EntraID] = "the account was not reactivated: " + r.Error
		}
	}
	byChannel := map[string][]int{}
	var order []string
	for i, a := range plan.Actions {
		if a.Kind != KindChannelAdd {
			continue
		}
		if _, seen := byChannel[a.ChannelID]; !seen {
			order = append(order, a.ChannelID)
		}
		byChannel[a.ChannelID] = append(byChannel[a.ChannelID], i)
	}
	jobs := make(chan string)
	var wg gosync.WaitGroup
	for range min(max(workers, 1), len(order)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range jobs {
				x.addToChannel(ctx, ct, byChannel[id], created, func(a *Action) string {
					return firstNonEmpty(notReactivated[a.EntraID], teamFailed[teamUser{a.Team, a.EntraID}])
				})
			}
		}()
	}
	for _, id := range order {
		jobs <- id
	}
	close(jobs)
	wg.Wait()
	x.removeMembers(ctx, KindChannelRemove)
}

// addToChannel adds the accounts of the actions idx (all for one channel)
// in batches of channelBatch. teamFailed says why an account cannot join
// in this run (its team add failed, or it was not reactivated; "" if it can).
func (x *applier) addToChannel(ctx context.Context, ct ChannelTarget, idx []int, created map[string]string, teamFailed func(*Action) string) {
	var ids []string
	var sent []int
	for _, i := range idx {
		a := x.plan.Actions[i]
		if a.AccountID == "" {
			a.AccountID = created[a.EntraID]
		}
		switch why := teamFailed(&a); {
		case a.AccountID == "":
			x.finish(i, failed(Result{Action: a}, fmt.Errorf("add %s to channel %s/%s: the account was not created", a.Email, a.Team, a.Channel)))
		case why != "":
			r := Result{Action: a, AccountID: a.AccountID}
			if err := ctx.Err(); err != nil {
				x.finish(i, notAttempted(r, err))
				continue
			}
			x.finish(i, failed(r, fmt.Errorf("add %s to channel %s/%s: not sent, because %s", a.Username, a.Team, a.Channel, why)))
		default:
			ids, sent = append(ids, a.AccountID), append(sent, i)
		}
	}
	// Alike in shape to the team adds (apply_teams.go) but kept apart on
	// purpose: AddChannelMembers can fail part-way with the users it settled
	// before the failure in its map, so a settled user keeps its own answer
	// here, while a team batch is answered as a whole.
	for start := 0; start < len(ids); start += channelBatch {
		end := min(start+channelBatch, len(ids))
		var perUser map[string]error
		err := ctx.Err()
		if err == nil {
			perUser, err = ct.AddChannelMembers(ctx, x.plan.Actions[sent[start]].ChannelID, ids[start:end])
		}
		for k, i := range sent[start:end] {
			a, id := x.plan.Actions[i], ids[start+k]
			r := Result{Action: a, Status: StatusDone, AccountID: id}
			userErr, settled := perUser[id]
			switch {
			case ctx.Err() != nil && !settled:
				r = notAttempted(r, ctx.Err())
			case userErr != nil:
				r = failed(r, fmt.Errorf("add %s to channel %s/%s: %w", a.Username, a.Team, a.Channel, userErr))
			case err != nil && !settled:
				r = failed(r, fmt.Errorf("add %s to channel %s/%s: %w", a.Username, a.Team, a.Channel, err))
			}
			x.finish(i, r)
		}
	}
}

// createdAccounts maps the object id of each account created (or adopted)
// in this run to its new account id.
func (x *applier) createdAccounts() map[string]string {
	created := map[string]string{}
	for _, r := range x.results {
		if r.Kind == KindCreate && (r.Status == StatusDone || r.Status == StatusAdopted) && r.AccountID != "" {
			created[r.EntraID] = r.AccountID
		}
	}
	return created
}
