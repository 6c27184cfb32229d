package sync

import (
	"slices"
	"strings"
)

// planTeams adds managed users to the teams their mappings name, and to the
// teams of the channels their channel mappings name, and, with Remove, takes
// them out of mapped teams no mapping puts them in. Accounts the sync does
// not manage, and leavers, keep their memberships. A team that only a
// channel mapping names is never left: the team mappings did not ask for it.
func (p *planner) planTeams(observed map[string]TeamState) {
	pol, chans := p.opts.Teams, p.opts.Channels
	if pol == nil && chans == nil {
		return
	}
	removable := mappedTeams(p.opts, observed)
	var adds, removes []Action
	for _, m := range p.eligibleMembers() {
		want := map[string]string{} // team → why
		chanWant := chans.wanted(m.u.ID)
		for _, r := range sortedRefs(chanWant) {
			if want[r.Team] == "" {
				want[r.Team] = chanWant[r] + ": channel " + r.String() + " needs its team"
			}
		}
		if pol != nil {
			for _, t := range pol.Everyone {
				want[t] = "mapped to team " + t
			}
			id := strings.ToLower(m.u.ID)
			for _, g := range pol.ByGroup {
				if g.Members[id] {
					for _, t := range g.Teams {
						want[t] = "mapped to team " + t
					}
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
			a.Reason = want[name]
			adds = append(adds, a)
		}
		if pol == nil || !pol.Remove || m.accountID == "" {
			continue
		}
		for _, name := range removable {
			team := observed[name]
			if want[name] != "" || !team.Members[m.accountID] || p.frozen.teams[name] != "" {
				continue // a broken mapping that names the team might want them there
			}
			if wait := p.removalConfirmed(m, groupIDsForTeam(pol, name), "team "+name); wait != "" {
				p.attention(m.u, -1, wait)
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

// mappedTeams returns, sorted, the observed teams the team mappings govern:
// all of them but those only a channel mapping names. Team removals and
// their share of the max-removals base concern these alone.
func mappedTeams(opts Options, observed map[string]TeamState) []string {
	named := map[string]bool{}
	if pol := opts.Teams; pol != nil {
		for _, t := range pol.Everyone {
			named[t] = true
		}
		for _, g := range pol.ByGroup {
			for _, t := range g.Teams {
				named[t] = true
			}
		}
	}
	viaChannel := opts.Channels.teams()
	var out []string
	for _, name := range sortedKeys(observed) {
		if named[name] || !viaChannel[name] {
			out = append(out, name)
		}
	}
	return out
}

// removalBase counts the memberships of managed, active accounts in the
// mapped teams (as mappedTeams says) and the mapped channels, plus the
// memberships read for team removals (Observed.TeamChannels) in channels no
// mapping names: the base of max-removals, in the units removalCost counts.
func removalBase(acc *accounts, opts Options, observed Observed) int {
	managed := managedActive(acc)
	n := 0
	for _, name := range mappedTeams(opts, observed.Teams) {
		for id, in := range observed.Teams[name].Members {
			if in && managed[id] {
				n++
			}
		}
	}
	if len(observed.TeamChannels) > 0 {
		mapped := map[string]bool{}
		for _, ref := range opts.Channels.Mapped() {
			if ch, ok := observed.Channels[ref]; ok {
				mapped[ch.ID] = true
			}
		}
		for ta, chans := range observed.TeamChannels {
			if !managed[ta.AccountID] {
				continue
			}
			for _, id := range chans {
				if !mapped[id] {
					n++
				}
			}
		}
	}
	return n + managedChannelMembers(acc, opts.Channels, observed.Channels)
}

// managedActive returns the ids of the managed, active accounts.
func managedActive(acc *accounts) map[string]bool {
	managed := make(map[string]bool, len(acc.all))
	for i := range acc.all {
		if acc.managed(i) && acc.all[i].Active() {
			managed[acc.all[i].ID] = true
		}
	}
	return managed
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
