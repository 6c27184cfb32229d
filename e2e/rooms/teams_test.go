package rooms

import (
	"slices"
	"strings"
	"testing"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/e2e/world"
	fakegraph "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/graph"
	fakemm "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/mattermost"
)

func TestScopeByGroupNameThenID(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	w.Env["INPUT_GROUPS"] = "mm-team-0"
	w.MustRun(0)
	want := w.ExpectedMembers(world.Group0ID)
	if got := w.AccountEmails(); !slices.Equal(got, want) {
		t.Fatalf("accounts\n got %v\nwant %v", got, want)
	}
	w.Env["INPUT_GROUPS"] = world.Group0ID
	w.Noop()
	// Graph requests of a no-op: one page of users, one of group members.
	reqs := w.Graph.Requests()
	if reqs["GET /v1.0/users"] != 1 || reqs["GET /v1.0/groups/{id}/transitiveMembers"] != 1 {
		t.Errorf("Graph requests %v", reqs)
	}
}

func TestNestedGroupsAreResolved(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	parent := fakegraph.Group{ID: "0f9e8d7c-6b5a-4c3d-8e2f-1a0b9c8d7e6f", DisplayName: "All staff", Members: []string{world.Group1ID}}
	w.SetGroups(append(w.Groups, parent))
	w.Env["INPUT_GROUPS"] = "All staff"
	w.MustRun(0)
	if got, want := w.AccountEmails(), w.ExpectedMembers(world.Group1ID); !slices.Equal(got, want) {
		t.Fatalf("nested group: got %v\nwant %v", got, want)
	}
}

func TestGuestsInAndOut(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	w.Env["INPUT_INCLUDE-GUESTS"] = "true"
	w.MustRun(0)
	guest := w.Account("patricia.lefevre@vendor.example")
	w.Env["INPUT_INCLUDE-GUESTS"] = "false"
	w.Env["INPUT_MAX-DEACTIVATIONS"] = "100%"
	w.MustRun(0)
	if u, _ := w.MM.User(guest.ID); u.DeleteAt == 0 {
		t.Fatal("a guest who left the scope is still active")
	}
	if w.OutputInt("deactivated") == 0 {
		t.Error("no deactivation reported")
	}
	w.Noop()
}

func TestPilotList(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	w.Env["INPUT_ONLY-USERS"] = "jjohnson@contoso.example\nrkowalski@contoso.example, Björn Núñez"
	w.MustRun(0)
	want := []string{"bjorn.nunez@contoso.example", "jjohnson@contoso.example", "rkowalski@contoso.example"}
	if got := w.AccountEmails(); !slices.Equal(got, want) {
		t.Fatalf("pilot: %v", got)
	}
	w.Noop()
}

func TestUserLeavingTheGroupIsDeactivated(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	w.Env["INPUT_GROUPS"] = "mm-team-0"
	w.MustRun(0)
	leaver := w.Account("mary.smith@contoso.example")
	groups := slices.Clone(w.Groups)
	for i, g := range groups {
		if g.ID == world.Group0ID {
			var kept []string
			for _, m := range g.Members {
				if m != w.UserByMail("mary.smith@contoso.example").ID() {
					kept = append(kept, m)
				}
			}
			groups[i].Members = kept
		}
	}
	w.SetGroups(groups)
	w.MustRun(0)
	if u, _ := w.MM.User(leaver.ID); u.DeleteAt == 0 || w.OutputInt("deactivated") != 1 {
		t.Fatalf("leaver active: delete_at=%d deactivated=%s", u.DeleteAt, w.Outputs()["deactivated"])
	}
	w.Noop()
}

func TestAttributeMapDepartmentAsPosition(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	w.Env["INPUT_ATTRIBUTE-MAP"] = "position: department\nnickname: none"
	w.MustRun(0)
	u := w.Account("82021909@contoso.example")
	if u.Position != "보안운영팀" || u.Nickname != "" {
		t.Fatalf("position %q nickname %q", u.Position, u.Nickname)
	}
	w.Noop()
	w.Env["INPUT_ATTRIBUTE-MAP"] = "position: departmnt"
	w.MM.ResetCounters()
	w.MustRun(1)
	if !strings.Contains(w.Stdout.String(), "attribute-map") || !strings.Contains(w.Stdout.String(), "line 1") || w.MM.Writes() != 0 {
		t.Errorf("typo not reported well:\n%s", w.Stdout.String())
	}
}

func TestTeamsByGroupAndRemoval(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	w.MM.SetMaxUsersPerTeam(1000)
	town := w.MM.AddTeam(fakemm.Team{Name: "town", DisplayName: "Town"})
	eng := w.MM.AddTeam(fakemm.Team{Name: "eng", DisplayName: "Engineering"})
	random := w.MM.AddTeam(fakemm.Team{Name: "random", DisplayName: "Random"})
	w.Env["INPUT_TEAMS"] = "town"
	w.Env["INPUT_GROUP-TEAMS"] = "mm-team-0: eng"
	w.Env["INPUT_REMOVE-FROM-TEAMS"] = "true"
	w.MustRun(0)
	members := func(teamID string) []string {
		var out []string
		for _, m := range w.MM.TeamMembers(teamID) {
			if m.DeleteAt == 0 {
				u, _ := w.MM.User(m.UserID)
				out = append(out, u.Email)
			}
		}
		slices.Sort(out)
		return out
	}
	if got, want := members(eng.ID), w.ExpectedMembers(world.Group0ID); !slices.Equal(got, want) {
		t.Fatalf("eng members\n got %v\nwant %v", got, want)
	}
	if got, want := len(members(town.ID)), len(w.AccountEmails()); got != want {
		t.Fatalf("town has %d members, want every synced user (%d)", got, want)
	}
	w.Noop()

	// Mary leaves the group: she leaves eng, stays in town, and keeps the
	// team no mapping names.
	mary := w.Account("mary.smith@contoso.example")
	w.MM.AddTeamMember(random.ID, mary.ID)
	w.SetGroups(world.WithoutMember(w.Groups, world.Group0ID, mary.Props["entra_object_id"]))
	w.MustRun(0)
	if slices.Contains(members(eng.ID), mary.Email) || !slices.Contains(members(town.ID), mary.Email) || !slices.Contains(members(random.ID), mary.Email) {
		t.Fatalf("after leaving the group: eng %v town has her %v random has her %v", members(eng.ID), slices.Contains(members(town.ID), mary.Email), slices.Contains(members(random.ID), mary.Email))
	}
	w.Noop()
	// A no-op reads each mapped team's members once.
	if n := w.MM.Requests()["GET /api/v4/teams/{id}/members"]; n != 2 {
		t.Errorf("%d team member reads, want 2 (one page per mapped team)", n)
	}
}

func TestFullTeamIsAPerUserError(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	w.MM.SetMaxUsersPerTeam(10)
	w.MM.AddTeam(fakemm.Team{Name: "small", DisplayName: "Small"})
	w.Env["INPUT_GROUP-TEAMS"] = "mm-team-0: small"
	w.MustRun(1)
	if w.OutputInt("created") == 0 || w.OutputInt("failed") == 0 {
		t.Fatalf("created %d failed %d", w.OutputInt("created"), w.OutputInt("failed"))
	}
	if !strings.Contains(w.Summary(), "MaxUsersPerTeam") {
		t.Errorf("summary does not name the setting:\n%.2000s", w.Summary())
	}
}

// An unknown team or group breaks its own line: the run fails naming it,
// and accounts are still synced. An unknown groups entry makes the scope
// unknown: nobody is created.
func TestUnknownTeamOrGroupFailsAlone(t *testing.T) {
	for _, tt := range []struct {
		input, value, want string
		creates            bool
	}{
		{"INPUT_TEAMS", "no-such-team", `input teams: Mattermost has no team named "no-such-team"`, true},
		{"INPUT_GROUP-TEAMS", "No Such Group: town", `input group-teams line 1: Entra ID has no group named "No Such Group"`, true},
		{"INPUT_GROUPS", "00000000-0000-4000-8000-000000000000", `input groups: group "00000000-0000-4000-8000-000000000000"`, false},
	} {
		w := world.New(t, "tenant-60.json")
		town := w.MM.AddTeam(fakemm.Team{Name: "town", DisplayName: "Town"})
		w.Env[tt.input] = tt.value
		w.MustRun(1)
		if !strings.Contains(w.Stdout.String(), "::error::"+tt.want) || (w.OutputInt("created") > 0) != tt.creates {
			t.Errorf("%s=%s: created %d\n%s", tt.input, tt.value, w.OutputInt("created"), w.Stdout.String())
		}
		if strings.Contains(w.Stdout.String(), "group-ids") {
			t.Errorf("%s=%s: the error names group-ids, an input that does not exist", tt.input, tt.value)
		}
		if n := len(w.MM.TeamMembers(town.ID)); n > 1 {
			t.Errorf("%s=%s: a broken line added %d members to town", tt.input, tt.value, n)
		}
	}
}

func TestUserFilterIsPassedThrough(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	w.Env["INPUT_USER-FILTER"] = "jobTitle eq 'Manager'"
	w.MustRun(0)
	for _, u := range w.MM.Users() {
		if u.ID != w.MM.AdminID() && u.Position != "Manager" {
			t.Errorf("%s (%q) is outside the filter", u.Email, u.Position)
		}
	}
	if w.OutputInt("created") == 0 {
		t.Fatal("the filter matched nobody")
	}
	var sawCount bool
	for _, r := range w.Graph.Log() {
		if r.Key == "GET /v1.0/users" && len(r.Query["$count"]) > 0 {
			sawCount = true
		}
	}
	if !sawCount {
		t.Error("the filter was not sent as an advanced query ($count=true)")
	}
}
