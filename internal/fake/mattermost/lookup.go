package fakemm

import (
	"net/http"
	"strings"
)

// Lookups the handlers share: the object a route names, or false after the
// 404 the real server answers for an unknown one (mattermost-api.md). The
// caller holds mu.

// userOr404 is the user with id, or nil after 404
// app.user.missing_account.const.
func (s *Server) userOr404(c *reqCtx, id string) *record {
	r, ok := s.users[id]
	if !ok {
		s.writeError(c.w, http.StatusNotFound, "app.user.missing_account.const", "")
		return nil
	}
	return r
}

// teamOr404 reports whether the team with id exists, after 404
// app.team.get.find.app_error when it does not.
func (s *Server) teamOr404(c *reqCtx, id string) bool {
	if _, ok := s.teams[id]; !ok {
		s.writeError(c.w, http.StatusNotFound, "app.team.get.find.app_error", "")
		return false
	}
	return true
}

// teamIDByName is the id of the team named name (case-insensitive), or
// false after 404 app.team.get_by_name.missing.app_error.
func (s *Server) teamIDByName(c *reqCtx, name string) (string, bool) {
	id, ok := s.teamByName[strings.ToLower(name)]
	if !ok {
		s.writeError(c.w, http.StatusNotFound, "app.team.get_by_name.missing.app_error", "")
	}
	return id, ok
}

// channelOr404 is the channel with id, or nil after 404
// app.channel.get.existing.app_error.
func (s *Server) channelOr404(c *reqCtx, id string) *Channel {
	ch := s.ch.channels[id]
	if ch == nil {
		s.writeError(c.w, http.StatusNotFound, "app.channel.get.existing.app_error", "")
	}
	return ch
}
