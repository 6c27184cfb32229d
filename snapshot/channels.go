package snapshot

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/mattermost"
	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
)

// channelRead is the channel side of Read: the channels and
// group-channels inputs, the mapped channels looked up once each before the
// concurrent reads, and their members, read among them.
type channelRead struct {
	in Inputs
	// refs are the mapped channels, once each, in input order; where[ref]
	// is the first place an input names it ("input channels",
	// "input group-channels line 3").
	refs  []mmsync.ChannelRef
	where map[mmsync.ChannelRef]string
	// states are the channels as read (members after readMembers).
	states map[mmsync.ChannelRef]mmsync.ChannelState
	// broken are the mapped channels that did not resolve (unknown team or
	// channel, archived), with what failed and the fix.
	broken map[mmsync.ChannelRef]string
}

// lookupChannels resolves every mapped channel by team and channel name
// (GET /teams/name/{team}/channels/name/{channel}, one request each) and
// records each channel's team in teams, looked up once (GET
// /teams/name/{team}) unless teams already holds it, so that team planning
// adds the team a channel needs. An unknown team or channel, or an archived
// one, is broken (c.broken): the lines naming it are frozen, the run goes
// on. Other failures (the server, the network) stop the run.
func lookupChannels(ctx context.Context, in Inputs, mm *mattermost.Client, teams map[string]mmsync.TeamState) (*channelRead, error) {
	c := &channelRead{in: in, where: map[mmsync.ChannelRef]string{}, states: map[mmsync.ChannelRef]mmsync.ChannelState{},
		broken: map[mmsync.ChannelRef]string{}}
	add := func(ref mmsync.ChannelRef, where string) {
		if _, seen := c.where[ref]; !seen {
			c.where[ref] = where
			c.refs = append(c.refs, ref)
		}
	}
	for _, ref := range in.Channels {
		add(ref, "input channels")
	}
	for _, gc := range in.GroupChannels {
		for _, ref := range gc.Channels {
			add(ref, fmt.Sprintf("input group-channels line %d", gc.Line))
		}
	}
	for _, ref := range c.refs {
		ch, err := mm.GetChannelByTeamAndName(ctx, ref.Team, ref.Channel)
		switch {
		case mattermost.StatusCode(err) == 404 && appErrorID(err) == mattermost.IDTeamByNameMissing:
			c.broken[ref] = fmt.Sprintf("Mattermost has no team named %q (in %s; renamed or deleted? use the URL names, as in https://chat.example.com/<team>/channels/<channel>)", ref.Team, ref)
			continue
		case mattermost.StatusCode(err) == 404 && appErrorID(err) == mattermost.IDChannelByNameMissing:
			c.broken[ref] = fmt.Sprintf("team %q has no channel named %q (renamed or deleted? use the channel's URL name, as in https://chat.example.com/%s/channels/<name>, not its display name)", ref.Team, ref.Channel, ref.Team)
			continue
		case err != nil:
			return nil, DescribeMattermostError(err, c.in.MattermostURL, "look up channel "+ref.String())
		case ch.Archived():
			c.broken[ref] = fmt.Sprintf("channel %s is archived; unarchive it or remove it from the line", ref)
			continue
		}
		if _, done := teams[ref.Team]; !done {
			t, err := mm.GetTeamByName(ctx, ref.Team)
			switch {
			case err != nil:
				return nil, DescribeMattermostError(err, c.in.MattermostURL, "look up team "+ref.Team)
			case t.DeleteAt != 0:
				c.broken[ref] = fmt.Sprintf("team %q of channel %s is archived; unarchive it or remove the channel from the line", ref.Team, ref)
				continue
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
	for _, gc := range c.in.GroupChannels {
		out = append(out, gc.Group)
	}
	return out
}

// groupInput names the input a group reference comes from, for errors:
// "groups/group-teams" when those name it, else its group-channels line.
func (c *channelRead) groupInput(ref string) string {
	if slices.Contains(c.in.Groups, ref) || slices.ContainsFunc(c.in.GroupTeams, func(g mmsync.GroupTeams) bool { return g.Group == ref }) {
		return "groups/group-teams"
	}
	for _, gc := range c.in.GroupChannels {
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
		st, ok := c.states[ref]
		if !ok {
			continue // broken: not read
		}
		list, err := mm.GetChannelMembers(ctx, st.ID)
		if err != nil {
			return DescribeMattermostError(err, c.in.MattermostURL, "read the members of channel "+ref.String())
		}
		st.Members = make(map[string]bool, len(list))
		for _, m := range list {
			st.Members[m.UserID] = true
		}
		c.states[ref] = st
	}
	return nil
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
