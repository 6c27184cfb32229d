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
// was built from, before anything is applied. The same function backs the
// property tests. It checks that:
//   - no two actions claim one address or one username, and no action
//     claims an address another account keeps;
//   - nothing protected (bots, remote users, the token owner, ignore-users,
//     admins without manage-admins) is touched;
//   - nothing is deactivated or released from an empty read, or for a user
//     whose accountEnabled is unknown, or whose user is enabled;
//   - channel removals concern mapped channels only, never town-square,
//     and never a user the plan also removes from the channel's team;
//   - the rails hold: destructive changes within max-deactivations,
//     team and channel removals within max-removals, creates and
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
	destructive, removals := 0, 0
	chanRules := newChannelRemovalRules(p, r.opts.Channels)
	for _, a := range p.Actions {
		if a.Kind.Destructive() {
			destructive++
		}
		if a.Kind == KindTeamRemove || a.Kind == KindChannelRemove {
			removals++
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
		if a.Kind == KindDeactivate {
			u := users[a.EntraID]
			switch {
			case len(dir.Users) == 0 && !r.opts.MaxDeactivations.All():
				bad("deactivate %s from an empty directory read", acct.Username)
			case u != nil && u.AccountEnabled != BoolFalse:
				bad("deactivate %s although its Entra ID user %s has accountEnabled %s", acct.Username, u.ID, u.AccountEnabled)
			case !acct.Active():
				bad("deactivate %s, which is already deactivated", acct.Username)
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
	if p.RemovalError == "" && removals > 0 && r.opts.MaxRemovals.Limit(removalBase(indexAccounts(obs.Accounts, r), r.opts, obs)) < removals {
		bad("%d removals exceed max-removals", removals)
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
