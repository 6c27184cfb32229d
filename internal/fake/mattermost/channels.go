package fakemm

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"regexp"
	"sort"
)

// Channel is a Mattermost channel as the API sends it (the fields the sync
// reads). Type is "O" (public) or "P" (private); DeleteAt ≠ 0 means archived.
type Channel struct {
	ID          string `json:"id"`
	CreateAt    int64  `json:"create_at"`
	UpdateAt    int64  `json:"update_at"`
	DeleteAt    int64  `json:"delete_at"`
	TeamID      string `json:"team_id"`
	Type        string `json:"type"`
	DisplayName string `json:"display_name"`
	Name        string `json:"name"`
	CreatorID   string `json:"creator_id"`
}

// ChannelMember is one channel membership as the API sends it.
type ChannelMember struct {
	ChannelID     string            `json:"channel_id"`
	UserID        string            `json:"user_id"`
	Roles         string            `json:"roles"`
	LastViewedAt  int64             `json:"last_viewed_at"`
	MsgCount      int64             `json:"msg_count"`
	MentionCount  int64             `json:"mention_count"`
	NotifyProps   map[string]string `json:"notify_props"`
	LastUpdateAt  int64             `json:"last_update_at"`
	SchemeGuest   bool              `json:"scheme_guest"`
	SchemeUser    bool              `json:"scheme_user"`
	SchemeAdmin   bool              `json:"scheme_admin"`
	ExplicitRoles string            `json:"explicit_roles"`
}

// VerificationMail is one verification mail the fake pretends to send: an
// email patch under RequireEmailVerification.
type VerificationMail struct {
	UserID string
	Email  string // the address the mail goes to (the new one)
}

// DefaultChannelName is the channel every team has and every team member is
// in (model.DefaultChannelName). The real server refuses to remove anyone
// but a guest from it.
const DefaultChannelName = "town-square"

// maxChannelAddList is api4/channel.go maxListSize: the most user_ids one
// batch add takes.
const maxChannelAddList = 1000

// channelState is the channel part of a Server; guarded by Server.mu.
type channelState struct {
	channels map[string]*Channel
	byName   map[string]string                    // team id + "/" + name → channel id
	members  map[string]map[string]*ChannelMember // channel id → user id → member
	// systemPosts counts the system messages posted per channel: one for
	// every user added ("… added to the channel by …") and one for every
	// user removed, as the real server posts.
	systemPosts map[string]int
	mails       []VerificationMail
}

func (cs *channelState) init() {
	if cs.channels == nil {
		cs.channels = map[string]*Channel{}
		cs.byName = map[string]string{}
		cs.members = map[string]map[string]*ChannelMember{}
		cs.systemPosts = map[string]int{}
	}
}

// AddChannel seeds a channel in an existing team (ID generated when empty;
// Type defaults to "O", DisplayName to Name). A DeleteAt ≠ 0 seeds an
// archived channel. It panics on an unknown team or a duplicate name.
func (s *Server) AddChannel(c Channel) Channel {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ch.init()
	if _, ok := s.teams[c.TeamID]; !ok {
		panic("fakemm: AddChannel: unknown team " + c.TeamID)
	}
	if c.ID == "" {
		c.ID = s.newID()
	}
	if c.Type == "" {
		c.Type = "O"
	}
	if c.DisplayName == "" {
		c.DisplayName = c.Name
	}
	key := c.TeamID + "/" + c.Name
	if _, dup := s.ch.byName[key]; dup {
		panic("fakemm: AddChannel: duplicate channel " + key)
	}
	now := s.now()
	if c.CreateAt == 0 {
		c.CreateAt, c.UpdateAt = now, now
	}
	cc := c
	s.ch.channels[c.ID] = &cc
	s.ch.byName[key] = c.ID
	s.ch.members[c.ID] = map[string]*ChannelMember{}
	return c
}

// ArchiveChannel archives a channel (sets DeleteAt), as the UI's "Archive
// channel" does; members stay members.
func (s *Server) ArchiveChannel(channelID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.ch.channels[channelID]
	if c == nil {
		panic("fakemm: ArchiveChannel: unknown channel " + channelID)
	}
	c.DeleteAt = s.now()
	c.UpdateAt = c.DeleteAt
}

// RenameChannel changes a channel's URL name, as any member with the
// default permissions can (Channel Settings → URL): the old name is then
// unknown (404 app.channel.get_by_name.missing.app_error) and members stay.
func (s *Server) RenameChannel(channelID, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.ch.channels[channelID]
	if c == nil {
		panic("fakemm: RenameChannel: unknown channel " + channelID)
	}
	delete(s.ch.byName, c.TeamID+"/"+c.Name)
	c.Name = name
	c.UpdateAt = s.now()
	s.ch.byName[c.TeamID+"/"+name] = c.ID
}

// AddChannelMember seeds a channel membership without any check and without
// a system message.
func (s *Server) AddChannelMember(channelID, userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.ch.members[channelID]
	if m == nil {
		panic("fakemm: AddChannelMember: unknown channel " + channelID)
	}
	m[userID] = s.newChannelMember(channelID, userID)
}

// ChannelMembers returns a channel's members, by user id.
func (s *Server) ChannelMembers(channelID string) []ChannelMember {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.channelMembers(channelID)
}

// SystemMessages returns how many system messages the server posted in a
// channel: one per user added and one per user removed through the API.
func (s *Server) SystemMessages(channelID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ch.systemPosts[channelID]
}

// VerificationMails returns the verification mails sent so far, in order:
// one per email patch under RequireEmailVerification.
func (s *Server) VerificationMails() []VerificationMail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]VerificationMail(nil), s.ch.mails...)
}

// SetRequireEmailVerification changes EmailSettings.RequireEmailVerification.
func (s *Server) SetRequireEmailVerification(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.RequireEmailVerification = on
}

func (s *Server) channelMembers(channelID string) []ChannelMember {
	out := make([]ChannelMember, 0, len(s.ch.members[channelID]))
	for _, m := range s.ch.members[channelID] {
		cp := *m
		cp.NotifyProps = maps.Clone(m.NotifyProps)
		out = append(out, cp)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].UserID < out[j].UserID })
	return out
}

// newChannelMember is a fresh membership. Caller holds mu.
func (s *Server) newChannelMember(channelID, userID string) *ChannelMember {
	return &ChannelMember{
		ChannelID: channelID, UserID: userID, Roles: "channel_user", SchemeUser: true,
		LastUpdateAt: s.now(),
		NotifyProps:  map[string]string{"desktop": "default", "email": "default", "mark_unread": "all", "push": "default", "ignore_channel_mentions": "default"},
	}
}

// joinDefaultChannel puts a new team member in the team's town-square, as
// JoinDefaultChannels does on the real server (no system message is counted:
// the real server posts a "joined the team" message in town-square, not an
// "added to the channel" one). Caller holds mu.
func (s *Server) joinDefaultChannel(teamID, userID string) {
	id, ok := s.ch.byName[teamID+"/"+DefaultChannelName]
	if !ok {
		return
	}
	if _, in := s.ch.members[id][userID]; !in {
		s.ch.members[id][userID] = s.newChannelMember(id, userID)
	}
}

// leaveTeamChannels removes a user from every channel of a team, as
// App.LeaveTeam does when a team membership is removed. Caller holds mu.
func (s *Server) leaveTeamChannels(teamID, userID string) {
	for id, c := range s.ch.channels {
		if c.TeamID == teamID {
			delete(s.ch.members[id], userID)
		}
	}
}

// channelNameInURL is the route's pattern for {channel_name}
// (api4/api.go: [A-Za-z0-9_-]+); anything else is no route at all.
var channelNameInURL = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// getChannelByTeamAndName is GET /teams/name/{team}/channels/name/{channel}
// (api4/channel.go getChannelByNameForTeamName): 404
// app.team.get_by_name.missing.app_error for an unknown team, 404
// app.channel.get_by_name.missing.app_error for an unknown channel or, unless
// include_deleted=true, an archived one. A system admin sees private
// channels it is not a member of; other users get the same 404 for those.
func (s *Server) getChannelByTeamAndName(c *reqCtx) {
	if !channelNameInURL.MatchString(c.p("channel")) {
		s.writeError(c.w, http.StatusNotFound, "api.context.404.app_error", "")
		return
	}
	includeDeleted := c.r.URL.Query().Get("include_deleted") == "true"
	s.mu.Lock()
	defer s.mu.Unlock()
	teamID, ok := s.teamIDByName(c, c.p("team"))
	if !ok {
		return
	}
	id, ok := s.ch.byName[teamID+"/"+c.p("channel")]
	ch := s.ch.channels[id]
	if !ok || ch.DeleteAt != 0 && !includeDeleted {
		s.writeError(c.w, http.StatusNotFound, "app.channel.get_by_name.missing.app_error", "teamId="+teamID+", name="+c.p("channel"))
		return
	}
	if !c.admin {
		_, member := s.ch.members[id][c.selfID]
		tm, inTeam := s.members[teamID][c.selfID]
		switch {
		case ch.Type == "O" && !member && !(inTeam && tm.DeleteAt == 0):
			s.writeError(c.w, http.StatusForbidden, "api.context.permissions.app_error", "")
			return
		case ch.Type != "O" && !member:
			s.writeError(c.w, http.StatusNotFound, "app.channel.get_by_name.missing.app_error", "teamId="+teamID+", name="+ch.Name)
			return
		}
	}
	writeJSON(c.w, http.StatusOK, ch)
}

// getChannelMembers is GET /channels/{channel_id}/members?page&per_page:
// per_page defaults to 60 and is clamped to 200, as the real server does.
// Like the real server, a system admin asking for an unknown channel id gets
// 200 and an empty list (the permission check passes and the store finds no
// rows).
func (s *Server) getChannelMembers(c *reqCtx) {
	id, ok := s.channelID(c)
	if !ok {
		return
	}
	page, perPage := pageParams(c.r.URL.Query())
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, member := s.ch.members[id][c.selfID]; !c.admin && !member {
		s.forbid(c, "api.context.permissions.app_error")
		return
	}
	all := s.channelMembers(id)
	out := []ChannelMember{}
	if start := page * perPage; start < len(all) {
		out = all[start:min(start+perPage, len(all))]
	}
	writeJSON(c.w, http.StatusOK, out)
}

// addChannelMember is POST /channels/{channel_id}/members. Current servers
// take {"user_id":…} or {"user_ids":[…]} (at most 1000); Generation5 takes
// only user_id. Users are added one after another: an existing member is
// returned unchanged (no system message), a refused user is skipped, and the
// request fails only when no user was added, with the last user's error
// (api4/channel.go addChannelMember). The per-user errors are the real ids:
// 404 app.user.missing_account.const (no such user), 403
// app.channel.add_member.deleted_user.app_error (deactivated), 404
// app.team.get_member.missing.app_error (never in the team), 400
// api.channel.add_user.to.channel.failed.deleted.app_error (left the team).
func (s *Server) addChannelMember(c *reqCtx) {
	id, ok := s.channelID(c)
	if !ok {
		return
	}
	var props map[string]any
	_ = json.NewDecoder(io.LimitReader(c.r.Body, 1<<20)).Decode(&props)
	userIDs, bad := s.channelAddUserIDs(props)
	if bad != "" {
		s.writeError(c.w, http.StatusBadRequest, "api.context.invalid_body_param.app_error", bad)
		return
	}
	if !c.admin {
		s.forbid(c, "api.context.permissions.app_error")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.channelOr404(c, id)
	if ch == nil {
		return
	}
	var added []ChannelMember
	var last *appError
	for _, uid := range userIDs {
		m, e := s.addOneChannelMember(ch, uid, c.w.Header().Get("X-Request-Id"))
		if e != nil {
			last = e
			continue
		}
		added = append(added, m)
	}
	if last != nil && len(added) == 0 {
		writeJSON(c.w, last.StatusCode, last)
		return
	}
	if single, ok := props["user_id"].(string); ok && len(added) == 1 && added[0].UserID == single {
		writeJSON(c.w, http.StatusCreated, added[0])
		return
	}
	writeJSON(c.w, http.StatusCreated, added)
}

// channelAddUserIDs reads the ids of an add request; bad names the invalid
// body parameter, as the real server's 400 does.
func (s *Server) channelAddUserIDs(props map[string]any) (ids []string, bad string) {
	if list, ok := props["user_ids"].([]any); ok && s.opts.Generation.batchChannelAdd() {
		if len(list) > maxChannelAddList {
			return nil, "user_ids"
		}
		for _, v := range list {
			uid, ok := v.(string)
			if !ok || !isValidID(uid) {
				return nil, "user_id in user_ids"
			}
			ids = append(ids, uid)
		}
		return ids, ""
	}
	uid, ok := props["user_id"].(string)
	if !ok || !isValidID(uid) {
		if s.opts.Generation.batchChannelAdd() {
			return nil, "user_id or user_ids"
		}
		// 5.x–9.10: "Invalid or missing user_id in request body."
		return nil, "user_id"
	}
	return []string{uid}, ""
}

// addOneChannelMember is App.AddChannelMember for one user. Caller holds mu.
func (s *Server) addOneChannelMember(ch *Channel, userID, requestID string) (ChannelMember, *appError) {
	mk := func(status int, id string) *appError {
		msg := messages[id]
		if msg == "" {
			msg = id
		}
		return &appError{ID: id, Message: msg, StatusCode: status, RequestID: requestID}
	}
	if m, ok := s.ch.members[ch.ID][userID]; ok {
		return *m, nil
	}
	rec, ok := s.users[userID]
	switch {
	case !ok:
		return ChannelMember{}, mk(http.StatusNotFound, "app.user.missing_account.const")
	case !rec.u.active():
		return ChannelMember{}, mk(http.StatusForbidden, "app.channel.add_member.deleted_user.app_error")
	case ch.DeleteAt != 0:
		return ChannelMember{}, mk(http.StatusBadRequest, "api.channel.add_user_to_channel.deleted.app_error")
	}
	tm, ok := s.members[ch.TeamID][userID]
	switch {
	case !ok:
		return ChannelMember{}, mk(http.StatusNotFound, "app.team.get_member.missing.app_error")
	case tm.DeleteAt != 0:
		return ChannelMember{}, mk(http.StatusBadRequest, "api.channel.add_user.to.channel.failed.deleted.app_error")
	}
	m := s.newChannelMember(ch.ID, userID)
	s.ch.members[ch.ID][userID] = m
	s.ch.systemPosts[ch.ID]++
	return *m, nil
}

// removeChannelMember is DELETE /channels/{channel_id}/members/{user_id}
// (App.RemoveUserFromChannel): 404 app.channel.get.existing.app_error for an
// unknown channel, 404 app.user.missing_account.const for an unknown user,
// 400 api.channel.remove.default.app_error for town-square, 404
// app.channel.get_member.missing.app_error for a user who is not a member.
func (s *Server) removeChannelMember(c *reqCtx) {
	id, uid := c.p("channel_id"), c.p("user_id")
	if !isValidID(id) || !isValidID(uid) {
		s.writeError(c.w, http.StatusBadRequest, "api.context.invalid_url_param.app_error", "channel_id")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.channelOr404(c, id)
	if ch == nil {
		return
	}
	if s.userOr404(c, uid) == nil {
		return
	}
	if !c.admin && c.selfID != uid {
		s.writes--
		s.writeError(c.w, http.StatusForbidden, "api.context.permissions.app_error", "")
		return
	}
	if ch.Name == DefaultChannelName {
		s.writeError(c.w, http.StatusBadRequest, "api.channel.remove.default.app_error", "")
		return
	}
	if _, ok := s.ch.members[id][uid]; !ok {
		s.writeError(c.w, http.StatusNotFound, "app.channel.get_member.missing.app_error", "")
		return
	}
	delete(s.ch.members[id], uid)
	s.ch.systemPosts[id]++
	writeJSON(c.w, http.StatusOK, map[string]string{"status": "OK"})
}

func init() {
	for id, msg := range map[string]string{
		"app.channel.get_by_name.missing.app_error":                "Channel does not exist.",
		"app.channel.get.existing.app_error":                       "Unable to find the existing channel.",
		"app.channel.get_member.missing.app_error":                 "No channel member found for that user ID and channel ID.",
		"app.channel.add_member.deleted_user.app_error":            "Unable to add the user as a member of the channel.",
		"api.channel.add_user.to.channel.failed.deleted.app_error": "Failed to add user to channel because they have been removed from the team.",
		"api.channel.add_user_to_channel.deleted.app_error":        "The channel has been archived or deleted.",
		"api.channel.remove.default.app_error":                     fmt.Sprintf("Unable to remove user from the default channel %s.", DefaultChannelName),
	} {
		messages[id] = msg
	}
}

// channelID is the {channel_id} of the route, or, when it is not a
// Mattermost id, false after the 400 the real server answers.
func (s *Server) channelID(c *reqCtx) (string, bool) {
	id := c.p("channel_id")
	if !isValidID(id) {
		s.writeError(c.w, http.StatusBadRequest, "api.context.invalid_url_param.app_error", "channel_id")
		return "", false
	}
	return id, true
}
