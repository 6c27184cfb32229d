package sync

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
)

// An approved plan (issue 17, "Approve, then apply"): a run that applies a
// saved plan reads both sides and plans again as any run does, then applies
// only the actions that are in both the saved plan and the new one. This
// file decides which those are; the saved-plan file itself (format,
// signature, age) is package planfile's.

// Why an action is left out of a run that applies an approved plan.
const (
	// LeftChanged: the approved action is no longer planned, or its
	// preconditions (the observed account, address, delete_at, owner) or
	// changes differ now, or an action it depends on was left out.
	LeftChanged = "changed since the plan"
	// LeftNotApproved: this run plans the action, but the approved plan
	// does not hold it.
	LeftNotApproved = "not in the approved plan"
)

// Approval says what holding a new plan to an approved one left out.
type Approval struct {
	// Approved is how many actions the approved plan holds.
	Approved int
	// Changed are the approved actions not applied (LeftChanged), as the
	// approved plan holds them.
	Changed []Action
	// NotApproved are the actions only the new plan has, with those that
	// depend on one of them (LeftNotApproved), as the new plan holds them.
	NotApproved []Action
}

// Unrailed returns opts with max-deactivations and max-removals set so high
// that no plan exceeds them, while not at 100%: the empty-read guards, which
// lift only at 100% (stopRead), still stand. A run that applies an approved
// plan checks the rails against the approved plan's counts (RailCount)
// instead, and a run that saves a plan records every action a rail would
// stop, for a person to approve with the count stated.
//
// 100% stays 100%: it is the administrator's statement that an empty read
// is meant.
func Unrailed(opts Options) Options {
	if !opts.MaxDeactivations.All() {
		opts.MaxDeactivations = Threshold{Count: math.MaxInt32}
	}
	if !opts.MaxRemovals.All() {
		opts.MaxRemovals = Threshold{Count: math.MaxInt32}
	}
	return opts
}

// Rail names, as a saved plan and the error messages name them.
const (
	RailDeactivations = "max-deactivations"
	RailRemovals      = "max-removals"
)

// RailCount is one rail's count in a plan made without the rails
// (Unrailed): how many changes it counts and out of what base a share is
// taken, and whether the threshold of the run that made the plan allowed
// them.
type RailCount struct {
	Rail string `json:"rail"`
	// Planned counts deactivations and address releases (max-deactivations),
	// or memberships removed as Mattermost removes them (max-removals: a team
	// removal with the user's channel memberships in that team).
	Planned int `json:"planned"`
	// Base is what a share of the threshold is taken of: the active managed
	// accounts, or the managed users' memberships in the mapped teams and
	// channels.
	Base int `json:"base"`
	// Threshold is the run's threshold as given (a count or a share), and
	// Exceeded whether Planned was above it.
	Threshold string `json:"threshold"`
	Exceeded  bool   `json:"exceeded"`
}

// AllowedBy reports whether threshold t allows the counted changes.
func (r RailCount) AllowedBy(t Threshold) bool {
	return t.All() || r.Planned <= t.Limit(r.Base)
}

// CountRails counts a plan made with Unrailed(opts) against the rails of
// opts (the thresholds the run was given). observed must be what the plan
// was made from (its TeamChannels price the team removals).
func CountRails(p *Plan, observed Observed, opts Options) []RailCount {
	opts = opts.withDefaults()
	deacts, removals := 0, 0
	for i := range p.Actions {
		a := &p.Actions[i]
		switch {
		case a.Kind.Destructive():
			deacts++
		case a.Kind == KindTeamRemove || a.Kind == KindChannelRemove:
			n, _ := removalCost(a, observed)
			removals += n
		}
	}
	acc := indexAccounts(observed.Accounts, newRules(opts, observed.SelfID))
	out := []RailCount{
		{Rail: RailDeactivations, Planned: deacts, Base: p.Managed, Threshold: opts.MaxDeactivations.String()},
		{Rail: RailRemovals, Planned: removals, Base: removalBase(acc, opts, observed), Threshold: opts.MaxRemovals.String()},
	}
	for i, t := range []Threshold{opts.MaxDeactivations, opts.MaxRemovals} {
		out[i].Exceeded = !out[i].AllowedBy(t)
	}
	return out
}

// ApproveOnly returns the part of fresh, a plan made by this run, that the
// approved plan holds, and what it left out. Two actions are the same when
// everything the plan says about them is the same (approvalKey): kind,
// subject (object id, account id, team, channel), changes with their old
// values, and preconditions (Plan.Actions[i].Observed). An action that
// depends on one left out is left out with it (dropDependents): a create's
// or reactivation's memberships and onboarding, a channel-add whose
// team-add is left out, a reactivation whose membership removals are, an
// address move into an address whose holder's move away is left out, and
// the parking of an account on a temporary address without the move that
// takes it on. The result is fresh with fewer actions: it keeps fresh's
// skips, conflicts and errors. It is pure, and does not modify fresh.
//
// capacity is the server's user limit the fresh plan was made under: the
// creates and reactivations kept must fit in the seats the kept
// deactivations free, so when deactivations are left out, the last creates
// and reactivations are left out with them.
func ApproveOnly(approved []Action, fresh *Plan, capacity Capacity) (*Plan, Approval) {
	want := make(map[string]int, len(approved))
	for i := range approved {
		want[approvalKey(&approved[i])]++
	}
	keep := make([]bool, len(fresh.Actions))
	for i := range fresh.Actions {
		k := approvalKey(&fresh.Actions[i])
		if want[k] > 0 {
			want[k]--
			keep[i] = true
		}
	}
	dropDependents(fresh.Actions, keep)
	for overCapacity(fresh.Actions, keep, capacity) {
		for i := len(fresh.Actions) - 1; i >= 0; i-- {
			if k := fresh.Actions[i].Kind; keep[i] && (k == KindCreate || k == KindReactivate) {
				keep[i] = false
				break
			}
		}
		dropDependents(fresh.Actions, keep)
	}

	out := *fresh
	out.Actions = make([]Action, 0, len(fresh.Actions))
	applied := make(map[string]int, len(fresh.Actions))
	ap := Approval{Approved: len(approved)}
	for i := range fresh.Actions {
		if keep[i] {
			out.Actions = append(out.Actions, fresh.Actions[i])
			applied[approvalKey(&fresh.Actions[i])]++
		}
	}
	// Whatever of the new plan is not applied is either an approved action
	// (kept out as a dependent: changed) or one the approval lacks.
	approvedLeft := make(map[string]int, len(approved))
	for i := range approved {
		k := approvalKey(&approved[i])
		if applied[k] > 0 {
			applied[k]--
			continue
		}
		ap.Changed = append(ap.Changed, approved[i])
		approvedLeft[k]++
	}
	for i := range fresh.Actions {
		if keep[i] {
			continue
		}
		if k := approvalKey(&fresh.Actions[i]); approvedLeft[k] > 0 {
			approvedLeft[k]--
			continue // listed under Changed
		}
		ap.NotApproved = append(ap.NotApproved, fresh.Actions[i])
	}
	return &out, ap
}

// overCapacity reports whether the kept creates and reactivations need more
// seats than the server has free with the kept deactivations (as
// Plan.Check counts them).
func overCapacity(actions []Action, keep []bool, c Capacity) bool {
	if c.HardLimit <= 0 {
		return false
	}
	need, room := int64(0), c.HardLimit-c.Active
	for i := range actions {
		if !keep[i] {
			continue
		}
		switch actions[i].Kind {
		case KindCreate, KindReactivate:
			need++
		case KindDeactivate:
			room++
		}
	}
	return need > 0 && need > max(room, 0)
}

// approvalKey is everything a plan says an action does and was planned
// from: its JSON (so that fields the plan exports later count too), its
// profile and patch (Saved), without what only describes it: the display
// name, the reason's words, the wave, which follows from the other moves,
// and the username of an account that exists. The sync never writes that
// username, and its owner can change it at any time: a leaver still signed
// in must not hold back their approved deactivation by renaming themselves.
// A create's username is what it writes, and stays.
//
// Taking something away (a deactivation, a team or channel removal) is keyed
// on what it is and whom it is for: the account, the directory user it
// follows from, the team or channel, and that the account is still in the
// state the plan read (delete_at). The fresh plan must reach the same
// decision on its own, so the approval can only narrow the run. The
// account's address and link are left out of these keys: its owner can
// change both at will, and a leaver still signed in must not hold back their
// approved offboarding, night after night, by editing their own profile.
func approvalKey(a *Action) string {
	switch a.Kind {
	case KindDeactivate, KindTeamRemove, KindChannelRemove:
		var deleteAt int64
		if a.Observed != nil {
			deleteAt = a.Observed.DeleteAt
		}
		return fmt.Sprintf("%s\x00%s\x00%s\x00%s\x00%s\x00%d", a.Kind, a.AccountID, a.EntraID, a.TeamID, a.ChannelID, deleteAt)
	}
	c := Saved(*a)
	c.DisplayName, c.Reason, c.Wave = "", "", 0
	if c.Kind != KindCreate {
		c.Username = ""
	}
	b, err := json.Marshal(struct {
		A *Action
		P Profile
		Q Patch
	}{&c, c.Profile, c.Patch})
	if err != nil {
		// An Action always marshals; were it not to, no key matches and
		// nothing is applied.
		return "\x00unmarshalable"
	}
	return string(b)
}

// Saved returns an action as a saved plan keeps it and ApproveOnly compares
// it: its patch's props only with the sync's own keys (IsSyncProp). The rest
// of the props map is what the user set (a theme, notification settings):
// it is no decision of the plan's, Apply re-reads it before a patch, and a
// person must not be able to hold back their approved deactivation by
// changing their own settings.
func Saved(a Action) Action {
	a.Patch.Props = syncProps(a.Patch.Props)
	return a
}

// dropDependents clears keep for every action that depends on one not
// kept, until nothing changes.
func dropDependents(actions []Action, keep []bool) {
	for changed := true; changed; {
		changed = false
		drop := func(i int) {
			if keep[i] {
				keep[i], changed = false, true
			}
		}
		// A person whose account is not created, reactivated or deactivated
		// as planned gets none of their other changes: memberships and an
		// onboarding need the create, an update the reactivation, a release
		// of the address the deactivation.
		// An onboarding also needs the update that adopts the account
		// (onboard: new-and-adopted sets a new password on it).
		held, heldAccount := map[string]bool{}, map[string]bool{}
		for i := range actions {
			if keep[i] {
				continue
			}
			for _, k := range personKeys(&actions[i]) {
				if lifecycle(actions[i].Kind) || links(&actions[i]) {
					held[k] = true
				}
				if !actions[i].Kind.Membership() && actions[i].Kind != KindOnboard {
					heldAccount[k] = true
				}
			}
		}
		for i := range actions {
			if actions[i].Kind == KindDeactivate {
				continue // depends on nothing else of the person's
			}
			for _, k := range personKeys(&actions[i]) {
				if keep[i] && (held[k] || actions[i].Kind == KindOnboard && heldAccount[k]) {
					drop(i)
				}
			}
		}
		// Joining a channel needs its team: a channel-add goes with the
		// same person's team-add of that team. A returner is reactivated
		// only after losing the rooms they must lose (Apply orders it so):
		// a reactivation goes with every removal of that account.
		teamAdds := map[string]bool{} // person key + team → a team-add left out
		removals := map[string]bool{} // account id → a removal left out
		for i := range actions {
			if keep[i] {
				continue
			}
			switch a := &actions[i]; a.Kind {
			case KindTeamAdd:
				for _, k := range personKeys(a) {
					teamAdds[k+"\x00"+a.Team] = true
				}
			case KindTeamRemove, KindChannelRemove:
				removals[a.AccountID] = true
			}
		}
		for i := range actions {
			if !keep[i] {
				continue
			}
			switch a := &actions[i]; a.Kind {
			case KindChannelAdd:
				for _, k := range personKeys(a) {
					if teamAdds[k+"\x00"+a.Team] {
						drop(i)
					}
				}
			case KindReactivate:
				if removals[a.AccountID] {
					drop(i)
				}
			}
		}
		// An address move into an address another account moves away from
		// in this plan needs that move; a parking on a temporary address
		// needs the move that takes the account on (a cycle: if any link is
		// missing, the whole cycle goes).
		vacated := map[string]int{} // address → the action moving its holder away
		for i := range actions {
			if from, _, ok := addressMove(&actions[i]); ok && from != "" {
				// A parked account leaves its address with the parking;
				// its later move starts from the placeholder.
				if j, seen := vacated[from]; !seen || !actions[j].Temporary {
					vacated[from] = i
				}
			}
		}
		movesOn := map[string]bool{} // account id → a kept, final address move
		for i := range actions {
			if _, _, ok := addressMove(&actions[i]); ok && keep[i] && !actions[i].Temporary && actions[i].AccountID != "" {
				movesOn[actions[i].AccountID] = true
			}
		}
		for i := range actions {
			if !keep[i] {
				continue
			}
			_, to, ok := addressMove(&actions[i])
			if !ok {
				continue
			}
			if j, taken := vacated[to]; taken && j != i && !keep[j] {
				drop(i)
			}
			if actions[i].Temporary && !movesOn[actions[i].AccountID] {
				drop(i)
			}
		}
	}
}

// lifecycle reports whether an action of this kind changes whether an
// account exists or is active: the actions the person's others depend on.
func lifecycle(k Kind) bool {
	return k == KindCreate || k == KindReactivate || k == KindDeactivate
}

// links reports whether an update writes the account's link to its user
// (an adoption; not a re-sign): an account left unlinked is nobody's, and
// gets none of the person's memberships (Plan.Check refuses them).
func links(a *Action) bool {
	if a.Kind != KindUpdate {
		return false
	}
	for _, c := range a.Changes {
		if c.Field == "link" && c != resignChange {
			return true
		}
	}
	return false
}

// personKeys names the person an action is about: the object id and the
// account id, whichever it has.
func personKeys(a *Action) []string {
	var ks []string
	if a.EntraID != "" {
		ks = append(ks, "e:"+strings.ToLower(a.EntraID))
	}
	if a.AccountID != "" {
		ks = append(ks, "a:"+a.AccountID)
	}
	return ks
}

// addressMove returns the address an action takes an account from and the
// one it gives it (lower case): a create's new address ("" from), or an
// email change.
func addressMove(a *Action) (from, to string, ok bool) {
	if a.Kind == KindCreate {
		return "", strings.ToLower(a.Email), true
	}
	for _, c := range a.Changes {
		if c.Field == "email" {
			return strings.ToLower(c.Old), strings.ToLower(c.New), true
		}
	}
	return "", "", false
}
