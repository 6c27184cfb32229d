package sync

import (
	"strings"
	"testing"
)

func TestScope(t *testing.T) {
	users := []DirectoryUser{
		{ID: "A", UserType: "Member", Mail: "ann@x.example", DisplayName: "Ann Lee"},
		{ID: "b", UserType: "Guest", Mail: "bob@partner.example", DisplayName: "Bob (Guest)"},
		{ID: "c", UserType: "Member", Mail: "cy@x.example", DisplayName: "Cy Pilot"},
	}
	ids := func(s Scope) string {
		in, _ := s.InScope(users)
		var out []string
		for _, u := range in {
			out = append(out, u.ID)
		}
		return strings.Join(out, ",")
	}
	tests := []struct {
		name  string
		scope Scope
		want  string
	}{
		{"guests out by default", Scope{}, "A,c"},
		{"guests in", Scope{IncludeGuests: true}, "A,b,c"},
		{"group members (ids compared lower-case)", Scope{Members: map[string]bool{"a": true, "b": true}}, "A"},
		{"empty group", Scope{Members: map[string]bool{}}, ""},
		{"pilot by email", Scope{Only: []string{"ANN@x.example"}}, "A"},
		{"pilot by id", Scope{Only: []string{"c"}}, "c"},
		{"pilot by name fragment", Scope{Only: []string{"pilot"}}, "c"},
		{"pilot does not bring guests back", Scope{Only: []string{"bob@partner.example"}}, ""},
	}
	for _, tt := range tests {
		if got := ids(tt.scope); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestParseAttributeMap(t *testing.T) {
	m, err := ParseAttributeMap("position: department\n# comment\n\n nickname : none \r\n")
	if err != nil || m.Position != "department" || m.Nickname != "none" || m.FirstName != "givenName" {
		t.Fatalf("%+v %v", m, err)
	}
	u := DirectoryUser{DisplayName: "Ann", Department: "R&D", JobTitle: "Eng"}
	if p := m.Profile(&u); p.Position != "R&D" || p.Nickname != "" {
		t.Fatalf("profile %+v", p)
	}
	for _, bad := range []string{"position: jobtitel", "postion: jobTitle", "position jobTitle", "nickname: mail"} {
		_, err := ParseAttributeMap("nickname: displayName\n" + bad)
		if err == nil || !strings.Contains(err.Error(), "line 2") {
			t.Errorf("%q: %v, want an error naming line 2", bad, err)
		}
	}
}

func TestParseGroupTeams(t *testing.T) {
	got, err := ParseGroupTeams("Engineering: eng, town\n0c5c7fd0-a6a3-4450-a513-270e269e0d37: ops\nR&D: Team-X\nProject: Alpha: alpha\n")
	if err != nil {
		t.Fatal(err)
	}
	want := []GroupTeams{{"Engineering", []string{"eng", "town"}, 1}, {"0c5c7fd0-a6a3-4450-a513-270e269e0d37", []string{"ops"}, 2},
		{"R&D", []string{"team-x"}, 3}, {"Project: Alpha", []string{"alpha"}, 4}}
	if len(got) != len(want) {
		t.Fatalf("%+v", got)
	}
	for i := range want {
		if got[i].Group != want[i].Group || strings.Join(got[i].Teams, ",") != strings.Join(want[i].Teams, ",") || got[i].Line != want[i].Line {
			t.Errorf("line %d: %+v, want %+v", i+1, got[i], want[i])
		}
	}
	for _, bad := range []string{"no colon", ": eng", "Eng:", "Eng: bad team!"} {
		if _, err := ParseGroupTeams("ok: fine\n" + bad); err == nil || !strings.Contains(err.Error(), "line 2") {
			t.Errorf("%q: %v, want an error naming line 2", bad, err)
		}
	}
}

func TestUsernameFrom(t *testing.T) {
	u := DirectoryUser{ID: "1", AccountEnabled: BoolTrue, Mail: "jane.doe@x.example", UserPrincipalName: "jdoe@x.onmicrosoft.com", MailNickname: "Jane_D", EmployeeID: "82021968"}
	for src, want := range map[string]string{"mail": "jane.doe", "upn": "jdoe", "mailNickname": "jane_d", "employeeId": "u82021968"} {
		a, err := ParseUsernameFrom(src)
		if err != nil {
			t.Fatal(err)
		}
		o := opts()
		o.UsernameFrom = a
		p := BuildPlan(Directory{Users: []DirectoryUser{u}}, Observed{}, o)
		if len(p.Actions) != 1 || p.Actions[0].Username != want {
			t.Errorf("username-from %s: %+v, want %s", src, p.Actions, want)
		}
	}
	if _, err := ParseUsernameFrom("displayName"); err == nil {
		t.Error("displayName accepted as a username source")
	}
	o := opts()
	o.UsernameFrom = "employeeId"
	p := BuildPlan(Directory{Users: []DirectoryUser{{ID: "2", AccountEnabled: BoolTrue, Mail: "x@x.example"}}}, Observed{}, o)
	if len(p.Skipped) != 1 || !strings.Contains(p.Skipped[0].Reason, "employeeId") {
		t.Errorf("no employeeId: %+v", p.Skipped)
	}
}

func TestPlanTeams(t *testing.T) {
	ann := linkedTo(Account{ID: "mm-ann", Username: "ann", Email: "ann@x.example", Nickname: "Ann"}, "a")
	bob := linkedTo(Account{ID: "mm-bob", Username: "bob", Email: "bob@x.example", Nickname: "Bob"}, "b")
	manual := Account{ID: "mm-man", Username: "manual", Email: "man@x.example"}
	dir := []DirectoryUser{user("a", "ann@x.example", "Ann"), user("b", "bob@x.example", "Bob"), user("n", "new@x.example", "New")}
	teams := map[string]TeamState{
		"town": {ID: "t-town", Name: "town", Members: map[string]bool{"mm-ann": true}},
		"eng":  {ID: "t-eng", Name: "eng", Members: map[string]bool{"mm-bob": true, "mm-man": true}},
		"misc": {ID: "t-misc", Name: "misc", Members: map[string]bool{"mm-bob": true}},
	}
	o := opts()
	o.Teams = &TeamPolicy{Everyone: []string{"town"}, ByGroup: []GroupMembership{{Group: "eng", Members: map[string]bool{"a": true}, Teams: []string{"eng"}}}, Remove: true}
	p := BuildPlan(Directory{Users: dir}, Observed{Accounts: []Account{ann, bob, manual}, Teams: teams}, o)
	var got []string
	for _, a := range p.Actions {
		if a.Kind == KindTeamAdd || a.Kind == KindTeamRemove {
			got = append(got, string(a.Kind)+" "+a.Username+" "+a.Team)
		}
	}
	// misc is in the observed map only if a mapping names it; here it is, so
	// bob leaves it too. The manual account is never removed.
	want := "team-add ann eng|team-add bob town|team-add new town|team-remove bob eng|team-remove bob misc"
	if strings.Join(got, "|") != want {
		t.Errorf("team actions\n got %s\nwant %s", strings.Join(got, "|"), want)
	}
	o.Teams.Remove = false
	p = BuildPlan(Directory{Users: dir}, Observed{Accounts: []Account{ann, bob, manual}, Teams: teams}, o)
	for _, a := range p.Actions {
		if a.Kind == KindTeamRemove {
			t.Errorf("removal without remove-from-teams: %+v", a)
		}
	}
}

func FuzzParseGroupTeams(f *testing.F) {
	for _, s := range []string{"Eng: a, b", "x:y:z", "# c\n\nG: t", ":", "G: ,,", "Team #1: ops"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseGroupTeams(s)
		if err != nil {
			return
		}
		for _, g := range got {
			if g.Group == "" || len(g.Teams) == 0 {
				t.Fatalf("%q gave %+v", s, g)
			}
			for _, team := range g.Teams {
				if !ValidTeamName(team) {
					t.Fatalf("%q gave invalid team %q", s, team)
				}
			}
		}
	})
}

func FuzzParseAttributeMap(f *testing.F) {
	for _, s := range []string{"position: department", "nickname: none\nfirst_name: surname", "x", ":", "position:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseAttributeMap(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "line ") {
				t.Fatalf("%q: error %q does not name a line", s, err)
			}
			return
		}
		for _, a := range []Attribute{m.Nickname, m.FirstName, m.LastName, m.Position} {
			if !profileSources[a] {
				t.Fatalf("%q mapped a field to %q", s, a)
			}
		}
	})
}

func TestAttributeMapFieldOnce(t *testing.T) {
	if _, err := ParseAttributeMap("position: jobTitle\nposition: department"); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("a field mapped twice: %v", err)
	}
	if _, err := ParseThreshold("+5"); err == nil {
		t.Fatal("+5 accepted as a count")
	}
}
