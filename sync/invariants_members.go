package sync

// checkMemberships is Check's part for team and channel changes, from the
// README's Teams and Channels sections: memberships change only for
// enabled directory users in scope (an unknown accountEnabled is left
// exactly as it is, leavers keep theirs), only on accounts that are theirs
// (linked, or adopted or created by this plan), adds only into a team or
// channel a mapping names and never for an account that ends the run
// deactivated, and only for a user a resolved line gives the room; team
// removals only with remove-from-teams and only from a
// team a team mapping names (never one only a channel mapping names).
func (p *Plan) checkMemberships(c *checkRules, bad func(string, ...any)) {
	// Accounts this plan makes a user's (adoptions: a link written by an
	// update or reactivation) and the accounts' state at the end of the run.
	adopted := map[string]string{}
	deactivated := map[string]bool{}
	for id, a := range c.byID {
		deactivated[id] = !a.Active()
	}
	for _, a := range p.Actions {
		switch a.Kind {
		case KindUpdate, KindReactivate:
			if a.Patch.Props[PropLink] != "" {
				adopted[a.AccountID] = a.EntraID
			}
			if a.Kind == KindReactivate {
				deactivated[a.AccountID] = false
			}
		}
	}
	leaving := map[string]bool{}
	for _, a := range p.Actions {
		if a.Kind == KindDeactivate {
			deactivated[a.AccountID], leaving[a.AccountID] = true, true
		}
	}
	teams, channels := c.mappedTeamNames(), c.mappedChannels()
	channelTeams := map[string]bool{}
	for ref := range channels {
		channelTeams[ref.Team] = true
	}
	for _, a := range p.Actions {
		if !a.Kind.Membership() {
			continue
		}
		what := a.Team
		if a.Channel != "" {
			what += "/" + a.Channel
		}
		if u := c.users[a.EntraID]; u == nil || u.AccountEnabled != BoolTrue {
			bad("%s %s %s: %s is not an enabled user in scope", a.Kind, a.Username, what, a.EntraID)
		}
		if a.AccountID != "" {
			if acct := c.byID[a.AccountID]; acct != nil && c.owner(acct) != a.EntraID && adopted[a.AccountID] != a.EntraID {
				bad("%s %s %s: the account is not %s's, and this plan does not adopt it", a.Kind, a.Username, what, a.EntraID)
			}
		}
		switch a.Kind {
		case KindTeamAdd, KindChannelAdd:
			if a.AccountID != "" && deactivated[a.AccountID] {
				bad("%s %s %s: the account ends the run deactivated", a.Kind, a.Username, what)
			}
			if a.Kind == KindTeamAdd && !teams[a.Team] && !channelTeams[a.Team] {
				bad("team-add %s %s: no mapping names the team", a.Username, a.Team)
			}
			if a.Kind == KindChannelAdd && !channels[ChannelRef{a.Team, a.Channel}] {
				bad("channel-add %s %s: no mapping names the channel", a.Username, what)
			}
			// A line adds only its own group's members (a broken line adds
			// nobody, even to a room another line names).
			wantTeams, wantChannels := c.wants(a.EntraID)
			if a.Kind == KindTeamAdd && !wantTeams[a.Team] || a.Kind == KindChannelAdd && !wantChannels[ChannelRef{a.Team, a.Channel}] {
				bad("%s %s %s: no resolved mapping gives %s this room", a.Kind, a.Username, what, a.EntraID)
			}
		case KindTeamRemove, KindChannelRemove:
			if leaving[a.AccountID] {
				bad("%s %s %s: a leaver keeps their memberships", a.Kind, a.Username, what)
			}
			if a.Kind == KindTeamRemove && (c.opts.Teams == nil || !c.opts.Teams.Remove) {
				bad("team-remove %s %s although remove-from-teams is off", a.Username, a.Team)
			} else if a.Kind == KindTeamRemove && !teams[a.Team] {
				bad("team-remove %s %s: no team mapping names the team", a.Username, a.Team)
			}
		}
	}
}
