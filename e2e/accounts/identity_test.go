package accounts

import (
	"context"
	"maps"
	"net/http"
	"strings"
	gosync "sync"
	"testing"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/e2e/world"
	fakegraph "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/graph"
	fakemm "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/mattermost"
	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
)

// Issue 15's failing inputs 1, 7 and 8, end to end through main's code path:
// what an ordinary employee can do to their own account must not move an
// identity, and the sync's own writes must not undo what a user set.

// 1. Linked employee X strips the link from their own props and types a new
// hire's address into their own profile. The server then reports the address
// unverified, and the new hire's directory user does not adopt X's account.
func TestSelfChangedAddressTakesNoIdentity(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	eng := w.MM.AddTeam(fakemm.Team{Name: "eng", DisplayName: "Engineering"})
	w.Env["INPUT_TEAMS"] = "eng"
	w.MM.SetMaxUsersPerTeam(1000)
	w.MustRun(0)
	x := w.Account("rkowalski@contoso.example")
	const newAddr = "new.hire@contoso.example"
	tok := w.MM.LogIn(x.ID, "x-own-password-1")
	if code, _ := w.AsUser(tok, "PUT", "/users/me/patch", map[string]any{"props": map[string]string{"theme": "dark"}}); code != 200 {
		t.Fatalf("X's own props patch: %d", code)
	}
	// The server asks for the password before it changes one's own address.
	if code, _ := w.AsUser(tok, "PUT", "/users/me/patch", map[string]any{"email": newAddr}); code != 400 {
		t.Fatalf("own address change without the password: %d, want 400", code)
	}
	code, got := w.AsUser(tok, "PUT", "/users/me/patch", map[string]any{"email": newAddr, "password": "x-own-password-1"})
	if code != 200 || got["email"] != newAddr {
		t.Fatalf("own address change: %d %v", code, got)
	}
	if _, present := got["email_verified"]; present {
		t.Fatalf("email_verified after an address change: %v (the server omits false)", got["email_verified"])
	}
	// An admin removes X from the team (X's own account is no longer the
	// sync's): the run must not put it back.
	if err := w.Admin().RemoveTeamMember(context.Background(), eng.ID, x.ID); err != nil {
		t.Fatal(err)
	}
	hire := fakegraph.User{"id": "1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b", "accountEnabled": true, "userType": "Member",
		"displayName": "New Hire", "mail": newAddr, "userPrincipalName": newAddr, "jobTitle": "Apprentice"}
	w.SetUsers(append(w.Users, hire))
	w.MustRun(0)

	now, _ := w.MM.User(x.ID)
	if now.Email != newAddr || now.Props[mmsync.PropLink] != "" || now.Props[mmsync.PropEntraID] != "" || now.Position == "Apprentice" || now.Nickname == "New Hire" {
		t.Fatalf("X's account took the new hire's identity: %+v", now)
	}
	for _, m := range w.MM.TeamMembers(eng.ID) {
		if m.UserID == x.ID && m.DeleteAt == 0 {
			t.Fatal("X's unverified account was added to a mapped team")
		}
	}
	if w.OutputInt("conflicts") != 1 {
		t.Fatalf("conflicts = %d, want 1", w.OutputInt("conflicts"))
	}
	out, s := w.Stdout.String(), w.Summary()
	for _, want := range []string{"::warning::conflict", x.Username, "unverified", "mmctl user verify " + x.Username, "adopt-existing: any"} {
		if !strings.Contains(out, want) {
			t.Errorf("the warning does not say %q:\n%s", want, out)
		}
	}
	if !strings.Contains(s, "Conflicts (1)") || !strings.Contains(s, x.Username) {
		t.Errorf("the summary does not name the holder:\n%.3000s", s)
	}
	w.Noop()

	// adopt-existing: any adopts it; its dry run lists it for review first.
	w.Env["INPUT_ADOPT-EXISTING"] = "any"
	w.Env["INPUT_DRY-RUN"] = "true"
	w.MustRun(0)
	if out := w.Stdout.String(); !strings.Contains(out, "Review: 1 adoptions") || !strings.Contains(out, "? update") || !strings.Contains(out, "REVIEW") {
		t.Errorf("the dry run does not list the unverified adoption for review:\n%s", out)
	}
	if u, _ := w.MM.User(x.ID); u.Props[mmsync.PropLink] != "" {
		t.Fatal("the dry run changed the account")
	}
}

// adopt-existing: false leaves a verified hand-made account alone too, and
// the default adopts one whose address is verified.
func TestAdoptExistingVerifiedAdoptsVerifiedAccounts(t *testing.T) {
	for _, tc := range []struct {
		value   string
		adopted bool
	}{{"", true}, {"true", true}, {"false", false}} {
		t.Run("adopt-existing="+tc.value, func(t *testing.T) {
			w := world.New(t, "tenant-60.json")
			if tc.value != "" {
				w.Env["INPUT_ADOPT-EXISTING"] = tc.value
			}
			hand := w.MM.AddUser(fakemm.User{Username: "rk", Email: "rkowalski@contoso.example", Roles: "system_user", EmailVerified: true})
			w.MustRun(0)
			u, _ := w.MM.User(hand.ID)
			if (u.Props[mmsync.PropLink] != "") != tc.adopted {
				t.Fatalf("adopted = %v, want %v", u.Props[mmsync.PropLink] != "", tc.adopted)
			}
			w.Noop()
		})
	}
}

// afterRequest runs hook once, after the first request match accepts has been
// answered: someone acting on Mattermost while the sync applies.
type afterRequest struct {
	match func(*http.Request) bool
	hook  func()
	once  gosync.Once
}

func (a *afterRequest) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil && a.match(r) {
		a.once.Do(a.hook)
	}
	return resp, err
}

// 8. A returner sets a custom status the moment their account is active
// again, while the run is still applying: the sync's next write (dropping its
// deactivation mark) changes only its own keys, and the status stays.
func TestUsersOwnPropsSurviveTheSyncsMarks(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	w.MustRun(0)
	const mail = "rkowalski@contoso.example"
	w.Edit(mail, func(u fakegraph.User) { u["accountEnabled"] = false })
	w.MustRun(0)
	x := w.Account(mail)
	if x.DeleteAt == 0 || x.Props[mmsync.PropDeactivated] == "" {
		t.Fatalf("not deactivated by the sync: %+v", x)
	}
	w.Edit(mail, func(u fakegraph.User) { u["accountEnabled"] = true })
	tok := w.MM.LogIn(x.ID, "x-own-password-1")
	const status = `{"emoji":"wave","text":"Back!","duration":"today"}`
	hook := &afterRequest{
		match: func(r *http.Request) bool {
			return r.Method == "PUT" && strings.HasSuffix(r.URL.Path, "/users/"+x.ID+"/active")
		},
		hook: func() {
			// The web app sends the whole props map it holds, plus its change.
			now, _ := w.MM.User(x.ID)
			props := maps.Clone(now.Props)
			props["customStatus"] = status
			if code, _ := w.AsUser(tok, "PUT", "/users/me/patch", map[string]any{"props": props}); code != 200 {
				t.Errorf("the user's own status: %d", code)
			}
		},
	}
	if code := w.RunCtx(context.Background(), hook); code != 0 {
		t.Fatalf("exit %d\n%s", code, w.Stdout.String())
	}
	now, _ := w.MM.User(x.ID)
	if now.DeleteAt != 0 || w.OutputInt("reactivated") != 1 {
		t.Fatalf("not reactivated: %+v", now)
	}
	if now.Props["customStatus"] != status {
		t.Fatalf("the user's custom status was lost: %v", now.Props)
	}
	if now.Props[mmsync.PropDeactivated] != "" || now.Props[mmsync.PropLink] == "" {
		t.Fatalf("the sync's own keys are not as planned: %v", now.Props)
	}
	w.Noop()
}

// 7. Two linked users whose addresses were mixed up are corrected in the
// directory: the swap completes in one run through a temporary address, one
// extra write that the dry run shows.
func TestSwappedAddressesMoveInOneRun(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	w.MustRun(0)
	const a, b = "rkowalski@contoso.example", "jjohnson@contoso.example"
	ra, jj := w.Account(a), w.Account(b)
	w.Edit(a, func(u fakegraph.User) { u["mail"] = "swap-tmp" })
	w.Edit(b, func(u fakegraph.User) { u["mail"] = a })
	w.Edit("swap-tmp", func(u fakegraph.User) { u["mail"] = b })

	w.Env["INPUT_DRY-RUN"] = "true"
	w.MM.ResetCounters()
	w.MustRun(0)
	out := w.Stdout.String()
	if !strings.Contains(out, "@moving.invalid") || !strings.Contains(out, "temporary address") || !strings.Contains(out, "3 to update") || w.MM.Writes() != 0 {
		t.Fatalf("the dry run does not show the swap's three writes:\n%s", out)
	}
	w.Env["INPUT_DRY-RUN"] = "false"
	w.MM.ResetCounters()
	w.MustRun(0)
	if u, _ := w.MM.User(ra.ID); u.Email != b {
		t.Errorf("%s has %s, want %s", ra.Username, u.Email, b)
	}
	if u, _ := w.MM.User(jj.ID); u.Email != a {
		t.Errorf("%s has %s, want %s", jj.Username, u.Email, a)
	}
	if w.OutputInt("conflicts") != 0 || w.OutputInt("updated") != 3 || w.OutputInt("failed") != 0 || w.MM.Writes() != 3 {
		t.Fatalf("conflicts=%d updated=%d failed=%d writes=%d\n%s", w.OutputInt("conflicts"), w.OutputInt("updated"), w.OutputInt("failed"), w.MM.Writes(), w.Stdout.String())
	}
	w.Noop()
}
