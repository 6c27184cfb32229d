package sync

import (
	"context"
	"slices"
	"strings"
)

// A returner (a deactivated account reactivated in this run) gets back only
// the rooms its mappings still give it. Memberships it must lose are
// removed while it is still deactivated: Apply runs those removals before
// the reactivation, and reactivates only once they succeeded. When the
// removal cap withholds one of them, the plan holds the reactivation back
// for this run, so that an active account never keeps an old team's
// private channels.

// holdReactivations drops the reactivations whose membership removals
// max-removals withheld, or a broken line froze, or a direct read has yet
// to confirm, with their membership adds (the account stays deactivated),
// and any change that needed the address such a reactivation would have
// given up. Each is listed under skipped, for an admin to see.
func (p *planner) holdReactivations() {
	frozenRooms := len(p.frozen.teams) > 0 || len(p.frozen.channels) > 0
	if (len(p.plan.WithheldRemovals) == 0 && !frozenRooms && len(p.awaitingRead) == 0) || len(p.reacts) == 0 {
		return
	}
	withheld := map[string]string{} // account id → why the reactivation waits
	if frozenRooms {
		// A broken mapping line freezes its teams and channels: which of
		// them a returner must lose is unknown this run, so no returner
		// comes back until the line resolves again (the run fails anyway).
		for _, a := range p.reacts {
			withheld[a.AccountID] = "the teams and channels of a broken mapping line cannot be planned (they are frozen)"
		}
	}
	for _, a := range p.plan.WithheldRemovals {
		if _, seen := withheld[a.AccountID]; !seen {
			withheld[a.AccountID] = removalLabel(&a) + " was withheld by max-removals"
		}
	}
	for _, a := range p.reacts {
		// Its group listings say it left a room, but no direct read has
		// confirmed it yet: the removal waits, and so does the return.
		if where := p.awaitingRead[a.AccountID]; where != "" && withheld[a.AccountID] == "" {
			withheld[a.AccountID] = where + " waits for a direct read (the group member lists may lag)"
		}
	}
	held := map[string]bool{}
	freed := map[string]bool{} // addresses a held reactivation would have left
	p.reacts = slices.DeleteFunc(p.reacts, func(a Action) bool {
		what, ok := withheld[a.AccountID]
		if !ok {
			return false
		}
		held[a.AccountID] = true
		if a.Patch.Email != nil && a.Observed != nil {
			freed[a.Observed.Email] = true
		}
		p.plan.Skipped = append(p.plan.Skipped, Skip{EntraID: a.EntraID, DisplayName: a.DisplayName, Email: a.Email, Username: a.Username,
			AccountID: a.AccountID, Attention: true,
			Reason: "not reactivated in this run: its removal from " + what + ", and a returner is reactivated only once the memberships it must lose are gone"})
		return true
	})
	if len(held) == 0 {
		return
	}
	notHeld := func(a Action) bool {
		// Adds wait with the account; its removals go ahead while it is
		// deactivated.
		return held[a.AccountID] && (a.Kind == KindTeamAdd || a.Kind == KindChannelAdd)
	}
	p.teams = slices.DeleteFunc(p.teams, notHeld)
	p.channels = slices.DeleteFunc(p.channels, notHeld)
	p.dropClaimsOn(freed)
}

// dropClaimsOn removes creates and address changes that take an address in
// freed (one a dropped action would have given up), and, in turn, what
// needed the addresses those would have given up: each becomes a conflict.
// A reactivation or update whose address change is dropped goes ahead
// without it (withoutAddress): the person comes back, keeping the address.
func (p *planner) dropClaimsOn(freed map[string]bool) {
	for len(freed) > 0 {
		next := map[string]bool{}
		var kept []Action
		drop := func(list []Action) []Action {
			return slices.DeleteFunc(list, func(a Action) bool {
				addr := ""
				switch {
				case a.Kind == KindCreate:
					addr = a.Email
				case a.Patch.Email != nil:
					addr = strings.ToLower(*a.Patch.Email)
				}
				if addr == "" || !freed[addr] {
					return false
				}
				if a.Kind != KindCreate && a.Observed != nil {
					next[a.Observed.Email] = true
				}
				p.plan.Conflicts = append(p.plan.Conflicts, Conflict{EntraID: a.EntraID, DisplayName: a.DisplayName, AccountID: a.AccountID,
					Username: a.Username, Field: "email", Value: addr,
					Reason: "the account holding the address was to give it up in this run, but its reactivation was held back until the memberships it must lose are gone (see skipped)"})
				if a.Kind == KindCreate {
					p.teams = slices.DeleteFunc(p.teams, func(m Action) bool { return m.AccountID == "" && m.EntraID == a.EntraID })
					p.channels = slices.DeleteFunc(p.channels, func(m Action) bool { return m.AccountID == "" && m.EntraID == a.EntraID })
				}
				if rest, ok := withoutAddress(a); ok {
					kept = append(kept, rest)
				}
				return true
			})
		}
		p.creates, p.updates, p.reacts = drop(p.creates), drop(p.updates), drop(p.reacts)
		for _, a := range kept {
			if a.Kind == KindReactivate {
				p.reacts = append(p.reacts, a)
			} else {
				p.updates = append(p.updates, a)
			}
		}
		freed = next
		if len(freed) == 0 {
			freed = p.dropStrandedParking()
		}
	}
}

// withoutAddress returns a reactivation or update without its address
// change, and whether anything is left of it: a returner still comes back,
// a profile or a link is still written, on the address the account has.
// Dropping the whole action instead would keep a person deactivated for an
// address they cannot have, while the team and channel adds planned for
// them stayed (issue 16: Check found it). A create, a parking step or an
// address-only update leaves nothing.
func withoutAddress(a Action) (Action, bool) {
	if a.Kind == KindCreate {
		return a, false
	}
	a.Patch.Email, a.Temporary, a.Wave = nil, false, 0
	if a.Observed != nil {
		a.Email = a.Observed.Email
	}
	a.Changes = slices.DeleteFunc(slices.Clone(a.Changes), func(c Change) bool { return c.Field == "email" })
	if len(a.Changes) == 0 {
		a.Changes = nil
	}
	return a, a.Kind == KindReactivate || !a.Patch.Empty() || len(a.Changes) > 0
}

// dropStrandedParking removes the step that parks an account of an address
// cycle on its placeholder when the account's own move on was dropped: it
// would leave the account on a .invalid address. The address the parking
// would have freed is returned, for what needed it to be dropped in turn.
func (p *planner) dropStrandedParking() map[string]bool {
	movesOn := map[string]bool{}
	for _, list := range [][]Action{p.updates, p.reacts} {
		for _, a := range list {
			if !a.Temporary && a.Patch.Email != nil {
				movesOn[a.AccountID] = true
			}
		}
	}
	freed := map[string]bool{}
	p.updates = slices.DeleteFunc(p.updates, func(a Action) bool {
		if !a.Temporary || movesOn[a.AccountID] {
			return false
		}
		if a.Observed != nil {
			freed[a.Observed.Email] = true
		}
		return true
	})
	return freed
}

// removalLabel names a removal's room: "team eng" or "channel eng/secret".
func removalLabel(a *Action) string {
	if a.Kind == KindChannelRemove {
		return "channel " + a.Team + "/" + a.Channel
	}
	return "team " + a.Team
}

// returnerRemovals runs, before any reactivation, the team and channel
// removals of the accounts the plan reactivates (team removals first: they
// take the team's channels with them), and records which accounts still
// hold a membership they must lose: those are not reactivated in this run.
func (x *applier) returnerRemovals(ctx context.Context) {
	returning := map[string]bool{}
	for i := range x.plan.Actions {
		if a := &x.plan.Actions[i]; a.Kind == KindReactivate {
			returning[a.AccountID] = true
		}
	}
	if len(returning) == 0 {
		return
	}
	for _, kind := range []Kind{KindTeamRemove, KindChannelRemove} {
		for i := range x.plan.Actions {
			a := x.plan.Actions[i]
			if a.Kind != kind || !returning[a.AccountID] {
				continue
			}
			r := x.removeMember(ctx, a)
			x.finish(i, r)
			if r.Status != StatusDone && x.returnBlocked[a.AccountID] == "" {
				x.returnBlocked[a.AccountID] = removalLabel(&a) + " (" + firstLine(r.Error) + ")"
			}
		}
	}
}

// notReactivated is the result of a reactivation whose removals did not all
// go through: the account stays deactivated, and the next run tries again.
func notReactivated(r Result, what string) Result {
	r.Status = StatusFailed
	r.Retryable = true
	r.Error = "not reactivated in this run: removing it from " + what + " did not succeed first, and a returner is reactivated only once the memberships it must lose are gone; the next run tries again"
	return r
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
