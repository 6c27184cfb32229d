package fakemm

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// User handlers: read, list, create (with the checks of validate.go),
// patch and (de)activate, with the server's status codes and error ids.

func (s *Server) getMe(c *reqCtx) {
	s.mu.Lock()
	defer s.mu.Unlock()
	writeJSON(c.w, http.StatusOK, s.userAnswer(s.users[c.selfID].u))
}

// userAnswer is a user as every route that answers with one sends it (GET
// /users/me, /users/{id}, /users/email/{email}, GET /users, the create, the
// patch, the login): model.User.Sanitize, which drops the password and, on
// Generation5, blanks auth_data to "" whether or not one is stored (5.x's
// Sanitize did so for every caller and route, admins included; 11.x keeps
// it for an admin). The seams of accounts.go (User, Users) show what is
// stored instead. It needs no lock: the generation is fixed by New.
func (s *Server) userAnswer(u User) User {
	out := u.sanitized()
	if s.opts.Generation.blanksAuthData() {
		blank := ""
		out.AuthData = &blank
	}
	return out
}

func (s *Server) getUser(c *reqCtx) {
	id := userParam(c, "id")
	if !isValidID(id) {
		s.writeError(c.w, http.StatusBadRequest, "api.context.invalid_url_param.app_error", "")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.userOr404(c, id)
	if r == nil {
		return
	}
	writeJSON(c.w, http.StatusOK, s.userAnswer(r.u))
}

func (s *Server) getUserByEmail(c *reqCtx) {
	email := strings.ToLower(c.p("email"))
	if !isValidEmail(email) {
		s.writeError(c.w, http.StatusBadRequest, "api.context.invalid_url_param.app_error", "")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.userOr404(c, s.byEmail[email])
	if r == nil {
		return
	}
	writeJSON(c.w, http.StatusOK, s.userAnswer(r.u))
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
		for _, u := range filtered[start:min(start+perPage, len(filtered))] {
			out = append(out, s.userAnswer(u))
		}
	}
	writeJSON(c.w, http.StatusOK, out)
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
	out := s.userAnswer(rec.u)
	out.DisableWelcomeEmail = u.DisableWelcomeEmail
	writeJSON(c.w, http.StatusCreated, out)
}

// userPatch is the body of PUT /users/{id}/patch (the server's
// model.UserPatch: nil leaves a field alone). sync.Patch and
// mattermost.UserPatch have the same fields; the fake keeps its own for the
// reason User does.
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
		u.Props = maps.Clone(p.Props)
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
	writeJSON(c.w, http.StatusOK, s.userAnswer(u))
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
	rec := s.userOr404(c, id)
	if rec == nil {
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
