package fakemm

import (
	"strings"
	"testing"
)

// TestTeamMemberAnswers: the team member routes answer as the server's
// handlers do (api4/team.go getTeamMembers and removeTeamMember, app
// LeaveTeam): an unknown team id lists as empty for an admin (no lookup;
// view_team is the only check), a user outside the team is refused, a
// removal looks up the team and then the user, a user who was never in the
// team is 400 api.team.remove_user_from_team.missing.app_error, and a
// membership already left is left again (200).
func TestTeamMemberAnswers(t *testing.T) {
	s := New(Options{UserToken: "user-tok"})
	defer s.Close()
	team := s.AddTeam(Team{Name: "eng"})
	in := s.AddUser(User{Username: "in", Email: "in@example.com"}).ID
	out := s.AddUser(User{Username: "out", Email: "out@example.com"}).ID
	left := s.AddUser(User{Username: "left", Email: "left@example.com"}).ID
	s.AddTeamMember(team.ID, in)
	s.AddTeamMember(team.ID, left)
	admin := s.AdminToken()
	if r := call(t, s, admin, "DELETE", "/api/v4/teams/"+team.ID+"/members/"+left, ""); r.status != 200 {
		t.Fatalf("first removal: %d %s", r.status, r.body)
	}
	unknown := strings.Repeat("z", 26)
	tests := []struct {
		name, token, method, path string
		status                    int
		id                        string // the error id ("" for a success)
	}{
		{"an admin lists an unknown team", admin, "GET", "/api/v4/teams/" + unknown + "/members", 200, ""},
		{"a user outside the team lists it", "user-tok", "GET", "/api/v4/teams/" + team.ID + "/members", 403, "api.context.permissions.app_error"},
		{"remove from an unknown team", admin, "DELETE", "/api/v4/teams/" + unknown + "/members/" + in, 404, "app.team.get.find.app_error"},
		{"remove an unknown user", admin, "DELETE", "/api/v4/teams/" + team.ID + "/members/" + unknown, 404, "app.user.missing_account.const"},
		{"remove a user never in the team", admin, "DELETE", "/api/v4/teams/" + team.ID + "/members/" + out, 400, "api.team.remove_user_from_team.missing.app_error"},
		{"remove a member who left already", admin, "DELETE", "/api/v4/teams/" + team.ID + "/members/" + left, 200, ""},
		{"remove a member", admin, "DELETE", "/api/v4/teams/" + team.ID + "/members/" + in, 200, ""},
		{"another user's membership, not an admin", "user-tok", "DELETE", "/api/v4/teams/" + team.ID + "/members/" + in, 403, "api.context.permissions.app_error"},
	}
	for _, tt := range tests {
		r := call(t, s, tt.token, tt.method, tt.path, "")
		if r.status != tt.status || tt.id != "" && r.appErr(t).ID != tt.id {
			t.Errorf("%s: %d %s, want %d %s", tt.name, r.status, r.body, tt.status, tt.id)
		}
		if tt.method == "GET" && tt.status == 200 && strings.TrimSpace(string(r.body)) != "[]" {
			t.Errorf("%s: %s, want []", tt.name, r.body)
		}
	}
	if m := s.TeamMembers(team.ID); len(m) != 0 {
		t.Errorf("members left: %+v", m)
	}
}
