package fakemm

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// channelWorld is a server with team "eng", its town-square, an open and a
// private channel, an archived one, and users: in (team member), out (never
// in the team), left (removed from the team), gone (deactivated team member).
type channelWorld struct {
	s                                   *Server
	team                                Team
	town, open, private, archived       Channel
	in, out, left, gone, chanMember, me string
}

func newChannelWorld(t *testing.T, opts Options) *channelWorld {
	t.Helper()
	s := New(opts)
	t.Cleanup(s.Close)
	w := &channelWorld{s: s, me: s.AdminID()}
	w.team = s.AddTeam(Team{Name: "eng"})
	w.town = s.AddChannel(Channel{TeamID: w.team.ID, Name: DefaultChannelName, DisplayName: "Town Square"})
	w.open = s.AddChannel(Channel{TeamID: w.team.ID, Name: "general-chat"})
	w.private = s.AddChannel(Channel{TeamID: w.team.ID, Name: "finance-internal", Type: "P"})
	w.archived = s.AddChannel(Channel{TeamID: w.team.ID, Name: "old-project", DeleteAt: 1})
	user := func(name string, deleted int64) string {
		return s.AddUser(User{Username: name, Email: name + "@example.com", DeleteAt: deleted}).ID
	}
	w.in, w.out, w.left, w.gone, w.chanMember = user("in", 0), user("out", 0), user("left", 0), user("gone", 5), user("member", 0)
	for _, id := range []string{w.in, w.left, w.gone, w.chanMember} {
		s.AddTeamMember(w.team.ID, id)
	}
	s.AddChannelMember(w.private.ID, w.chanMember)
	r := call(t, s, s.AdminToken(), "DELETE", "/api/v4/teams/"+w.team.ID+"/members/"+w.left, "")
	if r.status != 200 {
		t.Fatalf("remove left from team: %d %s", r.status, r.body)
	}
	return w
}

func TestGetChannelByTeamAndName(t *testing.T) {
	w := newChannelWorld(t, Options{UserToken: "user-tok"})
	s, tok := w.s, w.s.AdminToken()
	s.AddTeamMember(w.team.ID, s.UserID())
	tests := []struct {
		name, token, path string
		status            int
		wantID            string // channel id on 200, error id otherwise
	}{
		{"open", tok, "eng/channels/name/general-chat", 200, w.open.ID},
		{"private, system admin not a member", tok, "eng/channels/name/finance-internal", 200, w.private.ID},
		{"team name case-insensitive", tok, "ENG/channels/name/general-chat", 200, w.open.ID},
		{"archived, include_deleted", tok, "eng/channels/name/old-project?include_deleted=true", 200, w.archived.ID},
		{"archived, without include_deleted", tok, "eng/channels/name/old-project", 404, "app.channel.get_by_name.missing.app_error"},
		{"unknown channel", tok, "eng/channels/name/nope?include_deleted=true", 404, "app.channel.get_by_name.missing.app_error"},
		{"unknown team", tok, "nope/channels/name/general-chat", 404, "app.team.get_by_name.missing.app_error"},
		{"name outside the route pattern", tok, "eng/channels/name/a.b", 404, "api.context.404.app_error"},
		{"private, non-member user", "user-tok", "eng/channels/name/finance-internal", 404, "app.channel.get_by_name.missing.app_error"},
		{"open, team member user", "user-tok", "eng/channels/name/general-chat", 200, w.open.ID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := call(t, s, tt.token, "GET", "/api/v4/teams/name/"+tt.path, "")
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
			if tt.status != 200 {
				if e := r.appErr(t); e.ID != tt.wantID {
					t.Fatalf("error %s, want %s", e.ID, tt.wantID)
				}
				return
			}
			var ch Channel
			if err := json.Unmarshal(r.body, &ch); err != nil || ch.ID != tt.wantID || ch.TeamID != w.team.ID {
				t.Fatalf("channel %+v (%v), want id %s", ch, err, tt.wantID)
			}
		})
	}
}

func TestChannelMemberPaging(t *testing.T) {
	w := newChannelWorld(t, Options{})
	s := w.s
	for i := range 450 {
		u := s.AddUser(User{Username: fmt.Sprintf("p%03d", i), Email: fmt.Sprintf("p%03d@example.com", i)})
		s.AddChannelMember(w.open.ID, u.ID)
	}
	tests := []struct {
		query string
		want  int
	}{
		{"page=0&per_page=200", 200},
		{"page=2&per_page=200", 50},
		{"page=3&per_page=200", 0},
		{"page=0&per_page=1000", 200}, // clamped to 200
		{"page=0", 60},                // the server's default
		{"page=1&per_page=300", 200},
	}
	for _, tt := range tests {
		r := call(t, s, s.AdminToken(), "GET", "/api/v4/channels/"+w.open.ID+"/members?"+tt.query, "")
		var ms []ChannelMember
		if err := json.Unmarshal(r.body, &ms); r.status != 200 || err != nil || len(ms) != tt.want {
			t.Errorf("%s: %d, %d members (%v), want %d", tt.query, r.status, len(ms), err, tt.want)
		}
	}
	// An unknown (well-formed) channel id: a system admin gets an empty list.
	r := call(t, s, s.AdminToken(), "GET", "/api/v4/channels/"+strings.Repeat("q", 26)+"/members", "")
	if r.status != 200 || strings.TrimSpace(string(r.body)) != "[]" {
		t.Errorf("unknown channel: %d %s", r.status, r.body)
	}
}

func TestAddChannelMembers(t *testing.T) {
	body := func(key string, ids ...string) string {
		var v any = ids
		if key == "user_id" {
			v = ids[0]
		}
		b, _ := json.Marshal(map[string]any{key: v})
		return string(b)
	}
	for _, gen := range []Generation{Generation5, Generation11} {
		t.Run(gen.String(), func(t *testing.T) {
			w := newChannelWorld(t, Options{Generation: gen})
			s, tok := w.s, w.s.AdminToken()
			path := "/api/v4/channels/" + w.private.ID + "/members"
			perUser := []struct {
				name, user   string
				status       int
				wantID       string
				wantPostsInc int
			}{
				{"team member", w.in, 201, "", 1},
				{"again: already a member, no second message", w.in, 201, "", 0},
				{"never in the team", w.out, 404, "app.team.get_member.missing.app_error", 0},
				{"removed from the team", w.left, 400, "api.channel.add_user.to.channel.failed.deleted.app_error", 0},
				{"deactivated", w.gone, 403, "app.channel.add_member.deleted_user.app_error", 0},
				{"no such user", strings.Repeat("z", 26), 404, "app.user.missing_account.const", 0},
			}
			for _, tt := range perUser {
				before := s.SystemMessages(w.private.ID)
				r := call(t, s, tok, "POST", path, body("user_id", tt.user))
				if r.status != tt.status {
					t.Fatalf("%s: %d %s", tt.name, r.status, r.body)
				}
				if tt.wantID != "" && r.appErr(t).ID != tt.wantID {
					t.Fatalf("%s: %s, want %s", tt.name, r.body, tt.wantID)
				}
				if tt.status == 201 {
					var m ChannelMember // single form answers one member, not a list
					if err := json.Unmarshal(r.body, &m); err != nil || m.UserID != tt.user || m.ChannelID != w.private.ID {
						t.Fatalf("%s: %s (%v)", tt.name, r.body, err)
					}
				}
				if got := s.SystemMessages(w.private.ID) - before; got != tt.wantPostsInc {
					t.Fatalf("%s: %d system messages, want %d", tt.name, got, tt.wantPostsInc)
				}
			}

			extra := s.AddUser(User{Username: "extra", Email: "extra@example.com"}).ID
			s.AddTeamMember(w.team.ID, extra)
			r := call(t, s, tok, "POST", path, body("user_ids", extra, w.out))
			if gen == Generation5 {
				// Measured on 5.36.1: the batch form is not understood at all.
				e := r.appErr(t)
				if r.status != 400 || e.ID != "api.context.invalid_body_param.app_error" ||
					e.Message != "Invalid or missing user_id in request body." || e.DetailedError != "" {
					t.Fatalf("batch on 5.36: %d %s", r.status, r.body)
				}
				if len(s.ChannelMembers(w.private.ID)) != 2 {
					t.Fatal("the refused batch added someone")
				}
				return
			}
			// One refused user does not fail the others: 201 with those added.
			var ms []ChannelMember
			if err := json.Unmarshal(r.body, &ms); r.status != 201 || err != nil || len(ms) != 1 || ms[0].UserID != extra {
				t.Fatalf("mixed batch: %d %s", r.status, r.body)
			}
			// All refused: the last user's error.
			r = call(t, s, tok, "POST", path, body("user_ids", w.gone, w.out))
			if r.status != 404 || r.appErr(t).ID != "app.team.get_member.missing.app_error" {
				t.Fatalf("refused batch: %d %s", r.status, r.body)
			}
			many := make([]string, 1001)
			for i := range many {
				many[i] = w.in
			}
			r = call(t, s, tok, "POST", path, body("user_ids", many...))
			if e := r.appErr(t); r.status != 400 || e.Message != "Invalid or missing user_ids in request body." {
				t.Fatalf("1001 ids: %d %s", r.status, r.body)
			}
			r = call(t, s, tok, "POST", path, body("user_ids", "not-an-id"))
			if r.status != 400 || r.appErr(t).Message != "Invalid or missing user_id in user_ids in request body." {
				t.Fatalf("bad id: %d %s", r.status, r.body)
			}
		})
	}
}

func TestAddToArchivedChannel(t *testing.T) {
	w := newChannelWorld(t, Options{})
	r := call(t, w.s, w.s.AdminToken(), "POST", "/api/v4/channels/"+w.archived.ID+"/members", `{"user_id":"`+w.in+`"}`)
	if r.status != 400 || r.appErr(t).ID != "api.channel.add_user_to_channel.deleted.app_error" {
		t.Fatalf("%d %s", r.status, r.body)
	}
}

func TestRemoveChannelMember(t *testing.T) {
	w := newChannelWorld(t, Options{})
	s, tok := w.s, w.s.AdminToken()
	s.AddChannelMember(w.town.ID, w.in)
	tests := []struct {
		name, channel, user string
		status              int
		wantID              string
	}{
		{"member", w.private.ID, w.chanMember, 200, ""},
		{"again: no longer a member", w.private.ID, w.chanMember, 404, "app.channel.get_member.missing.app_error"},
		{"town-square", w.town.ID, w.in, 400, "api.channel.remove.default.app_error"},
		{"unknown user", w.private.ID, strings.Repeat("z", 26), 404, "app.user.missing_account.const"},
		{"unknown channel", strings.Repeat("z", 26), w.in, 404, "app.channel.get.existing.app_error"},
	}
	for _, tt := range tests {
		r := call(t, s, tok, "DELETE", "/api/v4/channels/"+tt.channel+"/members/"+tt.user, "")
		if r.status != tt.status || tt.wantID != "" && r.appErr(t).ID != tt.wantID {
			t.Errorf("%s: %d %s", tt.name, r.status, r.body)
		}
	}
	if got := s.SystemMessages(w.private.ID); got != 1 {
		t.Errorf("system messages %d, want 1 (the removal)", got)
	}
}

func TestTeamMembershipMovesChannels(t *testing.T) {
	w := newChannelWorld(t, Options{})
	s, tok := w.s, w.s.AdminToken()
	u := s.AddUser(User{Username: "newbie", Email: "newbie@example.com"}).ID
	r := call(t, s, tok, "POST", "/api/v4/teams/"+w.team.ID+"/members/batch?graceful=true", `[{"team_id":"`+w.team.ID+`","user_id":"`+u+`"}]`)
	if r.status != 201 {
		t.Fatalf("team add: %d %s", r.status, r.body)
	}
	if !hasMember(s.ChannelMembers(w.town.ID), u) {
		t.Fatal("joining the team did not join town-square")
	}
	s.AddChannelMember(w.private.ID, u)
	r = call(t, s, tok, "DELETE", "/api/v4/teams/"+w.team.ID+"/members/"+u, "")
	if r.status != 200 || hasMember(s.ChannelMembers(w.town.ID), u) || hasMember(s.ChannelMembers(w.private.ID), u) {
		t.Fatalf("leaving the team kept channel memberships: %d", r.status)
	}
}

func hasMember(ms []ChannelMember, userID string) bool {
	for _, m := range ms {
		if m.UserID == userID {
			return true
		}
	}
	return false
}

func TestGenerations(t *testing.T) {
	realFormat := regexp.MustCompile(`^\d+\.\d+\.\d+\.[0-9.]*\.[0-9a-f]{32}\.(true|false)$`)
	tests := []struct {
		opts        Options
		wantVersion string // exact, or "" to check the format only
		limits      int
	}{
		{Options{Generation: Generation5}, Version5_36, 404},
		{Options{Generation: Generation11}, Version11_4, 200},
		{Options{}, DefaultServerVersion, 200},
		{Options{ServerVersion: "11.1.0"}, "", 200},
	}
	for _, tt := range tests {
		s := New(tt.opts)
		for _, r := range []resp{
			call(t, s, "", "GET", "/api/v4/system/ping", ""),
			call(t, s, "", "GET", "/api/v4/users/me", ""), // 401
			call(t, s, s.AdminToken(), "GET", "/api/v4/nope", ""),
		} {
			v := r.header.Get("X-Version-Id")
			if !realFormat.MatchString(v) || tt.wantVersion != "" && v != tt.wantVersion {
				t.Errorf("%v: X-Version-Id %q on a %d", tt.opts.Generation, v, r.status)
			}
		}
		if r := call(t, s, s.AdminToken(), "GET", "/api/v4/limits/server", ""); r.status != tt.limits {
			t.Errorf("%v: /limits/server %d, want %d", tt.opts.Generation, r.status, tt.limits)
		}
		s.Close()
	}
	if v := realVersionID("11.1.0"); !strings.HasPrefix(v, "11.1.0..") || v != realVersionID("11.1.0") {
		t.Errorf("realVersionID not stable: %q", v)
	}
}

func TestRequireEmailVerification(t *testing.T) {
	s := New(Options{RequireEmailVerification: true})
	defer s.Close()
	u := s.AddUser(User{Username: "ann", Email: "ann@old.example"})
	s.AddUser(User{Username: "bob", Email: "bob@example.com"})
	patch := `{"email":"ann@new.example","position":"Lead"}`
	for range 2 {
		r := call(t, s, s.AdminToken(), "PUT", "/api/v4/users/"+u.ID+"/patch", patch)
		var got User
		if err := json.Unmarshal(r.body, &got); r.status != 200 || err != nil || got.Email != "ann@old.example" || got.Position != "Lead" {
			t.Fatalf("patch: %d %s", r.status, r.body)
		}
	}
	if stored, _ := s.User(u.ID); stored.Email != "ann@old.example" {
		t.Fatalf("stored email changed to %q", stored.Email)
	}
	mails := s.VerificationMails()
	if len(mails) != 2 || mails[0] != (VerificationMail{UserID: u.ID, Email: "ann@new.example"}) {
		t.Fatalf("mails %+v, want one per patch", mails)
	}
	r := call(t, s, s.AdminToken(), "PUT", "/api/v4/users/"+u.ID+"/patch", `{"email":"bob@example.com"}`)
	if r.status != 400 || r.appErr(t).ID != "app.user.save.email_exists.app_error" {
		t.Fatalf("taken address: %d %s", r.status, r.body)
	}
	s.SetRequireEmailVerification(false)
	r = call(t, s, s.AdminToken(), "PUT", "/api/v4/users/"+u.ID+"/patch", patch)
	if stored, _ := s.User(u.ID); r.status != 200 || stored.Email != "ann@new.example" {
		t.Fatalf("without verification: %d, stored %q", r.status, stored.Email)
	}
}

// A renamed channel is found under its new URL name only; members stay.
func TestRenameChannel(t *testing.T) {
	w := newChannelWorld(t, Options{})
	s, tok := w.s, w.s.AdminToken()
	s.RenameChannel(w.private.ID, "finance-renamed")
	if r := call(t, s, tok, "GET", "/api/v4/teams/name/eng/channels/name/finance-internal", ""); r.status != 404 || r.appErr(t).ID != "app.channel.get_by_name.missing.app_error" {
		t.Fatalf("old name: %d %s", r.status, r.body)
	}
	r := call(t, s, tok, "GET", "/api/v4/teams/name/eng/channels/name/finance-renamed", "")
	var ch Channel
	if r.status != 200 || json.Unmarshal(r.body, &ch) != nil || ch.ID != w.private.ID {
		t.Fatalf("new name: %d %s", r.status, r.body)
	}
	if !hasMember(s.ChannelMembers(w.private.ID), w.chanMember) {
		t.Fatal("a rename dropped a member")
	}
}
