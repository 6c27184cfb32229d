package main

import (
	"fmt"
	"maps"
	"strings"
	"testing"

	fakegraph "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/graph"
	fakemm "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/mattermost"
	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
)

// setUsers replaces the tenant with users, each a copy.
func (w *world) setUsers(users []fakegraph.User) {
	w.users = make([]fakegraph.User, len(users))
	for i, u := range users {
		w.users[i] = maps.Clone(u)
	}
	w.graph.SetUsers(w.users)
}

// edit changes one tenant user, found by mail.
func (w *world) edit(mail string, f func(u fakegraph.User)) {
	w.t.Helper()
	for _, u := range w.users {
		if m, _ := u["mail"].(string); strings.EqualFold(m, mail) {
			f(u)
			w.graph.SetUsers(w.users)
			return
		}
	}
	w.t.Fatalf("no tenant user with mail %s", mail)
}

// remove deletes tenant users for which drop is true.
func (w *world) remove(drop func(u fakegraph.User) bool) {
	var kept []fakegraph.User
	for _, u := range w.users {
		if !drop(u) {
			kept = append(kept, u)
		}
	}
	w.users = kept
	w.graph.SetUsers(kept)
}

// mustRun runs the sync and fails the test unless it exits with want.
func (w *world) mustRun(want int, args ...string) {
	w.t.Helper()
	if code := w.run(args...); code != want {
		w.t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, want, w.stdout.String(), w.stderr.String())
	}
}

// noop runs the sync again and fails unless it writes nothing.
func (w *world) noop() {
	w.t.Helper()
	w.mm.ResetCounters()
	w.graph.ResetCounters()
	w.mustRun(0)
	if n := w.mm.Writes(); n != 0 {
		w.t.Fatalf("the run after a change is not a no-op: %d writes\n%s", n, w.stdout.String())
	}
}

func (w *world) account(email string) fakemm.User {
	w.t.Helper()
	u, ok := w.mm.UserByEmail(email)
	if !ok {
		w.t.Fatalf("no Mattermost account %s", email)
	}
	return u
}

func TestRenameAndMailChangeKeepTheAccount(t *testing.T) {
	w := newWorld(t, "tenant-60.json")
	w.mustRun(0)
	before := w.account("rkowalski@contoso.example")
	w.edit("rkowalski@contoso.example", func(u fakegraph.User) {
		u["displayName"], u["surname"] = "Renée Lind", "Lind"
		u["mail"], u["userPrincipalName"] = "renee.lind@contoso.example", "renee.lind@contoso.example"
	})
	w.mustRun(0)
	after := w.account("renee.lind@contoso.example")
	if after.ID != before.ID || after.Username != before.Username || after.Nickname != "Renée Lind" {
		t.Fatalf("rename: before %s/%s, after %s/%s %q", before.ID, before.Username, after.ID, after.Username, after.Nickname)
	}
	if _, ok := w.mm.UserByEmail("rkowalski@contoso.example"); ok {
		t.Error("the old address still has an account")
	}
	w.noop()
}

func TestDisableThenReenableKeepsTheAccount(t *testing.T) {
	w := newWorld(t, "tenant-60.json")
	w.mustRun(0)
	before := w.account("jjohnson@contoso.example")
	w.edit("jjohnson@contoso.example", func(u fakegraph.User) { u["accountEnabled"] = false })
	w.mustRun(0)
	if u := w.account("jjohnson@contoso.example"); u.DeleteAt == 0 || w.outputInt("deactivated") != 1 {
		t.Fatalf("disabled user not deactivated: delete_at=%d deactivated=%d", u.DeleteAt, w.outputInt("deactivated"))
	}
	w.noop()
	w.edit("jjohnson@contoso.example", func(u fakegraph.User) { u["accountEnabled"] = true })
	w.mustRun(0)
	after := w.account("jjohnson@contoso.example")
	if after.ID != before.ID || after.DeleteAt != 0 || w.outputInt("reactivated") != 1 {
		t.Fatalf("returner: id %s→%s delete_at=%d reactivated=%d", before.ID, after.ID, after.DeleteAt, w.outputInt("reactivated"))
	}
	w.noop()
}

func TestRemovedUserIsDeactivatedNotDeleted(t *testing.T) {
	w := newWorld(t, "tenant-60.json")
	w.mustRun(0)
	n := len(w.mm.Users())
	w.remove(func(u fakegraph.User) bool { return u["mail"] == "jjohnson@contoso.example" })
	w.mustRun(0)
	if u := w.account("jjohnson@contoso.example"); u.DeleteAt == 0 || len(w.mm.Users()) != n {
		t.Fatalf("removed user: delete_at=%d, accounts %d → %d", u.DeleteAt, n, len(w.mm.Users()))
	}
	if !strings.Contains(w.summary(), "gone from Entra ID") {
		t.Errorf("summary does not say why:\n%s", w.summary())
	}
	w.noop()
}

func TestUnmanagedAccountsSurviveAnEmptyTenant(t *testing.T) {
	w := newWorld(t, "tenant-60.json")
	manual := w.mm.AddUser(fakemm.User{Username: "manual", Email: "manual@contoso.example", Roles: "system_user"})
	admin := w.mm.AddUser(fakemm.User{Username: "boss", Email: "boss@contoso.example", Roles: "system_admin system_user"})
	bot := w.mm.AddUser(fakemm.User{Username: "ci-bot", Email: "ci-bot@localhost.example", IsBot: true, Roles: "system_user"})
	w.mustRun(0)
	ignored := w.account("jjohnson@contoso.example")
	w.env["INPUT_IGNORE-USERS"] = "jjohnson@contoso.example"
	w.env["INPUT_MAX-DEACTIVATIONS"] = "100%"
	w.setUsers(nil)
	w.mustRun(0)
	for _, keep := range []fakemm.User{manual, admin, bot, ignored} {
		if u, _ := w.mm.User(keep.ID); u.DeleteAt != 0 {
			t.Errorf("%s was deactivated", keep.Username)
		}
	}
	active := 0
	for _, u := range w.mm.Users() {
		if u.DeleteAt == 0 {
			active++
		}
	}
	if active != 5 { // the four above and the token owner
		t.Errorf("%d active accounts after the tenant emptied, want 5", active)
	}
	if len(w.mm.Users()) < 50 {
		t.Errorf("accounts were deleted: %d left", len(w.mm.Users()))
	}
	w.noop()
}

func TestEmptyTenantFailsClosedByDefault(t *testing.T) {
	w := newWorld(t, "tenant-60.json")
	w.mustRun(0)
	w.setUsers(nil)
	w.mm.ResetCounters()
	w.mustRun(1)
	if w.mm.Writes() != 0 || !strings.Contains(w.stdout.String(), "no Entra ID users are in scope") {
		t.Fatalf("writes %d\n%s", w.mm.Writes(), w.stdout.String())
	}
}

func TestFailedPageDeactivatesNobody(t *testing.T) {
	w := newWorld(t, "tenant-2000.json")
	w.mustRun(0)
	w.remove(func(u fakegraph.User) bool { m, _ := u["mail"].(string); return strings.HasPrefix(m, "8202") })
	w.graph.FailPage(2, 503, 0)
	w.mm.ResetCounters()
	w.mustRun(1)
	if n := w.mm.Writes(); n != 0 {
		t.Fatalf("%d writes after a failed read", n)
	}
	if !strings.Contains(w.stdout.String(), "nothing was changed") && !strings.Contains(w.stdout.String(), "Nothing was changed") {
		t.Errorf("the failure does not say nothing changed:\n%s", w.stdout.String())
	}
	// Once Graph answers again, the leavers are deactivated, and the run
	// after that is a no-op.
	w.graph.ClearFaults()
	w.env["INPUT_MAX-DEACTIVATIONS"] = "100%"
	w.mustRun(0)
	if w.outputInt("deactivated") == 0 {
		t.Error("no leaver deactivated once the read succeeded")
	}
	w.noop()
}

func TestShrinkingTenantStopsAtTheThreshold(t *testing.T) {
	w := newWorld(t, "tenant-60.json")
	w.mustRun(0)
	managed := len(w.mm.Users()) - 1
	kept := 0
	w.remove(func(u fakegraph.User) bool { kept++; return kept%5 < 3 }) // 60% gone
	w.mm.ResetCounters()
	w.mustRun(1)
	if n := w.outputInt("deactivated"); n != 0 {
		t.Fatalf("deactivated %d despite the threshold", n)
	}
	for _, u := range w.mm.Users() {
		if u.DeleteAt != 0 {
			t.Fatalf("%s deactivated", u.Username)
		}
	}
	s := w.summary()
	if !strings.Contains(s, "withheld by max-deactivations") || !strings.Contains(s, fmt.Sprint(managed)) {
		t.Errorf("summary does not list the withheld deactivations:\n%.1500s", s)
	}
	// The dry run shows the same.
	w.env["INPUT_DRY-RUN"] = "true"
	w.mustRun(1)
	if !strings.Contains(w.summary(), "withheld by max-deactivations") {
		t.Error("dry run does not show the threshold")
	}
}

func TestCopiedPropsDoNotHijack(t *testing.T) {
	w := newWorld(t, "tenant-60.json")
	w.mustRun(0)
	synced := w.account("jjohnson@contoso.example")
	newcomer := fakegraph.User{"id": "9d3e2c1b-0a9f-4e8d-b7c6-a5b4c3d2e1f0", "accountEnabled": true, "userType": "Member",
		"displayName": "New Hire", "mail": "new.hire@contoso.example", "userPrincipalName": "new.hire@contoso.example"}
	props := maps.Clone(synced.Props)
	props[mmsync.PropEntraID] = newcomer.ID()
	manual := w.mm.AddUser(fakemm.User{Username: "sneaky", Email: "sneaky@contoso.example", Nickname: "Sneaky", Roles: "system_user", Props: props})
	w.setUsers(append(w.users, newcomer))
	w.mustRun(0)
	if u, _ := w.mm.User(manual.ID); u.Email != "sneaky@contoso.example" || u.Nickname != "Sneaky" || u.DeleteAt != 0 {
		t.Fatalf("the manual account was taken over: %+v", u)
	}
	if u := w.account("new.hire@contoso.example"); u.ID == manual.ID {
		t.Fatal("the newcomer got the manual account")
	}
	w.noop()
}

func TestUserLimitIsReportedNotHitBlindly(t *testing.T) {
	w := newWorld(t, "tenant-60.json")
	w.mm.SetUserLimits(200, 20)
	w.mustRun(1)
	if n := len(w.mm.Users()); n != 20 {
		t.Errorf("%d accounts, want exactly the 20 the limit allows", n)
	}
	if reqs := w.mm.Requests()["POST /api/v4/users"]; reqs != 19 {
		t.Errorf("%d create requests, want 19 (no request the limit is known to refuse)", reqs)
	}
	if !strings.Contains(w.stdout.String(), "allows 20 active users") || !strings.Contains(w.summary(), "user limit") {
		t.Errorf("no clear message about the limit:\n%s", w.stdout.String())
	}
}

func TestLostCreateAnswersAreAdopted(t *testing.T) {
	w := newWorld(t, "tenant-60.json")
	// The server creates the user, then the gateway times out: the run does
	// not know it succeeded. The retried create finds the address taken and
	// adopts the account instead of failing or duplicating it.
	w.mm.InjectFault(fakemm.Fault{Method: "POST", PathPrefix: "/api/v4/users", Status: 504, Count: 5, AfterHandler: true})
	w.mustRun(0)
	seen := map[string]int{}
	for _, u := range w.mm.Users() {
		seen[strings.ToLower(u.Email)]++
		if seen[strings.ToLower(u.Email)] > 1 {
			t.Fatalf("duplicate account for %s", u.Email)
		}
	}
	if w.outputInt("failed") != 0 {
		t.Fatalf("second run failed %d", w.outputInt("failed"))
	}
	w.noop()
}
