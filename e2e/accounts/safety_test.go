package accounts

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/e2e/world"
	fakegraph "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/graph"
	fakemm "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/mattermost"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/mattermost"
	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
)

// The failing inputs of the "Safety invariants in one place" issue, end to
// end through main's code path against the fakes.

// 1. Unknown is not false.
func TestNullAccountEnabledIsLeftAlone(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	w.MustRun(0)
	id := w.UserByMail("jjohnson@contoso.example").ID()
	w.Edit("jjohnson@contoso.example", func(u fakegraph.User) { u["accountEnabled"] = nil; u["jobTitle"] = "Changed" })
	w.MM.ResetCounters()
	w.MustRun(0)
	acct := w.Account("jjohnson@contoso.example")
	if acct.DeleteAt != 0 || acct.Position == "Changed" || w.MM.Writes() != 0 {
		t.Fatalf("the account changed: delete_at=%d position=%q writes=%d", acct.DeleteAt, acct.Position, w.MM.Writes())
	}
	out := w.Stdout.String()
	if !strings.Contains(out, "::warning::") || !strings.Contains(out, id) || !strings.Contains(out, "accountEnabled is null") {
		t.Errorf("no warning naming the object id and the attribute:\n%s", out)
	}
	if w.OutputInt("skipped") == 0 || !strings.Contains(w.Summary(), "accountEnabled is null") {
		t.Errorf("not counted under skipped with its reason")
	}
}

// 2. Removing the link escapes neither a disabling nor a deletion.
func TestRemovedLinkDoesNotEscapeOffboarding(t *testing.T) {
	for _, how := range []string{"disabled", "deleted"} {
		t.Run(how, func(t *testing.T) {
			w := world.New(t, "tenant-60.json")
			w.MustRun(0)
			eve := w.Account("rkowalski@contoso.example")
			// Eve edits her own props: the link is gone.
			if _, err := w.Admin().PatchUser(context.Background(), eve.ID, mattermost.UserPatch{Props: map[string]string{"theme": "dark"}}); err != nil {
				t.Fatal(err)
			}
			id := w.UserByMail("rkowalski@contoso.example").ID()
			if how == "disabled" {
				w.Edit("rkowalski@contoso.example", func(u fakegraph.User) { u["accountEnabled"] = false })
			} else if !w.Graph.DeleteUser(id) {
				t.Fatal("no such user")
			}
			w.MustRun(0)
			if u := w.Account("rkowalski@contoso.example"); u.DeleteAt == 0 || w.OutputInt("deactivated") != 1 {
				t.Fatalf("%s user with a removed link: delete_at=%d deactivated=%d\n%s", how, u.DeleteAt, w.OutputInt("deactivated"), w.Stdout.String())
			}
			w.Noop()
			if how == "disabled" {
				// The sync deactivated it and linked it again: she comes back.
				w.Edit("rkowalski@contoso.example", func(u fakegraph.User) { u["accountEnabled"] = true })
				w.MustRun(0)
				if u := w.Account("rkowalski@contoso.example"); u.DeleteAt != 0 || u.ID != eve.ID {
					t.Fatalf("returner not reactivated: %+v", u)
				}
				w.Noop()
			}
		})
	}
}

// A missing permission for the deleted users is a warning, not a failure.
func TestDeletedUsersForbiddenIsAWarning(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	w.Graph.SetForbiddenDeletedUsers(true)
	w.MustRun(0)
	if out := w.Stdout.String(); !strings.Contains(out, "::warning::") || !strings.Contains(out, "User.Read.All") {
		t.Errorf("no warning naming the permission:\n%.2000s", out)
	}
	if w.OutputInt("created") == 0 {
		t.Error("the run did not go on")
	}
}

// 3. An administrator's deactivation stands (reactivate: deactivated-by-sync).
func TestAdminDeactivationStands(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	w.MustRun(0)
	rita := w.Account("jjohnson@contoso.example")
	if err := w.Admin().UpdateActive(context.Background(), rita.ID, false); err != nil {
		t.Fatal(err)
	}
	w.MM.ResetCounters()
	w.MustRun(0)
	if u := w.Account("jjohnson@contoso.example"); u.DeleteAt == 0 || w.OutputInt("reactivated") != 0 || w.MM.Writes() != 0 {
		t.Fatalf("the manual deactivation was undone: delete_at=%d reactivated=%d writes=%d", u.DeleteAt, w.OutputInt("reactivated"), w.MM.Writes())
	}
	if s := w.Summary(); !strings.Contains(s, "not by this sync") || !strings.Contains(s, "reactivate it in Mattermost") {
		t.Errorf("skip reason does not say how to hand it back:\n%.3000s", s)
	}
	w.Env["INPUT_REACTIVATE"] = "any"
	w.MustRun(0)
	if u := w.Account("jjohnson@contoso.example"); u.DeleteAt != 0 || w.OutputInt("reactivated") != 1 {
		t.Fatalf("reactivate: any did not reactivate: %+v", u)
	}
	w.Noop()
}

// 4. One conflicting field does not freeze the others, and is reported.
func TestConflictingMailDoesNotFreezeTheRest(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	w.MustRun(0)
	holder := w.MM.AddUser(fakemm.User{Username: "oldkwame", Email: "kwame.new@contoso.example", Roles: "system_user", DeleteAt: 1})
	w.Edit("rkowalski@contoso.example", func(u fakegraph.User) {
		u["mail"] = "kwame.new@contoso.example"
		u["jobTitle"] = "Senior Engineer"
	})
	w.MustRun(0)
	acct := w.Account("rkowalski@contoso.example")
	if acct.Position != "Senior Engineer" {
		t.Fatalf("the title did not change: %+v", acct)
	}
	if w.OutputInt("conflicts") != 1 || w.OutputInt("updated") != 1 {
		t.Fatalf("conflicts=%d updated=%d", w.OutputInt("conflicts"), w.OutputInt("updated"))
	}
	out, s := w.Stdout.String(), w.Summary()
	if !strings.Contains(out, "::warning::conflict") || !strings.Contains(s, "Conflicts (1)") || !strings.Contains(s, holder.Username) {
		t.Errorf("the conflict is not reported with its holder:\n%s\n%.3000s", out, s)
	}
	if u, _ := w.MM.User(holder.ID); u.Email != "kwame.new@contoso.example" || u.DeleteAt == 0 {
		t.Fatalf("the holder was touched: %+v", u)
	}
	w.Noop()
	if w.OutputInt("conflicts") != 1 {
		t.Error("the conflict is not reported again")
	}
}

// 5. Addresses are allocated over the whole plan.
func TestAddressesAreAllocatedOnce(t *testing.T) {
	t.Run("two users move to one address", func(t *testing.T) {
		w := world.New(t, "tenant-60.json")
		w.MustRun(0)
		for _, m := range []string{"rkowalski@contoso.example", "jjohnson@contoso.example"} {
			w.Edit(m, func(u fakegraph.User) { u["mail"] = "shared@contoso.example" })
		}
		w.MustRun(0)
		if _, ok := w.MM.UserByEmail("shared@contoso.example"); ok || w.OutputInt("conflicts") != 2 {
			t.Fatalf("shared address given out (conflicts=%d)", w.OutputInt("conflicts"))
		}
		w.Noop()
	})
	t.Run("a UPN fallback meets a new user's mail", func(t *testing.T) {
		w := world.New(t, "tenant-60.json")
		w.MustRun(0)
		a := w.Account("rkowalski@contoso.example")
		w.Edit("rkowalski@contoso.example", func(u fakegraph.User) { u["mail"] = nil; u["userPrincipalName"] = "y@contoso.example" })
		w.SetUsers(append(w.Users, fakegraph.User{"id": "5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6", "accountEnabled": true, "userType": "Member",
			"displayName": "Yara", "mail": "y@contoso.example", "userPrincipalName": "yara@contoso.example"}))
		w.MustRun(0)
		if u, _ := w.MM.User(a.ID); u.Email != "rkowalski@contoso.example" {
			t.Fatalf("A took the address: %+v", u)
		}
		if y := w.Account("y@contoso.example"); y.ID == a.ID || w.OutputInt("created") != 1 {
			t.Fatalf("B was not created: %+v", y)
		}
		w.Noop()
	})
}

// 6. A lost create answer is the sync's own, whatever adopt-existing says.
func TestLostCreateIsOwnWithAdoptionOff(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	w.Env["INPUT_ADOPT-EXISTING"] = "false"
	w.MM.InjectFault(fakemm.Fault{Method: "POST", PathPrefix: "/api/v4/users", Status: 504, Count: 3, AfterHandler: true})
	w.MustRun(0)
	if f := w.OutputInt("failed"); f != 0 {
		t.Fatalf("failed %d", f)
	}
	for _, u := range w.MM.Users() {
		if u.ID != w.MM.AdminID() && u.Props[mmsync.PropLink] == "" {
			t.Fatalf("%s is not linked", u.Username)
		}
	}
	w.Noop()
}

// 8. A reused address goes to the new person; the leaver's account keeps
// everything but the address.
func TestReusedAddressIsReleased(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	w.MustRun(0)
	john := w.Account("jjohnson@contoso.example")
	w.Remove(func(u fakegraph.User) bool { return u["mail"] == "jjohnson@contoso.example" })
	w.MustRun(0) // John leaves: deactivated
	w.SetUsers(append(w.Users, fakegraph.User{"id": "6e2f3a4b-5c6d-4e7f-9081-92a3b4c5d6e7", "accountEnabled": true, "userType": "Member",
		"displayName": "John Smith (new)", "mail": "jjohnson@contoso.example", "userPrincipalName": "jsmith2@contoso.example"}))
	w.MustRun(0)
	old, _ := w.MM.User(john.ID)
	if old.DeleteAt == 0 || old.Username != john.Username || !strings.HasSuffix(old.Email, "@released.invalid") || !strings.Contains(old.Email, john.ID) {
		t.Fatalf("the old account: %+v", old)
	}
	if n := w.Account("jjohnson@contoso.example"); n.ID == john.ID || n.DeleteAt != 0 || w.OutputInt("created") != 1 {
		t.Fatalf("the new person: %+v", n)
	}
	w.Noop()

	// With release-addresses off it is a conflict with the fix.
	w2 := world.New(t, "tenant-60.json")
	w2.Env["INPUT_RELEASE-ADDRESSES"] = "false"
	w2.MustRun(0)
	w2.Remove(func(u fakegraph.User) bool { return u["mail"] == "jjohnson@contoso.example" })
	w2.MustRun(0)
	w2.SetUsers(append(w2.Users, fakegraph.User{"id": "6e2f3a4b-5c6d-4e7f-9081-92a3b4c5d6e7", "accountEnabled": true, "userType": "Member",
		"displayName": "John Smith (new)", "mail": "jjohnson@contoso.example"}))
	w2.MustRun(0)
	if w2.OutputInt("conflicts") != 1 || !strings.Contains(w2.Summary(), "release-addresses") {
		t.Fatalf("no conflict naming the fix:\n%.3000s", w2.Summary())
	}
}

// 9. With RequireEmailVerification the change is asked for once.
func TestPendingEmailChangeIsAskedOnce(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	w.MustRun(0)
	w.MM.SetRequireEmailVerification(true)
	w.Edit("rkowalski@contoso.example", func(u fakegraph.User) { u["mail"] = "r.kowalski@contoso.example" })
	w.MustRun(0)
	if n := len(w.MM.VerificationMails()); n != 1 {
		t.Fatalf("%d verification mails after the first run", n)
	}
	for range 2 {
		w.Noop()
		if w.OutputInt("updated") != 0 || !strings.Contains(w.Summary(), "verify") {
			t.Fatalf("pending change not reported under skipped:\n%.2000s", w.Summary())
		}
	}
	if n := len(w.MM.VerificationMails()); n != 1 {
		t.Fatalf("%d verification mails: the change was asked for again", n)
	}
}

// 10. Honest output.
func TestHonestOutput(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	w.MustRun(0)
	if !strings.Contains(w.Stdout.String(), "Mattermost 11.1.0 at") {
		t.Errorf("(c) the version is not shown as 11.1.0:\n%.500s", w.Stdout.String())
	}
	kept := 0
	w.Remove(func(u fakegraph.User) bool { kept++; return kept%5 < 3 })
	w.MustRun(1)
	out, s := w.Stdout.String(), w.Summary()
	if strings.Contains(s, "0 Entra ID users read") || strings.Contains(s, "0 Mattermost accounts seen") {
		t.Errorf("(a) the summary of a stopped run says 0 read:\n%.800s", s)
	}
	if strings.Contains(out, "No changes") {
		t.Errorf("(b) the plan says no changes above the threshold error:\n%.1500s", out)
	}
}

// 10 (d). A cancelled run still sends its webhook.
func TestCancelledRunSendsItsWebhook(t *testing.T) {
	var mu sync.Mutex
	var got []map[string]any
	recv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		mu.Lock()
		got = append(got, m)
		mu.Unlock()
	}))
	defer recv.Close()
	w := world.New(t, "tenant-60.json")
	w.Env["INPUT_REPORT-WEBHOOK-URL"] = recv.URL
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if code := w.RunCtx(ctx, nil); code != 1 {
		t.Fatalf("exit %d", code)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0]["status"] != "failure" {
		t.Fatalf("webhook deliveries: %v", got)
	}
}
