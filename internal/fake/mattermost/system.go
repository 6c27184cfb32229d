package fakemm

import (
	"net/http"
	"strconv"
	"strings"
)

// Server facts: ping, the old-format client configuration (version,
// password policy, SMTP) and the user limits.

func (s *Server) ping(c *reqCtx) {
	writeJSON(c.w, http.StatusOK, map[string]any{"status": "OK", "ActiveSearchBackend": "database"})
}

func (s *Server) clientConfig(c *reqCtx) {
	if c.r.URL.Query().Get("format") != "old" {
		s.writeError(c.w, http.StatusNotImplemented, "api.config.client.old_format.app_error", "")
		return
	}
	s.mu.Lock()
	p := s.opts.PasswordPolicy
	s.mu.Unlock()
	version := s.opts.ServerVersion
	if parts := strings.SplitN(version, ".", 4); len(parts) >= 3 {
		version = strings.Join(parts[:3], ".")
	}
	writeJSON(c.w, http.StatusOK, map[string]string{
		"Version":                  version,
		"DiagnosticId":             s.opts.DiagnosticID,
		"BuildEnterpriseReady":     "false",
		"SiteName":                 "Mattermost",
		"EnableUserCreation":       "true",
		"EnableUserDeactivation":   strconv.FormatBool(s.opts.EnableUserDeactivation),
		"PasswordMinimumLength":    strconv.Itoa(p.MinimumLength),
		"PasswordRequireLowercase": strconv.FormatBool(p.Lowercase),
		"PasswordRequireUppercase": strconv.FormatBool(p.Uppercase),
		"PasswordRequireNumber":    strconv.FormatBool(p.Number),
		"PasswordRequireSymbol":    strconv.FormatBool(p.Symbol),
		"PasswordEnableForgotLink": "true",
	})
}

func (s *Server) serverLimits(c *reqCtx) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.opts.NoLimitsEndpoint || !s.opts.Generation.limitsEndpoint() {
		s.writeError(c.w, http.StatusNotFound, "api.context.404.app_error", "")
		return
	}
	if !c.admin {
		s.forbid(c, "api.context.permissions.app_error")
		return
	}
	writeJSON(c.w, http.StatusOK, map[string]int64{
		"maxUsersLimit":     s.opts.MaxUsersLimit,
		"maxUsersHardLimit": s.opts.MaxUsersHardLimit,
		"activeUserCount":   s.activeCount(),
	})
}
