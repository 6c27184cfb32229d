package accounts

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/e2e/world"
	fakegraph "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/graph"
	fakemm "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/mattermost"
	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
)

// What an ordinary employee, a channel member or a group owner can do,
// combined with Approve, then apply and the rails: none of it takes over an
// identity or stops offboarding.

// Five leavers stop a run at max-deactivations 2; the plan is saved and
// approved with the count. Between plan and apply four of them act on their
// own accounts: one drops the sync's props and names another instance, one
// copies an active colleague's props (link and marks) onto itself, one
// renames itself, one drops its link and pastes a colleague's creation
// mark. Every approved deactivation is still applied, nobody else is
// touched, and the next run is a no-op.
func TestInsidersUnderAnApprovedThreshold(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	w.MustRun(0)
	leavers := []string{"82021909@contoso.example", "82021910@contoso.example", "bjorn.nunez@contoso.example", "82021911@contoso.example", "asa.muller.extern@contoso.example"}
	colleague := w.Account("rkowalski@contoso.example")
	for _, m := range leavers {
		w.Edit(m, func(u fakegraph.User) { u["accountEnabled"] = false })
	}
	w.Env["INPUT_MAX-DEACTIVATIONS"] = "2"
	path := w.SavePlanDry(1)

	_, tok := w.SignIn(leavers[0])
	w.OwnPatch(tok, map[string]any{"props": map[string]string{mmsync.PropInstance: "ops", "theme": "dark"}})
	_, tok = w.SignIn(leavers[1])
	w.OwnPatch(tok, map[string]any{"props": maps.Clone(colleague.Props)})
	_, tok = w.SignIn(leavers[2])
	w.OwnPatch(tok, map[string]any{"username": "not.bjorn"})
	_, tok = w.SignIn(leavers[3])
	forged := map[string]string{"theme": "dark"}
	for k, v := range colleague.Props {
		if k != mmsync.PropLink && k != mmsync.PropEntraID {
			forged[k] = v
		}
	}
	forged[mmsync.PropCreated] = colleague.Props[mmsync.PropCreated]
	w.OwnPatch(tok, map[string]any{"props": forged})

	if code := w.ApplyPlan(path, map[string]string{"INPUT_MAX-DEACTIVATIONS": "5"}); code != 0 {
		t.Fatalf("exit %d\n%s", code, w.Stdout.String())
	}
	for _, m := range leavers {
		if u, ok := w.MM.UserByEmail(m); !ok || u.DeleteAt == 0 {
			t.Errorf("%s: an approved deactivation was held back by the leaver's own edit\n%s", m, w.Stdout.String())
		}
	}
	if got := w.OutputInt("deactivated"); got != 5 {
		t.Errorf("deactivated %d, want 5", got)
	}
	if u, _ := w.MM.User(colleague.ID); u.DeleteAt != 0 || u.Props[mmsync.PropLink] != colleague.Props[mmsync.PropLink] {
		t.Errorf("the colleague whose props were copied was touched: %+v", u)
	}
	delete(w.Env, "INPUT_MAX-DEACTIVATIONS")
	w.Noop()
}

// A channel member archives a mapped channel and anyone creates a second
// group with the scope group's display name, both between plan and apply.
// The approved deactivation of a user read as disabled still goes ahead
// (the address rule holds whatever the scope); that of a user who merely
// left the group does not, as the scope is unknown, and the run fails
// naming both lines. Once the scope resolves again the leaver goes too.
func TestInsidersBreakMappingsBetweenPlanAndApply(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	w.MM.SetMaxUsersPerTeam(1000)
	eng := w.MM.AddTeam(fakemm.Team{Name: "eng", DisplayName: "Engineering"})
	secret := w.MM.AddChannel(fakemm.Channel{TeamID: eng.ID, Name: "secret", Type: "P"})
	w.Env["INPUT_GROUPS"] = "mm-team-0"
	w.Env["INPUT_GROUP-CHANNELS"] = "mm-team-0: eng/secret"
	w.Env["INPUT_REMOVE-FROM-CHANNELS"] = "true"
	w.Env["INPUT_MAX-DEACTIVATIONS"] = "100%"
	w.MustRun(0)
	ids0, mails0 := w.GroupMembersWithMail(world.Group0ID)
	if len(mails0) < 3 || !slices.Contains(w.ChannelEmails(secret.ID), mails0[1]) {
		t.Fatalf("fixture: %v in eng/secret %v", mails0, w.ChannelEmails(secret.ID))
	}
	disabled, left := mails0[0], mails0[1]
	w.Edit(disabled, func(u fakegraph.User) { u["accountEnabled"] = false })
	w.SetGroups(world.WithoutMember(w.Groups, world.Group0ID, ids0[1]))
	path := w.SavePlanDry(0)

	w.MM.ArchiveChannel(secret.ID)
	w.Graph.AddGroup(fakegraph.Group{ID: "0e1d2c3b-4a59-4867-9586-a4b3c2d1e0f9", DisplayName: "mm-team-0"})
	if code := w.ApplyPlan(path, nil); code != 1 {
		t.Fatalf("exit %d, want 1 (broken lines)\n%s", code, w.Stdout.String())
	}
	if u := w.Account(disabled); u.DeleteAt == 0 {
		t.Errorf("%s is disabled in Entra ID, its deactivation approved, yet still active\n%s", disabled, w.Stdout.String())
	}
	if u := w.Account(left); u.DeleteAt != 0 {
		t.Errorf("%s left the group, and was deactivated although the scope is unknown", left)
	}
	out := w.Stdout.String()
	for _, want := range []string{`2 groups are named "mm-team-0"`, "input group-channels line 1"} {
		if !strings.Contains(out, want) {
			t.Errorf("no error saying %q:\n%s", want, out)
		}
	}
	// The scope group is named by its object id from now on.
	w.Env["INPUT_GROUPS"] = world.Group0ID
	w.MustRun(1) // eng/secret is still archived: its line stays broken
	if u := w.Account(left); u.DeleteAt == 0 {
		t.Errorf("%s left the scope and the scope resolves again, yet still active\n%s", left, w.Stdout.String())
	}
}

// An employee renames themselves to a stale ignore-users entry (a service
// account since removed), or types its address into their own profile,
// then leaves. Both are their own to change, and name no account the sync
// manages: the account is deactivated (it kept its account active with a
// warning before). An entry naming the employee's directory address still
// keeps them.
func TestInsiderRenamesIntoIgnoreUsers(t *testing.T) {
	leaver := "bjorn.nunez@contoso.example"
	for _, tt := range []struct {
		name, ignore string
		edit         func(w *world.World, id, tok string)
		kept         bool
	}{
		{"username", "svc-backup", func(w *world.World, _, tok string) { w.OwnPatch(tok, map[string]any{"username": "svc-backup"}) }, false},
		{"address", "backup@contoso.example", func(w *world.World, id, tok string) {
			w.OwnPatch(tok, map[string]any{"email": "backup@contoso.example", "password": "own-password-" + id[:6]})
		}, false},
		{"listed by the admin", leaver, func(*world.World, string, string) {}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := world.New(t, "tenant-60.json")
			w.MustRun(0)
			w.Env["INPUT_IGNORE-USERS"] = tt.ignore
			id, tok := w.SignIn(leaver)
			tt.edit(w, id, tok)
			w.Edit(leaver, func(u fakegraph.User) { u["accountEnabled"] = false })
			w.MustRun(0)
			u, _ := w.MM.User(id)
			if kept := u.DeleteAt == 0; kept != tt.kept {
				t.Fatalf("kept active %v, want %v\n%s", kept, tt.kept, w.Stdout.String())
			}
			if tt.kept {
				if !strings.Contains(w.Stdout.String(), "stays active: listed in ignore-users") {
					t.Errorf("no warning for the ignored leaver:\n%s", w.Stdout.String())
				}
				return
			}
			w.Noop()
		})
	}
}

// A group owner removes most members of a group mapped to a team (not all:
// an empty group would freeze the line), while a remaining member is
// disabled. max-removals withholds every removal and the run fails, but the
// leaver is still deactivated. The removals, saved and approved with the
// count, then go through.
func TestInsiderGroupOwnerTripsTheRemovalCap(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	w.MM.SetMaxUsersPerTeam(1000)
	eng := w.MM.AddTeam(fakemm.Team{Name: "eng", DisplayName: "Engineering"})
	w.Env["INPUT_GROUP-TEAMS"] = "mm-team-0: eng"
	w.Env["INPUT_REMOVE-FROM-TEAMS"] = "true"
	w.MustRun(0)
	members := w.TeamMemberIDs(eng.ID)
	drop := map[string]bool{}
	for _, id := range members[:11] {
		u, _ := w.MM.User(id)
		drop[u.Props[mmsync.PropEntraID]] = true
	}
	// The leaver is a remaining member whose address is a directory mail
	// (w.Edit finds users by mail; a UPN-only account has none).
	var leaver fakemm.User
	for _, id := range members[11:] {
		if u, _ := w.MM.User(id); strings.HasSuffix(u.Email, "@contoso.example") {
			leaver = u
			break
		}
	}
	if leaver.ID == "" {
		t.Fatal("no remaining member with a directory mail")
	}
	w.WithoutGroupMembers(world.Group0ID, drop)
	w.Edit(leaver.Email, func(u fakegraph.User) { u["accountEnabled"] = false })
	w.MustRun(1)
	if got := w.TeamMemberIDs(eng.ID); len(got) != 20 {
		t.Fatalf("the cap let removals through: eng has %d members", len(got))
	}
	if u, _ := w.MM.User(leaver.ID); u.DeleteAt == 0 {
		t.Fatalf("the removal cap held back offboarding:\n%s", w.Stdout.String())
	}
	path := w.SavePlanDry(1)
	if code := w.ApplyPlan(path, map[string]string{"INPUT_MAX-REMOVALS": "11"}); code != 0 {
		t.Fatalf("exit %d\n%s", code, w.Stdout.String())
	}
	if got := w.TeamMemberIDs(eng.ID); len(got) != 9 {
		t.Errorf("after the approved removals eng has %d members, want 9", len(got))
	}
}

// A rehired user moved out of the group of a private channel returns while
// a channel member has archived that channel: its line is frozen, so which
// rooms the returner must lose is unknown, and the account stays
// deactivated (a warning, and the run fails) rather than coming back into
// the old channel.
func TestInsiderArchiveHoldsAReturner(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	w.MM.SetMaxUsersPerTeam(1000)
	eng := w.MM.AddTeam(fakemm.Team{Name: "eng", DisplayName: "Engineering"})
	secret := w.MM.AddChannel(fakemm.Channel{TeamID: eng.ID, Name: "secret", Type: "P"})
	w.Env["INPUT_GROUP-CHANNELS"] = "mm-team-0: eng/secret"
	w.Env["INPUT_REMOVE-FROM-CHANNELS"] = "true"
	w.Env["INPUT_MAX-REMOVALS"] = "100%"
	w.MustRun(0)
	ids0, mails0 := w.GroupMembersWithMail(world.Group0ID)
	back := mails0[2]
	if !slices.Contains(w.ChannelEmails(secret.ID), back) {
		t.Fatalf("fixture: %s not in eng/secret", back)
	}
	w.Edit(back, func(u fakegraph.User) { u["accountEnabled"] = false })
	w.MustRun(0)
	if w.Account(back).DeleteAt == 0 {
		t.Fatal("the leaver was not deactivated")
	}
	w.Edit(back, func(u fakegraph.User) { u["accountEnabled"] = true })
	w.SetGroups(world.WithoutMember(w.Groups, world.Group0ID, ids0[2]))
	w.MM.ArchiveChannel(secret.ID)
	w.MustRun(1)
	if w.Account(back).DeleteAt == 0 {
		t.Fatalf("the returner came back while its old channel's line is frozen:\n%s", w.Stdout.String())
	}
	if out := w.Stdout.String(); !strings.Contains(out, "not reactivated in this run") || !strings.Contains(out, "frozen") {
		t.Errorf("no warning says why the returner waits:\n%s", out)
	}
}

// A plan creates a new hire's account; before it is applied, a linked
// employee types the new hire's address into their own profile. The
// approved create does not adopt the employee's account: nobody takes the
// new hire's identity, and the employee keeps their own link.
func TestInsiderSquatsANewHiresAddressBetweenPlanAndApply(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	w.MustRun(0)
	const newAddr = "new.hire@contoso.example"
	hire := fakegraph.User{"id": "1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b", "accountEnabled": true, "userType": "Member",
		"displayName": "New Hire", "mail": newAddr, "userPrincipalName": newAddr, "jobTitle": "Apprentice"}
	w.SetUsers(append(w.Users, hire))
	path := w.SavePlanDry(0)
	squatter := w.Account("rkowalski@contoso.example")
	id, tok := w.SignIn(squatter.Email)
	w.OwnPatch(tok, map[string]any{"email": newAddr, "password": "own-password-" + id[:6]})

	code := w.ApplyPlan(path, nil)
	now, _ := w.MM.User(id)
	if now.Props[mmsync.PropEntraID] != squatter.Props[mmsync.PropEntraID] || now.Position == "Apprentice" || now.Nickname == "New Hire" {
		t.Fatalf("exit %d: the employee's account took the new hire's identity: %+v\n%s", code, now, w.Stdout.String())
	}
	for _, u := range w.MM.Users() {
		if u.Props[mmsync.PropEntraID] == hire.ID() && u.ID == id {
			t.Fatalf("the new hire is linked to the squatter's account")
		}
	}
	// A normal run puts the employee back on their own address and creates
	// the new hire's account.
	w.MustRun(0)
	if a := w.Account(newAddr); a.ID == id || a.Props[mmsync.PropEntraID] != hire.ID() {
		t.Errorf("the new hire's account: %+v", a)
	}
	if u, _ := w.MM.User(id); !strings.EqualFold(u.Email, squatter.Email) {
		t.Errorf("the employee's address is %s, want %s back", u.Email, squatter.Email)
	}
}
