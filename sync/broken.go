package sync

import "fmt"

// A mapping that no longer resolves fails alone. Any channel member can
// archive or rename a channel, a group's owner can rename the group, and
// anyone can create a second group of the same name: if one of these
// stopped the whole run, one member of the organisation could switch
// offboarding off for everyone. So a broken mapping line freezes its own
// memberships, the run goes on, and the run fails (Plan.Failed) so that an
// administrator fixes the line.

// Mapping inputs a BrokenMapping can name.
const (
	InputGroups        = "groups"
	InputTeams         = "teams"
	InputChannels      = "channels"
	InputGroupTeams    = "group-teams"
	InputGroupChannels = "group-channels"
)

// BrokenMapping is one entry or line of a mapping input that did not
// resolve in this run: an unknown, renamed, archived or deleted team,
// channel or group, or a group name that several groups share. The policies
// the planner gets leave the line out (it adds nobody); Teams and Channels
// are what it names, and nobody is removed from them until it resolves
// again (the line might put them there). A broken groups entry makes the
// scope unknown (Plan.ScopeUnknown).
type BrokenMapping struct {
	Input string `json:"input"`
	// Line is the line's number in group-teams or group-channels (from 1);
	// 0 for an entry of groups, teams or channels.
	Line int `json:"line,omitempty"`
	// Entry is the group, team or channel that did not resolve, as written.
	Entry string `json:"entry"`
	// Error says what failed and how to fix it.
	Error    string       `json:"error"`
	Teams    []string     `json:"frozen_teams,omitempty"`
	Channels []ChannelRef `json:"frozen_channels,omitempty"`
}

// Where names the mapping as an administrator finds it: "input
// group-channels line 3", "input teams".
func (b BrokenMapping) Where() string {
	if b.Line > 0 {
		return fmt.Sprintf("input %s line %d", b.Input, b.Line)
	}
	return "input " + b.Input
}

// String is the error annotation: where, what and the fix.
func (b BrokenMapping) String() string {
	return b.Where() + ": " + b.Error
}

// ResolvedGroup is a group a mapping names by display name, with the object
// id the name resolved to in this run: a name can move to another group
// (renamed, or a new group of the same name), an object id cannot.
type ResolvedGroup struct {
	Name     string `json:"name"`
	ObjectID string `json:"object_id"`
}

// frozen are the teams and channels a broken mapping names: nobody leaves
// them in this run.
type frozen struct {
	teams        map[string]string // team → the mapping that freezes it
	channels     map[ChannelRef]string
	scopeUnknown string // the broken groups entry, "" when the scope is known
}

func newFrozen(broken []BrokenMapping) frozen {
	f := frozen{teams: map[string]string{}, channels: map[ChannelRef]string{}}
	for _, b := range broken {
		for _, t := range b.Teams {
			if f.teams[t] == "" {
				f.teams[t] = b.Where()
			}
		}
		for _, c := range b.Channels {
			if f.channels[c] == "" {
				f.channels[c] = b.Where()
			}
		}
		if b.Input == InputGroups && f.scopeUnknown == "" {
			f.scopeUnknown = fmt.Sprintf("%s (%s)", b.Where(), b.Entry)
		}
	}
	return f
}
