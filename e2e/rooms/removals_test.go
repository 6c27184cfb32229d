package rooms

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/e2e/world"
	fakegraph "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/graph"
	fakemm "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/mattermost"
)

// Issue 15, items 4 and 5, end to end through main.

const teamChannelsRoute = "GET /api/v4/users/{id}/teams/{team_id}/channels"

// 4. The removal cap counts memberships as Mattermost changes them. The
// measured case: team eng of 20 with five mapped private channels; 11 of 20
// leave the group. Counted as 11 team removals against 120 memberships,
// the default 10 % let them go (and Mattermost emptied 55 channel
// memberships with them); counted in memberships it is 66 against 120.
func TestRemovalCapCountsChannelMemberships(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	w.MM.SetMaxUsersPerTeam(1000)
	eng := w.MM.AddTeam(fakemm.Team{Name: "eng", DisplayName: "Engineering"})
	var refs []string
	for i := 1; i <= 5; i++ {
		w.MM.AddChannel(fakemm.Channel{TeamID: eng.ID, Name: fmt.Sprintf("c%d", i), Type: "P"})
		refs = append(refs, fmt.Sprintf("eng/c%d", i))
	}
	w.Env["INPUT_GROUP-TEAMS"] = "mm-team-0: eng"
	w.Env["INPUT_GROUP-CHANNELS"] = "mm-team-0: " + strings.Join(refs, ", ")
	w.Env["INPUT_REMOVE-FROM-TEAMS"] = "true"
	w.Env["INPUT_REMOVE-FROM-CHANNELS"] = "true"
	w.MustRun(0)
	members := w.TeamMemberIDs(eng.ID)
	if len(members) != 20 {
		t.Fatalf("eng has %d members, want the group's 20", len(members))
	}
	w.Noop()
	if n := w.MM.Requests()[teamChannelsRoute]; n != 0 {
		t.Fatalf("a no-op read %d users' team channels", n)
	}

	drop := map[string]bool{}
	for _, id := range members[:11] {
		u, _ := w.MM.User(id)
		drop[u.Props["entra_object_id"]] = true
	}
	w.WithoutGroupMembers(world.Group0ID, drop)
	w.MM.ResetCounters()
	w.MustRun(1)
	if got := w.TeamMemberIDs(eng.ID); len(got) != 20 || w.MM.Writes() != 0 {
		t.Fatalf("the cap let removals through: eng has %d members, %d writes", len(got), w.MM.Writes())
	}
	out := w.Stdout.String()
	if !strings.Contains(out, "66 membership removals planned (11 team and 0 channel removals") || !strings.Contains(out, "nobody was removed") {
		t.Errorf("the error does not count memberships:\n%s", out)
	}
	// The channels were read for the planned team removals only.
	if n := w.MM.Requests()[teamChannelsRoute]; n != 11 {
		t.Errorf("%d team-channel reads, want one per planned team removal (11)", n)
	}

	// Intended: 100% lets them go and needs no count, so no read.
	w.Env["INPUT_MAX-REMOVALS"] = "100%"
	w.MM.ResetCounters()
	w.MustRun(0)
	if got := w.TeamMemberIDs(eng.ID); len(got) != 9 {
		t.Fatalf("eng has %d members, want 9", len(got))
	}
	if n := w.MM.Requests()[teamChannelsRoute]; n != 0 {
		t.Errorf("max-removals 100%% read %d users' team channels", n)
	}
	w.Noop()
}

// 5. A rehired user moved to another group: the old team (and with it its
// private channel) goes before the account is active again; when that
// removal fails, or the cap withholds it, the account stays deactivated in
// that run and the run says so.
func TestReturnerIsNotReactivatedIntoOldRooms(t *testing.T) {
	for _, how := range []string{"removal first", "removal fails", "removal withheld"} {
		t.Run(how, func(t *testing.T) {
			w := world.New(t, "tenant-60.json")
			w.MM.SetMaxUsersPerTeam(1000)
			eng := w.MM.AddTeam(fakemm.Team{Name: "eng", DisplayName: "Engineering"})
			ops := w.MM.AddTeam(fakemm.Team{Name: "ops", DisplayName: "Operations"})
			secret := w.MM.AddChannel(fakemm.Channel{TeamID: eng.ID, Name: "secret", Type: "P"})
			w.Env["INPUT_GROUP-TEAMS"] = "mm-team-0: eng\nmm-team-1: ops"
			w.Env["INPUT_GROUP-CHANNELS"] = "mm-team-0: eng/secret"
			w.Env["INPUT_REMOVE-FROM-TEAMS"] = "true"
			w.Env["INPUT_MAX-REMOVALS"] = "100%"
			w.MustRun(0)
			const mail = "bjorn.nunez@contoso.example"
			mary := w.Account(mail)
			if !slices.Contains(w.TeamMemberIDs(eng.ID), mary.ID) {
				t.Fatal("not in eng after the first run")
			}
			// Leaves, and is rehired into the other group.
			w.Edit(mail, func(u fakegraph.User) { u["accountEnabled"] = false })
			w.MustRun(0)
			if u, _ := w.MM.User(mary.ID); u.DeleteAt == 0 {
				t.Fatal("not deactivated")
			}
			w.Edit(mail, func(u fakegraph.User) { u["accountEnabled"] = true })
			id := mary.Props["entra_object_id"]
			w.WithoutGroupMembers(world.Group0ID, map[string]bool{id: true})
			groups := slices.Clone(w.Groups)
			for i, g := range groups {
				if g.ID == world.Group1ID && !slices.Contains(g.Members, id) {
					groups[i].Members = append(slices.Clone(g.Members), id)
				}
			}
			w.SetGroups(groups)

			inSecret := func() bool {
				for _, m := range w.MM.ChannelMembers(secret.ID) {
					if m.UserID == mary.ID {
						return true
					}
				}
				return false
			}
			switch how {
			case "removal fails":
				w.MM.FailNext(1, 400, "DELETE /api/v4/teams/"+eng.ID+"/members/")
			case "removal withheld":
				w.Env["INPUT_MAX-REMOVALS"] = "0"
			}
			want := 0
			if how != "removal first" {
				want = 1
			}
			w.MustRun(want)
			u, _ := w.MM.User(mary.ID)
			active := u.DeleteAt == 0
			switch {
			case how == "removal first" && (!active || slices.Contains(w.TeamMemberIDs(eng.ID), mary.ID) || inSecret() || !slices.Contains(w.TeamMemberIDs(ops.ID), mary.ID)):
				t.Fatalf("active %v, in eng %v, in secret %v, in ops %v", active, slices.Contains(w.TeamMemberIDs(eng.ID), mary.ID), inSecret(), slices.Contains(w.TeamMemberIDs(ops.ID), mary.ID))
			case how != "removal first" && active:
				t.Fatalf("reactivated although the old team stays: in eng %v, in secret %v", slices.Contains(w.TeamMemberIDs(eng.ID), mary.ID), inSecret())
			}
			if how != "removal first" {
				if s := w.Summary(); !strings.Contains(s, "not reactivated in this run") {
					t.Errorf("the summary does not say why:\n%.3000s", s)
				}
				// Once the removal goes through, the returner comes back.
				w.Env["INPUT_MAX-REMOVALS"] = "100%"
				w.MustRun(0)
				if u, _ := w.MM.User(mary.ID); u.DeleteAt != 0 || slices.Contains(w.TeamMemberIDs(eng.ID), mary.ID) || inSecret() {
					t.Fatalf("next run: delete_at %d, in eng %v, in secret %v", u.DeleteAt, slices.Contains(w.TeamMemberIDs(eng.ID), mary.ID), inSecret())
				}
			}
			w.Noop()
		})
	}
}

// 15.3 and 15.5 together, through main: the server is at its user limit,
// so a rehired user moved to another group can only come back on the seat
// a leaver frees, and the leaver's departure needs a direct read first.
// The first plan cannot reach the returner (no seat), yet it must ask for
// the returner's old group too: once the leaver is confirmed, the returner
// comes back only after leaving the old team, never into it.
func TestReturnerOnALeaversSeatLeavesItsOldTeamFirst(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	w.MM.SetMaxUsersPerTeam(1000)
	eng := w.MM.AddTeam(fakemm.Team{Name: "eng", DisplayName: "Engineering"})
	ops := w.MM.AddTeam(fakemm.Team{Name: "ops", DisplayName: "Operations"})
	w.Env["INPUT_GROUPS"] = world.Group0ID + "\n" + world.Group1ID
	w.Env["INPUT_GROUP-TEAMS"] = world.Group0ID + ": eng\n" + world.Group1ID + ": ops"
	w.Env["INPUT_REMOVE-FROM-TEAMS"] = "true"
	w.Env["INPUT_MAX-REMOVALS"] = "100%"
	w.MustRun(0)
	ids0, mails0 := w.GroupMembersWithMail(world.Group0ID)
	ids1, _ := w.GroupMembersWithMail(world.Group1ID)
	var only0 []int // members of mm-team-0 alone
	for i, id := range ids0 {
		if !slices.Contains(ids1, id) {
			only0 = append(only0, i)
		}
	}
	if len(only0) < 2 {
		t.Fatal("fixture: mm-team-0 has fewer than two members of its own")
	}
	back, leaver := only0[0], only0[1]
	returner := w.Account(mails0[back])
	w.Edit(mails0[back], func(u fakegraph.User) { u["accountEnabled"] = false })
	w.MustRun(0)
	if u, _ := w.MM.User(returner.ID); u.DeleteAt == 0 {
		t.Fatal("not deactivated")
	}
	// The server is full; the returner is rehired into mm-team-1, and the
	// leaver leaves mm-team-0 (and the scope).
	n := w.MM.ActiveUserCount()
	w.MM.SetUserLimits(n, n)
	w.Edit(mails0[back], func(u fakegraph.User) { u["accountEnabled"] = true })
	groups := world.WithoutMember(world.WithoutMember(w.Groups, world.Group0ID, ids0[back]), world.Group0ID, ids0[leaver])
	for i := range groups {
		if groups[i].ID == world.Group1ID {
			groups[i].Members = append(slices.Clone(groups[i].Members), ids0[back])
		}
	}
	w.SetGroups(groups)
	w.MustRun(0)
	if w.Account(mails0[leaver]).DeleteAt == 0 {
		t.Fatalf("the leaver is active:\n%s", w.Stdout.String())
	}
	u, _ := w.MM.User(returner.ID)
	inEng, inOps := slices.Contains(w.TeamMemberIDs(eng.ID), returner.ID), slices.Contains(w.TeamMemberIDs(ops.ID), returner.ID)
	if u.DeleteAt != 0 || inEng || !inOps {
		t.Fatalf("returner: active %v, in eng %v, in ops %v\n%s", u.DeleteAt == 0, inEng, inOps, w.Stdout.String())
	}
	w.Noop()
}
