package sync

import (
	"fmt"
	"strings"
)

// ChannelRef names a channel by URL names, as in
// https://chat.example.com/{Team}/channels/{Channel}. Both are lower case.
type ChannelRef struct {
	Team    string
	Channel string
}

// String renders "team/channel", the form the inputs take.
func (r ChannelRef) String() string { return r.Team + "/" + r.Channel }

// GroupChannels maps one Entra ID group (object id or display name) to
// channels: one line of group-channels.
type GroupChannels struct {
	Group    string
	Channels []ChannelRef
	// Line is the line's number in the input (from 1), for messages and the
	// plan's "mapping line that caused it".
	Line int
}

// ParseChannels reads the channels input: `team/channel` entries separated
// by commas or line breaks; whole lines starting with # are comments.
// Entries are lower-cased and de-duplicated in first-seen order. An error
// names the line and the entry.
func ParseChannels(text string) ([]ChannelRef, error) {
	var out []ChannelRef
	seen := map[ChannelRef]bool{}
	for n, line := range inputLines(text) {
		for _, item := range strings.Split(stripComment(line), ",") {
			item = strings.TrimSpace(item)
			if item == "" {
				continue
			}
			ref, err := ParseChannelRef(item)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", n+1, err)
			}
			if !seen[ref] {
				seen[ref] = true
				out = append(out, ref)
			}
		}
	}
	return out, nil
}

// ParseGroupChannels reads group-channels: one `GROUP: team/channel[,
// team/channel]` a line; whole lines starting with # are comments. GROUP is
// an object id or a display name, which may itself hold ':' and '/': the
// last colon splits, since neither a team nor a channel name can hold one
// (as ParseGroupTeams does). A line's channels are de-duplicated; a group on
// several lines gives several entries (the planner takes their union). An
// error names the line and the bad value.
func ParseGroupChannels(text string) ([]GroupChannels, error) {
	var out []GroupChannels
	err := groupMappings(text, "GROUP: team/channel[, team/channel]", "team/channel", func(n int, group string, items []string) error {
		gc := GroupChannels{Group: group, Line: n}
		seen := map[ChannelRef]bool{}
		for _, item := range items {
			ref, err := ParseChannelRef(item)
			if err != nil {
				return fmt.Errorf("line %d (group %q): %w", n, group, err)
			}
			if !seen[ref] {
				seen[ref] = true
				gc.Channels = append(gc.Channels, ref)
			}
		}
		out = append(out, gc)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ParseChannelRef reads one `team/channel` (surrounding spaces ignored,
// lower-cased). Both parts are URL names: the team as ValidTeamName
// accepts, the channel as ValidChannelName does.
func ParseChannelRef(s string) (ChannelRef, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	team, channel, ok := strings.Cut(s, "/")
	if !ok || strings.Contains(channel, "/") {
		return ChannelRef{}, fmt.Errorf("%q is not team/channel (the URL names, as in https://chat.example.com/team/channels/channel)", s)
	}
	team, channel = strings.TrimSpace(team), strings.TrimSpace(channel)
	if !ValidTeamName(team) {
		return ChannelRef{}, fmt.Errorf("%q: %q is not a team name (the team's URL name: 2–64 lower-case letters, digits, - and _)", s, team)
	}
	if !ValidChannelName(channel) {
		return ChannelRef{}, fmt.Errorf("%q: %q is not a channel name (the channel's URL name: 1–64 lower-case letters, digits, - and _, starting with a letter or digit)", s, channel)
	}
	return ChannelRef{Team: team, Channel: channel}, nil
}

// ValidChannelName reports whether s can be a channel's URL name: 1–64 of
// [a-z0-9_-], the first a letter or digit. This is Mattermost's
// IsValidChannelIdentifier (model/utils.go, the pattern
// ^[a-z0-9]+([a-z\-\_0-9]+|(__)?)[a-z0-9]*$ with ChannelNameMinLength 1)
// and ChannelNameMaxLength 64. Servers before 6.x also wanted at least two
// characters and a letter or digit last; a name they could not hold is
// simply not found there.
func ValidChannelName(s string) bool {
	if len(s) < 1 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '-' && c != '_') {
			return false
		}
	}
	return true
}

// inputLines splits an input into lines, accepting CRLF.
func inputLines(text string) []string {
	return strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
}
