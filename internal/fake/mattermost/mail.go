package fakemm

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
)

// Mail is one mail the fake's server pretends to send through SMTP: a
// password-reset link, a "your password was updated" notice, the admin's
// test mail. Token is the reset token (64 lower-case letters and digits),
// empty for other mails.
type Mail struct {
	To      string
	Subject string
	Token   string
}

// Subjects of the mails, as the real servers send them (reference §10).
const (
	SubjectReset           = "[Mattermost] Reset your password"
	SubjectPasswordUpdated = "[Mattermost] Your password has been updated"
	SubjectTest            = "Mattermost - Testing Email Settings"
)

// mailState is the mail part of a Server; guarded by Server.mu.
type mailState struct {
	sent []Mail
}

// Mails returns the mails sent so far, in order. Only an Options.SMTP
// server sends any.
func (s *Server) Mails() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.mail.sent...)
}

// SetSMTP turns the server's working SMTP on or off (Options.SMTP).
func (s *Server) SetSMTP(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.SMTP = on
}

// SignIn reports whether login (a username or an address) and password
// sign in to an active account, as POST /users/login would.
func (s *Server) SignIn(login, password string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.byLogin(login)
	return r != nil && r.u.active() && r.pwHash != "" && r.pwHash == hashPassword(password)
}

func (s *Server) byLogin(login string) *record {
	login = strings.ToLower(login)
	id, ok := s.byUsername[login]
	if !ok {
		id, ok = s.byEmail[login]
	}
	if !ok {
		return nil
	}
	return s.users[id]
}

// smtpTarget is where a fresh server's config points SMTP: an empty
// SMTPServer/SMTPPort is saved as these, and nothing listens there.
const smtpTarget = "localhost:10025"

// getConfig answers GET /config (manage_system) with the parts of the
// configuration the sync reads: EmailSettings as a fresh server has them
// (SMTP pointing at localhost:10025, notifications off) unless SMTP works.
func (s *Server) getConfig(c *reqCtx) {
	if !c.admin {
		s.forbid(c, "api.context.permissions.app_error")
		return
	}
	s.mu.Lock()
	smtp := s.opts.SMTP
	s.mu.Unlock()
	es := map[string]any{"SMTPServer": "localhost", "SMTPPort": "10025", "SendEmailNotifications": false,
		"EnableSMTPAuth": false, "FeedbackEmail": "test@example.com", "RequireEmailVerification": s.opts.RequireEmailVerification}
	if smtp {
		es["SMTPServer"], es["SMTPPort"], es["SendEmailNotifications"] = "smtp.example.com", "587", true
	}
	writeJSON(c.w, http.StatusOK, map[string]any{
		"ServiceSettings":  map[string]any{"SiteURL": s.URL()},
		"EmailSettings":    es,
		"PasswordSettings": map[string]any{"MinimumLength": s.opts.PasswordPolicy.MinimumLength},
	})
}

// testEmail answers POST /email/test: the server connects to the SMTP
// server of the configuration in the body and mails the calling admin. 5.36
// drops the connection for a body without a configuration ({}).
func (s *Server) testEmail(c *reqCtx) {
	if !c.admin {
		s.forbid(c, "api.context.permissions.app_error")
		return
	}
	var cfg struct {
		EmailSettings *struct{ SMTPServer, SMTPPort string }
	}
	if err := json.NewDecoder(io.LimitReader(c.r.Body, 1<<20)).Decode(&cfg); err != nil || cfg.EmailSettings == nil {
		panic(http.ErrAbortHandler) // the connection closes without an answer
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	target := cfg.EmailSettings.SMTPServer + ":" + cfg.EmailSettings.SMTPPort
	if !s.opts.SMTP || target == smtpTarget {
		s.writeError(c.w, http.StatusInternalServerError, "app.admin.test_email.failure", "")
		return
	}
	s.mail.sent = append(s.mail.sent, Mail{To: s.users[s.adminID].u.Email, Subject: SubjectTest})
	writeJSON(c.w, http.StatusOK, map[string]string{"status": "OK"})
}

// sendPasswordReset answers POST /users/password/reset/send {"email"}: no
// session needed; 200 for an address no account has (no enumeration); 400
// for an SSO account; 500 when SMTP fails. SendEmailNotifications does not
// gate it.
func (s *Server) sendPasswordReset(c *reqCtx) {
	var body struct {
		Email string `json:"email"`
	}
	if err := json.NewDecoder(io.LimitReader(c.r.Body, 1<<16)).Decode(&body); err != nil || body.Email == "" {
		s.writeError(c.w, http.StatusBadRequest, "api.context.invalid_body_param.app_error", "email")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.byEmail[strings.ToLower(body.Email)]
	if !ok {
		writeJSON(c.w, http.StatusOK, map[string]string{"status": "OK"})
		return
	}
	r := s.users[id]
	if r.u.AuthData != nil && *r.u.AuthData != "" {
		s.writeError(c.w, http.StatusBadRequest, "api.user.send_password_reset.sso.app_error", "")
		return
	}
	if !s.opts.SMTP {
		s.writeError(c.w, http.StatusInternalServerError, "api.user.send_password_reset.send.app_error",
			"dial tcp 127.0.0.1:10025: connect: connection refused")
		return
	}
	tok := strings.ToLower(s.newID() + s.newID() + s.newID())[:64]
	s.mail.sent = append(s.mail.sent, Mail{To: r.u.Email, Subject: SubjectReset, Token: tok})
	writeJSON(c.w, http.StatusOK, map[string]string{"status": "OK"})
}

// updatePassword answers PUT /users/{id}/password {"new_password"} from an
// admin: no current password needed, the policy is checked, and the user is
// mailed that the password changed when SMTP works.
func (s *Server) updatePassword(c *reqCtx) {
	var body struct {
		NewPassword string `json:"new_password"`
	}
	if err := json.NewDecoder(io.LimitReader(c.r.Body, 1<<16)).Decode(&body); err != nil || body.NewPassword == "" {
		s.writeError(c.w, http.StatusBadRequest, "api.context.invalid_body_param.app_error", "new_password")
		return
	}
	id := c.p("id")
	if !isValidID(id) {
		s.writeError(c.w, http.StatusBadRequest, "api.context.invalid_url_param.app_error", "user_id")
		return
	}
	if !c.admin && id != c.selfID {
		s.forbid(c, "api.context.permissions.app_error")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.users[id]
	if !ok {
		s.writeError(c.w, http.StatusBadRequest, "app.user.missing_account.const", "")
		return
	}
	if pid := passwordErrorID(body.NewPassword, s.opts.PasswordPolicy); pid != "" {
		s.writeError(c.w, http.StatusBadRequest, pid, "")
		return
	}
	r.pwHash = hashPassword(body.NewPassword)
	s.sorted = nil
	if s.opts.SMTP {
		s.mail.sent = append(s.mail.sent, Mail{To: r.u.Email, Subject: SubjectPasswordUpdated})
	}
	writeJSON(c.w, http.StatusOK, map[string]string{"status": "OK"})
}

// login answers POST /users/login {"login_id","password"}: 200 with the
// user and a Token header, 401 for a wrong password or a deactivated account.
func (s *Server) login(c *reqCtx) {
	var body struct {
		LoginID  string `json:"login_id"`
		Password string `json:"password"`
	}
	if err := json.NewDecoder(io.LimitReader(c.r.Body, 1<<16)).Decode(&body); err != nil {
		s.writeError(c.w, http.StatusBadRequest, "api.context.invalid_body_param.app_error", "login_id")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.byLogin(body.LoginID)
	switch {
	case r == nil || r.pwHash == "" || r.pwHash != hashPassword(body.Password):
		s.writeError(c.w, http.StatusUnauthorized, "api.user.login.invalid_credentials_email_username", "")
	case !r.u.active():
		s.writeError(c.w, http.StatusUnauthorized, "api.user.login.inactive.app_error", "")
	default:
		c.w.Header().Set("Token", s.newID())
		writeJSON(c.w, http.StatusOK, s.userAnswer(r.u))
	}
}
