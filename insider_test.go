package main

import (
	"maps"
	"slices"
	"strings"
	"testing"

	fakegraph "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/graph"
	fakemm "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/mattermost"
	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
)

// What an ordinary employee, a channel member or a group owner can do,
// combined with Approve, then apply and the rails: none of it takes over an
// identity or stops offboarding.

// signIn logs the account with this address in, as the web app does, and
// returns its id and session token.
func (w *world) signIn(mail string) (id, token string) {
	w.t.Helper()
	a := w.account(mail)
	return a.ID, w.mm.LogIn(a.ID, "own-password-"+a.ID[:6])
}

// ownPatch sends a patch of one's own account and fails unless it succeeds.
func (w *world) ownPatch(token string, body map[string]any) {
	w.t.Helper()
	if code, got := w.asUser(token, "PUT", "/users/me/patch", body); code != 200 {
		w.t.Fatalf("own patch %v: %d %v", body, code, got)
	}
}

// Five leavers stop a run at max-deactivations 2; the plan is saved and
// approved with the count. Between plan and apply four of them act on their
// own accounts: one drops the sync's props and names another instance, one
// copies an active colleague's props (link and marks) onto itself, one
// renames itself, one drops its link and pastes a colleague's creation
// mark. Every approved deactivation is still applied, nobody else is
// touched, and the next run is a no-op.
func TestInsidersUnderAnApprovedThreshold(t *testing.T) {
	w := newWorld(t, "tenant-60.json")
	w.mustRun(0)
	leavers := []string{"82021909@contoso.example", "82021910@contoso.example", "bjorn.nunez@contoso.example", "82021911@contoso.example", "asa.muller.extern@contoso.example"}
	colleague := w.account("rkowalski@contoso.example")
	for _, m := range leavers {
		w.edit(m, func(u fakegraph.User) { u["accountEnabled"] = false })
	}
	w.env["INPUT_MAX-DEACTIVATIONS"] = "2"
	path := w.savePlanDry(1)

	_, tok := w.signIn(leavers[0])
	w.ownPatch(tok, map[string]any{"props": map[string]string{mmsync.PropInstance: "ops", "theme": "dark"}})
	_, tok = w.signIn(leavers[1])
	w.ownPatch(tok, map[string]any{"props": maps.Clone(colleague.Props)})
	_, tok = w.signIn(leavers[2])
	w.ownPatch(tok, map[string]any{"username": "not.bjorn"})
	_, tok = w.signIn(leavers[3])
	forged := map[string]string{"theme": "dark"}
	for k, v := range colleague.Props {
		if k != mmsync.PropLink && k != mmsync.PropEntraID {
			forged[k] = v
		}
	}
	forged[mmsync.PropCreated] = colleague.Props[mmsync.PropCreated]
	w.ownPatch(tok, map[string]any{"props": forged})

	if code := w.applyPlan(path, map[string]string{"INPUT_MAX-DEACTIVATIONS": "5"}); code != 0 {
		t.Fatalf("exit %d\n%s", code, w.stdout.String())
	}
	for _, m := range leavers {
		if u, ok := w.mm.UserByEmail(m); !ok || u.DeleteAt == 0 {
			t.Errorf("%s: an approved deactivation was held back by the leaver's own edit\n%s", m, w.stdout.String())
		}
	}
	if got := w.outputInt("deactivated"); got != 5 {
		t.Errorf("deactivated %d, want 5", got)
	}
	if u, _ := w.mm.User(colleague.ID); u.DeleteAt != 0 || u.Props[mmsync.PropLink] != colleague.Props[mmsync.PropLink] {
		t.Errorf("the colleague whose props were copied was touched: %+v", u)
	}
	delete(w.env, "INPUT_MAX-DEACTIVATIONS")
	w.noop()
}

// A channel member archives a mapped channel and anyone creates a second
// group with the scope group's display name, both between plan and apply.
// The approved deactivation of a user read as disabled still goes ahead
// (the address rule holds whatever the scope); that of a user who merely
// left the group does not, as the scope is unknown, and the run fails
// naming both lines. Once the scope resolves again the leaver goes too.
func TestInsidersBreakMappingsBetweenPlanAndApply(t *testing.T) {
	w := newWorld(t, "tenant-60.json")
	w.mm.SetMaxUsersPerTeam(1000)
	eng := w.mm.AddTeam(fakemm.Team{Name: "eng", DisplayName: "Engineering"})
	secret := w.mm.AddChannel(fakemm.Channel{TeamID: eng.ID, Name: "secret", Type: "P"})
	w.env["INPUT_GROUPS"] = "mm-team-0"
	w.env["INPUT_GROUP-CHANNELS"] = "mm-team-0: eng/secret"
	w.env["INPUT_REMOVE-FROM-CHANNELS"] = "true"
	w.env["INPUT_MAX-DEACTIVATIONS"] = "100%"
	w.mustRun(0)
	ids0, mails0 := w.groupMembersWithMail(group0ID)
	if len(mails0) < 3 || !slices.Contains(w.channelEmails(secret.ID), mails0[1]) {
		t.Fatalf("fixture: %v in eng/secret %v", mails0, w.channelEmails(secret.ID))
	}
	disabled, left := mails0[0], mails0[1]
	w.edit(disabled, func(u fakegraph.User) { u["accountEnabled"] = false })
	w.setGroups(withoutMember(w.groups, group0ID, ids0[1]))
	path := w.savePlanDry(0)

	w.mm.ArchiveChannel(secret.ID)
	w.graph.AddGroup(fakegraph.Group{ID: "0e1d2c3b-4a59-4867-9586-a4b3c2d1e0f9", DisplayName: "mm-team-0"})
	if code := w.applyPlan(path, nil); code != 1 {
		t.Fatalf("exit %d, want 1 (broken lines)\n%s", code, w.stdout.String())
	}
	if u := w.account(disabled); u.DeleteAt == 0 {
		t.Errorf("%s is disabled in Entra ID, its deactivation approved, yet still active\n%s", disabled, w.stdout.String())
	}
	if u := w.account(left); u.DeleteAt != 0 {
		t.Errorf("%s left the group, and was deactivated although the scope is unknown", left)
	}
	out := w.stdout.String()
	for _, want := range []string{`2 groups are named "mm-team-0"`, "input group-channels line 1"} {
		if !strings.Contains(out, want) {
			t.Errorf("no error saying %q:\n%s", want, out)
		}
	}
	// The scope group is named by its object id from now on.
	w.env["INPUT_GROUPS"] = group0ID
	w.mustRun(1) // eng/secret is still archived: its line stays broken
	if u := w.account(left); u.DeleteAt == 0 {
		t.Errorf("%s left the scope and the scope resolves again, yet still active\n%s", left, w.stdout.String())
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
		edit         func(w *world, id, tok string)
		kept         bool
	}{
		{"username", "svc-backup", func(w *world, _, tok string) { w.ownPatch(tok, map[string]any{"username": "svc-backup"}) }, false},
		{"address", "backup@contoso.example", func(w *world, id, tok string) {
			w.ownPatch(tok, map[string]any{"email": "backup@contoso.example", "password": "own-password-" + id[:6]})
		}, false},
		{"listed by the admin", leaver, func(*world, string, string) {}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, "tenant-60.json")
			w.mustRun(0)
			w.env["INPUT_IGNORE-USERS"] = tt.ignore
			id, tok := w.signIn(leaver)
			tt.edit(w, id, tok)
			w.edit(leaver, func(u fakegraph.User) { u["accountEnabled"] = false })
			w.mustRun(0)
			u, _ := w.mm.User(id)
			if kept := u.DeleteAt == 0; kept != tt.kept {
				t.Fatalf("kept active %v, want %v\n%s", kept, tt.kept, w.stdout.String())
			}
			if tt.kept {
				if !strings.Contains(w.stdout.String(), "stays active: listed in ignore-users") {
					t.Errorf("no warning for the ignored leaver:\n%s", w.stdout.String())
				}
				return
			}
			w.noop()
		})
	}
}

// A group owner removes most members of a group mapped to a team (not all:
// an empty group would freeze the line), while a remaining member is
// disabled. max-removals withholds every removal and the run fails, but the
// leaver is still deactivated. The removals, saved and approved with the
// count, then go through.
func TestInsiderGroupOwnerTripsTheRemovalCap(t *testing.T) {
	w := newWorld(t, "tenant-60.json")
	w.mm.SetMaxUsersPerTeam(1000)
	eng := w.mm.AddTeam(fakemm.Team{Name: "eng", DisplayName: "Engineering"})
	w.env["INPUT_GROUP-TEAMS"] = "mm-team-0: eng"
	w.env["INPUT_REMOVE-FROM-TEAMS"] = "true"
	w.mustRun(0)
	members := w.teamMemberIDs(eng.ID)
	drop := map[string]bool{}
	for _, id := range members[:11] {
		u, _ := w.mm.User(id)
		drop[u.Props[mmsync.PropEntraID]] = true
	}
	// The leaver is a remaining member whose address is a directory mail
	// (w.edit finds users by mail; a UPN-only account has none).
	var leaver fakemm.User
	for _, id := range members[11:] {
		if u, _ := w.mm.User(id); strings.HasSuffix(u.Email, "@contoso.example") {
			leaver = u
			break
		}
	}
	if leaver.ID == "" {
		t.Fatal("no remaining member with a directory mail")
	}
	w.withoutGroupMembers(group0ID, drop)
	w.edit(leaver.Email, func(u fakegraph.User) { u["accountEnabled"] = false })
	w.mustRun(1)
	if got := w.teamMemberIDs(eng.ID); len(got) != 20 {
		t.Fatalf("the cap let removals through: eng has %d members", len(got))
	}
	if u, _ := w.mm.User(leaver.ID); u.DeleteAt == 0 {
		t.Fatalf("the removal cap held back offboarding:\n%s", w.stdout.String())
	}
	path := w.savePlanDry(1)
	if code := w.applyPlan(path, map[string]string{"INPUT_MAX-REMOVALS": "11"}); code != 0 {
		t.Fatalf("exit %d\n%s", code, w.stdout.String())
	}
	if got := w.teamMemberIDs(eng.ID); len(got) != 9 {
		t.Errorf("after the approved removals eng has %d members, want 9", len(got))
	}
}

// A rehired user moved out of the group of a private channel returns while
// a channel member has archived that channel: its line is frozen, so which
// rooms the returner must lose is unknown, and the account stays
// deactivated (a warning, and the run fails) rather than coming back into
// the old channel.
func TestInsiderArchiveHoldsAReturner(t *testing.T) {
	w := newWorld(t, "tenant-60.json")
	w.mm.SetMaxUsersPerTeam(1000)
	eng := w.mm.AddTeam(fakemm.Team{Name: "eng", DisplayName: "Engineering"})
	secret := w.mm.AddChannel(fakemm.Channel{TeamID: eng.ID, Name: "secret", Type: "P"})
	w.env["INPUT_GROUP-CHANNELS"] = "mm-team-0: eng/secret"
	w.env["INPUT_REMOVE-FROM-CHANNELS"] = "true"
	w.env["INPUT_MAX-REMOVALS"] = "100%"
	w.mustRun(0)
	ids0, mails0 := w.groupMembersWithMail(group0ID)
	back := mails0[2]
	if !slices.Contains(w.channelEmails(secret.ID), back) {
		t.Fatalf("fixture: %s not in eng/secret", back)
	}
	w.edit(back, func(u fakegraph.User) { u["accountEnabled"] = false })
	w.mustRun(0)
	if w.account(back).DeleteAt == 0 {
		t.Fatal("the leaver was not deactivated")
	}
	w.edit(back, func(u fakegraph.User) { u["accountEnabled"] = true })
	w.setGroups(withoutMember(w.groups, group0ID, ids0[2]))
	w.mm.ArchiveChannel(secret.ID)
	w.mustRun(1)
	if w.account(back).DeleteAt == 0 {
		t.Fatalf("the returner came back while its old channel's line is frozen:\n%s", w.stdout.String())
	}
	if out := w.stdout.String(); !strings.Contains(out, "not reactivated in this run") || !strings.Contains(out, "frozen") {
		t.Errorf("no warning says why the returner waits:\n%s", out)
	}
}

// A plan creates a new hire's account; before it is applied, a linked
// employee types the new hire's address into their own profile. The
// approved create does not adopt the employee's account: nobody takes the
// new hire's identity, and the employee keeps their own link.
func TestInsiderSquatsANewHiresAddressBetweenPlanAndApply(t *testing.T) {
	w := newWorld(t, "tenant-60.json")
	w.mustRun(0)
	const newAddr = "new.hire@contoso.example"
	hire := fakegraph.User{"id": "1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b", "accountEnabled": true, "userType": "Member",
		"displayName": "New Hire", "mail": newAddr, "userPrincipalName": newAddr, "jobTitle": "Apprentice"}
	w.setUsers(append(w.users, hire))
	path := w.savePlanDry(0)
	squatter := w.account("rkowalski@contoso.example")
	id, tok := w.signIn(squatter.Email)
	w.ownPatch(tok, map[string]any{"email": newAddr, "password": "own-password-" + id[:6]})

	code := w.applyPlan(path, nil)
	now, _ := w.mm.User(id)
	if now.Props[mmsync.PropEntraID] != squatter.Props[mmsync.PropEntraID] || now.Position == "Apprentice" || now.Nickname == "New Hire" {
		t.Fatalf("exit %d: the employee's account took the new hire's identity: %+v\n%s", code, now, w.stdout.String())
	}
	for _, u := range w.mm.Users() {
		if u.Props[mmsync.PropEntraID] == hire.ID() && u.ID == id {
			t.Fatalf("the new hire is linked to the squatter's account")
		}
	}
	// A normal run puts the employee back on their own address and creates
	// the new hire's account.
	w.mustRun(0)
	if a := w.account(newAddr); a.ID == id || a.Props[mmsync.PropEntraID] != hire.ID() {
		t.Errorf("the new hire's account: %+v", a)
	}
	if u, _ := w.mm.User(id); !strings.EqualFold(u.Email, squatter.Email) {
		t.Errorf("the employee's address is %s, want %s back", u.Email, squatter.Email)
	}
}
