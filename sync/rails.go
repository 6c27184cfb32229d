package sync

import (
	"fmt"
	"slices"
	"strings"
)

// The rails: limits on what one run may do, each all or nothing. Mass
// deprovisioning is far more often a broken source or a scoping mistake
// than a real exodus (provisioning lessons: ssosync#194, gitea#7949).

// stopRead refuses to plan from a read that is empty where emptiness would
// deprovision people: no user in scope while the directory itself read
// nobody (an empty tenant read changes nothing). The administrator who
// means it sets the cap to 100%. An empty group is not a stop: see
// emptyGroups.
func stopRead(dir Directory, opts Options) string {
	// With the scope unknown nobody leaves by absence: an empty scope
	// deprovisions nobody, as long as the directory itself was read.
	scopeUnknown := newFrozen(opts.Broken).scopeUnknown != "" && len(dir.OutOfScope) > 0
	if len(dir.Users) == 0 && !opts.MaxDeactivations.All() && !scopeUnknown {
		return "no Entra ID users are in scope; nothing was changed. Check the tenant, groups, user-filter and only-users; " +
			"if every managed account should really be deactivated, set max-deactivations: 100%"
	}
	return ""
}

// emptyGroups returns opts.Broken with a broken mapping for each group that
// read no members where emptiness would deprovision people: an entry of
// groups (the scope is unknown: nobody is created and nobody leaves by
// absence, but users read as disabled or deleted still are deactivated),
// a group-teams line with remove-from-teams, a group-channels line with
// remove-from-channels (its teams or channels are frozen). A group owner
// can empty a group: like a renamed group, it fails alone, never stopping
// the run (and offboarding) for everyone. The matching cap at 100% means
// the administrator accepts an empty group. Entries already there are not
// added twice, so that planning again with the result changes nothing.
func emptyGroups(dir Directory, opts Options) []BrokenMapping {
	var add []BrokenMapping
	if !opts.MaxDeactivations.All() {
		for _, g := range sortedKeys(dir.ScopeGroups) {
			if dir.ScopeGroups[g] == 0 {
				add = append(add, BrokenMapping{Input: InputGroups, Entry: g,
					Error: fmt.Sprintf("group %q read no members, so who is in scope is unknown in this run: nobody is created and nobody is treated as having left the scope "+
						"(users disabled or deleted in Entra ID are still deactivated). Check the group in Entra ID (its owners can remove members); "+
						"if it is really empty, remove it from groups (or set max-deactivations: 100%% for one run)", g)})
			}
		}
	}
	if t := opts.Teams; t != nil && t.Remove && !opts.MaxRemovals.All() {
		for _, g := range t.ByGroup {
			if len(g.Members) == 0 {
				add = append(add, BrokenMapping{Input: InputGroupTeams, Entry: g.Group, Teams: g.Teams,
					Error: fmt.Sprintf("group %q read no members; remove-from-teams would take every managed member out of %v, so nobody is removed from them in this run. "+
						"Check the group in Entra ID (its owners can remove members); if it is really empty, remove its line (or set max-removals: 100%% for one run)", g.Group, g.Teams)})
			}
		}
	}
	if c := opts.Channels; c != nil && c.Remove && !opts.MaxRemovals.All() {
		for _, g := range c.ByGroup {
			if len(g.Members) == 0 {
				add = append(add, BrokenMapping{Input: InputGroupChannels, Line: g.Line, Entry: g.Group, Channels: g.Channels,
					Error: fmt.Sprintf("group %q read no members; remove-from-channels would take every managed member out of %s, so nobody is removed from them in this run. "+
						"Check the group in Entra ID (its owners can remove members); if it is really empty, remove its line (or set max-removals: 100%% for one run)", g.Group, refList(g.Channels))})
			}
		}
	}
	out := slices.Clip(opts.Broken)
	for _, b := range add {
		if !slices.ContainsFunc(out, func(x BrokenMapping) bool { return x.Input == b.Input && x.Line == b.Line && x.Entry == b.Entry }) {
			out = append(out, b)
		}
	}
	return out
}

// overThreshold says why the plan's deactivations and releases exceed
// max-deactivations, or "" when they fit.
func (p *planner) overThreshold() string {
	n := len(p.deacts) + len(p.releases)
	limit := p.opts.MaxDeactivations.Limit(p.plan.Managed)
	// 100% lifts the cap: address-rule deactivations of unlinked accounts
	// count against it but are not in its base.
	if n == 0 || n <= limit || p.opts.MaxDeactivations.All() {
		return ""
	}
	return fmt.Sprintf("%d deactivations and address releases planned, more than max-deactivations allows (%s of %d active managed accounts = %d); "+
		"nobody was deactivated. Check the directory and the scope; if this is intended, raise max-deactivations for one run",
		n, p.opts.MaxDeactivations, p.plan.Managed, limit)
}

// applyRemovalCap withholds every membership removal, team and channel,
// when they take away more memberships than max-removals allows. It counts
// memberships as Mattermost changes them: leaving a team also leaves every
// channel of the team, with no way back, so a team removal costs one plus
// the user's channel memberships in that team (Observed.TeamChannels), and
// the base is in the same units (removalBase). A team removal whose channel
// memberships were not read cannot be counted: nothing is removed, and
// NeedTeamChannels asks the caller to read them. 100% needs no count.
func (p *planner) applyRemovalCap(observed Observed) {
	isRemove := func(a Action) bool { return a.Kind == KindTeamRemove || a.Kind == KindChannelRemove }
	var removes []Action
	for _, list := range [][]Action{p.teams, p.channels} {
		for _, a := range list {
			if isRemove(a) {
				removes = append(removes, a)
			}
		}
	}
	if len(removes) == 0 || p.opts.MaxRemovals.All() {
		return
	}
	cost, teams := 0, 0
	for i := range removes {
		n, known := removalCost(&removes[i], observed)
		if !known {
			p.plan.NeedTeamChannels = append(p.plan.NeedTeamChannels, TeamAccount{removes[i].TeamID, removes[i].AccountID})
		}
		cost += n
		if removes[i].Kind == KindTeamRemove {
			teams++
		}
	}
	var msg string
	if need := len(p.plan.NeedTeamChannels); need > 0 {
		msg = fmt.Sprintf("%d team removals planned, but the channel memberships they would take with them were not read for %d of them, so max-removals cannot count them; "+
			"nobody was removed. The next run reads them again", teams, need)
	} else {
		base := removalBase(p.acc, p.opts, observed)
		limit := p.opts.MaxRemovals.Limit(base)
		if cost <= limit {
			return
		}
		msg = fmt.Sprintf("%d membership removals planned (%d team and %d channel removals; a team removal also takes the user's channel memberships in that team), "+
			"more than max-removals allows (%s of %d memberships of managed users in the mapped teams and channels, and in the channels of the teams they leave = %d); "+
			"nobody was removed. Check the groups and mappings; if this is intended, raise max-removals for one run",
			cost, teams, len(removes)-teams, p.opts.MaxRemovals, base, limit)
	}
	p.plan.RemovalError = msg
	p.plan.WithheldRemovals = removes
	p.teams = slices.DeleteFunc(p.teams, isRemove)
	p.channels = slices.DeleteFunc(p.channels, isRemove)
}

// removalCost is how many memberships a removal takes away: one for a
// channel removal; for a team removal one plus the user's channel
// memberships in that team, known once read.
func removalCost(a *Action, observed Observed) (n int, known bool) {
	if a.Kind != KindTeamRemove {
		return 1, true
	}
	chans, ok := observed.TeamChannels[TeamAccount{a.TeamID, a.AccountID}]
	return 1 + len(chans), ok
}

func refList(refs []ChannelRef) string {
	s := make([]string, len(refs))
	for i, r := range refs {
		s[i] = r.String()
	}
	return strings.Join(s, ", ")
}
