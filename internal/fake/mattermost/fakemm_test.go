package fakemm

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
)

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) appErr(t *testing.T) appError {
	t.Helper()
	var e appError
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Fatalf("not an AppError (%d): %s", r.status, r.body)
	}
	return e
}

func call(t *testing.T, s *Server, token, method, path, body string) resp {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.URL()+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{res.StatusCode, res.Header, b}
}

func createBody(username, email, pw string) string {
	b, _ := json.Marshal(map[string]any{"username": username, "email": email, "password": pw, "roles": "system_admin system_user"})
	return string(b)
}

func TestAuth(t *testing.T) {
	s := New(Options{UserToken: "user-tok"})
	defer s.Close()
	r := call(t, s, "", "GET", "/api/v4/users/me", "")
	if e := r.appErr(t); r.status != 401 || e.ID != "api.context.session_expired.app_error" || e.StatusCode != 401 {
		t.Fatalf("no token: %d %s", r.status, r.body)
	}
	r = call(t, s, "wrong", "GET", "/api/v4/users/me", "")
	if r.status != 401 {
		t.Fatalf("bad token: %d", r.status)
	}
	r = call(t, s, "user-tok", "GET", "/api/v4/limits/server", "")
	if r.status != 403 || r.appErr(t).ID != "api.context.permissions.app_error" {
		t.Fatalf("non-admin limits: %d %s", r.status, r.body)
	}
	r = call(t, s, "user-tok", "POST", "/api/v4/users", createBody("x", "x@example.com", "password1"))
	if r.status != 403 {
		t.Fatalf("non-admin create: %d", r.status)
	}
	r = call(t, s, "", "GET", "/api/v4/system/ping", "")
	if r.status != 200 || !strings.HasPrefix(r.header.Get("X-Version-Id"), "11.") || !strings.Contains(string(r.body), `"status":"OK"`) {
		t.Fatalf("ping: %d %v %s", r.status, r.header, r.body)
	}
	r = call(t, s, s.AdminToken(), "GET", "/api/v4/nope", "")
	if r.status != 404 || r.appErr(t).ID != "api.context.404.app_error" {
		t.Fatalf("unknown route: %d %s", r.status, r.body)
	}
	if s.Writes() != 0 {
		t.Fatalf("writes = %d: rejected requests must not count", s.Writes())
	}
	if got := s.Requests()["GET /api/v4/users/me"]; got != 2 {
		t.Fatalf("requests = %v", s.Requests())
	}
}

func TestCreateValidation(t *testing.T) {
	s := New(Options{PasswordPolicy: PasswordPolicy{MinimumLength: 10, Uppercase: true, Number: true}})
	defer s.Close()
	tok := s.AdminToken()
	long := strings.Repeat("n", 65)
	cases := []struct {
		name, body, wantID string
	}{
		{"restricted", createBody("system", "a@example.com", "Password123"), "model.user.is_valid.username.app_error"},
		{"bad chars", createBody("a b", "a@example.com", "Password123"), "model.user.is_valid.username.app_error"},
		{"too long", createBody(strings.Repeat("a", 65), "a@example.com", "Password123"), "model.user.is_valid.username.app_error"},
		{"bad email", createBody("abc", "not-an-email", "Password123"), "model.user.is_valid.email.app_error"},
		{"angle email", createBody("abc", "<a@example.com>", "Password123"), "model.user.is_valid.email.app_error"},
		{"short pw", createBody("abc", "a@example.com", "Pass1"), "model.user.is_valid.pwd_min_length.app_error"},
		{"long pw", createBody("abc", "a@example.com", strings.Repeat("A1", 37)), "model.user.is_valid.pwd_max_length.app_error"},
		{"no upper/number", createBody("abc", "a@example.com", "passwordpassword"), "model.user.is_valid.pwd_uppercase_number.app_error"},
		{"nickname", `{"username":"abc","email":"a@example.com","password":"Password123","nickname":"` + long + `"}`, "model.user.is_valid.nickname.app_error"},
		{"id set", `{"id":"abcdefghijklmnopqrstuvwxyz","username":"abc","email":"a@example.com","password":"Password123"}`, "app.user.save.existing.app_error"},
		{"body", `{`, "api.context.invalid_body_param.app_error"},
	}
	for _, tc := range cases {
		r := call(t, s, tok, "POST", "/api/v4/users", tc.body)
		if r.status != 400 || r.appErr(t).ID != tc.wantID {
			t.Errorf("%s: %d %s", tc.name, r.status, r.body)
		}
	}
	// upper case is lower-cased, roles forced, 64 runes of nickname is fine
	r := call(t, s, tok, "POST", "/api/v4/users", `{"username":"Mixed.Case","email":" Mixed@Example.COM ","password":"Password123","roles":"system_admin","nickname":"`+strings.Repeat("é", 64)+`","remote_id":"r1"}`)
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	var u User
	_ = json.Unmarshal(r.body, &u)
	if u.Username != "mixed.case" || u.Email != "mixed@example.com" || u.Roles != "system_user" || u.RemoteID != nil || u.Password != "" || strings.Contains(string(r.body), "Password123") {
		t.Fatalf("created: %s", r.body)
	}
	if !s.CheckPassword(u.ID, "Password123") {
		t.Fatal("password not recorded")
	}
	for _, tc := range []struct{ body, id string }{
		{createBody("other", "MIXED@example.com", "Password123"), "app.user.save.email_exists.app_error"},
		{createBody("MIXED.case", "new@example.com", "Password123"), "app.user.save.username_exists.app_error"},
	} {
		r := call(t, s, tok, "POST", "/api/v4/users", tc.body)
		if r.status != 400 || r.appErr(t).ID != tc.id {
			t.Errorf("dup: %d %s", r.status, r.body)
		}
	}
}

func TestListPaging(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	for i := 0; i < 250; i++ {
		s.AddUser(User{Username: fmt.Sprintf("u%03d", i), Email: fmt.Sprintf("u%03d@example.com", i), Password: "secret-pass"})
	}
	s.AddUser(User{Username: "zz.inactive", Email: "zz@example.com", DeleteAt: 5})
	list := func(q string) []User {
		r := call(t, s, s.AdminToken(), "GET", "/api/v4/users"+q, "")
		if r.status != 200 {
			t.Fatalf("%s: %d", q, r.status)
		}
		if strings.Contains(string(r.body), "password") {
			t.Fatal("password in listing")
		}
		var us []User
		_ = json.Unmarshal(r.body, &us)
		return us
	}
	if n := len(list("?per_page=1000")); n != 200 {
		t.Errorf("clamp: %d", n)
	}
	if n := len(list("")); n != 60 {
		t.Errorf("default: %d", n)
	}
	if n := len(list("?per_page=abc&page=-3")); n != 60 {
		t.Errorf("invalid: %d", n)
	}
	p1 := list("?per_page=200&page=1")
	if len(p1) != 52 || p1[0].Username != "u199" || p1[51].Username != "zz.inactive" {
		t.Errorf("page 1: %d %s", len(p1), p1[0].Username)
	}
	if n := len(list("?per_page=200&page=5")); n != 0 {
		t.Errorf("past end: %d", n)
	}
	if us := list("?inactive=true"); len(us) != 1 {
		t.Errorf("inactive: %d", len(us))
	}
	if us := list("?active=true&per_page=200&page=1"); len(us) != 51 {
		t.Errorf("active page 1: %d", len(us))
	}
}

func TestPatchActiveAndLookup(t *testing.T) {
	s := New(Options{MaxUsersHardLimit: 3})
	defer s.Close()
	tok := s.AdminToken()
	a := s.AddUser(User{Username: "alice", Email: "alice@example.com", Props: map[string]string{"k": "v"}})
	s.AddUser(User{Username: "bob", Email: "bob@example.com"})

	r := call(t, s, tok, "GET", "/api/v4/users/email/ALICE@example.com", "")
	if r.status != 200 {
		t.Fatalf("by email: %d", r.status)
	}
	r = call(t, s, tok, "GET", "/api/v4/users/email/nobody@example.com", "")
	if r.status != 404 || r.appErr(t).ID != "app.user.missing_account.const" {
		t.Fatalf("missing: %d %s", r.status, r.body)
	}
	r = call(t, s, tok, "GET", "/api/v4/users/"+a.ID, "")
	if r.status != 200 {
		t.Fatalf("by id: %d", r.status)
	}

	before, _ := s.User(a.ID)
	r = call(t, s, tok, "PUT", "/api/v4/users/"+a.ID+"/patch", `{"position":"Boss","props":{"x":"1"}}`)
	after, _ := s.User(a.ID)
	if r.status != 200 || after.Position != "Boss" || len(after.Props) != 1 || after.Props["x"] != "1" || after.UpdateAt <= before.UpdateAt {
		t.Fatalf("patch: %d %s %+v", r.status, r.body, after)
	}
	// identical patch still bumps update_at
	r = call(t, s, tok, "PUT", "/api/v4/users/"+a.ID+"/patch", `{"position":"Boss"}`)
	again, _ := s.User(a.ID)
	if r.status != 200 || again.UpdateAt <= after.UpdateAt || again.Props["x"] != "1" {
		t.Fatal("identical patch")
	}
	r = call(t, s, tok, "PUT", "/api/v4/users/"+a.ID+"/patch", `{"username":"BOB"}`)
	if r.status != 400 || r.appErr(t).ID != "app.user.save.username_exists.app_error" {
		t.Fatalf("patch clash: %d %s", r.status, r.body)
	}
	r = call(t, s, tok, "PUT", "/api/v4/users/"+a.ID+"/patch", `{"position":"`+strings.Repeat("p", 129)+`"}`)
	if r.status != 400 || r.appErr(t).ID != "model.user.is_valid.position.app_error" {
		t.Fatalf("position: %d %s", r.status, r.body)
	}
	r = call(t, s, tok, "PUT", "/api/v4/users/abcdefghijklmnopqrstuvwxyz/patch", `{"position":"x"}`)
	if r.status != 400 || r.appErr(t).ID != "api.context.invalid_body_param.app_error" {
		t.Fatalf("patch missing: %d %s", r.status, r.body)
	}

	r = call(t, s, tok, "PUT", "/api/v4/users/"+a.ID+"/active", `{"active":"no"}`)
	if r.status != 400 {
		t.Fatalf("non-bool: %d", r.status)
	}
	r = call(t, s, tok, "PUT", "/api/v4/users/"+a.ID+"/active", `{"active":false}`)
	if u, _ := s.User(a.ID); r.status != 200 || u.DeleteAt == 0 {
		t.Fatalf("deactivate: %d", r.status)
	}
	s.AddUser(User{Username: "carol", Email: "carol@example.com"}) // now 3 active: admin, bob, carol
	r = call(t, s, tok, "PUT", "/api/v4/users/"+a.ID+"/active", `{"active":true}`)
	if r.status != 400 || r.appErr(t).ID != "app.user.update_active.user_limit.exceeded" {
		t.Fatalf("reactivate over limit: %d %s", r.status, r.body)
	}
	r = call(t, s, tok, "POST", "/api/v4/users", createBody("dave", "dave@example.com", "password1"))
	if r.status != 400 || r.appErr(t).ID != "api.user.create_user.user_limits.exceeded" {
		t.Fatalf("create over limit: %d %s", r.status, r.body)
	}
	// bots and remote users do not count
	remote := "r"
	s.AddUser(User{Username: "bot", Email: "bot@x", IsBot: true})
	s.AddUser(User{Username: "rem:x", Email: "rem@x", RemoteID: &remote})
	if s.ActiveUserCount() != 3 {
		t.Fatalf("active count = %d", s.ActiveUserCount())
	}
	r = call(t, s, tok, "PUT", "/api/v4/users/"+s.AdminID()+"/active", `{"active":false}`)
	if r.status != 401 || r.appErr(t).ID != "api.user.update_active.not_enable.app_error" {
		t.Fatalf("self deactivate: %d %s", r.status, r.body)
	}
	if w := s.Writes(); w != 10 {
		t.Fatalf("writes = %d", w)
	}
}

func TestFaultsAndRateLimit(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	tok := s.AdminToken()
	s.FailNext(2, 502, "GET /api/v4/users/me")
	for i := 0; i < 2; i++ {
		if r := call(t, s, tok, "GET", "/api/v4/users/me", ""); r.status != 502 || !strings.Contains(string(r.body), "Bad Gateway") {
			t.Fatalf("fault %d: %d", i, r.status)
		}
	}
	if r := call(t, s, tok, "GET", "/api/v4/users/me", ""); r.status != 200 {
		t.Fatal("fault not consumed")
	}
	s.FailNext(1, 429, "")
	r := call(t, s, tok, "GET", "/api/v4/system/ping", "")
	if r.status != 429 || strings.TrimSpace(string(r.body)) != "limit exceeded" || r.header.Get("Retry-After") != "1" ||
		r.header.Get("X-RateLimit-Remaining") != "0" || r.header.Get("X-RateLimit-Limit") != "101" || r.header.Get("X-RateLimit-Reset") != "1" ||
		!strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
		t.Fatalf("429: %d %v %q", r.status, r.header, r.body)
	}

	s.SetRateLimit(RateLimit{Fraction: 0.5, RetryAfter: 2})
	limited := 0
	for i := 0; i < 200; i++ {
		if r := call(t, s, "", "GET", "/api/v4/system/ping", ""); r.status == 429 {
			limited++
			if r.header.Get("Retry-After") != "2" {
				t.Fatal("retry-after")
			}
		}
	}
	if limited < 60 || limited > 140 {
		t.Fatalf("limited = %d of 200", limited)
	}
	s.SetRateLimit(RateLimit{})

	s.InjectFault(Fault{Method: "POST", PathPrefix: "/api/v4/users", Status: 504, AfterHandler: true})
	r = call(t, s, tok, "POST", "/api/v4/users", createBody("lost", "lost@example.com", "password1"))
	if _, ok := s.UserByEmail("lost@example.com"); r.status != 504 || !ok {
		t.Fatalf("after-handler fault: %d %v", r.status, ok)
	}
}

func TestTeamsFake(t *testing.T) {
	s := New(Options{Teams: []Team{{Name: "staff"}}, MaxUsersPerTeam: 2})
	defer s.Close()
	tok := s.AdminToken()
	r := call(t, s, tok, "GET", "/api/v4/teams/name/staff", "")
	var team Team
	_ = json.Unmarshal(r.body, &team)
	if r.status != 200 || team.ID == "" {
		t.Fatalf("team: %d %s", r.status, r.body)
	}
	var ids []string
	for i := 0; i < 3; i++ {
		ids = append(ids, s.AddUser(User{Username: fmt.Sprintf("t%d", i), Email: fmt.Sprintf("t%d@example.com", i)}).ID)
	}
	body := func(ids ...string) string {
		var ms []map[string]string
		for _, id := range ids {
			ms = append(ms, map[string]string{"team_id": team.ID, "user_id": id})
		}
		b, _ := json.Marshal(ms)
		return string(b)
	}
	r = call(t, s, tok, "POST", "/api/v4/teams/"+team.ID+"/members/batch?graceful=true", body(ids...))
	var res []memberWithError
	_ = json.Unmarshal(r.body, &res)
	if r.status != 201 || len(res) != 3 || res[2].Error == nil || res[2].Error.ID != "app.team.join_user_to_team.save_member.max_accounts.app_error" || res[0].Member == nil {
		t.Fatalf("batch: %d %s", r.status, r.body)
	}
	big := make([]string, 257)
	for i := range big {
		big[i] = ids[0]
	}
	if r := call(t, s, tok, "POST", "/api/v4/teams/"+team.ID+"/members/batch?graceful=true", body(big...)); r.status != 400 {
		t.Fatalf("257: %d", r.status)
	}
	if r := call(t, s, tok, "DELETE", "/api/v4/teams/"+team.ID+"/members/"+ids[0], ""); r.status != 200 {
		t.Fatalf("remove: %d", r.status)
	}
	if n := len(s.TeamMembers(team.ID)); n != 1 {
		t.Fatalf("members = %d", n)
	}
	// restoring a removed member when full
	s.AddTeamMember(team.ID, ids[2])
	r = call(t, s, tok, "POST", "/api/v4/teams/"+team.ID+"/members/batch?graceful=true", body(ids[0]))
	_ = json.Unmarshal(r.body, &res)
	if len(res) != 1 || res[0].Error == nil || res[0].Error.ID != "app.team.join_user_to_team.max_accounts.app_error" {
		t.Fatalf("restore full: %s", r.body)
	}
	if got := s.Requests()["DELETE /api/v4/teams/{id}/members/{user_id}"]; got != 1 {
		t.Fatalf("requests = %v", s.Requests())
	}
}

func TestConcurrentCreates(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	var wg sync.WaitGroup
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			// half collide on email
			r := call(t, s, s.AdminToken(), "POST", "/api/v4/users", createBody(fmt.Sprintf("c%d", i), fmt.Sprintf("c%d@example.com", i%20), fmt.Sprintf("password-%d", i)))
			if r.status != 201 && r.status != 400 {
				t.Errorf("status %d", r.status)
			}
		}(i)
	}
	wg.Wait()
	if n := len(s.Users()); n != 21 {
		t.Fatalf("users = %d", n)
	}
	if n := s.Requests()["POST /api/v4/users"]; n != 40 || s.Writes() != 40 {
		t.Fatalf("requests=%d writes=%d", n, s.Writes())
	}
	s.ResetCounters()
	if len(s.Requests()) != 0 || s.Writes() != 0 {
		t.Fatal("reset")
	}
}

// email_verified as real 5.36 and 11.4 servers keep it (reference §2.5, §10):
// true after a create that asked for it, false (absent from the JSON) after
// any address change, an admin's or the user's own; the user's own change
// needs their password. Props are replaced whole on patch.
func TestEmailVerifiedAndOwnPatch(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	tok := s.AdminToken()
	b, _ := json.Marshal(map[string]any{"username": "ann", "email": "ann@x.example", "password": "Passw0rd!long", "email_verified": true})
	r := call(t, s, tok, "POST", "/api/v4/users", string(b))
	var ann User
	if err := json.Unmarshal(r.body, &ann); err != nil || r.status != 201 || !ann.EmailVerified {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	own := s.LogIn(ann.ID, "own-password-1")
	if r := call(t, s, own, "PUT", "/api/v4/users/me/patch", `{"props":{"customStatus":"{}"}}`); r.status != 200 ||
		!strings.Contains(string(r.body), `"email_verified":true`) {
		t.Fatalf("own props patch: %d %s", r.status, r.body)
	}
	if u, _ := s.User(ann.ID); len(u.Props) != 1 || u.Props["customStatus"] != "{}" {
		t.Fatalf("props not replaced whole: %v", u.Props)
	}
	if r := call(t, s, own, "PUT", "/api/v4/users/me/patch", `{"email":"boss@x.example"}`); r.status != 400 || r.appErr(t).ID != "api.context.invalid_body_param.app_error" {
		t.Fatalf("own address change without a password: %d %s", r.status, r.body)
	}
	if r := call(t, s, own, "PUT", "/api/v4/users/me/patch", `{"email":"boss@x.example","password":"wrong"}`); r.status != 401 {
		t.Fatalf("own address change with a wrong password: %d %s", r.status, r.body)
	}
	r = call(t, s, own, "PUT", "/api/v4/users/me/patch", `{"email":"boss@x.example","password":"own-password-1"}`)
	if r.status != 200 || strings.Contains(string(r.body), "email_verified") {
		t.Fatalf("own address change: %d %s (email_verified must be absent)", r.status, r.body)
	}
	if r := call(t, s, own, "PUT", "/api/v4/users/"+s.AdminID()+"/patch", `{"nickname":"x"}`); r.status != 403 {
		t.Fatalf("a user patched someone else: %d", r.status)
	}
	s.mu.Lock()
	s.users[ann.ID].u.EmailVerified = true
	s.mu.Unlock()
	if r := call(t, s, tok, "PUT", "/api/v4/users/"+ann.ID+"/patch", `{"email":"ann2@x.example"}`); r.status != 200 || strings.Contains(string(r.body), "email_verified") {
		t.Fatalf("admin address change: %d %s", r.status, r.body)
	}
	if u, _ := s.User(ann.ID); u.EmailVerified {
		t.Fatal("email_verified kept after an admin's address change")
	}
}
