package fakemm

import (
	"net/http"
	"sort"
)

// getTeamChannelsForUser is GET /users/{id}/teams/{team_id}/channels
// (api4/channel.go getChannelsForTeamForUser): the channels of the team the
// user is a member of, archived ones only with include_deleted=true, unpaged.
// The caller must be the user or have permission over them (a system admin
// does). As the real store does, an empty result is 404
// app.channel.get_channels.not_found.app_error, also for an unknown user.
func (s *Server) getTeamChannelsForUser(c *reqCtx) {
	uid, teamID := c.p("id"), c.p("team_id")
	if !c.admin && uid != c.selfID {
		s.forbid(c, "api.context.permissions.app_error")
		return
	}
	includeDeleted := c.r.URL.Query().Get("include_deleted") == "true"
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []Channel{}
	for id, ch := range s.ch.channels {
		if ch.TeamID != teamID || ch.DeleteAt != 0 && !includeDeleted {
			continue
		}
		if _, member := s.ch.members[id][uid]; member {
			out = append(out, *ch)
		}
	}
	if len(out) == 0 {
		s.writeError(c.w, http.StatusNotFound, "app.channel.get_channels.not_found.app_error", "userId="+uid)
		return
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	writeJSON(c.w, http.StatusOK, out)
}
