package fakemm

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Mattermost's character classes (model/utils.go).
const (
	lowercaseLetters = "abcdefghijklmnopqrstuvwxyz"
	uppercaseLetters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	numbers          = "0123456789"
	symbols          = " !\"\\#$%&'()*+,-./:;<=>?@[]^_`|~"
	maxAddBatch      = 256
)

var (
	validUsernameChars  = regexp.MustCompile(`^[a-z0-9\.\-_]+$`)
	restrictedUsernames = map[string]bool{"all": true, "channel": true, "matterbot": true, "system": true}
)

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

type route struct {
	method  string
	pattern string
	segs    []string
	public  bool // no session needed
	handler func(s *Server, c *reqCtx)
}

type reqCtx struct {
	w      http.ResponseWriter
	r      *http.Request
	params map[string]string
	selfID string
	admin  bool
}

func (c *reqCtx) p(name string) string { return c.params[name] }

var routes = func() []route {
	rs := []route{
		{method: "GET", pattern: "/api/v4/system/ping", public: true, handler: (*Server).ping},
		{method: "GET", pattern: "/api/v4/config/client", public: true, handler: (*Server).clientConfig},
		{method: "GET", pattern: "/api/v4/limits/server", handler: (*Server).serverLimits},
		{method: "GET", pattern: "/api/v4/users/me", handler: (*Server).getMe},
		{method: "GET", pattern: "/api/v4/users/email/{email}", handler: (*Server).getUserByEmail},
		{method: "GET", pattern: "/api/v4/users", handler: (*Server).listUsers},
		{method: "POST", pattern: "/api/v4/users", handler: (*Server).createUser},
		{method: "GET", pattern: "/api/v4/users/{id}", handler: (*Server).getUser},
		{method: "PUT", pattern: "/api/v4/users/{id}/patch", handler: (*Server).patchUser},
		{method: "PUT", pattern: "/api/v4/users/{id}/active", handler: (*Server).updateActive},
		{method: "GET", pattern: "/api/v4/teams/name/{name}", handler: (*Server).getTeamByName},
		{method: "GET", pattern: "/api/v4/teams/{id}/members", handler: (*Server).getTeamMembers},
		{method: "POST", pattern: "/api/v4/teams/{id}/members/batch", handler: (*Server).addTeamMembers},
		{method: "DELETE", pattern: "/api/v4/teams/{id}/members/{user_id}", handler: (*Server).removeTeamMember},
		{method: "GET", pattern: "/api/v4/teams/name/{team}/channels/name/{channel}", handler: (*Server).getChannelByTeamAndName},
		{method: "GET", pattern: "/api/v4/channels/{channel_id}/members", handler: (*Server).getChannelMembers},
		{method: "GET", pattern: "/api/v4/users/{id}/teams/{team_id}/channels", handler: (*Server).getTeamChannelsForUser},
		{method: "POST", pattern: "/api/v4/channels/{channel_id}/members", handler: (*Server).addChannelMember},
		{method: "DELETE", pattern: "/api/v4/channels/{channel_id}/members/{user_id}", handler: (*Server).removeChannelMember},
		// mail.go: onboarding's endpoints.
		{method: "GET", pattern: "/api/v4/config", handler: (*Server).getConfig},
		{method: "POST", pattern: "/api/v4/email/test", handler: (*Server).testEmail},
		{method: "POST", pattern: "/api/v4/users/password/reset/send", public: true, handler: (*Server).sendPasswordReset},
		{method: "PUT", pattern: "/api/v4/users/{id}/password", handler: (*Server).updatePassword},
		{method: "POST", pattern: "/api/v4/users/login", public: true, handler: (*Server).login},
	}
	for i := range rs {
		rs[i].segs = strings.Split(strings.Trim(rs[i].pattern, "/"), "/")
	}
	return rs
}()

func match(method string, segs []string) (*route, map[string]string) {
	for i := range routes {
		rt := &routes[i]
		if rt.method != method || len(rt.segs) != len(segs) {
			continue
		}
		params := map[string]string{}
		ok := true
		for j, ps := range rt.segs {
			if strings.HasPrefix(ps, "{") {
				params[strings.Trim(ps, "{}")] = segs[j]
			} else if ps != segs[j] {
				ok = false
				break
			}
		}
		if ok {
			return rt, params
		}
	}
	return nil, nil
}

func splitPath(r *http.Request) []string {
	raw := strings.Trim(r.URL.EscapedPath(), "/")
	if raw == "" {
		return nil
	}
	parts := strings.Split(raw, "/")
	for i, p := range parts {
		if u, err := url.PathUnescape(p); err == nil {
			parts[i] = u
		}
	}
	return parts
}

func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	if len(h) > 6 && strings.EqualFold(h[:6], "token ") {
		return strings.TrimSpace(h[6:])
	}
	return ""
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	latency, sleep := s.opts.Latency, s.sleeper()
	s.mu.Unlock()
	if latency > 0 && sleep(r.Context(), latency) != nil {
		return
	}
	w.Header().Set("X-Version-Id", s.opts.ServerVersion)

	segs := splitPath(r)
	rt, params := match(r.Method, segs)
	key := r.Method + " " + r.URL.Path
	if rt != nil {
		key = r.Method + " " + rt.pattern
	}

	s.mu.Lock()
	w.Header().Set("X-Request-Id", s.newID())
	s.requests[key]++
	var fault *Fault
	for i, f := range s.faults {
		if (f.Method == "" || strings.EqualFold(f.Method, r.Method)) && strings.HasPrefix(r.URL.Path, f.PathPrefix) {
			fc := *f
			fault = &fc
			f.Count--
			if f.Count <= 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
			break
		}
	}
	outage := s.outage
	var chaos chaosOutcome
	if fault == nil && outage.Mode == 0 {
		chaos = s.drawChaos(r.Method)
	}
	rl := s.opts.RateLimit
	limited := fault == nil && outage.Mode == 0 && chaos == chaosNone && rl.Fraction > 0 && s.rng.Float64() < rl.Fraction
	var bucket bucketAnswer
	if fault == nil && outage.Mode == 0 && chaos == chaosNone && !limited && rl.PerSecond > 0 {
		bucket = s.takeToken(rl)
	}
	s.mu.Unlock()

	if outage.Mode != 0 {
		s.writeOutage(w, outage)
		return
	}
	switch chaos {
	case chaosTooMany:
		writeRateLimitedValue(w, strconv.Itoa(s.chaosRetryAfter()), 0)
		return
	case chaosBadGateway:
		writeFault(w, &Fault{Status: http.StatusBadGateway})
		return
	case chaosDrop:
		dropConnection(w)
		return
	case chaosDropAfter:
		s.dispatch(httptest.NewRecorder(), r, rt, params)
		dropConnection(w)
		return
	}
	if rl.PerSecond > 0 && fault == nil {
		bucket.setHeaders(w)
		if !bucket.ok {
			w.Header().Set("Retry-After", strconv.Itoa(bucket.retryAfter))
			http.Error(w, "limit exceeded", http.StatusTooManyRequests)
			return
		}
	}
	if rl.Fraction > 0 && !limited && rl.PerSecond <= 0 {
		limit := rl.Limit
		if limit <= 0 {
			limit = DefaultRateLimitLimit
		}
		w.Header().Set("X-RateLimit-Limit", strconv.Itoa(limit))
		w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(limit-1))
		w.Header().Set("X-RateLimit-Reset", "0")
	}
	if limited {
		writeRateLimited(w, rl.RetryAfter, rl.Limit)
		return
	}
	if fault != nil && !fault.AfterHandler {
		if fault.Drop {
			dropConnection(w)
			return
		}
		writeFault(w, fault)
		return
	}
	if fault != nil {
		rec := httptest.NewRecorder()
		for k, v := range w.Header() {
			rec.Header()[k] = v
		}
		s.dispatch(rec, r, rt, params)
		if fault.Drop {
			dropConnection(w)
			return
		}
		writeFault(w, fault)
		return
	}
	s.dispatch(w, r, rt, params)
}

func (s *Server) dispatch(w http.ResponseWriter, r *http.Request, rt *route, params map[string]string) {
	if rt == nil {
		s.writeError(w, http.StatusNotFound, "api.context.404.app_error", "")
		return
	}
	c := &reqCtx{w: w, r: r, params: params}
	if !rt.public || bearer(r) != "" {
		tok := bearer(r)
		switch {
		case tok != "" && tok == s.opts.AdminToken:
			c.selfID, c.admin = s.adminID, true
		case tok != "" && s.opts.UserToken != "" && tok == s.opts.UserToken:
			c.selfID = s.userID
		case tok != "" && s.session(tok) != "":
			c.selfID = s.session(tok)
			c.admin = s.isAdmin(c.selfID)
		default:
			if !rt.public {
				s.writeError(w, http.StatusUnauthorized, "api.context.session_expired.app_error", "token="+tok)
				return
			}
		}
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		s.mu.Lock()
		s.writes++
		s.mu.Unlock()
	}
	rt.handler(s, c)
}

// session returns the user id of a LogIn token, or "".
func (s *Server) session(tok string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions[tok]
}

func (s *Server) isAdmin(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.users[id]
	return ok && strings.Contains(" "+r.u.Roles+" ", " system_admin ")
}

// userParam resolves a {user_id} path parameter: "me" is the session's
// user, as the server's web.Params does.
func userParam(c *reqCtx, name string) string {
	if id := c.p(name); id != "me" {
		return id
	}
	return c.selfID
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

// ---- system ----

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

// ---- users ----

func (s *Server) getMe(c *reqCtx) {
	s.mu.Lock()
	defer s.mu.Unlock()
	writeJSON(c.w, http.StatusOK, s.users[c.selfID].u.sanitized())
}

func (s *Server) getUser(c *reqCtx) {
	id := userParam(c, "id")
	if !isValidID(id) {
		s.writeError(c.w, http.StatusBadRequest, "api.context.invalid_url_param.app_error", "")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.users[id]
	if !ok {
		s.writeError(c.w, http.StatusNotFound, "app.user.missing_account.const", "")
		return
	}
	u := r.u.sanitized()
	if s.opts.Generation.blanksAuthData() && u.AuthData != nil {
		blank := ""
		u.AuthData = &blank
	}
	writeJSON(c.w, http.StatusOK, u)
}

func (s *Server) getUserByEmail(c *reqCtx) {
	email := strings.ToLower(c.p("email"))
	if !isValidEmail(email) {
		s.writeError(c.w, http.StatusBadRequest, "api.context.invalid_url_param.app_error", "")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.byEmail[email]
	if !ok {
		s.writeError(c.w, http.StatusNotFound, "app.user.missing_account.const", "")
		return
	}
	writeJSON(c.w, http.StatusOK, s.users[id].u.sanitized())
}

func pageParams(q url.Values) (page, perPage int) {
	page, err := strconv.Atoi(q.Get("page"))
	if err != nil || page < 0 {
		page = 0
	}
	perPage, err = strconv.Atoi(q.Get("per_page"))
	if err != nil || perPage < 0 {
		perPage = 60
	}
	if perPage > 200 {
		perPage = 200
	}
	return page, perPage
}

func (s *Server) listUsers(c *reqCtx) {
	q := c.r.URL.Query()
	page, perPage := pageParams(q)
	activeOnly, inactiveOnly := q.Get("active") == "true", q.Get("inactive") == "true"
	s.mu.Lock()
	all := s.sortedCache()
	s.mu.Unlock()
	filtered := all
	if activeOnly || inactiveOnly {
		filtered = make([]User, 0, len(all))
		for _, u := range all {
			if activeOnly && !u.active() || inactiveOnly && u.active() {
				continue
			}
			filtered = append(filtered, u)
		}
	}
	start := page * perPage
	out := []User{}
	if start < len(filtered) {
		out = filtered[start:min(start+perPage, len(filtered))]
	}
	writeJSON(c.w, http.StatusOK, out)
}

func isValidEmail(s string) bool {
	if s != strings.ToLower(s) {
		return false
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Address != s {
		return false
	}
	return strings.Count(s, "@") == 1
}

// passwordErrorID mirrors IsPasswordValidWithSettings (newest server).
func passwordErrorID(pw string, p PasswordPolicy) string {
	id := "model.user.is_valid.pwd"
	isErr, minMax := false, false
	if len(pw) < p.MinimumLength {
		isErr, minMax = true, true
		id += "_min_length"
	}
	if len(pw) > 72 {
		isErr, minMax = true, true
		id += "_max_length"
	}
	if !minMax {
		check := func(on bool, set, suffix string) {
			if on && !strings.ContainsAny(pw, set) {
				isErr = true
				id += suffix
			}
		}
		check(p.Lowercase, lowercaseLetters, "_lowercase")
		check(p.Uppercase, uppercaseLetters, "_uppercase")
		check(p.Number, numbers, "_number")
		check(p.Symbol, symbols, "_symbol")
	}
	if !isErr {
		return ""
	}
	return id + ".app_error"
}

// validateUser mirrors User.IsValid for the fields the fake cares about.
func validateUser(u User) string {
	if !u.remote() {
		if len(u.Username) < 1 || len(u.Username) > 64 || !validUsernameChars.MatchString(u.Username) || restrictedUsernames[u.Username] {
			return "model.user.is_valid.username.app_error"
		}
	}
	if len(u.Email) > 128 || u.Email == "" || (!u.remote() && !isValidEmail(u.Email)) {
		return "model.user.is_valid.email.app_error"
	}
	if utf8.RuneCountInString(u.Nickname) > 64 {
		return "model.user.is_valid.nickname.app_error"
	}
	if utf8.RuneCountInString(u.Position) > 128 {
		return "model.user.is_valid.position.app_error"
	}
	if utf8.RuneCountInString(u.FirstName) > 64 {
		return "model.user.is_valid.first_name.app_error"
	}
	if utf8.RuneCountInString(u.LastName) > 64 {
		return "model.user.is_valid.last_name.app_error"
	}
	if u.AuthData != nil && *u.AuthData != "" && u.AuthService == "" {
		return "model.user.is_valid.auth_data_type.app_error"
	}
	if u.Password != "" && u.AuthData != nil && *u.AuthData != "" {
		return "model.user.is_valid.auth_data_pwd.app_error"
	}
	return ""
}

func (s *Server) createUser(c *reqCtx) {
	var u User
	if err := json.NewDecoder(io.LimitReader(c.r.Body, 300000)).Decode(&u); err != nil {
		s.writeError(c.w, http.StatusBadRequest, "api.context.invalid_body_param.app_error", "user")
		return
	}
	if !c.admin {
		s.forbid(c, "api.context.permissions.app_error")
		return
	}
	s.mu.Lock()
	createLatency, sleep, cpu := s.opts.CreateLatency, s.sleeper(), s.cores
	s.mu.Unlock()
	if createLatency > 0 && sleep(c.r.Context(), createLatency) != nil {
		return
	}
	// The server hashes the password before it stores the account (and
	// before it finds the address taken); accounts of an external login
	// have none to hash.
	if u.Password != "" && cpu.hashPassword(c.r.Context(), sleep) != nil {
		return
	}
	// SanitizeInput(isAdmin=true)
	u.RemoteID, u.CreateAt, u.UpdateAt, u.DeleteAt = nil, 0, 0, 0
	u.IsBot = false
	u.Roles = "system_user"
	u.Email = strings.ToLower(strings.TrimSpace(u.Email))
	u.Username = strings.ToLower(u.Username)

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.opts.MaxUsersHardLimit > 0 && s.activeCount() >= s.opts.MaxUsersHardLimit {
		s.writeError(c.w, http.StatusBadRequest, "api.user.create_user.user_limits.exceeded", "")
		return
	}
	if u.AuthService == "" {
		if id := passwordErrorID(u.Password, s.opts.PasswordPolicy); id != "" {
			s.writeError(c.w, http.StatusBadRequest, id, "")
			return
		}
	}
	if u.ID != "" {
		s.writeError(c.w, http.StatusBadRequest, "app.user.save.existing.app_error", "")
		return
	}
	if id := validateUser(u); id != "" {
		s.writeError(c.w, http.StatusBadRequest, id, "")
		return
	}
	if _, ok := s.byEmail[u.Email]; ok {
		s.writeError(c.w, http.StatusBadRequest, "app.user.save.email_exists.app_error", "")
		return
	}
	if _, ok := s.byUsername[u.Username]; ok {
		s.writeError(c.w, http.StatusBadRequest, "app.user.save.username_exists.app_error", "")
		return
	}
	u.ID = s.newID()
	now := s.now()
	u.CreateAt, u.UpdateAt = now, now
	if u.Locale == "" {
		u.Locale = "en"
	}
	rec := &record{u: u.clone(), pwHash: hashPassword(u.Password)}
	rec.u.Password = ""
	rec.u.DisableWelcomeEmail = false
	s.users[u.ID] = rec
	s.byEmail[u.Email] = u.ID
	s.byUsername[u.Username] = u.ID
	s.sorted = nil
	out := rec.u.sanitized()
	out.DisableWelcomeEmail = u.DisableWelcomeEmail
	writeJSON(c.w, http.StatusCreated, out)
}

type userPatch struct {
	Username  *string           `json:"username"`
	Password  *string           `json:"password"`
	Nickname  *string           `json:"nickname"`
	FirstName *string           `json:"first_name"`
	LastName  *string           `json:"last_name"`
	Position  *string           `json:"position"`
	Email     *string           `json:"email"`
	Props     map[string]string `json:"props"`
	Locale    *string           `json:"locale"`
}

var oauthServices = map[string]bool{"gitlab": true, "google": true, "office365": true, "openid": true}

func (s *Server) patchUser(c *reqCtx) {
	id := userParam(c, "id")
	if !isValidID(id) {
		s.writeError(c.w, http.StatusBadRequest, "api.context.invalid_url_param.app_error", "user_id")
		return
	}
	var p userPatch
	if err := json.NewDecoder(io.LimitReader(c.r.Body, 300000)).Decode(&p); err != nil {
		s.writeError(c.w, http.StatusBadRequest, "api.context.invalid_body_param.app_error", "user")
		return
	}
	if !c.admin && c.selfID != id {
		s.forbid(c, "api.context.permissions.app_error")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.users[id]
	if !ok {
		s.writeError(c.w, http.StatusBadRequest, "api.context.invalid_body_param.app_error", "user_id")
		return
	}
	old := rec.u
	// api4 patchUser: a user changing their own address must give their
	// password (an admin patching someone else need not).
	if p.Email != nil && strings.ToLower(strings.TrimSpace(*p.Email)) != old.Email && c.selfID == id {
		if p.Password == nil {
			s.writeError(c.w, http.StatusBadRequest, "api.context.invalid_body_param.app_error", "password")
			return
		}
		if rec.pwHash == "" || rec.pwHash != hashPassword(*p.Password) {
			s.writeError(c.w, http.StatusUnauthorized, "api.user.check_user_password.invalid.app_error", "")
			return
		}
	}
	if old.AuthService != "" && p.Username != nil && strings.ToLower(*p.Username) != old.Username {
		s.writeError(c.w, http.StatusConflict, "api.user.patch_user.login_provider_attribute_set.app_error", "username")
		return
	}
	if oauthServices[old.AuthService] && (p.FirstName != nil && *p.FirstName != old.FirstName || p.LastName != nil && *p.LastName != old.LastName) {
		s.writeError(c.w, http.StatusConflict, "api.user.patch_user.login_provider_attribute_set.app_error", "name")
		return
	}
	u := old.clone()
	if p.Username != nil {
		u.Username = strings.ToLower(*p.Username)
	}
	if p.Nickname != nil {
		u.Nickname = *p.Nickname
	}
	if p.FirstName != nil {
		u.FirstName = *p.FirstName
	}
	if p.LastName != nil {
		u.LastName = *p.LastName
	}
	if p.Position != nil {
		u.Position = *p.Position
	}
	var verifyEmail string
	if p.Email != nil && !oauthServices[old.AuthService] {
		u.Email = strings.ToLower(strings.TrimSpace(*p.Email))
		if u.Email != old.Email && s.opts.RequireEmailVerification {
			// App.UpdateUser: the address is not stored until the user
			// follows the link mailed to it; the answer is 200 with the old
			// address, and every such patch mails again.
			verifyEmail, u.Email = u.Email, old.Email
			if other, taken := s.byEmail[verifyEmail]; taken && other != id {
				s.writeError(c.w, http.StatusBadRequest, "app.user.save.email_exists.app_error", "")
				return
			}
		}
	}
	if p.Props != nil {
		u.Props = cloneMap(p.Props)
	}
	if p.Locale != nil {
		u.Locale = *p.Locale
	}
	if id := validateUser(u); id != "" {
		s.writeError(c.w, http.StatusBadRequest, id, "")
		return
	}
	if other, ok := s.byEmail[u.Email]; ok && other != id {
		s.writeError(c.w, http.StatusBadRequest, "app.user.save.email_exists.app_error", "")
		return
	}
	if other, ok := s.byUsername[u.Username]; ok && other != id {
		s.writeError(c.w, http.StatusBadRequest, "app.user.save.username_exists.app_error", "")
		return
	}
	if u.Email != old.Email {
		u.EmailVerified = false
		delete(s.byEmail, old.Email)
		s.byEmail[u.Email] = id
	}
	if u.Username != old.Username {
		delete(s.byUsername, old.Username)
		s.byUsername[u.Username] = id
	}
	u.UpdateAt = s.now()
	rec.u = u
	s.sorted = nil
	if verifyEmail != "" {
		s.ch.mails = append(s.ch.mails, VerificationMail{UserID: id, Email: verifyEmail})
	}
	writeJSON(c.w, http.StatusOK, u.sanitized())
}

func (s *Server) updateActive(c *reqCtx) {
	id := c.p("id")
	if !isValidID(id) {
		s.writeError(c.w, http.StatusBadRequest, "api.context.invalid_url_param.app_error", "user_id")
		return
	}
	var body map[string]any
	if err := json.NewDecoder(io.LimitReader(c.r.Body, 300000)).Decode(&body); err != nil {
		s.writeError(c.w, http.StatusBadRequest, "api.context.invalid_body_param.app_error", "active")
		return
	}
	active, ok := body["active"].(bool)
	if !ok {
		s.writeError(c.w, http.StatusBadRequest, "api.context.invalid_body_param.app_error", "active")
		return
	}
	if !c.admin {
		s.forbid(c, "api.user.update_active.permissions.app_error")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !active && id == c.selfID && !s.opts.EnableUserDeactivation {
		s.writeError(c.w, http.StatusUnauthorized, "api.user.update_active.not_enable.app_error", "")
		return
	}
	rec, ok := s.users[id]
	if !ok {
		s.writeError(c.w, http.StatusNotFound, "app.user.missing_account.const", "")
		return
	}
	if active && s.opts.MaxUsersHardLimit > 0 && s.activeCount() >= s.opts.MaxUsersHardLimit {
		s.writeError(c.w, http.StatusBadRequest, "app.user.update_active.user_limit.exceeded", "")
		return
	}
	now := s.now()
	rec.u.UpdateAt = now
	s.sorted = nil
	if active {
		rec.u.DeleteAt = 0
	} else {
		rec.u.DeleteAt = now
	}
	writeJSON(c.w, http.StatusOK, map[string]string{"status": "OK"})
}

// ---- teams ----

func (s *Server) getTeamByName(c *reqCtx) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.teamByName[strings.ToLower(c.p("name"))]
	if !ok {
		s.writeError(c.w, http.StatusNotFound, "app.team.get_by_name.missing.app_error", "")
		return
	}
	writeJSON(c.w, http.StatusOK, s.teams[id])
}

func (s *Server) getTeamMembers(c *reqCtx) {
	page, perPage := pageParams(c.r.URL.Query())
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.teams[c.p("id")]; !ok {
		s.writeError(c.w, http.StatusNotFound, "app.team.get.find.app_error", "")
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
	if _, ok := s.teams[teamID]; !ok {
		s.writeError(c.w, http.StatusNotFound, "app.team.get.find.app_error", "")
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

func (s *Server) removeTeamMember(c *reqCtx) {
	if !c.admin && c.selfID != c.p("user_id") {
		s.forbid(c, "api.context.permissions.app_error")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.teams[c.p("id")]; !ok {
		s.writeError(c.w, http.StatusNotFound, "app.team.get.find.app_error", "")
		return
	}
	m, ok := s.members[c.p("id")][c.p("user_id")]
	if !ok || m.DeleteAt != 0 {
		s.writeError(c.w, http.StatusNotFound, "app.team.get_member.missing.app_error", "")
		return
	}
	m.DeleteAt = s.now()
	s.leaveTeamChannels(c.p("id"), c.p("user_id"))
	writeJSON(c.w, http.StatusOK, map[string]string{"status": "OK"})
}
