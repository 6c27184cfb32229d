package fakemm

import (
	"net/http"
	"strings"
	"testing"
)

func TestMailEndpointsWithoutSMTP(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	tok := s.AdminToken()
	u := s.AddUser(User{Username: "old.user", Email: "old.user@example.com", Password: "New1234!"})

	cfg := call(t, s, tok, "GET", "/api/v4/config", "")
	if cfg.status != 200 || !strings.Contains(string(cfg.body), `"SMTPServer":"localhost"`) || !strings.Contains(string(cfg.body), `"SMTPPort":"10025"`) {
		t.Fatalf("GET /config: %d %s", cfg.status, cfg.body)
	}
	if r := call(t, s, tok, "POST", "/api/v4/email/test", string(cfg.body)); r.status != 500 || r.appErr(t).ID != "app.admin.test_email.failure" {
		t.Fatalf("email test without SMTP: %d %s", r.status, r.body)
	}
	if r := call(t, s, "", "POST", "/api/v4/users/password/reset/send", `{"email":"old.user@example.com"}`); r.status != 500 || r.appErr(t).ID != "api.user.send_password_reset.send.app_error" {
		t.Fatalf("reset without SMTP: %d %s", r.status, r.body)
	}
	if r := call(t, s, "", "POST", "/api/v4/users/password/reset/send", `{"email":"nobody@example.com"}`); r.status != 200 {
		t.Fatalf("reset for an unknown address: %d (want 200, no enumeration)", r.status)
	}
	if r := call(t, s, "", "PUT", "/api/v4/users/"+u.ID+"/password", `{"new_password":"Another-Password-1"}`); r.status != 401 {
		t.Fatalf("password without a session: %d", r.status)
	}
	if r := call(t, s, tok, "PUT", "/api/v4/users/"+u.ID+"/password", `{"new_password":"short"}`); r.status != 400 || !strings.HasPrefix(r.appErr(t).ID, "model.user.is_valid.pwd") {
		t.Fatalf("short password: %d %s", r.status, r.body)
	}
	if r := call(t, s, tok, "PUT", "/api/v4/users/"+u.ID+"/password", `{}`); r.status != 400 || r.appErr(t).ID != "api.context.invalid_body_param.app_error" {
		t.Fatalf("no new_password: %d %s", r.status, r.body)
	}
	if !s.SignIn("old.user", "New1234!") {
		t.Fatal("the old password does not sign in before the change")
	}
	if r := call(t, s, tok, "PUT", "/api/v4/users/"+u.ID+"/password", `{"new_password":"Another-Password-1"}`); r.status != 200 {
		t.Fatalf("set password: %d %s", r.status, r.body)
	}
	if s.SignIn("old.user", "New1234!") || !s.SignIn("old.user@example.com", "Another-Password-1") {
		t.Fatal("after the change only the new password signs in")
	}
	if r := call(t, s, "", "POST", "/api/v4/users/login", `{"login_id":"old.user","password":"New1234!"}`); r.status != 401 || r.appErr(t).ID != "api.user.login.invalid_credentials_email_username" {
		t.Fatalf("login with the old password: %d %s", r.status, r.body)
	}
	if r := call(t, s, "", "POST", "/api/v4/users/login", `{"login_id":"old.user","password":"Another-Password-1"}`); r.status != 200 || r.header.Get("Token") == "" {
		t.Fatalf("login: %d %s", r.status, r.body)
	}
	if len(s.Mails()) != 0 {
		t.Fatalf("mails without SMTP: %v", s.Mails())
	}
}

func TestMailEndpointsWithSMTP(t *testing.T) {
	s := New(Options{SMTP: true})
	defer s.Close()
	tok := s.AdminToken()
	u := s.AddUser(User{Username: "ann", Email: "ann@example.com"})
	cfg := call(t, s, tok, "GET", "/api/v4/config", "")
	if r := call(t, s, tok, "POST", "/api/v4/email/test", string(cfg.body)); r.status != 200 {
		t.Fatalf("email test: %d %s", r.status, r.body)
	}
	if r := call(t, s, "", "POST", "/api/v4/users/password/reset/send", `{"email":"ANN@example.com"}`); r.status != 200 {
		t.Fatalf("reset: %d %s", r.status, r.body)
	}
	if r := call(t, s, tok, "PUT", "/api/v4/users/"+u.ID+"/password", `{"new_password":"Another-Password-1"}`); r.status != 200 {
		t.Fatalf("set password: %d", r.status)
	}
	m := s.Mails()
	if len(m) != 3 || m[1].To != "ann@example.com" || m[1].Subject != SubjectReset || len(m[1].Token) != 64 || m[2].Subject != SubjectPasswordUpdated {
		t.Fatalf("mails: %+v", m)
	}
	// 5.36 drops the connection for a body without a configuration.
	req, _ := http.NewRequest("POST", s.URL()+"/api/v4/email/test", strings.NewReader("{}"))
	req.Header.Set("Authorization", "Bearer "+tok)
	if resp, err := s.Client().Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("email test with {}: answered %d, want a dropped connection", resp.StatusCode)
	}
}
