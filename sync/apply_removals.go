package sync

import (
	"context"
	"errors"
	"fmt"
)

// Team and channel removals: one account out of one room at a time, for the
// removal pass after the adds (teams, channels) and for a returner's
// removals before its reactivation (returnerRemovals).

// errNoTeams and errNoChannels fail the membership changes a target that
// cannot manage teams, or channels, is given.
var (
	errNoTeams    = errors.New("this target cannot manage teams")
	errNoChannels = errors.New("this target cannot manage channels")
)

// removeMember takes the account of a KindTeamRemove or KindChannelRemove
// action out of its team or channel. It fails the action when the target
// cannot manage that kind of room, and leaves it not attempted when ctx is
// done.
func (x *applier) removeMember(ctx context.Context, a Action) Result {
	var room string
	var remove func() error
	if a.Kind == KindTeamRemove {
		tt, ok := x.t.(TeamTarget)
		if !ok {
			return failed(Result{Action: a}, errNoTeams)
		}
		room = "team " + a.Team
		remove = func() error { return tt.RemoveTeamMember(ctx, a.TeamID, a.AccountID) }
	} else {
		ct, ok := x.t.(ChannelTarget)
		if !ok {
			return failed(Result{Action: a}, errNoChannels)
		}
		room = "channel " + a.Team + "/" + a.Channel
		remove = func() error { return ct.RemoveChannelMember(ctx, a.ChannelID, a.AccountID) }
	}
	r := Result{Action: a, Status: StatusDone, AccountID: a.AccountID}
	if err := ctx.Err(); err != nil {
		return notAttempted(r, err)
	}
	if err := remove(); err != nil {
		return failed(r, fmt.Errorf("remove %s from %s: %w", a.Username, room, err))
	}
	return r
}

// removeMembers runs the plan's actions of kind (KindTeamRemove or
// KindChannelRemove) one by one, skipping those that already have a result.
func (x *applier) removeMembers(ctx context.Context, kind Kind) {
	for i, a := range x.plan.Actions {
		if a.Kind != kind || x.results[i].Status != "" {
			continue // a returner's removals ran before its reactivation
		}
		x.finish(i, x.removeMember(ctx, a))
	}
}

// failAll fails, with err, every action of the kinds add and remove that has
// no result yet: the target cannot manage those memberships.
func (x *applier) failAll(add, remove Kind, err error) {
	for i, a := range x.plan.Actions {
		if (a.Kind == add || a.Kind == remove) && x.results[i].Status == "" {
			x.finish(i, failed(Result{Action: a}, err))
		}
	}
}
