package main

import (
	"slices"
	"strings"
	"testing"

	fakegraph "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/graph"
	fakemm "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/mattermost"
)

const (
	group0ID = "4b80b828-e3ab-4283-82ae-35d243d87a97" // mm-team-0 in tenant-60
	group1ID = "f52b2549-55c0-474d-85b6-69f75cebe213" // mm-team-1
)

// expectedMembers lists the mails of the enabled, non-guest members of the
// fixture group that have an address, lower-cased.
func (w *world) expectedMembers(groupID string) []string {
	byID := map[string]fakegraph.User{}
	for _, u := range w.users {
		byID[u.ID()] = u
	}
	var out []string
	for _, g := range w.groups {
		if g.ID != groupID {
			continue
		}
		for _, id := range g.Members {
			u := byID[id]
			mail, _ := u["mail"].(string)
			if mail == "" {
				upn, _ := u["userPrincipalName"].(string)
				mail = upn
			}
			if u["accountEnabled"] == true && u["userType"] != "Guest" && mail != "" {
				out = append(out, strings.ToLower(mail))
			}
		}
	}
	slices.Sort(out)
	return out
}

// accountEmails lists every active account's email except the token owner.
func (w *world) accountEmails() []string {
	var out []string
	for _, u := range w.mm.Users() {
		if u.ID != w.mm.AdminID() && u.DeleteAt == 0 {
			out = append(out, u.Email)
		}
	}
	slices.Sort(out)
	return out
}

func (w *world) setGroups(groups []fakegraph.Group) {
	w.groups = groups
	w.graph.SetGroups(groups)
}

func TestScopeByGroupNameThenID(t *testing.T) {
	w := newWorld(t, "tenant-60.json")
	w.env["INPUT_GROUPS"] = "mm-team-0"
	w.mustRun(0)
	want := w.expectedMembers(group0ID)
	if got := w.accountEmails(); !slices.Equal(got, want) {
		t.Fatalf("accounts\n got %v\nwant %v", got, want)
	}
	w.env["INPUT_GROUPS"] = group0ID
	w.noop()
	// Graph requests of a no-op: one page of users, one of group members.
	reqs := w.graph.Requests()
	if reqs["GET /v1.0/users"] != 1 || reqs["GET /v1.0/groups/{id}/transitiveMembers"] != 1 {
		t.Errorf("Graph requests %v", reqs)
	}
}

func TestNestedGroupsAreResolved(t *testing.T) {
	w := newWorld(t, "tenant-60.json")
	parent := fakegraph.Group{ID: "0f9e8d7c-6b5a-4c3d-8e2f-1a0b9c8d7e6f", DisplayName: "All staff", Members: []string{group1ID}}
	w.setGroups(append(w.groups, parent))
	w.env["INPUT_GROUPS"] = "All staff"
	w.mustRun(0)
	if got, want := w.accountEmails(), w.expectedMembers(group1ID); !slices.Equal(got, want) {
		t.Fatalf("nested group: got %v\nwant %v", got, want)
	}
}

func TestGuestsInAndOut(t *testing.T) {
	w := newWorld(t, "tenant-60.json")
	w.env["INPUT_INCLUDE-GUESTS"] = "true"
	w.mustRun(0)
	guest := w.account("patricia.lefevre@vendor.example")
	w.env["INPUT_INCLUDE-GUESTS"] = "false"
	w.env["INPUT_MAX-DEACTIVATIONS"] = "100%"
	w.mustRun(0)
	if u, _ := w.mm.User(guest.ID); u.DeleteAt == 0 {
		t.Fatal("a guest who left the scope is still active")
	}
	if w.outputInt("deactivated") == 0 {
		t.Error("no deactivation reported")
	}
	w.noop()
}

func TestPilotList(t *testing.T) {
	w := newWorld(t, "tenant-60.json")
	w.env["INPUT_ONLY-USERS"] = "jjohnson@contoso.example\nrkowalski@contoso.example, Björn Núñez"
	w.mustRun(0)
	want := []string{"bjorn.nunez@contoso.example", "jjohnson@contoso.example", "rkowalski@contoso.example"}
	if got := w.accountEmails(); !slices.Equal(got, want) {
		t.Fatalf("pilot: %v", got)
	}
	w.noop()
}

func TestUserLeavingTheGroupIsDeactivated(t *testing.T) {
	w := newWorld(t, "tenant-60.json")
	w.env["INPUT_GROUPS"] = "mm-team-0"
	w.mustRun(0)
	leaver := w.account("mary.smith@contoso.example")
	groups := slices.Clone(w.groups)
	for i, g := range groups {
		if g.ID == group0ID {
			var kept []string
			for _, m := range g.Members {
				if m != findUserID(w, "mary.smith@contoso.example") {
					kept = append(kept, m)
				}
			}
			groups[i].Members = kept
		}
	}
	w.setGroups(groups)
	w.mustRun(0)
	if u, _ := w.mm.User(leaver.ID); u.DeleteAt == 0 || w.outputInt("deactivated") != 1 {
		t.Fatalf("leaver active: delete_at=%d deactivated=%s", u.DeleteAt, w.outputs()["deactivated"])
	}
	w.noop()
}

func findUserID(w *world, mail string) string {
	for _, u := range w.users {
		if m, _ := u["mail"].(string); strings.EqualFold(m, mail) {
			return u.ID()
		}
	}
	w.t.Fatalf("no user %s", mail)
	return ""
}

func TestAttributeMapDepartmentAsPosition(t *testing.T) {
	w := newWorld(t, "tenant-60.json")
	w.env["INPUT_ATTRIBUTE-MAP"] = "position: department\nnickname: none"
	w.mustRun(0)
	u := w.account("82021909@contoso.example")
	if u.Position != "보안운영팀" || u.Nickname != "" {
		t.Fatalf("position %q nickname %q", u.Position, u.Nickname)
	}
	w.noop()
	w.env["INPUT_ATTRIBUTE-MAP"] = "position: departmnt"
	w.mm.ResetCounters()
	w.mustRun(1)
	if !strings.Contains(w.stdout.String(), "attribute-map") || !strings.Contains(w.stdout.String(), "line 1") || w.mm.Writes() != 0 {
		t.Errorf("typo not reported well:\n%s", w.stdout.String())
	}
}

func TestTeamsByGroupAndRemoval(t *testing.T) {
	w := newWorld(t, "tenant-60.json")
	w.mm.SetMaxUsersPerTeam(1000)
	town := w.mm.AddTeam(fakemm.Team{Name: "town", DisplayName: "Town"})
	eng := w.mm.AddTeam(fakemm.Team{Name: "eng", DisplayName: "Engineering"})
	random := w.mm.AddTeam(fakemm.Team{Name: "random", DisplayName: "Random"})
	w.env["INPUT_TEAMS"] = "town"
	w.env["INPUT_GROUP-TEAMS"] = "mm-team-0: eng"
	w.env["INPUT_REMOVE-FROM-TEAMS"] = "true"
	w.mustRun(0)
	members := func(teamID string) []string {
		var out []string
		for _, m := range w.mm.TeamMembers(teamID) {
			if m.DeleteAt == 0 {
				u, _ := w.mm.User(m.UserID)
				out = append(out, u.Email)
			}
		}
		slices.Sort(out)
		return out
	}
	if got, want := members(eng.ID), w.expectedMembers(group0ID); !slices.Equal(got, want) {
		t.Fatalf("eng members\n got %v\nwant %v", got, want)
	}
	if got, want := len(members(town.ID)), len(w.accountEmails()); got != want {
		t.Fatalf("town has %d members, want every synced user (%d)", got, want)
	}
	w.noop()

	// Mary leaves the group: she leaves eng, stays in town, and keeps the
	// team no mapping names.
	mary := w.account("mary.smith@contoso.example")
	w.mm.AddTeamMember(random.ID, mary.ID)
	groups := slices.Clone(w.groups)
	for i, g := range groups {
		if g.ID == group0ID {
			groups[i].Members = slices.DeleteFunc(slices.Clone(g.Members), func(id string) bool { return id == mary.Props["entra_object_id"] })
		}
	}
	w.setGroups(groups)
	w.mustRun(0)
	if slices.Contains(members(eng.ID), mary.Email) || !slices.Contains(members(town.ID), mary.Email) || !slices.Contains(members(random.ID), mary.Email) {
		t.Fatalf("after leaving the group: eng %v town has her %v random has her %v", members(eng.ID), slices.Contains(members(town.ID), mary.Email), slices.Contains(members(random.ID), mary.Email))
	}
	w.noop()
	// A no-op reads each mapped team's members once.
	if n := w.mm.Requests()["GET /api/v4/teams/{id}/members"]; n != 2 {
		t.Errorf("%d team member reads, want 2 (one page per mapped team)", n)
	}
}

func TestFullTeamIsAPerUserError(t *testing.T) {
	w := newWorld(t, "tenant-60.json")
	w.mm.SetMaxUsersPerTeam(10)
	w.mm.AddTeam(fakemm.Team{Name: "small", DisplayName: "Small"})
	w.env["INPUT_GROUP-TEAMS"] = "mm-team-0: small"
	w.mustRun(1)
	if w.outputInt("created") == 0 || w.outputInt("failed") == 0 {
		t.Fatalf("created %d failed %d", w.outputInt("created"), w.outputInt("failed"))
	}
	if !strings.Contains(w.summary(), "MaxUsersPerTeam") {
		t.Errorf("summary does not name the setting:\n%.2000s", w.summary())
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
		w := newWorld(t, "tenant-60.json")
		town := w.mm.AddTeam(fakemm.Team{Name: "town", DisplayName: "Town"})
		w.env[tt.input] = tt.value
		w.mustRun(1)
		if !strings.Contains(w.stdout.String(), "::error::"+tt.want) || (w.outputInt("created") > 0) != tt.creates {
			t.Errorf("%s=%s: created %d\n%s", tt.input, tt.value, w.outputInt("created"), w.stdout.String())
		}
		if strings.Contains(w.stdout.String(), "group-ids") {
			t.Errorf("%s=%s: the error names group-ids, an input that does not exist", tt.input, tt.value)
		}
		if n := len(w.mm.TeamMembers(town.ID)); n > 1 {
			t.Errorf("%s=%s: a broken line added %d members to town", tt.input, tt.value, n)
		}
	}
}

func TestUserFilterIsPassedThrough(t *testing.T) {
	w := newWorld(t, "tenant-60.json")
	w.env["INPUT_USER-FILTER"] = "jobTitle eq 'Manager'"
	w.mustRun(0)
	for _, u := range w.mm.Users() {
		if u.ID != w.mm.AdminID() && u.Position != "Manager" {
			t.Errorf("%s (%q) is outside the filter", u.Email, u.Position)
		}
	}
	if w.outputInt("created") == 0 {
		t.Fatal("the filter matched nobody")
	}
	var sawCount bool
	for _, r := range w.graph.Log() {
		if r.Key == "GET /v1.0/users" && len(r.Query["$count"]) > 0 {
			sawCount = true
		}
	}
	if !sawCount {
		t.Error("the filter was not sent as an advanced query ($count=true)")
	}
}
