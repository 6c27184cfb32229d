package fakemm

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// Team handlers: lookup by name, members, the graceful batch add (at most
// maxAddBatch users, as the server's MaxAddMembersBatch; the fake keeps its
// own copy of the limit, as it models the server, not the client) and
// removal.

// maxAddBatch is api4/team.go's MaxAddMembersBatch.
const maxAddBatch = 256

func (s *Server) getTeamByName(c *reqCtx) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.teamIDByName(c, c.p("name"))
	if !ok {
		return
	}
	writeJSON(c.w, http.StatusOK, s.teams[id])
}

// getTeamMembers is GET /teams/{id}/members?page&per_page (api4/team.go
// getTeamMembers): the caller needs view_team (a system admin has it for
// any id, a user only as an active member; 403 otherwise), then the store
// lists the memberships not left (TeamMembers.DeleteAt = 0). An unknown
// team id is never looked up: a system admin gets 200 and an empty list,
// as with a channel's members.
func (s *Server) getTeamMembers(c *reqCtx) {
	page, perPage := pageParams(c.r.URL.Query())
	s.mu.Lock()
	defer s.mu.Unlock()
	if m, ok := s.members[c.p("id")][c.selfID]; !c.admin && (!ok || m.DeleteAt != 0) {
		s.forbid(c, "api.context.permissions.app_error")
		return
	}
	all := s.activeMembers(c.p("id"))
	out := []TeamMember{}
	if start := page * perPage; start < len(all) {
		out = all[start:min(start+perPage, len(all))]
	}
	writeJSON(c.w, http.StatusOK, out)
}

type memberWithError struct {
	UserID string      `json:"user_id"`
	Member *TeamMember `json:"member,omitempty"`
	Error  *appError   `json:"error,omitempty"`
}

func (s *Server) teamCount(teamID string) int {
	n := 0
	for uid, m := range s.members[teamID] {
		if m.DeleteAt == 0 {
			if r, ok := s.users[uid]; ok && r.u.active() {
				n++
			}
		}
	}
	return n
}

func (s *Server) addTeamMembers(c *reqCtx) {
	teamID := c.p("id")
	var body []TeamMember
	if err := json.NewDecoder(io.LimitReader(c.r.Body, 300000)).Decode(&body); err != nil || len(body) == 0 {
		s.writeError(c.w, http.StatusBadRequest, "api.context.invalid_body_param.app_error", "members")
		return
	}
	if len(body) > maxAddBatch {
		s.writeError(c.w, http.StatusBadRequest, "api.context.invalid_body_param.app_error", fmt.Sprintf("too many members in batch: %d > %d", len(body), maxAddBatch))
		return
	}
	for _, m := range body {
		if m.TeamID != teamID {
			s.writeError(c.w, http.StatusBadRequest, "api.context.invalid_body_param.app_error", "team_id")
			return
		}
	}
	if !c.admin {
		s.forbid(c, "api.context.permissions.app_error")
		return
	}
	graceful := c.r.URL.Query().Get("graceful") != ""
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.teamOr404(c, teamID) {
		return
	}
	var results []memberWithError
	var members []TeamMember
	for _, m := range body {
		mk := func(status int, id string) *appError {
			return &appError{ID: id, Message: messages[id], StatusCode: status, RequestID: c.w.Header().Get("X-Request-Id")}
		}
		var e *appError
		var member *TeamMember
		if _, ok := s.users[m.UserID]; !ok {
			e = mk(http.StatusNotFound, "app.user.missing_account.const")
		} else if ex, ok := s.members[teamID][m.UserID]; ok && ex.DeleteAt == 0 {
			cp := *ex
			member = &cp
		} else if s.teamCount(teamID) >= s.opts.MaxUsersPerTeam {
			if ok {
				e = mk(http.StatusBadRequest, "app.team.join_user_to_team.max_accounts.app_error")
			} else {
				e = mk(http.StatusBadRequest, "app.team.join_user_to_team.save_member.max_accounts.app_error")
			}
		} else {
			nm := newMember(teamID, m.UserID)
			s.members[teamID][m.UserID] = nm
			s.joinDefaultChannel(teamID, m.UserID)
			cp := *nm
			member = &cp
		}
		if e != nil && !graceful {
			writeJSON(c.w, e.StatusCode, e)
			return
		}
		results = append(results, memberWithError{UserID: m.UserID, Member: member, Error: e})
		if member != nil {
			members = append(members, *member)
		}
	}
	if graceful {
		writeJSON(c.w, http.StatusCreated, results)
		return
	}
	writeJSON(c.w, http.StatusCreated, members)
}

// removeTeamMember is DELETE /teams/{id}/members/{user_id} (api4/team.go
// removeTeamMember, app LeaveTeam): 403 for another user's membership
// without remove_user_from_team, 404 app.team.get.find.app_error for an
// unknown team, 404 app.user.missing_account.const for an unknown user, 400
// api.team.remove_user_from_team.missing.app_error for a user who was never
// in the team. A membership already left is found all the same (the
// store's GetMember does not look at DeleteAt) and left again: 200.
func (s *Server) removeTeamMember(c *reqCtx) {
	if !c.admin && c.selfID != c.p("user_id") {
		s.forbid(c, "api.context.permissions.app_error")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.teamOr404(c, c.p("id")) || s.userOr404(c, c.p("user_id")) == nil {
		return
	}
	m, ok := s.members[c.p("id")][c.p("user_id")]
	if !ok {
		s.writeError(c.w, http.StatusBadRequest, "api.team.remove_user_from_team.missing.app_error", "")
		return
	}
	m.DeleteAt = s.now()
	s.leaveTeamChannels(c.p("id"), c.p("user_id"))
	writeJSON(c.w, http.StatusOK, map[string]string{"status": "OK"})
}
