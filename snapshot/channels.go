package snapshot

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/config"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/mattermost"
	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
)

// channelRead is the channel side of Read: the channels and
// group-channels inputs, the mapped channels looked up once each before the
// concurrent reads, and their members, read among them.
type channelRead struct {
	cfg *config.Config
	url string
	// refs are the mapped channels, once each, in input order; where[ref]
	// is the first place an input names it ("input channels",
	// "input group-channels line 3").
	refs  []mmsync.ChannelRef
	where map[mmsync.ChannelRef]string
	// states are the channels as read (members after readMembers).
	states map[mmsync.ChannelRef]mmsync.ChannelState
}

// lookupChannels resolves every mapped channel by team and channel name
// (GET /teams/name/{team}/channels/name/{channel}, one request each) and
// records each channel's team in teams, looked up once (GET
// /teams/name/{team}) unless teams already holds it, so that team planning
// adds the team a channel needs. An unknown team or channel, an archived
// one, stops the run before any change, naming the input and its line.
func lookupChannels(ctx context.Context, cfg *config.Config, mm *mattermost.Client, teams map[string]mmsync.TeamState) (*channelRead, error) {
	c := &channelRead{cfg: cfg, url: cfg.MattermostURL, where: map[mmsync.ChannelRef]string{}, states: map[mmsync.ChannelRef]mmsync.ChannelState{}}
	add := func(ref mmsync.ChannelRef, where string) {
		if _, seen := c.where[ref]; !seen {
			c.where[ref] = where
			c.refs = append(c.refs, ref)
		}
	}
	for _, ref := range cfg.Channels {
		add(ref, "input channels")
	}
	for _, gc := range cfg.GroupChannels {
		for _, ref := range gc.Channels {
			add(ref, fmt.Sprintf("input group-channels line %d", gc.Line))
		}
	}
	for _, ref := range c.refs {
		where := c.where[ref]
		ch, err := mm.GetChannelByTeamAndName(ctx, ref.Team, ref.Channel)
		switch {
		case mattermost.StatusCode(err) == 404 && appErrorID(err) == mattermost.IDTeamByNameMissing:
			return nil, fmt.Errorf("%s: Mattermost has no team named %q (in %s; use the URL names, as in https://chat.example.com/<team>/channels/<channel>)", where, ref.Team, ref)
		case mattermost.StatusCode(err) == 404 && appErrorID(err) == mattermost.IDChannelByNameMissing:
			return nil, fmt.Errorf("%s: team %q has no channel named %q (use the channel's URL name, as in https://chat.example.com/%s/channels/<name>, not its display name)", where, ref.Team, ref.Channel, ref.Team)
		case err != nil:
			return nil, DescribeMattermostError(err, c.url, "look up channel "+ref.String())
		case ch.Archived():
			return nil, fmt.Errorf("%s: channel %s is archived; unarchive it or remove it from the input", where, ref)
		}
		if _, done := teams[ref.Team]; !done {
			t, err := mm.GetTeamByName(ctx, ref.Team)
			switch {
			case err != nil:
				return nil, DescribeMattermostError(err, c.url, "look up team "+ref.Team)
			case t.DeleteAt != 0:
				return nil, fmt.Errorf("%s: team %q of channel %s is archived", where, ref.Team, ref)
			}
			teams[ref.Team] = mmsync.TeamState{ID: t.ID, Name: ref.Team}
		}
		c.states[ref] = mmsync.ChannelState{ID: ch.ID, TeamID: ch.TeamID, Team: ref.Team, Name: ref.Channel, Type: ch.Type}
	}
	return c, nil
}

// groupRefs returns the groups group-channels names.
func (c *channelRead) groupRefs() []string {
	var out []string
	for _, gc := range c.cfg.GroupChannels {
		out = append(out, gc.Group)
	}
	return out
}

// groupInput names the input a group reference comes from, for errors:
// "groups/group-teams" when those name it, else its group-channels line.
func (c *channelRead) groupInput(ref string) string {
	if slices.Contains(c.cfg.Groups, ref) || slices.ContainsFunc(c.cfg.GroupTeams, func(g mmsync.GroupTeams) bool { return g.Group == ref }) {
		return "groups/group-teams"
	}
	for _, gc := range c.cfg.GroupChannels {
		if gc.Group == ref {
			return fmt.Sprintf("group-channels line %d", gc.Line)
		}
	}
	return "groups/group-teams"
}

// readMembers reads each mapped channel's members once, in pages of 200
// (deactivated accounts included: Mattermost keeps their memberships).
func (c *channelRead) readMembers(ctx context.Context, mm *mattermost.Client) error {
	for _, ref := range c.refs {
		st := c.states[ref]
		list, err := mm.GetChannelMembers(ctx, st.ID)
		if err != nil {
			return DescribeMattermostError(err, c.url, "read the members of channel "+ref.String())
		}
		st.Members = make(map[string]bool, len(list))
		for _, m := range list {
			st.Members[m.UserID] = true
		}
		c.states[ref] = st
	}
	return nil
}

// policy returns the channel policy with each group's members resolved
// (members maps a group reference to its member ids), or nil when no
// channel is mapped.
func (c *channelRead) policy(members map[string]map[string]bool) *mmsync.ChannelPolicy {
	if len(c.refs) == 0 {
		return nil
	}
	p := &mmsync.ChannelPolicy{Everyone: c.cfg.Channels, Remove: c.cfg.RemoveFromChannels}
	for _, gc := range c.cfg.GroupChannels {
		p.ByGroup = append(p.ByGroup, mmsync.ChannelMembership{Group: gc.Group, Line: gc.Line, Members: members[gc.Group], Channels: gc.Channels})
	}
	return p
}

// observed returns the channels as read, or nil when none is mapped.
func (c *channelRead) observed() map[mmsync.ChannelRef]mmsync.ChannelState {
	if len(c.refs) == 0 {
		return nil
	}
	return c.states
}

// appErrorID returns the Mattermost error id of an *AppError in err's chain.
func appErrorID(err error) string {
	var ae *mattermost.AppError
	if errors.As(err, &ae) {
		return ae.ID
	}
	return ""
}
