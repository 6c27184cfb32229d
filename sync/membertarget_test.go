package sync

import (
	"context"
	"errors"
	"maps"
)

// memberTarget adds teams and channels to memTarget, answering as
// Mattermost does where Apply cares: a channel add needs the team and an
// active account; leaving a team leaves its channels; joining a team joins
// its town-square; nobody leaves town-square. singleOnly counts requests as
// a 5.x–9.10 server would need them (one per added user).
type memberTarget struct {
	*memTarget
	teams    map[string]map[string]bool // team id → account ids
	channels map[string]*ChannelState   // channel id → state
	// addCalls counts AddChannelMembers calls; addRequests the requests a
	// real server would have had (singleOnly: one per user).
	addCalls, addRequests int
	singleOnly            bool
	failChannel           map[string]error // channel id → whole-channel error
}

var errNotTeamMember = idError{"app.team.get_member.missing.app_error"}

func newMemberTarget(accts ...Account) *memberTarget {
	return &memberTarget{memTarget: newFakeTarget(accts...), teams: map[string]map[string]bool{},
		channels: map[string]*ChannelState{}, failChannel: map[string]error{}}
}

func (f *memberTarget) addTeam(id string, members ...string) {
	f.teams[id] = map[string]bool{}
	for _, m := range members {
		f.teams[id][m] = true
	}
}

func (f *memberTarget) addChannel(ch ChannelState) {
	ch.Members = maps.Clone(ch.Members)
	if ch.Members == nil {
		ch.Members = map[string]bool{}
	}
	f.channels[ch.ID] = &ch
}

func (f *memberTarget) AddTeamMembers(_ context.Context, teamID string, ids []string) (map[string]error, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.write()
	out := map[string]error{}
	for _, id := range ids {
		f.teams[teamID][id] = true
		for _, ch := range f.channels {
			if ch.TeamID == teamID && ch.Name == TownSquare {
				ch.Members[id] = true
			}
		}
		out[id] = nil
	}
	return out, nil
}

func (f *memberTarget) RemoveTeamMember(_ context.Context, teamID, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.write()
	if err := f.failFor["remove:"+teamID+":"+id]; err != nil {
		return err
	}
	delete(f.teams[teamID], id)
	for _, ch := range f.channels {
		if ch.TeamID == teamID {
			delete(ch.Members, id)
		}
	}
	return nil
}

func (f *memberTarget) AddChannelMembers(_ context.Context, channelID string, ids []string) (map[string]error, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.addCalls++
	if f.singleOnly {
		f.addRequests += len(ids)
	} else {
		f.addRequests += (len(ids) + 999) / 1000
	}
	if len(ids) > channelBatch {
		return nil, errors.New("more than 1000 ids in one batch")
	}
	if err := f.failChannel[channelID]; err != nil {
		return nil, err
	}
	ch := f.channels[channelID]
	out := map[string]error{}
	for _, id := range ids {
		a := f.accounts[id]
		switch {
		case a == nil:
			out[id] = ErrNotFound
		case !a.Active():
			out[id] = idError{"app.channel.add_member.deleted_user.app_error"}
		case !f.teams[ch.TeamID][id]:
			out[id] = errNotTeamMember
		default:
			f.write()
			ch.Members[id] = true
			out[id] = nil
		}
	}
	return out, nil
}

func (f *memberTarget) RemoveChannelMember(_ context.Context, channelID, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch := f.channels[channelID]
	if ch.Name == TownSquare {
		return idError{"api.channel.remove.default.app_error"}
	}
	f.write()
	delete(ch.Members, id)
	return nil
}

// observedWith returns the accounts, and the teams and channels named by
// their ids in teamNames and refs, as readState would.
func (f *memberTarget) observedWith(teamNames map[string]string, refs map[ChannelRef]string) Observed {
	o := f.observed()
	f.mu.Lock()
	defer f.mu.Unlock()
	o.Teams = map[string]TeamState{}
	for name, id := range teamNames {
		o.Teams[name] = TeamState{ID: id, Name: name, Members: maps.Clone(f.teams[id])}
	}
	o.Channels = map[ChannelRef]ChannelState{}
	for ref, id := range refs {
		ch := *f.channels[id]
		ch.Members = maps.Clone(ch.Members)
		o.Channels[ref] = ch
	}
	return o
}
