package fakemm

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// How the fake answers a refusal, as Mattermost does: an AppError body
// (id, message, status), the rate limiter's 429 with its headers, and the
// injected faults.

type appError struct {
	ID            string `json:"id"`
	Message       string `json:"message"`
	DetailedError string `json:"detailed_error"`
	RequestID     string `json:"request_id"`
	StatusCode    int    `json:"status_code"`
	IsOAuth       bool   `json:"is_oauth"`
}

var messages = map[string]string{
	"api.context.404.app_error":                                     "Sorry, we could not find the page.",
	"api.context.session_expired.app_error":                         "Invalid or expired session, please login again.",
	"api.context.permissions.app_error":                             "You do not have the appropriate permissions.",
	"api.context.invalid_body_param.app_error":                      "Invalid or missing {{.Name}} in request body.",
	"api.context.invalid_url_param.app_error":                       "Invalid or missing {{.Name}} parameter in request URL.",
	"app.user.missing_account.const":                                "Unable to find the user.",
	"app.user.save.email_exists.app_error":                          "An account with that email already exists.",
	"app.user.save.username_exists.app_error":                       "An account with that username already exists.",
	"app.user.save.existing.app_error":                              "Must call update for existing user.",
	"api.user.create_user.user_limits.exceeded":                     "Can't create user. Server exceeds maximum supported user count. ERROR_SAFETY_LIMITS_EXCEEDED",
	"app.user.update_active.user_limit.exceeded":                    "Can't activate user. Server exceeds safety limits. ERROR_SAFETY_LIMITS_EXCEEDED",
	"api.user.update_active.not_enable.app_error":                   "You cannot deactivate yourself because this feature is not enabled. Please contact your System Administrator.",
	"api.user.update_active.permissions.app_error":                  "You do not have the appropriate permissions.",
	"model.user.is_valid.username.app_error":                        "Username must begin with a letter, and contain between 3 to 22 lowercase characters made up of numbers, letters, and the symbols \".\", \"-\", and \"_\".",
	"model.user.is_valid.email.app_error":                           "Please enter a valid email address.",
	"model.user.is_valid.nickname.app_error":                        "Invalid nickname.",
	"model.user.is_valid.first_name.app_error":                      "Invalid first name.",
	"model.user.is_valid.last_name.app_error":                       "Invalid last name.",
	"model.user.is_valid.position.app_error":                        "Invalid position: must not be longer than 128 characters.",
	"api.user.patch_user.login_provider_attribute_set.app_error":    "Field must be set through the user's login provider.",
	"app.team.get_by_name.missing.app_error":                        "Unable to find the existing team.",
	"app.team.get.find.app_error":                                   "Unable to find the existing team.",
	"app.team.get_member.missing.app_error":                         "No team member found for that user ID and team ID.",
	"api.team.remove_user_from_team.missing.app_error":              "The user does not appear to be part of this team.",
	"app.team.join_user_to_team.max_accounts.app_error":             "This team has reached the maximum number of allowed accounts. Contact your System Administrator to set a higher limit.",
	"app.team.join_user_to_team.save_member.max_accounts.app_error": "This team has reached the maximum number of allowed accounts. Contact your System Administrator to set a higher limit.",
	"api.config.client.old_format.app_error":                        "New format for the client configuration is not supported yet. Please specify format=old in the query string.",
	"app.admin.test_email.failure":                                  "Connection unsuccessful: dial tcp 127.0.0.1:10025: connect: connection refused",
	"api.user.send_password_reset.send.app_error":                   "Failed to send password reset email successfully.",
	"api.user.send_password_reset.sso.app_error":                    "Cannot reset password for SSO accounts.",
	"api.user.login.invalid_credentials_email_username":             "Enter a valid email or username and/or password.",
	"api.user.login.inactive.app_error":                             "Login failed because your account has been deactivated. Please contact an administrator.",
}

func (s *Server) writeError(w http.ResponseWriter, status int, id, detail string) {
	msg, ok := messages[id]
	if strings.Contains(msg, "{{.Name}}") {
		// NewInvalidParamError: the parameter's name goes into the message
		// ("Invalid or missing user_id in request body."), nothing into
		// detailed_error.
		msg, detail = strings.ReplaceAll(msg, "{{.Name}}", detail), ""
	}
	if !ok {
		msg = id
		if strings.HasPrefix(id, "model.user.is_valid.pwd") {
			msg = fmt.Sprintf("Your password must contain at least %d characters.", s.opts.PasswordPolicy.MinimumLength)
		}
	}
	writeJSON(w, status, appError{ID: id, Message: msg, DetailedError: detail, RequestID: w.Header().Get("X-Request-Id"), StatusCode: status})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeRateLimited(w http.ResponseWriter, retryAfter, limit int) {
	if retryAfter <= 0 {
		retryAfter = 1
	}
	writeRateLimitedValue(w, strconv.Itoa(retryAfter), limit)
}

// writeRateLimitedValue is Mattermost's plain-text 429 with retryAfter sent
// verbatim as Retry-After and X-RateLimit-Reset.
func writeRateLimitedValue(w http.ResponseWriter, retryAfter string, limit int) {
	if limit <= 0 {
		limit = DefaultRateLimitLimit
	}
	w.Header().Set("X-RateLimit-Limit", strconv.Itoa(limit))
	w.Header().Set("X-RateLimit-Remaining", "0")
	w.Header().Set("X-RateLimit-Reset", retryAfter)
	w.Header().Set("Retry-After", retryAfter)
	http.Error(w, "limit exceeded", http.StatusTooManyRequests)
}

func writeFault(w http.ResponseWriter, f *Fault) {
	if f.Status == http.StatusTooManyRequests && f.Body == "" {
		writeRateLimited(w, f.RetryAfter, 0)
		return
	}
	if f.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(f.RetryAfter))
	}
	body := f.Body
	if body == "" {
		text := http.StatusText(f.Status)
		body = fmt.Sprintf("<html>\r\n<head><title>%d %s</title></head>\r\n<body>\r\n<center><h1>%d %s</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n", f.Status, text, f.Status, text)
		w.Header().Set("Content-Type", "text/html")
	} else if strings.HasPrefix(strings.TrimSpace(body), "{") {
		w.Header().Set("Content-Type", "application/json")
	} else {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	}
	w.WriteHeader(f.Status)
	_, _ = io.WriteString(w, body)
}

// forbid answers 403; a refused write does not count in Writes.
func (s *Server) forbid(c *reqCtx, id string) {
	if c.r.Method != http.MethodGet && c.r.Method != http.MethodHead {
		s.mu.Lock()
		s.writes--
		s.mu.Unlock()
	}
	s.writeError(c.w, http.StatusForbidden, id, "")
}
