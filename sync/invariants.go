package sync

import (
	"errors"
	"fmt"
	"strings"
)

// ErrPlanInvariant marks a plan that breaks one of the safety rules: a bug
// in the planner. Run fails before any write when Check returns it.
var ErrPlanInvariant = errors.New("plan breaks a safety rule")

// Check verifies the plan against the directory and the observed state it
// was built from, and the options it was built with, before anything is
// applied. Its rules are its own (checkRules), written from the README's
// promises: it shares none of the planner's, so it catches the planner's
// mistakes instead of repeating them. The property tests call it on every
// drawn plan. It checks that:
//   - no two actions claim one address or one username, and no action
//     claims an address another account keeps, neither at the end of the
//     run nor at any moment in Apply's order (checkAddressOrder); an
//     account parked on a placeholder always moves on;
//   - an account is linked to a new owner only as the adoption rule
//     allows (never an unverified address under adopt-existing: verified);
//   - nothing protected (bots, remote users, the token owner, ignore-users,
//     admins without manage-admins) is touched;
//   - nothing is deactivated or released from an empty read, or for a user
//     whose accountEnabled is unknown, or whose user is enabled; every
//     deactivation has its reason in the data (the owner left, or the
//     account holds a disabled or deleted user's address); a release only
//     with release-addresses, of an account that ends deactivated;
//   - nobody but an enabled user in scope is created or reactivated, a
//     reactivation only of the user's own account and as reactivate
//     allows; a user whose accountEnabled is unknown gets no update;
//   - channel removals concern mapped channels only, never town-square,
//     and never a user the plan also removes from the channel's team;
//     memberships as checkMemberships says;
//   - no account is reactivated while a membership it must lose stays:
//     withheld by max-removals, frozen by a broken line, or waiting for a
//     direct read (checkReturners);
//   - a props write names only the sync's own keys, a profile is written
//     only onto the user's own account, and accounts linked twice to one
//     enabled user are left alone, and an address change that waits for
//     the user's verification is not asked for again (checkOwners);
//   - an account another instance manages is touched only to deactivate
//     it when a disabled or deleted user's address is its address (the
//     address rule; whether a deleted user's reaches it is the planner's
//     choice, the looser rule is the safety bound);
//   - a broken mapping's teams and channels lose nobody; with the scope
//     unknown nobody is created, and only users read (or confirmed by a
//     direct read) as disabled or deleted are deactivated;
//   - with ConfirmDepartures, nobody missing from a listing is deactivated
//     or removed from a group-mapped team or channel without a direct read
//     confirming it;
//   - the rails hold: destructive changes within max-deactivations (none
//     at all once the threshold stopped them), team and channel removals
//     within max-removals (none once it stopped them), counted in
//     memberships (a team removal also takes the team's channels), creates
//     and reactivations within the server's user limit;
//   - an address written is the user's own, a placeholder only for a
//     release or a cycle's parking step, and no field is emptied
//     (checkWrites); whatever a rail holds back carries its error
//     (checkReported);
//   - onboarding as checkOnboard says.
func (p *Plan) Check(dir Directory, obs Observed, opts Options) error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrPlanInvariant}, args...)...))
	}
	c := newCheckRules(dir, obs, opts)
	byID := c.byID
	p.checkAddresses(obs, byID, bad)
	p.checkAddressOrder(obs, bad)
	destructive, removals := 0, 0
	chanRules := newChannelRemovalRules(p, c.mappedChannels(), opts.Channels != nil && opts.Channels.Remove)
	for _, a := range p.Actions {
		switch {
		case a.Kind == KindTeamRemove && c.frozenTeams[a.Team]:
			bad("team-remove %s from %s, which a broken mapping names (frozen)", a.Username, a.Team)
		case a.Kind == KindChannelRemove && c.frozenChannels[ChannelRef{a.Team, a.Channel}]:
			bad("channel-remove %s from %s/%s, which a broken mapping names (frozen)", a.Username, a.Team, a.Channel)
		case a.Kind == KindCreate && c.scopeUnknown:
			bad("create %s although the scope is unknown", a.Email)
		case a.Kind == KindTeamRemove && opts.ConfirmDepartures && len(c.groupsOfTeam(a.Team)) > 0 && !confirmedLeft(dir.Confirmed, a.EntraID, c.groupsOfTeam(a.Team)):
			bad("team-remove %s from %s without a direct read confirming they left its groups", a.Username, a.Team)
		case a.Kind == KindChannelRemove && opts.ConfirmDepartures && len(c.groupsOfChannel(ChannelRef{a.Team, a.Channel})) > 0 &&
			!confirmedLeft(dir.Confirmed, a.EntraID, c.groupsOfChannel(ChannelRef{a.Team, a.Channel})):
			bad("channel-remove %s from %s/%s without a direct read confirming they left its groups", a.Username, a.Team, a.Channel)
		case a.Kind == KindDeactivate:
			key := strings.ToLower(a.EntraID)
			enabled, wasRead := c.enabled[key]
			readGone := c.deleted[key] || wasRead && enabled == BoolFalse
			left := confirmedGone(dir.Confirmed, a.EntraID)
			switch {
			case c.scopeUnknown && !readGone && left != LeftDeleted && left != LeftDisabled && (wasRead || opts.ConfirmDepartures):
				bad("deactivate %s (%s) as a leaver although the scope is unknown", a.Username, a.EntraID)
			case !c.scopeUnknown && opts.ConfirmDepartures && !readGone && left == "":
				bad("deactivate %s (%s), missing from a listing, without a direct read confirming it", a.Username, a.EntraID)
			}
		case a.Kind == KindCreate || a.Kind == KindReactivate:
			if u := c.users[a.EntraID]; u == nil || u.AccountEnabled != BoolTrue {
				bad("%s %s for %s, who is not an enabled user in scope", a.Kind, a.Email, a.EntraID)
			}
		case a.Kind == KindUpdate && c.enabled[strings.ToLower(a.EntraID)] == BoolUnknown && c.users[a.EntraID] != nil && changesProfile(a.Patch):
			bad("update %s although the accountEnabled of %s is unknown", a.Username, a.EntraID)
		}
	}
	for _, a := range p.Actions {
		if a.Kind.Destructive() {
			destructive++
		}
		if a.Kind == KindTeamRemove || a.Kind == KindChannelRemove {
			n, known := 1, true
			if a.Kind == KindTeamRemove {
				var chans []string
				chans, known = obs.TeamChannels[TeamAccount{a.TeamID, a.AccountID}]
				n += len(chans)
			}
			if !known && !opts.MaxRemovals.All() {
				bad("team-remove %s from %s: the channel memberships it takes with it were not read, so max-removals cannot count it", a.Username, a.Team)
			}
			removals += n
		}
		if a.Kind == KindChannelRemove {
			if why := chanRules.why(a); why != "" {
				bad("channel-remove %s from %s/%s: %s", a.Username, a.Team, a.Channel, why)
			}
		}
		if a.AccountID == "" {
			continue
		}
		acct := byID[a.AccountID]
		if acct == nil {
			if a.Kind != KindTeamAdd && a.Kind != KindChannelAdd {
				bad("%s targets account %s, which was not observed", a.Kind, a.AccountID)
			}
			continue
		}
		if why := c.protected(acct); why != "" {
			bad("%s %s touches a protected account (%s)", a.Kind, acct.Username, why)
		}
		if name, foreign := opts.Linker.Foreign(acct); foreign && (a.Kind != KindDeactivate || !c.leaverAddress(acct.Email)) {
			bad("%s %s touches an account another sync manages (%s)", a.Kind, acct.Username, InstanceLabel(name))
		}
		p.checkAccount(c, dir, &a, acct, bad)
	}
	if p.ThresholdError != "" && destructive > 0 {
		bad("%d deactivations and releases although max-deactivations stopped them", destructive)
	}
	// max-deactivations' base is Check's own count, not the plan's Managed:
	// a plan that overstated it would let more through.
	base := c.managedBase(p)
	if p.ThresholdError == "" && p.StopError == "" {
		if limit := opts.MaxDeactivations.Limit(base); destructive > limit && !opts.MaxDeactivations.All() {
			bad("%d deactivations and releases exceed max-deactivations (%d of %d)", destructive, limit, base)
		}
	}
	if p.RemovalError != "" && removals > 0 {
		bad("%d removals although max-removals stopped them", removals)
	}
	if p.RemovalError == "" && removals > 0 && !opts.MaxRemovals.All() && opts.MaxRemovals.Limit(c.removalBase(obs)) < removals {
		bad("%d removals exceed max-removals", removals)
	}
	if len(p.WithheldRemovals) > 0 {
		held := map[string]bool{}
		for _, a := range p.WithheldRemovals {
			held[a.AccountID] = true
		}
		for _, a := range p.Actions {
			if a.Kind == KindReactivate && held[a.AccountID] {
				bad("reactivate %s although max-removals withheld a membership it must lose", a.Username)
			}
		}
	}
	if cp := opts.Capacity; cp.HardLimit > 0 {
		room := cp.HardLimit - cp.Active + int64(p.Count(KindDeactivate))
		if need := int64(p.Count(KindCreate) + p.Count(KindReactivate)); need > max(room, 0) {
			bad("%d creates and reactivations exceed the server's user limit (room for %d)", need, room)
		}
	}
	p.checkMemberships(c, bad)
	p.checkReturners(c, obs, dir.Confirmed, bad)
	p.checkOwners(c, bad)
	p.checkWrites(c, bad)
	p.checkReported(bad)
	errs = append(errs, p.checkOnboard(opts, byID)...)
	return errors.Join(errs...)
}

// checkAccount checks one action on an observed account: a deactivation
// has its reason in the data, a link goes to a new owner only as adoption
// allows, a release only of an account that ends deactivated, a
// reactivation only of the user's own account as reactivate allows.
func (p *Plan) checkAccount(c *checkRules, dir Directory, a *Action, acct *Account, bad func(string, ...any)) {
	opts := c.opts
	switch a.Kind {
	case KindDeactivate:
		u := c.users[a.EntraID]
		switch {
		case len(dir.Users) == 0 && !opts.MaxDeactivations.All() && (!c.scopeUnknown || len(dir.OutOfScope) == 0):
			bad("deactivate %s from an empty directory read", acct.Username)
		case u != nil && u.AccountEnabled != BoolFalse:
			bad("deactivate %s although its Entra ID user %s has accountEnabled %s", acct.Username, u.ID, u.AccountEnabled)
		case !acct.Active():
			bad("deactivate %s, which is already deactivated", acct.Username)
		case !opts.Deactivate:
			bad("deactivate %s although deactivate is off", acct.Username)
		case !c.leaving(acct, a.EntraID):
			bad("deactivate %s for %s: the account is neither theirs nor holds the address of a disabled or deleted user", acct.Username, a.EntraID)
		}
	case KindUpdate, KindReactivate:
		if a.Patch.Props[PropLink] != "" && c.owner(acct) != a.EntraID {
			if why := c.adoptable(a.EntraID, acct); why != "" {
				bad("%s %s links it to %s, which the adoption rule refuses (%s)", a.Kind, acct.Username, a.EntraID, why)
			}
		}
	case KindRelease:
		switch {
		case !opts.ReleaseAddresses:
			bad("release the address of %s although release-addresses is off", acct.Username)
		case acct.Active() && !p.deactivates(acct.ID):
			bad("release the address of %s, which stays active", acct.Username)
		}
	}
	if a.Kind != KindReactivate {
		return
	}
	switch {
	case c.owner(acct) != a.EntraID:
		bad("reactivate %s for %s, whom it does not belong to", acct.Username, a.EntraID)
	case opts.Reactivate == ReactivateNever:
		bad("reactivate %s although reactivate is never", acct.Username)
	case opts.Reactivate != ReactivateAny && !opts.Linker.DeactivatedBySync(acct, a.EntraID):
		bad("reactivate %s, which this sync did not deactivate (reactivate: deactivated-by-sync)", acct.Username)
	}
}

// changesProfile reports whether a patch changes anything but the sync's
// own marks.
func changesProfile(p Patch) bool {
	return p.Email != nil || p.Nickname != nil || p.FirstName != nil || p.LastName != nil || p.Position != nil
}

func (p *Plan) deactivates(accountID string) bool {
	for i := range p.Actions {
		if p.Actions[i].Kind == KindDeactivate && p.Actions[i].AccountID == accountID {
			return true
		}
	}
	return false
}

// channelRemovalRules are what Check needs to judge channel removals.
type channelRemovalRules struct {
	remove  bool
	mapped  map[ChannelRef]bool
	leaving map[[2]string]bool // (team name, account id) of the plan's team removals
}

func newChannelRemovalRules(p *Plan, mapped map[ChannelRef]bool, remove bool) channelRemovalRules {
	c := channelRemovalRules{remove: remove, mapped: mapped, leaving: map[[2]string]bool{}}
	for i := range p.Actions {
		if a := &p.Actions[i]; a.Kind == KindTeamRemove {
			c.leaving[[2]string{a.Team, a.AccountID}] = true
		}
	}
	return c
}

// why says why a channel removal breaks the rules, or "".
func (c channelRemovalRules) why(a Action) string {
	switch {
	case !c.remove:
		return "remove-from-channels is off"
	case !c.mapped[ChannelRef{Team: a.Team, Channel: a.Channel}]:
		return "no mapping names the channel"
	case a.Channel == TownSquare:
		return "nobody leaves town-square"
	case c.leaving[[2]string{a.Team, a.AccountID}]:
		return "the plan also removes the user from the team, which takes them out of its channels"
	}
	return ""
}
