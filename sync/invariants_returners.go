package sync

import "strings"

// checkReturners is Check's part for returners, from the README's
// "Returners lose old rooms first", "Listings that lag" and "When a mapping
// breaks": a deactivated account comes back only once every membership its
// mappings no longer give it is gone, so each such membership of a
// reactivated account is removed in the same plan (Apply runs those
// removals first). A removal that waits for a direct read (the group
// member lists may lag, and no read settled it), one a broken mapping line
// freezes (the line might still want the user there), and one max-removals
// withheld all keep the account deactivated in that run.
//
// A membership the account "must lose" is one in a team a team mapping
// names (with remove-from-teams) or a channel a channel mapping names (with
// remove-from-channels, never town-square) that no resolved line gives the
// user, and that no direct read showed them still in a group of.
func (p *Plan) checkReturners(c *checkRules, obs Observed, conf *Confirmations, bad func(string, ...any)) {
	removedTeam, removedChannel := map[[2]string]bool{}, map[[2]string]bool{}
	for _, a := range p.Actions {
		switch a.Kind {
		case KindTeamRemove:
			removedTeam[[2]string{a.AccountID, a.Team}] = true
		case KindChannelRemove:
			removedChannel[[2]string{a.AccountID, ChannelRef{a.Team, a.Channel}.String()}] = true
		}
	}
	teams, channels := c.mappedTeamNames(), c.mappedChannels()
	for _, a := range p.Actions {
		if a.Kind != KindReactivate {
			continue
		}
		wantTeams, wantChannels := c.wants(a.EntraID)
		why := func(frozen bool, groups []string) string {
			switch {
			case frozen:
				return "a broken mapping line freezes it"
			case c.opts.ConfirmDepartures && len(groups) > 0 && !confirmedLeft(conf, a.EntraID, groups):
				return "its removal waits for a direct read (the group member lists may lag)"
			}
			return "the plan does not remove it"
		}
		if pol := c.opts.Teams; pol != nil && pol.Remove {
			for name, st := range obs.Teams {
				groups := c.groupsOfTeam(name)
				if !st.Members[a.AccountID] || !teams[name] && !c.frozenTeams[name] || wantTeams[name] || removedTeam[[2]string{a.AccountID, name}] || readMember(conf, a.EntraID, groups) {
					continue
				}
				bad("reactivate %s while it is still in team %s, which its mappings no longer give it: %s", a.Username, name, why(c.frozenTeams[name], groups))
			}
		}
		if pol := c.opts.Channels; pol != nil && pol.Remove {
			for ref, st := range obs.Channels {
				groups := c.groupsOfChannel(ref)
				if !st.Members[a.AccountID] || !channels[ref] && !c.frozenChannels[ref] || ref.Channel == TownSquare || wantChannels[ref] ||
					removedChannel[[2]string{a.AccountID, ref.String()}] || removedTeam[[2]string{a.AccountID, ref.Team}] || readMember(conf, a.EntraID, groups) {
					continue
				}
				bad("reactivate %s while it is still in channel %s, which its mappings no longer give it: %s", a.Username, ref, why(c.frozenChannels[ref], groups))
			}
		}
	}
}

// wants returns the teams and channels the resolved mappings give the user
// with this object id: everyone's, those of the group lines whose member
// lists hold the user, and the team of each channel they are given. The
// channel and team walks are alike but kept apart: they read two policy
// types (ChannelPolicy of ChannelRef, TeamPolicy of team names), and Check
// borrows no walk from the planner.
func (c *checkRules) wants(objectID string) (teams map[string]bool, channels map[ChannelRef]bool) {
	id := strings.ToLower(objectID)
	teams, channels = map[string]bool{}, map[ChannelRef]bool{}
	if pol := c.opts.Channels; pol != nil {
		for _, r := range pol.Everyone {
			channels[r] = true
		}
		for _, g := range pol.ByGroup {
			if g.Members[id] {
				for _, r := range g.Channels {
					channels[r] = true
				}
			}
		}
	}
	for r := range channels {
		teams[r.Team] = true
	}
	if pol := c.opts.Teams; pol != nil {
		for _, t := range pol.Everyone {
			teams[t] = true
		}
		for _, g := range pol.ByGroup {
			if g.Members[id] {
				for _, t := range g.Teams {
					teams[t] = true
				}
			}
		}
	}
	return teams, channels
}

// readMember says whether a direct read found objectID still a member of
// one of groups: the listing lagged, and the membership stays.
func readMember(conf *Confirmations, objectID string, groups []string) bool {
	if conf == nil {
		return false
	}
	in := conf.MemberOf[strings.ToLower(objectID)]
	for _, g := range groups {
		if in[g] {
			return true
		}
	}
	return false
}
