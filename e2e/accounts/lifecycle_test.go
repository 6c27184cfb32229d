package accounts

import (
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/e2e/world"
	fakegraph "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/graph"
	fakemm "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/mattermost"
	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
)

func TestRenameAndMailChangeKeepTheAccount(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	w.MustRun(0)
	before := w.Account("rkowalski@contoso.example")
	w.Edit("rkowalski@contoso.example", func(u fakegraph.User) {
		u["displayName"], u["surname"] = "Renée Lind", "Lind"
		u["mail"], u["userPrincipalName"] = "renee.lind@contoso.example", "renee.lind@contoso.example"
	})
	w.MustRun(0)
	after := w.Account("renee.lind@contoso.example")
	if after.ID != before.ID || after.Username != before.Username || after.Nickname != "Renée Lind" {
		t.Fatalf("rename: before %s/%s, after %s/%s %q", before.ID, before.Username, after.ID, after.Username, after.Nickname)
	}
	if _, ok := w.MM.UserByEmail("rkowalski@contoso.example"); ok {
		t.Error("the old address still has an account")
	}
	w.Noop()
}

func TestDisableThenReenableKeepsTheAccount(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	w.MustRun(0)
	before := w.Account("jjohnson@contoso.example")
	w.Edit("jjohnson@contoso.example", func(u fakegraph.User) { u["accountEnabled"] = false })
	w.MustRun(0)
	if u := w.Account("jjohnson@contoso.example"); u.DeleteAt == 0 || w.OutputInt("deactivated") != 1 {
		t.Fatalf("disabled user not deactivated: delete_at=%d deactivated=%d", u.DeleteAt, w.OutputInt("deactivated"))
	}
	w.Noop()
	w.Edit("jjohnson@contoso.example", func(u fakegraph.User) { u["accountEnabled"] = true })
	w.MustRun(0)
	after := w.Account("jjohnson@contoso.example")
	if after.ID != before.ID || after.DeleteAt != 0 || w.OutputInt("reactivated") != 1 {
		t.Fatalf("returner: id %s→%s delete_at=%d reactivated=%d", before.ID, after.ID, after.DeleteAt, w.OutputInt("reactivated"))
	}
	w.Noop()
}

func TestRemovedUserIsDeactivatedNotDeleted(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	w.MustRun(0)
	n := len(w.MM.Users())
	w.Remove(func(u fakegraph.User) bool { return u["mail"] == "jjohnson@contoso.example" })
	w.MustRun(0)
	if u := w.Account("jjohnson@contoso.example"); u.DeleteAt == 0 || len(w.MM.Users()) != n {
		t.Fatalf("removed user: delete_at=%d, accounts %d → %d", u.DeleteAt, n, len(w.MM.Users()))
	}
	if !strings.Contains(w.Summary(), "gone from Entra ID") {
		t.Errorf("summary does not say why:\n%s", w.Summary())
	}
	w.Noop()
}

func TestUnmanagedAccountsSurviveAnEmptyTenant(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	manual := w.MM.AddUser(fakemm.User{Username: "manual", Email: "manual@contoso.example", Roles: "system_user"})
	admin := w.MM.AddUser(fakemm.User{Username: "boss", Email: "boss@contoso.example", Roles: "system_admin system_user"})
	bot := w.MM.AddUser(fakemm.User{Username: "ci-bot", Email: "ci-bot@localhost.example", IsBot: true, Roles: "system_user"})
	w.MustRun(0)
	ignored := w.Account("jjohnson@contoso.example")
	w.Env["INPUT_IGNORE-USERS"] = "jjohnson@contoso.example"
	w.Env["INPUT_MAX-DEACTIVATIONS"] = "100%"
	w.SetUsers(nil)
	w.MustRun(0)
	for _, keep := range []fakemm.User{manual, admin, bot, ignored} {
		if u, _ := w.MM.User(keep.ID); u.DeleteAt != 0 {
			t.Errorf("%s was deactivated", keep.Username)
		}
	}
	active := 0
	for _, u := range w.MM.Users() {
		if u.DeleteAt == 0 {
			active++
		}
	}
	if active != 5 { // the four above and the token owner
		t.Errorf("%d active accounts after the tenant emptied, want 5", active)
	}
	if len(w.MM.Users()) < 50 {
		t.Errorf("accounts were deleted: %d left", len(w.MM.Users()))
	}
	w.Noop()
}

func TestEmptyTenantFailsClosedByDefault(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	w.MustRun(0)
	w.SetUsers(nil)
	w.MM.ResetCounters()
	w.MustRun(1)
	if w.MM.Writes() != 0 || !strings.Contains(w.Stdout.String(), "no Entra ID users are in scope") {
		t.Fatalf("writes %d\n%s", w.MM.Writes(), w.Stdout.String())
	}
}

func TestFailedPageDeactivatesNobody(t *testing.T) {
	w := world.New(t, "tenant-2000.json")
	w.MustRun(0)
	w.Remove(func(u fakegraph.User) bool { m, _ := u["mail"].(string); return strings.HasPrefix(m, "8202") })
	w.Graph.FailPage(2, 503, 0)
	w.MM.ResetCounters()
	w.MustRun(1)
	if n := w.MM.Writes(); n != 0 {
		t.Fatalf("%d writes after a failed read", n)
	}
	if !strings.Contains(w.Stdout.String(), "nothing was changed") && !strings.Contains(w.Stdout.String(), "Nothing was changed") {
		t.Errorf("the failure does not say nothing changed:\n%s", w.Stdout.String())
	}
	// Once Graph answers again, the leavers are deactivated, and the run
	// after that is a no-op.
	w.Graph.ClearFaults()
	w.Env["INPUT_MAX-DEACTIVATIONS"] = "100%"
	w.MustRun(0)
	if w.OutputInt("deactivated") == 0 {
		t.Error("no leaver deactivated once the read succeeded")
	}
	w.Noop()
}

func TestShrinkingTenantStopsAtTheThreshold(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	w.MustRun(0)
	managed := len(w.MM.Users()) - 1
	kept := 0
	w.Remove(func(u fakegraph.User) bool { kept++; return kept%5 < 3 }) // 60% gone
	w.MM.ResetCounters()
	w.MustRun(1)
	if n := w.OutputInt("deactivated"); n != 0 {
		t.Fatalf("deactivated %d despite the threshold", n)
	}
	for _, u := range w.MM.Users() {
		if u.DeleteAt != 0 {
			t.Fatalf("%s deactivated", u.Username)
		}
	}
	s := w.Summary()
	if !strings.Contains(s, "withheld by max-deactivations") || !strings.Contains(s, fmt.Sprint(managed)) {
		t.Errorf("summary does not list the withheld deactivations:\n%.1500s", s)
	}
	// The dry run shows the same.
	w.Env["INPUT_DRY-RUN"] = "true"
	w.MustRun(1)
	if !strings.Contains(w.Summary(), "withheld by max-deactivations") {
		t.Error("dry run does not show the threshold")
	}
}

func TestCopiedPropsDoNotHijack(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	w.MustRun(0)
	synced := w.Account("jjohnson@contoso.example")
	newcomer := fakegraph.User{"id": "9d3e2c1b-0a9f-4e8d-b7c6-a5b4c3d2e1f0", "accountEnabled": true, "userType": "Member",
		"displayName": "New Hire", "mail": "new.hire@contoso.example", "userPrincipalName": "new.hire@contoso.example"}
	props := maps.Clone(synced.Props)
	props[mmsync.PropEntraID] = newcomer.ID()
	manual := w.MM.AddUser(fakemm.User{Username: "sneaky", Email: "sneaky@contoso.example", Nickname: "Sneaky", Roles: "system_user", Props: props})
	w.SetUsers(append(w.Users, newcomer))
	w.MustRun(0)
	if u, _ := w.MM.User(manual.ID); u.Email != "sneaky@contoso.example" || u.Nickname != "Sneaky" || u.DeleteAt != 0 {
		t.Fatalf("the manual account was taken over: %+v", u)
	}
	if u := w.Account("new.hire@contoso.example"); u.ID == manual.ID {
		t.Fatal("the newcomer got the manual account")
	}
	w.Noop()
}

func TestUserLimitIsReportedNotHitBlindly(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	w.MM.SetUserLimits(200, 20)
	w.MustRun(1)
	if n := len(w.MM.Users()); n != 20 {
		t.Errorf("%d accounts, want exactly the 20 the limit allows", n)
	}
	if reqs := w.MM.Requests()["POST /api/v4/users"]; reqs != 19 {
		t.Errorf("%d create requests, want 19 (no request the limit is known to refuse)", reqs)
	}
	if !strings.Contains(w.Stdout.String(), "allows 20 active users") || !strings.Contains(w.Summary(), "user limit") {
		t.Errorf("no clear message about the limit:\n%s", w.Stdout.String())
	}
}

func TestLostCreateAnswersAreAdopted(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	// The server creates the user, then the gateway times out: the run does
	// not know it succeeded. The retried create finds the address taken and
	// adopts the account instead of failing or duplicating it.
	w.MM.InjectFault(fakemm.Fault{Method: "POST", PathPrefix: "/api/v4/users", Status: 504, Count: 5, AfterHandler: true})
	w.MustRun(0)
	seen := map[string]int{}
	for _, u := range w.MM.Users() {
		seen[strings.ToLower(u.Email)]++
		if seen[strings.ToLower(u.Email)] > 1 {
			t.Fatalf("duplicate account for %s", u.Email)
		}
	}
	if w.OutputInt("failed") != 0 {
		t.Fatalf("second run failed %d", w.OutputInt("failed"))
	}
	w.Noop()
}
