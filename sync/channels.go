package sync

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// TownSquare is the URL name of every team's default channel. Mattermost
// keeps every team member in it and refuses to remove anyone but a guest
// (api.channel.remove.default.app_error), so the sync never plans that.
const TownSquare = "town-square"

// ChannelPolicy says which channels managed users belong in: the channels
// and group-channels inputs, with the groups' members resolved.
type ChannelPolicy struct {
	// Everyone lists channels every managed user joins (input channels).
	Everyone []ChannelRef
	// ByGroup are the group-channels lines, in input order.
	ByGroup []ChannelMembership
	// Remove takes managed users out of mapped channels no mapping puts
	// them in (input remove-from-channels).
	Remove bool
}

// ChannelMembership is one group-channels line with the group's members
// resolved.
type ChannelMembership struct {
	// Group is the group as the line names it (object id or display name).
	Group string
	// Line is the line's number in group-channels (from 1).
	Line int
	// ID is the group's object id, as the name resolved ("" if unknown).
	ID string
	// Members are the group's transitive user members, lower-case object ids.
	Members  map[string]bool
	Channels []ChannelRef
}

// ChannelState is one mapped channel as observed.
type ChannelState struct {
	ID     string
	TeamID string
	Team   string // the team's URL name
	Name   string // the channel's URL name
	// Type is "O" (public) or "P" (private).
	Type     string
	Archived bool
	// Members are the account ids in the channel (deactivated accounts
	// included: Mattermost keeps their memberships).
	Members map[string]bool
}

// Mapped returns every channel the policy names, once each.
func (c *ChannelPolicy) Mapped() []ChannelRef {
	if c == nil {
		return nil
	}
	seen := map[ChannelRef]bool{}
	var out []ChannelRef
	add := func(refs []ChannelRef) {
		for _, r := range refs {
			if !seen[r] {
				seen[r] = true
				out = append(out, r)
			}
		}
	}
	add(c.Everyone)
	for _, g := range c.ByGroup {
		add(g.Channels)
	}
	return out
}

// wanted returns the channels the policy puts the user with this object id
// in, each with the first mapping that does, in the plan's words
// ("channels", "group-channels line 3 (Finance)").
func (c *ChannelPolicy) wanted(objectID string) map[ChannelRef]string {
	if c == nil {
		return nil
	}
	want := map[ChannelRef]string{}
	for _, r := range c.Everyone {
		want[r] = "channels"
	}
	id := strings.ToLower(objectID)
	for _, g := range c.ByGroup {
		if !g.Members[id] {
			continue
		}
		for _, r := range g.Channels {
			if want[r] == "" {
				want[r] = fmt.Sprintf("group-channels line %d (%s)", g.Line, g.Group)
			}
		}
	}
	return want
}

// teams returns the teams of the mapped channels.
func (c *ChannelPolicy) teams() map[string]bool {
	out := map[string]bool{}
	for _, r := range c.Mapped() {
		out[r.Team] = true
	}
	return out
}

// planChannels adds managed users to the channels their mappings name and,
// with Remove, takes them out of mapped channels no mapping puts them in.
// Accounts the sync does not manage, and leavers, keep their memberships;
// nobody leaves town-square; and a user this plan removes from a team is
// not also removed from that team's channels (Mattermost does that itself).
// The team adds a channel needs are planned by planTeams.
func (p *planner) planChannels(observed map[ChannelRef]ChannelState) {
	pol := p.opts.Channels
	if pol == nil {
		return
	}
	type teamMember struct{ team, accountID string }
	leaving := map[teamMember]bool{}
	for _, a := range p.teams {
		if a.Kind == KindTeamRemove {
			leaving[teamMember{a.Team, a.AccountID}] = true
		}
	}
	mapped := pol.Mapped()
	slices.SortFunc(mapped, compareRef)
	var adds, removes []Action
	for _, m := range p.eligibleMembers() {
		want := pol.wanted(m.u.ID)
		base := Action{EntraID: m.u.ID, DisplayName: m.u.DisplayName, Email: m.email, Username: m.username, AccountID: m.accountID}
		for _, ref := range sortedRefs(want) {
			ch, ok := observed[ref]
			// Unknown and archived channels are refused before planning.
			if !ok || ch.Archived || m.accountID != "" && ch.Members[m.accountID] {
				continue
			}
			a := base
			a.Kind, a.Team, a.TeamID, a.Channel, a.ChannelID = KindChannelAdd, ref.Team, ch.TeamID, ref.Channel, ch.ID
			a.Reason = want[ref]
			adds = append(adds, a)
		}
		if !pol.Remove || m.accountID == "" {
			continue
		}
		for _, ref := range mapped {
			ch, ok := observed[ref]
			if !ok || want[ref] != "" || !ch.Members[m.accountID] || ref.Channel == TownSquare || leaving[teamMember{ref.Team, m.accountID}] || p.frozen.channels[ref] != "" {
				continue
			}
			if wait := p.removalConfirmed(m, groupIDsForChannel(pol, ref), "channel "+ref.String()); wait != "" {
				p.attention(m.u, -1, wait)
				continue
			}
			a := base
			a.Kind, a.Team, a.TeamID, a.Channel, a.ChannelID = KindChannelRemove, ref.Team, ch.TeamID, ref.Channel, ch.ID
			a.Reason = "no mapping puts this user in channel " + ref.String() + " any more (remove-from-channels)"
			removes = append(removes, a)
		}
	}
	p.channels = append(adds, removes...)
}

// eligibleMembers returns the members that team and channel planning
// consider, in a fixed order: managed accounts that are or will be active,
// minus creates and reactivations the server's user limit blocked.
func (p *planner) eligibleMembers() []member {
	blocked := make(map[string]bool, len(p.plan.Blocked))
	for _, a := range p.plan.Blocked {
		blocked[a.EntraID] = true
	}
	slices.SortFunc(p.members, func(a, b member) int { return compareStrings(a.email, b.email, a.u.ID, b.u.ID) })
	out := make([]member, 0, len(p.members))
	for _, m := range p.members {
		if !blocked[m.u.ID] {
			out = append(out, m)
		}
	}
	return out
}

// managedChannelMembers counts the (channel, account) memberships of
// managed, active accounts in the mapped channels: part of the base of
// max-removals.
func managedChannelMembers(acc *accounts, pol *ChannelPolicy, observed map[ChannelRef]ChannelState) int {
	managed := managedActive(acc)
	n := 0
	for _, ref := range pol.Mapped() {
		for id, in := range observed[ref].Members {
			if in && managed[id] {
				n++
			}
		}
	}
	return n
}

func compareRef(a, b ChannelRef) int {
	return cmp.Or(cmp.Compare(a.Team, b.Team), cmp.Compare(a.Channel, b.Channel))
}

// sortedRefs returns the keys of m, sorted by team, then channel.
func sortedRefs[V any](m map[ChannelRef]V) []ChannelRef {
	refs := make([]ChannelRef, 0, len(m))
	for r := range m {
		refs = append(refs, r)
	}
	slices.SortFunc(refs, compareRef)
	return refs
}
