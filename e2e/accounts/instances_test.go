package accounts

import (
	"context"
	"strings"
	"testing"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/e2e/world"
	fakegraph "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/graph"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/mattermost"
)

// Issue 15, items 6 and 9, end to end through main.

const (
	keyA = "instance-a-link-key-0123456789"
	keyB = "instance-b-link-key-0123456789"
)

// 6. Two syncs on one server: an existing, unnamed one over mm-team-0 and a
// new one named "ops" over mm-team-1, the groups overlapping, each with its
// own link key. Neither creates, re-links, deactivates or reactivates the
// other's users; alternating runs write nothing; and an insider who writes
// the other instance's name into their own props is still deactivated when
// disabled.
func TestTwoInstancesOnOneServer(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	hr := func() { w.As("", "mm-team-0", keyA) }
	ops := func() { w.As("ops", "mm-team-1", keyB) }
	hr()
	w.MustRun(0)
	if got := w.OutputInt("created"); got != 20 {
		t.Fatalf("hr created %d, want 20", got)
	}
	shared := "82021909@contoso.example" // in both groups
	hrAcct := w.Account(shared)

	ops()
	w.MustRun(0)
	hrMembers := map[string]bool{}
	for _, m := range w.ExpectedMembers(world.Group0ID) {
		hrMembers[m] = true
	}
	opsOwn := 0
	for _, m := range w.ExpectedMembers(world.Group1ID) {
		if !hrMembers[m] {
			opsOwn++
		}
	}
	if got := w.OutputInt("created"); got != opsOwn {
		t.Errorf("ops created %d, want its members but those hr already manages (%d)", got, opsOwn)
	}
	if r := w.SkipReasons()[shared]; !strings.Contains(r, "managed by another sync (the unnamed instance)") {
		t.Errorf("the shared user is not listed as the other instance's: %q", r)
	}
	if a := w.Account(shared); a.ID != hrAcct.ID || a.Props["entra_link"] != hrAcct.Props["entra_link"] {
		t.Fatal("ops re-linked hr's account")
	}
	for range 2 {
		hr()
		w.Noop()
		ops()
		w.Noop()
	}
	// An ops-only user leaves: ops deactivates its own leaver, and hr,
	// which reads the user as disabled too, has nothing left to do.
	opsOnly := "jjohnson@contoso.example"
	w.Edit(opsOnly, func(u fakegraph.User) { u["accountEnabled"] = false })
	ops()
	w.MustRun(0)
	if a := w.Account(opsOnly); a.DeleteAt == 0 || w.OutputInt("deactivated") != 1 {
		t.Fatal("ops did not deactivate its leaver")
	}
	hr()
	w.Noop()
	// Enabled again, ops hands it back (its own deactivation record).
	w.Edit(opsOnly, func(u fakegraph.User) { u["accountEnabled"] = true })
	hr()
	w.Noop()
	ops()
	w.MustRun(0)
	if a := w.Account(opsOnly); a.DeleteAt != 0 {
		t.Fatal("ops did not reactivate its returner")
	}
	hr()

	// An insider of hr names the other instance on their own account.
	insider := "bjorn.nunez@contoso.example"
	acct := w.Account(insider)
	props := map[string]string{"entra_object_id": acct.Props["entra_object_id"], "entra_link": strings.Repeat("0", 64), "entra_instance": "ops"}
	if _, err := w.Admin().PatchUser(context.Background(), acct.ID, mattermost.UserPatch{Props: props}); err != nil {
		t.Fatal(err)
	}
	w.Edit(insider, func(u fakegraph.User) { u["accountEnabled"] = false })
	w.MustRun(0)
	if a := w.Account(insider); a.DeleteAt == 0 {
		t.Fatal("an instance name in one's own props escaped offboarding")
	}
}

// 6. Naming an existing sync is an explicit step: named, it leaves the
// unnamed instance's accounts alone (and creates none of them twice) until
// claim-unnamed-links moves them, one patch each.
func TestNamingAnExistingSync(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	w.As("", "mm-team-0", keyA)
	w.MustRun(0)
	w.As("hr", "mm-team-0", keyA)
	w.Noop()
	if w.OutputInt("created") != 0 || w.OutputInt("skipped") < 20 {
		t.Fatalf("named without the claim: created %d skipped %d", w.OutputInt("created"), w.OutputInt("skipped"))
	}
	w.Env["INPUT_CLAIM-UNNAMED-LINKS"] = "true"
	w.MM.ResetCounters()
	w.MustRun(0)
	if got := w.MM.Writes(); got != 20 {
		t.Fatalf("the claim wrote %d times, want one patch per account (20)", got)
	}
	delete(w.Env, "INPUT_CLAIM-UNNAMED-LINKS")
	w.Noop()
	if a := w.Account("82021909@contoso.example"); a.Props["entra_instance"] != "hr" {
		t.Fatalf("instance prop %q", a.Props["entra_instance"])
	}
	// The unnamed instance, were it still running, now leaves them alone.
	w.As("", "mm-team-0", keyA)
	w.Noop()
	if w.OutputInt("created") != 0 {
		t.Fatal("the unnamed instance created the users again")
	}
}

// 9. Rotating link-key loses nothing, for an explicit key and for the
// default derived from mattermost-token: the run with the new key first
// re-signs every mark (one patch each, the deactivated leaver's record
// included), and the old key can then be dropped.
func TestLinkKeyRotationLosesNothing(t *testing.T) {
	for _, from := range []string{"explicit", "derived"} {
		t.Run(from, func(t *testing.T) {
			w := world.New(t, "tenant-60.json")
			old, oldEntry := keyA, keyA
			if from == "derived" {
				old, oldEntry = "", "derived"
			}
			w.As("", "mm-team-0", old)
			w.MustRun(0)
			leaver := "bjorn.nunez@contoso.example"
			w.Edit(leaver, func(u fakegraph.User) { u["accountEnabled"] = false })
			w.MustRun(0)

			w.Env["INPUT_LINK-KEY"] = keyB + "\n" + oldEntry
			w.MM.ResetCounters()
			w.MustRun(0)
			if got := w.MM.Writes(); got != 20 {
				t.Fatalf("the rotation wrote %d times, want one patch per account (20, the leaver included)", got)
			}
			w.Noop()
			w.Env["INPUT_LINK-KEY"] = keyB
			w.Noop()
			// The leaver returns: the sync's own deactivation record
			// survived the rotation, so reactivate: deactivated-by-sync
			// hands the account back.
			w.Edit(leaver, func(u fakegraph.User) { u["accountEnabled"] = true })
			w.MustRun(0)
			if a := w.Account(leaver); a.DeleteAt != 0 || w.OutputInt("reactivated") != 1 || w.OutputInt("created") != 0 {
				t.Fatalf("returner: delete_at %d reactivated %d created %d", a.DeleteAt, w.OutputInt("reactivated"), w.OutputInt("created"))
			}
			for _, line := range strings.Split(w.Stdout.String(), "\n") {
				if strings.Contains(line, keyB) && !strings.HasPrefix(line, "::add-mask::") {
					t.Fatalf("a link key was printed: %s", line)
				}
			}
		})
	}
}

// An employee drops their link, writes another instance's name into their
// own props, and is then deleted from Entra ID without being disabled
// first. With one sync (no instance anywhere) and with two, the address
// rule for deleted users still deactivates the account: a prop an employee
// can write never switches offboarding off.
func TestForeignNameInOwnPropsDoesNotStopOffboarding(t *testing.T) {
	for _, tt := range []struct{ name, instance, claims string }{
		{"one sync", "", "ops"},
		{"two syncs: hr's employee names ops", "", "ops"},
		{"two syncs: ops's employee names an instance that does not exist", "ops", "hr"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := world.New(t, "tenant-60.json")
			w.As(tt.instance, "mm-team-0", keyA)
			w.MustRun(0)
			if strings.HasPrefix(tt.name, "two syncs") {
				// The other sync runs over an overlapping scope.
				other := "ops"
				if tt.instance == "ops" {
					other = ""
				}
				w.As(other, "mm-team-1", keyB)
				w.MustRun(0)
				w.As(tt.instance, "mm-team-0", keyA)
				w.Noop()
			}
			insider := "bjorn.nunez@contoso.example"
			acct := w.Account(insider)
			if acct.Props["entra_link"] == "" {
				t.Fatalf("fixture: %s is not linked", insider)
			}
			props := map[string]string{"entra_link": strings.Repeat("0", 64), "entra_instance": tt.claims, "theme": "dark"}
			if _, err := w.Admin().PatchUser(context.Background(), acct.ID, mattermost.UserPatch{Props: props}); err != nil {
				t.Fatal(err)
			}
			if !w.Graph.DeleteUser(w.UserByMail(insider).ID()) {
				t.Fatal("no such user")
			}
			w.MustRun(0)
			if a := w.Account(insider); a.DeleteAt == 0 || w.OutputInt("deactivated") != 1 {
				t.Fatalf("deleted after naming another instance, still active (deactivated=%d):\n%s", w.OutputInt("deactivated"), w.Stdout.String())
			}
			if r := w.Report(); !strings.Contains(r.Results[0].Reason, "a deleted user's address never keeps an active account") {
				t.Errorf("the deactivation does not say why: %+v", r.Results)
			}
			w.Noop()
		})
	}
}
