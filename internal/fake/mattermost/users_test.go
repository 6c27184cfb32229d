package fakemm

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestUserAnswersAuthData: every route that answers with a user sends it
// through userAnswer, so a 5.36 server blanks auth_data on all of them (an
// SSO user's and, as 5.x's Sanitize does, a password user's too) and an
// 11.x server sends an admin what is stored. The seams show what is stored.
func TestUserAnswersAuthData(t *testing.T) {
	type world struct {
		s       *Server
		sso, pw User
		pwPass  string
	}
	// route answers the user with id through one route; the user comes
	// back decoded (from a list, the one with that id).
	routes := []struct {
		name   string
		status int
		call   func(w world, u User) resp
	}{
		{"GET /users/{id}", 200, func(w world, u User) resp {
			return call(t, w.s, w.s.AdminToken(), "GET", "/api/v4/users/"+u.ID, "")
		}},
		{"GET /users/email/{email}", 200, func(w world, u User) resp {
			return call(t, w.s, w.s.AdminToken(), "GET", "/api/v4/users/email/"+u.Email, "")
		}},
		{"GET /users", 200, func(w world, u User) resp {
			return call(t, w.s, w.s.AdminToken(), "GET", "/api/v4/users?per_page=200", "")
		}},
		{"PUT /users/{id}/patch", 200, func(w world, u User) resp {
			return call(t, w.s, w.s.AdminToken(), "PUT", "/api/v4/users/"+u.ID+"/patch", `{"position":"Lead"}`)
		}},
		{"GET /users/me", 200, func(w world, u User) resp {
			return call(t, w.s, w.s.LogIn(u.ID, w.pwPass), "GET", "/api/v4/users/me", "")
		}},
		{"POST /users/login", 200, func(w world, u User) resp {
			w.s.LogIn(u.ID, w.pwPass)
			return call(t, w.s, "", "POST", "/api/v4/users/login", `{"login_id":"`+u.Username+`","password":"`+w.pwPass+`"}`)
		}},
	}
	for _, gen := range []struct {
		gen          Generation
		wantSSO      *string // auth_data the SSO user is answered with
		wantPassword *string // and a password user
	}{
		{Generation5, ptr(""), ptr("")},
		{Generation11, ptr("oid-1"), nil},
		{GenerationCurrent, ptr("oid-1"), nil},
	} {
		for _, rt := range routes {
			s := New(Options{Generation: gen.gen})
			data := "oid-1"
			w := world{s: s, pwPass: "Secret-Passw0rd!"}
			w.sso = s.AddUser(User{Username: "sso", Email: "sso@example.com", AuthService: "office365", AuthData: &data})
			w.pw = s.AddUser(User{Username: "pw", Email: "pw@example.com"})
			for _, c := range []struct {
				who  string
				u    User
				want *string
			}{{"sso", w.sso, gen.wantSSO}, {"password", w.pw, gen.wantPassword}} {
				r := rt.call(w, c.u)
				got, ok := answeredUser(r.body, c.u.ID)
				if r.status != rt.status || !ok {
					t.Fatalf("%v %s %s: %d %s", gen.gen, rt.name, c.who, r.status, r.body)
				}
				if !samePtr(got.AuthData, c.want) {
					t.Errorf("%v %s %s: auth_data %s, want %s", gen.gen, rt.name, c.who, show(got.AuthData), show(c.want))
				}
			}
			if stored, _ := s.User(w.sso.ID); stored.AuthData == nil || *stored.AuthData != "oid-1" {
				t.Errorf("%v %s: stored auth_data %s, want oid-1", gen.gen, rt.name, show(stored.AuthData))
			}
			s.Close()
		}
		// The create answers with the new user, sanitized the same way.
		s := New(Options{Generation: gen.gen})
		r := call(t, s, s.AdminToken(), "POST", "/api/v4/users", `{"username":"new","email":"new@example.com","auth_service":"office365","auth_data":"oid-1"}`)
		if got, ok := answeredUser(r.body, ""); r.status != 201 || !ok || !samePtr(got.AuthData, gen.wantSSO) {
			t.Errorf("%v POST /users: %d %s, want auth_data %s", gen.gen, r.status, r.body, show(gen.wantSSO))
		}
		r = call(t, s, s.AdminToken(), "GET", "/api/v4/users/"+strings.Repeat("z", 26), "")
		if r.status != 404 || r.appErr(t).ID != "app.user.missing_account.const" {
			t.Errorf("%v: unknown id: %d %s", gen.gen, r.status, r.body)
		}
		s.Close()
	}
}

// answeredUser decodes a user answer, or from a list the user with id ("":
// a single user of any id).
func answeredUser(body []byte, id string) (User, bool) {
	var u User
	if err := json.Unmarshal(body, &u); err == nil && u.ID != "" && (id == "" || u.ID == id) {
		return u, true
	}
	var list []User
	if err := json.Unmarshal(body, &list); err != nil {
		return User{}, false
	}
	for _, u := range list {
		if u.ID == id {
			return u, true
		}
	}
	return User{}, false
}

func ptr(s string) *string { return &s }

func samePtr(a, b *string) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }

func show(p *string) string {
	if p == nil {
		return "absent"
	}
	return `"` + *p + `"`
}
