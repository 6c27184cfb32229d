package sync

// What the scope and the team and channel policies are, given what a read
// found: snapshot reads the groups, teams and channels (I/O) and these
// decide, without I/O, who is in scope, which mapping entries and lines
// are broken (and so frozen) and what each policy holds.

// GroupRead is what the directory answered for one group reference (an
// object id or a display name, as an input writes it): the group's object
// id and its transitive user members (lower-case object ids), or, when the
// reference did not resolve, Broken: what failed and the fix.
type GroupRead struct {
	ID      string
	Members map[string]bool
	Broken  string
}

// ScopeAssembly is the scope of a run and what it was made of.
type ScopeAssembly struct {
	Scope Scope
	// Sizes is the member count of each resolved group of the groups
	// input (Directory.ScopeGroups); GroupIDs their object ids, in input
	// order (what confirming a departure re-reads). Both nil without groups.
	Sizes    map[string]int
	GroupIDs []string
	// Broken are the groups input's entries that did not resolve: the
	// scope is then unknown, and the planner creates nobody and treats
	// nobody as having left it.
	Broken []BrokenMapping
}

// AssembleScope is the scope of the groups, include-guests and only-users
// inputs: without groups everyone (within guests and only-users); with
// groups, the members of those that resolved.
func AssembleScope(groups []string, reads map[string]GroupRead, includeGuests bool, only []string) ScopeAssembly {
	a := ScopeAssembly{Scope: Scope{IncludeGuests: includeGuests, Only: only}}
	if len(groups) == 0 {
		return a
	}
	a.Scope.Members = map[string]bool{}
	a.Sizes = make(map[string]int, len(groups))
	for _, ref := range groups {
		g := reads[ref]
		if g.Broken != "" {
			a.Broken = append(a.Broken, BrokenMapping{Input: InputGroups, Entry: ref, Error: g.Broken})
			continue
		}
		a.Sizes[ref] = len(g.Members)
		a.GroupIDs = append(a.GroupIDs, g.ID)
		for id := range g.Members {
			a.Scope.Members[id] = true
		}
	}
	return a
}

// AssembleTeamPolicy is the team policy of the teams, group-teams and
// remove-from-teams inputs. brokenTeams are the teams that did not resolve
// (team → what failed and the fix). An entry or line naming a broken team
// or group is left out of the policy and returned broken, so the planner
// freezes the teams it names.
func AssembleTeamPolicy(teams []string, groupTeams []GroupTeams, remove bool, brokenTeams map[string]string, groups map[string]GroupRead) (*TeamPolicy, []BrokenMapping) {
	p := &TeamPolicy{Remove: remove}
	var broken []BrokenMapping
	for _, name := range teams {
		if why := brokenTeams[name]; why != "" {
			broken = append(broken, BrokenMapping{Input: InputTeams, Entry: name, Error: why, Teams: []string{name}})
			continue
		}
		p.Everyone = append(p.Everyone, name)
	}
	for _, gt := range groupTeams {
		if entry, why := lineBroken(gt.Group, gt.Teams, brokenTeams, groups, func(t string) string { return t }); why != "" {
			broken = append(broken, BrokenMapping{Input: InputGroupTeams, Line: gt.Line, Entry: entry, Error: why, Teams: gt.Teams})
			continue
		}
		g := groups[gt.Group]
		p.ByGroup = append(p.ByGroup, GroupMembership{Group: gt.Group, ID: g.ID, Members: g.Members, Teams: gt.Teams})
	}
	return p, broken
}

// AssembleChannelPolicy is the channel policy of the channels,
// group-channels and remove-from-channels inputs, as AssembleTeamPolicy is
// the teams': brokenChannels are the channels that did not resolve. The two
// share what breaks a line (lineBroken); the rest differs in its types (team
// names and GroupMembership, ChannelRef and ChannelMembership with its line).
func AssembleChannelPolicy(channels []ChannelRef, groupChannels []GroupChannels, remove bool, brokenChannels map[ChannelRef]string, groups map[string]GroupRead) (*ChannelPolicy, []BrokenMapping) {
	p := &ChannelPolicy{Remove: remove}
	var broken []BrokenMapping
	for _, ref := range channels {
		if why := brokenChannels[ref]; why != "" {
			broken = append(broken, BrokenMapping{Input: InputChannels, Entry: ref.String(), Error: why, Channels: []ChannelRef{ref}})
			continue
		}
		p.Everyone = append(p.Everyone, ref)
	}
	for _, gc := range groupChannels {
		if entry, why := lineBroken(gc.Group, gc.Channels, brokenChannels, groups, ChannelRef.String); why != "" {
			broken = append(broken, BrokenMapping{Input: InputGroupChannels, Line: gc.Line, Entry: entry, Error: why, Channels: gc.Channels})
			continue
		}
		g := groups[gc.Group]
		p.ByGroup = append(p.ByGroup, ChannelMembership{Group: gc.Group, ID: g.ID, Line: gc.Line, Members: g.Members, Channels: gc.Channels})
	}
	return p, broken
}

// lineBroken is what breaks one group-teams or group-channels line: its
// group when that did not resolve, else the first of its rooms (teams or
// channels) that did not, named by name; why is "" for a line that
// resolves.
func lineBroken[R comparable](group string, rooms []R, brokenRooms map[R]string, groups map[string]GroupRead, name func(R) string) (entry, why string) {
	if g := groups[group]; g.Broken != "" {
		return group, g.Broken
	}
	for _, r := range rooms {
		if why := brokenRooms[r]; why != "" {
			return name(r), why
		}
	}
	return "", ""
}
