package sync

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrPlanInvariant marks a plan that breaks one of the safety rules: a bug
// in the planner. Run fails before any write when Check returns it.
var ErrPlanInvariant = errors.New("plan breaks a safety rule")

// Check verifies the plan against the directory and the observed state it
// was built from, before anything is applied. The same function backs the
// property tests. It checks that:
//   - no two actions claim one address or one username, and no action
//     claims an address another account keeps, neither at the end of the
//     run nor at any moment in Apply's order (checkAddressOrder);
//   - an account is linked to a new owner only as the adoption rule
//     allows (never an unverified address under adopt-existing: verified);
//   - nothing protected (bots, remote users, the token owner, ignore-users,
//     admins without manage-admins) is touched;
//   - nothing is deactivated or released from an empty read, or for a user
//     whose accountEnabled is unknown, or whose user is enabled;
//   - channel removals concern mapped channels only, never town-square,
//     and never a user the plan also removes from the channel's team;
//   - no account is reactivated while a membership it must lose is
//     withheld by max-removals;
//   - an account another instance manages is touched only to deactivate
//     it when a disabled user read holds its address (the address rule);
//   - a broken mapping's teams and channels lose nobody; with the scope
//     unknown nobody is created, and only users read (or confirmed by a
//     direct read) as disabled or deleted are deactivated;
//   - with ConfirmDepartures, nobody missing from a listing is deactivated
//     or removed from a group-mapped team or channel without a direct read
//     confirming it;
//   - the rails hold: destructive changes within max-deactivations,
//     team and channel removals within max-removals, counted in
//     memberships (a team removal also takes the team's channels), creates and
//     reactivations within the server's user limit.
func (p *Plan) Check(dir Directory, obs Observed) error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrPlanInvariant}, args...)...))
	}
	r := p.rules
	if r == nil {
		r = newRules(Options{}.withDefaults(), obs.SelfID)
	}
	byID := make(map[string]*Account, len(obs.Accounts))
	holder := make(map[string]string, len(obs.Accounts)) // address → account id at the end of the run
	usernames := make(map[string]bool, len(obs.Accounts))
	for i := range obs.Accounts {
		a := &obs.Accounts[i]
		byID[a.ID] = a
		if a.Email != "" {
			holder[strings.ToLower(a.Email)] = a.ID
		}
		usernames[strings.ToLower(a.Username)] = true
	}
	users := make(map[string]*DirectoryUser, len(dir.Users))
	for i := range dir.Users {
		users[dir.Users[i].ID] = &dir.Users[i]
	}
	// disabled are the addresses of disabled and deleted users read: the
	// address rule is the one thing that reaches another instance's account.
	disabled := map[string]bool{}
	for _, list := range [][]DirectoryUser{dir.Users, dir.OutOfScope} {
		for i := range list {
			if e, _, ok := Email(list[i]); ok && list[i].AccountEnabled == BoolFalse {
				disabled[e] = true
			}
		}
	}
	for _, d := range dir.Deleted {
		if e, _, ok := Email(DirectoryUser{Mail: d.Mail, UserPrincipalName: d.UserPrincipalName}); ok {
			disabled[e] = true
		}
	}
	// Addresses: first take every address away from the accounts that move,
	// then give each claimed address out once.
	type move struct{ id, to string }
	var moves []move
	for _, a := range p.Actions {
		if a.AccountID != "" && a.Patch.Email != nil {
			acct := byID[a.AccountID]
			if acct == nil {
				bad("%s %s changes the address of an account that was not observed", a.Kind, a.AccountID)
				continue
			}
			delete(holder, strings.ToLower(acct.Email))
			moves = append(moves, move{a.AccountID, strings.ToLower(*a.Patch.Email)})
		}
		if a.Kind == KindCreate {
			moves = append(moves, move{"new:" + a.EntraID, a.Email})
			if u := strings.ToLower(a.Username); usernames[u] {
				bad("create %s: username %s is already taken or claimed twice", a.Email, a.Username)
			} else {
				usernames[u] = true
			}
		}
	}
	for _, m := range moves {
		if prev, taken := holder[m.to]; taken && prev != m.id {
			bad("address %s is claimed by %s while %s holds or claims it", m.to, m.id, prev)
		}
		holder[m.to] = m.id
	}
	p.checkAddressOrder(obs, bad)
	// An account parked on a placeholder always moves on in the same plan:
	// a cycle whose other moves were dropped must not strand it on .invalid.
	movesOn := map[string]bool{}
	for _, a := range p.Actions {
		if !a.Temporary && a.Patch.Email != nil {
			movesOn[a.AccountID] = true
		}
	}
	for _, a := range p.Actions {
		if a.Temporary && !movesOn[a.AccountID] {
			bad("park %s on a placeholder address with no move on planned", a.Username)
		}
	}
	destructive, removals := 0, 0
	chanRules := newChannelRemovalRules(p, r.opts.Channels)
	fz := newFrozen(r.opts.Broken)
	read := map[string]Bool{} // lower-case object id → accountEnabled as read, in scope or not
	for _, list := range [][]DirectoryUser{dir.OutOfScope, dir.Users} {
		for _, u := range list {
			read[strings.ToLower(u.ID)] = u.AccountEnabled
		}
	}
	deleted := map[string]bool{}
	for _, d := range dir.Deleted {
		deleted[strings.ToLower(d.ID)] = true
	}
	for _, a := range p.Actions {
		switch {
		case a.Kind == KindTeamRemove && fz.teams[a.Team] != "":
			bad("team-remove %s from %s, which %s names (broken: frozen)", a.Username, a.Team, fz.teams[a.Team])
		case a.Kind == KindChannelRemove && fz.channels[ChannelRef{a.Team, a.Channel}] != "":
			bad("channel-remove %s from %s/%s, which a broken mapping names (frozen)", a.Username, a.Team, a.Channel)
		case a.Kind == KindCreate && fz.scopeUnknown != "":
			bad("create %s although the scope is unknown", a.Email)
		case a.Kind == KindTeamRemove && r.opts.ConfirmDepartures && dir.Confirmed.stillMember(a.EntraID, groupIDsForTeam(r.opts.Teams, a.Team)) != "" && len(groupIDsForTeam(r.opts.Teams, a.Team)) > 0:
			bad("team-remove %s from %s without a direct read confirming they left its groups", a.Username, a.Team)
		case a.Kind == KindChannelRemove && r.opts.ConfirmDepartures && len(groupIDsForChannel(r.opts.Channels, ChannelRef{a.Team, a.Channel})) > 0 &&
			dir.Confirmed.stillMember(a.EntraID, groupIDsForChannel(r.opts.Channels, ChannelRef{a.Team, a.Channel})) != "":
			bad("channel-remove %s from %s/%s without a direct read confirming they left its groups", a.Username, a.Team, a.Channel)
		case a.Kind == KindDeactivate:
			key := strings.ToLower(a.EntraID)
			enabled, wasRead := read[key]
			readGone := deleted[key] || wasRead && enabled == BoolFalse
			left := dir.Confirmed.leftScope(a.EntraID)
			switch {
			case fz.scopeUnknown != "" && !readGone && left != LeftDeleted && left != LeftDisabled && (wasRead || r.opts.ConfirmDepartures):
				bad("deactivate %s (%s) as a leaver although the scope is unknown", a.Username, a.EntraID)
			case fz.scopeUnknown == "" && r.opts.ConfirmDepartures && !readGone && left == "":
				bad("deactivate %s (%s), missing from a listing, without a direct read confirming it", a.Username, a.EntraID)
			}
		}
	}
	for _, a := range p.Actions {
		if a.Kind.Destructive() {
			destructive++
		}
		if a.Kind == KindTeamRemove || a.Kind == KindChannelRemove {
			n, known := removalCost(&a, obs)
			if !known && !r.opts.MaxRemovals.All() {
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
		if why := r.protection(acct); why != "" {
			bad("%s %s touches a protected account (%s)", a.Kind, acct.Username, why)
		}
		if name, foreign := r.linker.Foreign(acct); foreign && (a.Kind != KindDeactivate || !disabled[strings.ToLower(acct.Email)]) {
			bad("%s %s touches an account another sync manages (%s)", a.Kind, acct.Username, InstanceLabel(name))
		}
		if a.Kind == KindDeactivate {
			u := users[a.EntraID]
			switch {
			case len(dir.Users) == 0 && !r.opts.MaxDeactivations.All() && (fz.scopeUnknown == "" || len(dir.OutOfScope) == 0):
				bad("deactivate %s from an empty directory read", acct.Username)
			case u != nil && u.AccountEnabled != BoolFalse:
				bad("deactivate %s although its Entra ID user %s has accountEnabled %s", acct.Username, u.ID, u.AccountEnabled)
			case !acct.Active():
				bad("deactivate %s, which is already deactivated", acct.Username)
			}
		}
		if (a.Kind == KindUpdate || a.Kind == KindReactivate) && a.Patch.Props[PropLink] != "" && !r.owns(acct, a.EntraID) {
			if ok, why, _ := r.adoption(a.EntraID, acct); !ok {
				bad("%s %s links it to %s, which the adoption rule refuses (%s)", a.Kind, acct.Username, a.EntraID, why)
			}
		}
		if a.Kind == KindRelease && acct.Active() && !p.deactivates(acct.ID) {
			bad("release the address of %s, which stays active", acct.Username)
		}
	}
	if p.ThresholdError == "" && p.StopError == "" {
		if limit := r.opts.MaxDeactivations.Limit(p.Managed); destructive > limit && !r.opts.MaxDeactivations.All() {
			bad("%d deactivations and releases exceed max-deactivations (%d)", destructive, limit)
		}
	}
	if p.RemovalError == "" && removals > 0 && !r.opts.MaxRemovals.All() && r.opts.MaxRemovals.Limit(removalBase(indexAccounts(obs.Accounts, r), r.opts, obs)) < removals {
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
	if c := r.opts.Capacity; c.HardLimit > 0 {
		room := c.HardLimit - c.Active + int64(p.Count(KindDeactivate))
		if need := int64(p.Count(KindCreate) + p.Count(KindReactivate)); need > max(room, 0) {
			bad("%d creates and reactivations exceed the server's user limit (room for %d)", need, room)
		}
	}
	errs = append(errs, p.checkOnboard(r, byID)...)
	return errors.Join(errs...)
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

func newChannelRemovalRules(p *Plan, pol *ChannelPolicy) channelRemovalRules {
	c := channelRemovalRules{remove: pol != nil && pol.Remove, mapped: map[ChannelRef]bool{}, leaving: map[[2]string]bool{}}
	for _, ref := range pol.Mapped() {
		c.mapped[ref] = true
	}
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

// checkAddressOrder replays the plan's address changes in the order Apply
// runs them: deactivations, releases, then wave by wave the reactivations
// and, concurrently, the creates and updates. Within one step the writes run
// in parallel in any order, so an address a write takes must be free before
// the step starts: an address freed in the same step does not count. Any
// moment at which two accounts would hold one address is a broken plan (the
// server would refuse the second write, or worse, a swap could never be
// finished).
func (p *Plan) checkAddressOrder(obs Observed, bad func(string, ...any)) {
	holder := make(map[string]string, len(obs.Accounts)) // address → account id
	addrOf := make(map[string]string, len(obs.Accounts)) // account id → address
	for i := range obs.Accounts {
		a := &obs.Accounts[i]
		if e := strings.ToLower(a.Email); e != "" {
			holder[e], addrOf[a.ID] = a.ID, e
		}
	}
	type step struct {
		stage int // 0 deactivate, 1 release, 2 reactivate, 3 create and update
		wave  int
	}
	stepOf := func(a *Action) (step, bool) {
		switch a.Kind {
		case KindDeactivate:
			return step{0, 0}, true
		case KindRelease:
			return step{1, 0}, true
		case KindReactivate:
			return step{2, a.Wave}, true
		case KindCreate, KindUpdate:
			return step{3, a.Wave}, true
		}
		return step{}, false
	}
	steps := map[step][]*Action{}
	var order []step
	for i := range p.Actions {
		a := &p.Actions[i]
		if st, ok := stepOf(a); ok {
			if _, seen := steps[st]; !seen {
				order = append(order, st)
			}
			steps[st] = append(steps[st], a)
		}
	}
	slices.SortFunc(order, func(x, y step) int {
		if x.stage < 2 || y.stage < 2 {
			return cmp.Compare(x.stage, y.stage)
		}
		return cmp.Or(cmp.Compare(x.wave, y.wave), cmp.Compare(x.stage, y.stage))
	})
	for _, st := range order {
		taking := map[string]string{} // address → account taking it in this step
		moved := map[string]bool{}
		for _, a := range steps[st] {
			id, to := a.AccountID, ""
			switch {
			case a.Kind == KindCreate:
				id, to = "new:"+a.EntraID, strings.ToLower(a.Email)
			case a.Patch.Email != nil:
				to = strings.ToLower(*a.Patch.Email)
			}
			if to == "" || addrOf[id] == to {
				continue
			}
			if moved[id] {
				bad("%s %s changes its address twice in one step (wave %d)", a.Kind, a.Username, a.Wave)
			}
			moved[id] = true
			if h, held := holder[to]; held && h != id {
				bad("%s %s takes %s in wave %d while %s still holds it", a.Kind, a.Username, to, a.Wave, h)
			}
			if other, dup := taking[to]; dup && other != id {
				bad("%s %s and %s take %s at once (wave %d)", a.Kind, a.Username, other, to, a.Wave)
			}
			taking[to] = id
		}
		for _, id := range taking {
			if old := addrOf[id]; old != "" && holder[old] == id {
				delete(holder, old)
			}
		}
		for to, id := range taking {
			holder[to], addrOf[id] = id, to
		}
	}
}
