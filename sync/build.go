package sync

import (
	"cmp"
	"slices"
	"strings"
)

// BuildPlan compares the directory with Mattermost and returns the changes.
// It is pure: the same inputs give the same plan, in the same order, whatever
// order Graph returned users in, so a dry-run shows exactly what a real run
// will do. The stages run over values: desired accounts, matching, address
// allocation, lifecycle, then the rails.
func BuildPlan(dir Directory, observed Observed, opts Options) *Plan {
	opts = opts.withDefaults()
	opts.Broken = emptyGroups(dir, opts)
	r := newRules(opts, observed.SelfID).withDirectory(dir)
	if msg := stopRead(dir, opts); msg != "" {
		return &Plan{StopError: msg}
	}
	p := newPlanner(dir, observed, r, false)
	p.run()
	if msg := p.overThreshold(); msg != "" {
		withheld := p.destructive()
		p = newPlanner(dir, observed, r, true)
		p.run()
		p.plan.Withheld, p.plan.ThresholdError = withheld, msg
	}
	p.planTeams(observed.Teams)
	p.planChannels(observed.Channels)
	p.applyRemovalCap(observed)
	p.holdReactivations()
	p.onboardCreates()
	p.plan.Broken, p.plan.ResolvedGroups, p.plan.ScopeUnknown = opts.Broken, opts.ResolvedGroups, p.frozen.scopeUnknown
	p.plan.Unconfirmed = p.unconfirmed(dir, observed)
	return p.assemble()
}

// assemble orders the actions as Apply runs them, each kind sorted so that
// the plan reads the same whatever order the inputs came in.
func (p *planner) assemble() *Plan {
	plan := p.plan
	for _, list := range [][]Action{p.deacts, p.releases, p.reacts, p.creates, p.updates, plan.Withheld, p.onboards} {
		slices.SortFunc(list, func(a, b Action) int { return compareAction(&a, &b) })
	}
	plan.Actions = make([]Action, 0, len(p.deacts)+len(p.releases)+len(p.reacts)+len(p.creates)+len(p.updates)+len(p.teams)+len(p.channels)+len(p.onboards))
	for _, list := range [][]Action{p.deacts, p.releases, p.reacts, p.creates, p.updates, p.teams, p.channels, p.onboards} {
		plan.Actions = append(plan.Actions, list...)
	}
	slices.SortFunc(plan.Skipped, func(a, b Skip) int {
		return compareStrings(a.EntraID, b.EntraID, a.AccountID, b.AccountID, a.Reason, b.Reason)
	})
	slices.SortFunc(plan.Conflicts, func(a, b Conflict) int {
		return compareStrings(a.EntraID, b.EntraID, a.Field, b.Field)
	})
	if len(p.creates) > 0 {
		plan.TakenUsernames = p.usernames.Names()
	}
	for _, list := range [][]Action{plan.Actions, plan.Withheld, plan.WithheldRemovals, plan.Blocked} {
		p.observedAll(list)
		ownPropsOnly(list)
	}
	plan.canonical()
	return plan
}

// observedAll records on every action on an existing account that does not
// carry it yet (memberships, onboarding) the account as the plan read it:
// every action says what it was planned from. A membership action's own
// precondition is its kind (an add: the account was not a member; a
// remove: it was).
func (p *planner) observedAll(list []Action) {
	for i := range list {
		a := &list[i]
		if a.AccountID == "" || a.Observed != nil {
			continue
		}
		if p.accountIndex == nil {
			p.accountIndex = make(map[string]int, len(p.acc.all))
			for j := range p.acc.all {
				p.accountIndex[p.acc.all[j].ID] = j
			}
		}
		if j, ok := p.accountIndex[a.AccountID]; ok {
			a.Observed = p.precondition(j)
		}
	}
}

// ownPropsOnly keeps, of each props write, the sync's own keys: Apply
// writes those onto the account as it reads it just before (rebaseProps),
// so the user's keys (a custom status) in the plan would change nothing,
// and a plan that is saved, reported or shown carries none of them.
func ownPropsOnly(list []Action) {
	for i := range list {
		list[i].Patch.Props = syncProps(list[i].Patch.Props)
	}
}

// compareAction orders actions of one kind: by wave, then address, username
// and account id.
func compareAction(a, b *Action) int {
	if c := cmp.Compare(a.Wave, b.Wave); c != 0 {
		return c
	}
	return compareStrings(a.Email, b.Email, a.Username, b.Username, a.AccountID, b.AccountID)
}

// compareStrings compares pairs (a1, b1, a2, b2, …) in turn, stopping at the
// first that differs: cmp.Or would compare every pair, which at 100,000
// users is a measurable share of planning.
func compareStrings(pairs ...string) int {
	for i := 0; i+1 < len(pairs); i += 2 {
		if c := strings.Compare(pairs[i], pairs[i+1]); c != 0 {
			return c
		}
	}
	return 0
}
