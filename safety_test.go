package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	fakegraph "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/graph"
	fakemm "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/mattermost"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/mattermost"
	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
)

// The failing inputs of the "Safety invariants in one place" issue, end to
// end through main's code path against the fakes.

// admin returns a Mattermost client with the admin's token, to act as a user
// or an administrator would between runs.
func (w *world) admin() *mattermost.Client {
	w.t.Helper()
	c, err := mattermost.New(w.mm.URL(), w.mm.AdminToken(), mattermost.Options{})
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

func (w *world) userByMail(mail string) fakegraph.User {
	w.t.Helper()
	for _, u := range w.users {
		if m, _ := u["mail"].(string); strings.EqualFold(m, mail) {
			return u
		}
	}
	w.t.Fatalf("no tenant user with mail %s", mail)
	return nil
}

// 1. Unknown is not false.
func TestNullAccountEnabledIsLeftAlone(t *testing.T) {
	w := newWorld(t, "tenant-60.json")
	w.mustRun(0)
	id := w.userByMail("jjohnson@contoso.example").ID()
	w.edit("jjohnson@contoso.example", func(u fakegraph.User) { u["accountEnabled"] = nil; u["jobTitle"] = "Changed" })
	w.mm.ResetCounters()
	w.mustRun(0)
	acct := w.account("jjohnson@contoso.example")
	if acct.DeleteAt != 0 || acct.Position == "Changed" || w.mm.Writes() != 0 {
		t.Fatalf("the account changed: delete_at=%d position=%q writes=%d", acct.DeleteAt, acct.Position, w.mm.Writes())
	}
	out := w.stdout.String()
	if !strings.Contains(out, "::warning::") || !strings.Contains(out, id) || !strings.Contains(out, "accountEnabled is null") {
		t.Errorf("no warning naming the object id and the attribute:\n%s", out)
	}
	if w.outputInt("skipped") == 0 || !strings.Contains(w.summary(), "accountEnabled is null") {
		t.Errorf("not counted under skipped with its reason")
	}
}

// 2. Removing the link escapes neither a disabling nor a deletion.
func TestRemovedLinkDoesNotEscapeOffboarding(t *testing.T) {
	for _, how := range []string{"disabled", "deleted"} {
		t.Run(how, func(t *testing.T) {
			w := newWorld(t, "tenant-60.json")
			w.mustRun(0)
			eve := w.account("rkowalski@contoso.example")
			// Eve edits her own props: the link is gone.
			if _, err := w.admin().PatchUser(context.Background(), eve.ID, mattermost.UserPatch{Props: map[string]string{"theme": "dark"}}); err != nil {
				t.Fatal(err)
			}
			id := w.userByMail("rkowalski@contoso.example").ID()
			if how == "disabled" {
				w.edit("rkowalski@contoso.example", func(u fakegraph.User) { u["accountEnabled"] = false })
			} else if !w.graph.DeleteUser(id) {
				t.Fatal("no such user")
			}
			w.mustRun(0)
			if u := w.account("rkowalski@contoso.example"); u.DeleteAt == 0 || w.outputInt("deactivated") != 1 {
				t.Fatalf("%s user with a removed link: delete_at=%d deactivated=%d\n%s", how, u.DeleteAt, w.outputInt("deactivated"), w.stdout.String())
			}
			w.noop()
			if how == "disabled" {
				// The sync deactivated it and linked it again: she comes back.
				w.edit("rkowalski@contoso.example", func(u fakegraph.User) { u["accountEnabled"] = true })
				w.mustRun(0)
				if u := w.account("rkowalski@contoso.example"); u.DeleteAt != 0 || u.ID != eve.ID {
					t.Fatalf("returner not reactivated: %+v", u)
				}
				w.noop()
			}
		})
	}
}

// A missing permission for the deleted users is a warning, not a failure.
func TestDeletedUsersForbiddenIsAWarning(t *testing.T) {
	w := newWorld(t, "tenant-60.json")
	w.graph.SetForbiddenDeletedUsers(true)
	w.mustRun(0)
	if out := w.stdout.String(); !strings.Contains(out, "::warning::") || !strings.Contains(out, "User.Read.All") {
		t.Errorf("no warning naming the permission:\n%.2000s", out)
	}
	if w.outputInt("created") == 0 {
		t.Error("the run did not go on")
	}
}

// 3. An administrator's deactivation stands (reactivate: deactivated-by-sync).
func TestAdminDeactivationStands(t *testing.T) {
	w := newWorld(t, "tenant-60.json")
	w.mustRun(0)
	rita := w.account("jjohnson@contoso.example")
	if err := w.admin().UpdateActive(context.Background(), rita.ID, false); err != nil {
		t.Fatal(err)
	}
	w.mm.ResetCounters()
	w.mustRun(0)
	if u := w.account("jjohnson@contoso.example"); u.DeleteAt == 0 || w.outputInt("reactivated") != 0 || w.mm.Writes() != 0 {
		t.Fatalf("the manual deactivation was undone: delete_at=%d reactivated=%d writes=%d", u.DeleteAt, w.outputInt("reactivated"), w.mm.Writes())
	}
	if s := w.summary(); !strings.Contains(s, "not by this sync") || !strings.Contains(s, "reactivate it in Mattermost") {
		t.Errorf("skip reason does not say how to hand it back:\n%.3000s", s)
	}
	w.env["INPUT_REACTIVATE"] = "any"
	w.mustRun(0)
	if u := w.account("jjohnson@contoso.example"); u.DeleteAt != 0 || w.outputInt("reactivated") != 1 {
		t.Fatalf("reactivate: any did not reactivate: %+v", u)
	}
	w.noop()
}

// 4. One conflicting field does not freeze the others, and is reported.
func TestConflictingMailDoesNotFreezeTheRest(t *testing.T) {
	w := newWorld(t, "tenant-60.json")
	w.mustRun(0)
	holder := w.mm.AddUser(fakemm.User{Username: "oldkwame", Email: "kwame.new@contoso.example", Roles: "system_user", DeleteAt: 1})
	w.edit("rkowalski@contoso.example", func(u fakegraph.User) {
		u["mail"] = "kwame.new@contoso.example"
		u["jobTitle"] = "Senior Engineer"
	})
	w.mustRun(0)
	acct := w.account("rkowalski@contoso.example")
	if acct.Position != "Senior Engineer" {
		t.Fatalf("the title did not change: %+v", acct)
	}
	if w.outputInt("conflicts") != 1 || w.outputInt("updated") != 1 {
		t.Fatalf("conflicts=%d updated=%d", w.outputInt("conflicts"), w.outputInt("updated"))
	}
	out, s := w.stdout.String(), w.summary()
	if !strings.Contains(out, "::warning::conflict") || !strings.Contains(s, "Conflicts (1)") || !strings.Contains(s, holder.Username) {
		t.Errorf("the conflict is not reported with its holder:\n%s\n%.3000s", out, s)
	}
	if u, _ := w.mm.User(holder.ID); u.Email != "kwame.new@contoso.example" || u.DeleteAt == 0 {
		t.Fatalf("the holder was touched: %+v", u)
	}
	w.noop()
	if w.outputInt("conflicts") != 1 {
		t.Error("the conflict is not reported again")
	}
}

// 5. Addresses are allocated over the whole plan.
func TestAddressesAreAllocatedOnce(t *testing.T) {
	t.Run("two users move to one address", func(t *testing.T) {
		w := newWorld(t, "tenant-60.json")
		w.mustRun(0)
		for _, m := range []string{"rkowalski@contoso.example", "jjohnson@contoso.example"} {
			w.edit(m, func(u fakegraph.User) { u["mail"] = "shared@contoso.example" })
		}
		w.mustRun(0)
		if _, ok := w.mm.UserByEmail("shared@contoso.example"); ok || w.outputInt("conflicts") != 2 {
			t.Fatalf("shared address given out (conflicts=%d)", w.outputInt("conflicts"))
		}
		w.noop()
	})
	t.Run("a UPN fallback meets a new user's mail", func(t *testing.T) {
		w := newWorld(t, "tenant-60.json")
		w.mustRun(0)
		a := w.account("rkowalski@contoso.example")
		w.edit("rkowalski@contoso.example", func(u fakegraph.User) { u["mail"] = nil; u["userPrincipalName"] = "y@contoso.example" })
		w.setUsers(append(w.users, fakegraph.User{"id": "5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6", "accountEnabled": true, "userType": "Member",
			"displayName": "Yara", "mail": "y@contoso.example", "userPrincipalName": "yara@contoso.example"}))
		w.mustRun(0)
		if u, _ := w.mm.User(a.ID); u.Email != "rkowalski@contoso.example" {
			t.Fatalf("A took the address: %+v", u)
		}
		if y := w.account("y@contoso.example"); y.ID == a.ID || w.outputInt("created") != 1 {
			t.Fatalf("B was not created: %+v", y)
		}
		w.noop()
	})
}

// 6. A lost create answer is the sync's own, whatever adopt-existing says.
func TestLostCreateIsOwnWithAdoptionOff(t *testing.T) {
	w := newWorld(t, "tenant-60.json")
	w.env["INPUT_ADOPT-EXISTING"] = "false"
	w.mm.InjectFault(fakemm.Fault{Method: "POST", PathPrefix: "/api/v4/users", Status: 504, Count: 3, AfterHandler: true})
	w.mustRun(0)
	if f := w.outputInt("failed"); f != 0 {
		t.Fatalf("failed %d", f)
	}
	for _, u := range w.mm.Users() {
		if u.ID != w.mm.AdminID() && u.Props[mmsync.PropLink] == "" {
			t.Fatalf("%s is not linked", u.Username)
		}
	}
	w.noop()
}

// 8. A reused address goes to the new person; the leaver's account keeps
// everything but the address.
func TestReusedAddressIsReleased(t *testing.T) {
	w := newWorld(t, "tenant-60.json")
	w.mustRun(0)
	john := w.account("jjohnson@contoso.example")
	w.remove(func(u fakegraph.User) bool { return u["mail"] == "jjohnson@contoso.example" })
	w.mustRun(0) // John leaves: deactivated
	w.setUsers(append(w.users, fakegraph.User{"id": "6e2f3a4b-5c6d-4e7f-9081-92a3b4c5d6e7", "accountEnabled": true, "userType": "Member",
		"displayName": "John Smith (new)", "mail": "jjohnson@contoso.example", "userPrincipalName": "jsmith2@contoso.example"}))
	w.mustRun(0)
	old, _ := w.mm.User(john.ID)
	if old.DeleteAt == 0 || old.Username != john.Username || !strings.HasSuffix(old.Email, "@released.invalid") || !strings.Contains(old.Email, john.ID) {
		t.Fatalf("the old account: %+v", old)
	}
	if n := w.account("jjohnson@contoso.example"); n.ID == john.ID || n.DeleteAt != 0 || w.outputInt("created") != 1 {
		t.Fatalf("the new person: %+v", n)
	}
	w.noop()

	// With release-addresses off it is a conflict with the fix.
	w2 := newWorld(t, "tenant-60.json")
	w2.env["INPUT_RELEASE-ADDRESSES"] = "false"
	w2.mustRun(0)
	w2.remove(func(u fakegraph.User) bool { return u["mail"] == "jjohnson@contoso.example" })
	w2.mustRun(0)
	w2.setUsers(append(w2.users, fakegraph.User{"id": "6e2f3a4b-5c6d-4e7f-9081-92a3b4c5d6e7", "accountEnabled": true, "userType": "Member",
		"displayName": "John Smith (new)", "mail": "jjohnson@contoso.example"}))
	w2.mustRun(0)
	if w2.outputInt("conflicts") != 1 || !strings.Contains(w2.summary(), "release-addresses") {
		t.Fatalf("no conflict naming the fix:\n%.3000s", w2.summary())
	}
}

// 9. With RequireEmailVerification the change is asked for once.
func TestPendingEmailChangeIsAskedOnce(t *testing.T) {
	w := newWorld(t, "tenant-60.json")
	w.mustRun(0)
	w.mm.SetRequireEmailVerification(true)
	w.edit("rkowalski@contoso.example", func(u fakegraph.User) { u["mail"] = "r.kowalski@contoso.example" })
	w.mustRun(0)
	if n := len(w.mm.VerificationMails()); n != 1 {
		t.Fatalf("%d verification mails after the first run", n)
	}
	for range 2 {
		w.noop()
		if w.outputInt("updated") != 0 || !strings.Contains(w.summary(), "verify") {
			t.Fatalf("pending change not reported under skipped:\n%.2000s", w.summary())
		}
	}
	if n := len(w.mm.VerificationMails()); n != 1 {
		t.Fatalf("%d verification mails: the change was asked for again", n)
	}
}

// 10. Honest output.
func TestHonestOutput(t *testing.T) {
	w := newWorld(t, "tenant-60.json")
	w.mustRun(0)
	if !strings.Contains(w.stdout.String(), "Mattermost 11.1.0 at") {
		t.Errorf("(c) the version is not shown as 11.1.0:\n%.500s", w.stdout.String())
	}
	kept := 0
	w.remove(func(u fakegraph.User) bool { kept++; return kept%5 < 3 })
	w.mustRun(1)
	out, s := w.stdout.String(), w.summary()
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
	w := newWorld(t, "tenant-60.json")
	w.env["INPUT_REPORT-WEBHOOK-URL"] = recv.URL
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if code := w.runCtx(ctx, nil); code != 1 {
		t.Fatalf("exit %d", code)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0]["status"] != "failure" {
		t.Fatalf("webhook deliveries: %v", got)
	}
}
