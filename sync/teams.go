package sync

import (
	"slices"
	"strings"
)

// planTeams adds managed users to the teams their mappings name and, with
// Remove, takes them out of mapped teams no mapping puts them in. Accounts
// the sync does not manage, and leavers, keep their memberships.
func (p *planner) planTeams(observed map[string]TeamState) {
	pol := p.opts.Teams
	if pol == nil {
		return
	}
	blocked := make(map[string]bool, len(p.plan.Blocked))
	for _, a := range p.plan.Blocked {
		blocked[a.EntraID] = true
	}
	slices.SortFunc(p.members, func(a, b member) int { return compareStrings(a.email, b.email, a.u.ID, b.u.ID) })
	var adds, removes []Action
	for _, m := range p.members {
		if blocked[m.u.ID] {
			continue
		}
		want := map[string]bool{}
		for _, t := range pol.Everyone {
			want[t] = true
		}
		id := strings.ToLower(m.u.ID)
		for _, g := range pol.ByGroup {
			if g.Members[id] {
				for _, t := range g.Teams {
					want[t] = true
				}
			}
		}
		base := Action{EntraID: m.u.ID, DisplayName: m.u.DisplayName, Email: m.email, Username: m.username, AccountID: m.accountID}
		for _, name := range sortedKeys(want) {
			team, ok := observed[name]
			if !ok || m.accountID != "" && team.Members[m.accountID] {
				continue // unknown teams are refused before planning
			}
			a := base
			a.Kind, a.Team, a.TeamID = KindTeamAdd, name, team.ID
			a.Reason = "mapped to team " + name
			adds = append(adds, a)
		}
		if !pol.Remove || m.accountID == "" {
			continue
		}
		for _, name := range sortedKeys(observed) {
			team := observed[name]
			if want[name] || !team.Members[m.accountID] {
				continue
			}
			a := base
			a.Kind, a.Team, a.TeamID = KindTeamRemove, name, team.ID
			a.Reason = "no mapping puts this user in team " + name + " any more"
			removes = append(removes, a)
		}
	}
	p.teams = append(adds, removes...)
}

// managedTeamMembers counts the (team, account) memberships of managed,
// active accounts in the mapped teams: the base of max-removals.
func (p *planner) managedTeamMembers(observed map[string]TeamState) int {
	managed := make(map[string]bool, len(p.acc.all))
	for i := range p.acc.all {
		if p.acc.managed(i) && p.acc.all[i].Active() {
			managed[p.acc.all[i].ID] = true
		}
	}
	n := 0
	for _, t := range observed {
		for id, in := range t.Members {
			if in && managed[id] {
				n++
			}
		}
	}
	return n
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
