package run

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/e2e/world"
	fakegraph "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/graph"
	fakemm "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/mattermost"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/planfile"
)

// Approve, then apply (issue 17), end to end through main's code path.

func TestApproveThenApplyMakesOnlyApprovedChanges(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	w.MustRun(0)
	renamed, leaver, later := "rkowalski@contoso.example", "bjorn.nunez@contoso.example", "zoe.davis@contoso.example"
	retitled := "jjohnson@contoso.example"
	w.Edit(renamed, func(u fakegraph.User) { u["jobTitle"] = "Engineering Manager" })
	w.Edit(retitled, func(u fakegraph.User) { u["jobTitle"] = "Architect" })
	w.Edit(leaver, func(u fakegraph.User) { u["accountEnabled"] = false })
	path := w.SavePlanDry(0)
	if !strings.Contains(w.Stdout.String(), "Plan saved to "+path) {
		t.Errorf("the dry run does not say where the plan went:\n%s", w.Stdout.String())
	}

	// After the approval, the directory moves on: one approved change is
	// no longer what the directory says, and a new leaver appears.
	w.Edit(retitled, func(u fakegraph.User) { u["jobTitle"] = "Chief Architect" })
	w.Edit(later, func(u fakegraph.User) { u["accountEnabled"] = false })
	if code := w.ApplyPlan(path, nil); code != 0 {
		t.Fatalf("apply exit %d\n%s", code, w.Stdout.String())
	}
	if a := w.Account(renamed); a.Position != "Engineering Manager" {
		t.Errorf("the approved update was not made: position %q", a.Position)
	}
	if a := w.Account(leaver); a.DeleteAt == 0 {
		t.Error("the approved deactivation was not made")
	}
	if a := w.Account(later); a.DeleteAt != 0 {
		t.Error("a deactivation the approved plan does not hold was made")
	}
	if a := w.Account(retitled); a.Position == "Chief Architect" || a.Position == "Architect" {
		t.Errorf("an update that changed since the plan was made: position %q", a.Position)
	}
	out := w.Outputs()
	if out["updated"] != "1" || out["deactivated"] != "1" || out["changed-since-plan"] != "1" || out["not-in-approved-plan"] != "2" {
		t.Errorf("outputs %v", out)
	}
	rep := w.Report()
	if rep.ApprovedPlan == nil || len(rep.ApprovedPlan.ChangedSincePlan) != 1 || rep.Counts.NotInApprovedPlan != 2 {
		t.Fatalf("report's approved_plan %+v", rep.ApprovedPlan)
	}
	if s := w.Summary(); !strings.Contains(s, "changed since the plan") || !strings.Contains(s, "not in the approved plan") {
		t.Errorf("summary does not list what was left out:\n%s", s)
	}
	if !strings.Contains(w.Stdout.String(), "::warning::Applying the approved plan") {
		t.Errorf("left-out changes are no warning:\n%s", w.Stdout.String())
	}
	w.AssertNoSecrets(nil)

	// Applying the same plan twice writes nothing the second time.
	if code := w.ApplyPlan(path, nil); code != 0 {
		t.Fatalf("second apply exit %d\n%s", code, w.Stdout.String())
	}
	if n := w.MM.Writes(); n != 0 {
		t.Errorf("applying the plan twice wrote %d times", n)
	}
}

func TestApprovedPlanRefusedBeforeAnyWrite(t *testing.T) {
	tests := []struct {
		name  string
		setup func(w *world.World, path string) map[string]string
		want  string
	}{
		{"edited by hand", func(w *world.World, path string) map[string]string {
			b, _ := os.ReadFile(path)
			os.WriteFile(path, []byte(strings.Replace(string(b), `"action":"deactivate"`, `"action":"reactivate"`, 1)), 0o600)
			return nil
		}, "signature does not verify"},
		{"signed with another key", func(w *world.World, path string) map[string]string {
			return map[string]string{"INPUT_LINK-KEY": "another-link-key-0123456789"}
		}, "signature does not verify"},
		{"another tenant", func(w *world.World, path string) map[string]string {
			return map[string]string{"INPUT_AZURE-TENANT-ID": "0b9e4b63-6d6c-4d2b-9d43-3f0f4b2a7c11"}
		}, "another Mattermost server or Entra ID tenant"},
		{"another server", func(w *world.World, path string) map[string]string {
			return map[string]string{"INPUT_MATTERMOST-URL": "https://chat.other.example"}
		}, "another Mattermost server or Entra ID tenant"},
		{"stale", func(w *world.World, path string) map[string]string {
			return map[string]string{"INPUT_PLAN-MAX-AGE": "1ns"}
		}, "older than plan-max-age"},
		{"another version", func(w *world.World, path string) map[string]string {
			// A plan another version made: signed with the same key.
			f, err := planfile.Read(path)
			if err != nil {
				w.T.Fatal(err)
			}
			f.ToolVersion = "v99.0.0"
			if err := planfile.Write(path, f, []byte("the-link-key-0123456789abcdef")); err != nil {
				w.T.Fatal(err)
			}
			return nil
		}, "incompatible version"},
		{"not a plan", func(w *world.World, path string) map[string]string {
			os.WriteFile(path, []byte(`{"status":"success"}`), 0o600)
			return nil
		}, "not a saved plan"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := world.New(t, "tenant-60.json")
			w.Env["INPUT_LINK-KEY"] = "the-link-key-0123456789abcdef"
			w.MustRun(0)
			w.Edit("bjorn.nunez@contoso.example", func(u fakegraph.User) { u["accountEnabled"] = false })
			path := w.SavePlanDry(0)
			inputs := tt.setup(w, path)
			code := w.ApplyPlan(path, inputs)
			if code == 0 {
				t.Fatal("exit 0")
			}
			if n := w.MM.Writes(); n != 0 {
				t.Errorf("%d writes", n)
			}
			errLine := firstErrorLine(w.Stdout.String())
			if !strings.Contains(errLine, tt.want) || !strings.Contains(errLine, "apply-plan") {
				t.Errorf("first error %q does not say %q\n%s", errLine, tt.want, w.Stdout.String())
			}
		})
	}
}

// A run the threshold stops saves the whole plan; applying it needs the
// count stated, and then makes exactly those deactivations.
func TestPlanStoppedByThresholdIsAppliedWithTheCount(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	w.MustRun(0)
	leavers := []string{"82021909@contoso.example", "82021910@contoso.example", "bjorn.nunez@contoso.example", "82021911@contoso.example", "asa.muller.extern@contoso.example"}
	for _, m := range leavers {
		w.Edit(m, func(u fakegraph.User) { u["accountEnabled"] = false })
	}
	w.Env["INPUT_MAX-DEACTIVATIONS"] = "2"
	path := w.SavePlanDry(1)
	if !strings.Contains(w.Stdout.String(), "save the plan with plan-out (a dry run) and apply that file with apply-plan") ||
		!strings.Contains(w.Stdout.String(), "run apply-plan with `max-deactivations: 5`") {
		t.Errorf("the stopped run does not point to apply-plan with the count:\n%s", w.Stdout.String())
	}
	if rep := w.Report(); !strings.Contains(rep.Error, "apply-plan") {
		t.Errorf("the report's error does not point to apply-plan: %s", rep.Error)
	}
	if s := w.Summary(); !strings.Contains(s, "### Saved plan") || !strings.Contains(s, "apply it with `max-deactivations: 5`") {
		t.Errorf("the summary does not tell the approver the count:\n%s", s)
	}
	f, err := planfile.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if r := f.Rails[0]; r.Planned != 5 || !r.Exceeded || len(f.Withheld) != 5 {
		t.Fatalf("rails %+v, %d withheld", f.Rails, len(f.Withheld))
	}
	// A sixth leaver after the approval is not in the plan.
	w.Edit("82021919@contoso.example", func(u fakegraph.User) { u["accountEnabled"] = false })

	if code := w.ApplyPlan(path, nil); code == 0 || w.MM.Writes() != 0 {
		t.Fatalf("the plan was applied under max-deactivations 2: exit %d, %d writes", code, w.MM.Writes())
	}
	if !strings.Contains(w.Stdout.String(), "max-deactivations: 5") {
		t.Errorf("the refusal does not state the count:\n%s", w.Stdout.String())
	}
	if code := w.ApplyPlan(path, map[string]string{"INPUT_MAX-DEACTIVATIONS": "5"}); code != 0 {
		t.Fatalf("exit %d\n%s", code, w.Stdout.String())
	}
	if got := w.OutputInt("deactivated"); got != 5 {
		t.Errorf("deactivated %d, want 5", got)
	}
	for _, m := range leavers {
		if w.Account(m).DeleteAt == 0 {
			t.Errorf("%s not deactivated", m)
		}
	}
	if w.Account("82021919@contoso.example").DeleteAt != 0 {
		t.Error("the leaver after the approval was deactivated")
	}
}

// The inputs that decide what a run does come from the saved plan; the run
// says which of its own it ignored.
func TestApplyTakesDecisionInputsFromThePlan(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	w.MustRun(0)
	w.Edit("bjorn.nunez@contoso.example", func(u fakegraph.User) { u["accountEnabled"] = false })
	path := w.SavePlanDry(0)
	code := w.ApplyPlan(path, map[string]string{"INPUT_DEACTIVATE": "false", "INPUT_ONLY-USERS": "rkowalski@contoso.example"})
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, w.Stdout.String())
	}
	if !strings.Contains(w.Stdout.String(), "::warning::apply-plan: this run's deactivate, only-users differ") {
		t.Errorf("no warning naming the ignored inputs:\n%s", w.Stdout.String())
	}
	if w.Account("bjorn.nunez@contoso.example").DeleteAt == 0 {
		t.Error("the approved deactivation was not made")
	}
	var rep struct {
		ApprovedPlan struct {
			Ignored []string `json:"ignored_inputs"`
		} `json:"approved_plan"`
	}
	b, _ := os.ReadFile(w.Env["INPUT_REPORT-PATH"])
	if json.Unmarshal(b, &rep) != nil || len(rep.ApprovedPlan.Ignored) != 2 {
		t.Errorf("report's ignored inputs: %s", rep.ApprovedPlan.Ignored)
	}
}

// plan-max-age is measured on the run's clock.
func TestPlanMaxAgeUsesTheRunsClock(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	w.MustRun(0)
	path := w.SavePlanDry(0)
	w.Env["INPUT_APPLY-PLAN"] = path
	later := func() time.Time { return time.Now().Add(25 * time.Hour) }
	if code := w.RunWith(context.Background(), world.Edges{Now: later}); code == 0 || !strings.Contains(w.Stdout.String(), "older than plan-max-age") {
		t.Fatalf("a day-old plan was not refused: exit %d\n%s", code, w.Stdout.String())
	}
	w.Env["INPUT_PLAN-MAX-AGE"] = "48h"
	if code := w.RunWith(context.Background(), world.Edges{Now: later}); code != 0 {
		t.Fatalf("exit %d under plan-max-age 48h\n%s", code, w.Stdout.String())
	}
}

// A new hire's account and team come as one: when the create changed since
// the plan, its team membership is left out with it; the hire approved as
// planned gets both.
func TestApprovedCreateTakesItsTeamWithIt(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	town := w.MM.AddTeam(fakemm.Team{Name: "town", DisplayName: "Town"})
	w.Env["INPUT_TEAMS"] = "town"
	w.Env["INPUT_ONLY-USERS"] = "rkowalski@contoso.example, ana.new@contoso.example, ben.new@contoso.example"
	w.MustRun(0)
	hire := func(id, mail, title string) fakegraph.User {
		return fakegraph.User{"id": id, "accountEnabled": true, "userType": "Member", "displayName": "New " + title,
			"givenName": "New", "surname": title, "jobTitle": title, "mail": mail, "userPrincipalName": mail, "mailNickname": strings.Split(mail, "@")[0]}
	}
	w.SetUsers(append(w.Users, hire("5d3f6a0e-1c2b-4f7a-9e8d-7c6b5a4f3e21", "ana.new@contoso.example", "Designer"),
		hire("6e4f7b1f-2d3c-4a8b-8f9e-8d7c6b5a4f32", "ben.new@contoso.example", "Tester")))
	path := w.SavePlanDry(0)
	w.Edit("ben.new@contoso.example", func(u fakegraph.User) { u["jobTitle"] = "QA Lead" })
	if code := w.ApplyPlan(path, nil); code != 0 {
		t.Fatalf("exit %d\n%s", code, w.Stdout.String())
	}
	ana := w.Account("ana.new@contoso.example")
	if _, ok := w.MM.UserByEmail("ben.new@contoso.example"); ok {
		t.Error("a create that changed since the plan was made")
	}
	members := map[string]bool{}
	for _, m := range w.MM.TeamMembers(town.ID) {
		members[m.UserID] = true
	}
	if !members[ana.ID] {
		t.Error("the approved hire did not join the team")
	}
	if got := w.OutputInt("changed-since-plan"); got < 2 {
		t.Errorf("changed-since-plan %d, want the create and its team-add", got)
	}
}

// resign rewrites a saved plan as edit leaves it, signed again with key: a
// plan the tool itself could have made, for the refusals that are not about
// the signature.
func resign(t *testing.T, path string, key []byte, edit func(f *planfile.File)) {
	t.Helper()
	f, err := planfile.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	edit(f)
	if err := planfile.Write(path, f, key); err != nil {
		t.Fatal(err)
	}
}

// With onboarding: reset-email a run asks Mattermost to send a test mail
// (POST /email/test) before it reads anything. A saved plan that is refused
// (another server behind the same URL, a rail that does not allow its
// counts) is refused before that mail: no request but GETs.
func TestApprovedPlanRefusedBeforeTheMailTest(t *testing.T) {
	const key = "the-link-key-0123456789abcdef"
	for _, tt := range []struct {
		name   string
		edit   func(f *planfile.File)
		inputs map[string]string
		want   string
	}{
		{"another server behind the URL", func(f *planfile.File) { f.Mattermost.DiagnosticID = "restoredserver0000000000000" }, nil, "diagnostic id"},
		{"a rail that does not allow the count", nil, map[string]string{"INPUT_MAX-DEACTIVATIONS": "0"}, "max-deactivations: 1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := world.NewOnboarding(t, "reset-email")
			w.MM.SetSMTP(true)
			w.Env["INPUT_LINK-KEY"] = key
			w.MustRun(0)
			w.Edit("bjorn.nunez@contoso.example", func(u fakegraph.User) { u["accountEnabled"] = false })
			w.Env["INPUT_DRY-RUN"], w.Env["INPUT_PLAN-OUT"] = "true", filepath.Join(w.Dir, "plan.json")
			w.MustRun(0)
			delete(w.Env, "INPUT_PLAN-OUT")
			w.Env["INPUT_DRY-RUN"] = "false"
			path := filepath.Join(w.Dir, "plan.json")
			if tt.edit != nil {
				resign(t, path, []byte(key), tt.edit)
			}
			mails := len(w.MM.Mails())
			if code := w.ApplyPlan(path, tt.inputs); code == 0 {
				t.Fatalf("exit 0\n%s", w.Stdout.String())
			}
			if n := w.MM.Writes(); n != 0 || len(w.MM.Mails()) != mails {
				t.Errorf("%d requests that are no GET and %d mails before the refusal", n, len(w.MM.Mails())-mails)
			}
			if !strings.Contains(w.Stdout.String(), tt.want) {
				t.Errorf("the refusal does not say %q:\n%s", tt.want, w.Stdout.String())
			}
		})
	}
}

// The apply job of the README passes the credentials, apply-plan and the
// rails, nothing else: what the plan's onboarding needs (its sender, its
// template) and whether Mattermost sends its welcome mail come from the
// plan, and an applying run that names another sender is told it was
// ignored: the approved mails go from the approved mailbox.
func TestApplyTakesOnboardingFromThePlan(t *testing.T) {
	w := world.NewOnboarding(t, "graph-mail")
	sender := w.Env["INPUT_ONBOARDING-SENDER"]
	w.Env["INPUT_WELCOME-EMAIL"] = "false"
	w.MustRun(0)
	hire := fakegraph.User{"id": "5d3f6a0e-1c2b-4f7a-9e8d-7c6b5a4f3e21", "accountEnabled": true, "userType": "Member", "displayName": "Ana New",
		"givenName": "Ana", "surname": "New", "mail": "ana.new@contoso.example", "userPrincipalName": "ana.new@contoso.example", "mailNickname": "ana.new"}
	w.SetUsers(append(w.Users, hire))
	path := w.SavePlanDry(0)

	// The apply job: no onboarding inputs at all.
	for _, k := range []string{"INPUT_ONBOARDING", "INPUT_ONBOARDING-SENDER", "INPUT_WELCOME-EMAIL"} {
		delete(w.Env, k)
	}
	mails := len(w.Graph.Mails())
	if code := w.ApplyPlan(path, nil); code != 0 {
		t.Fatalf("the README's apply job: exit %d\n%s", code, w.Stdout.String())
	}
	got := w.Graph.Mails()[mails:]
	if len(got) != 1 || !strings.EqualFold(got[0].From, sender) || got[0].To[0] != "ana.new@contoso.example" {
		t.Fatalf("mails %+v, want one to the hire from %s", got, sender)
	}
	if strings.Contains(w.Stdout.String(), "differ from the saved plan") {
		t.Errorf("inputs the apply job does not pass are reported as ignored:\n%s", w.Stdout.String())
	}

	// Another sender in the applying run is ignored, and said so.
	w.SetUsers(append(w.Users, fakegraph.User{"id": "6e4f7b1f-2d3c-4a8b-8f9e-8d7c6b5a4f32", "accountEnabled": true, "userType": "Member",
		"displayName": "Ben New", "mail": "ben.new@contoso.example", "userPrincipalName": "ben.new@contoso.example", "mailNickname": "ben.new"}))
	w.Env["INPUT_ONBOARDING"], w.Env["INPUT_ONBOARDING-SENDER"] = "graph-mail", sender
	path = w.SavePlanDry(0)
	mails = len(w.Graph.Mails())
	other := w.Users[1]["userPrincipalName"].(string)
	if code := w.ApplyPlan(path, map[string]string{"INPUT_ONBOARDING-SENDER": other, "INPUT_WELCOME-EMAIL": "false"}); code != 0 {
		t.Fatalf("exit %d\n%s", code, w.Stdout.String())
	}
	if got := w.Graph.Mails()[mails:]; len(got) != 1 || !strings.EqualFold(got[0].From, sender) {
		t.Fatalf("mails %+v, want one from %s", got, sender)
	}
	if !strings.Contains(w.Stdout.String(), "onboarding-sender, welcome-email differ from the saved plan") {
		t.Errorf("no warning naming the ignored inputs:\n%s", w.Stdout.String())
	}
}

// A saved plan holds no secret: not the Mattermost token, the client
// secret, the link key that signs it, nor the webhook's secret.
func TestSavedPlanHoldsNoSecret(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	w.Env["INPUT_LINK-KEY"] = "the-link-key-0123456789abcdef, an-older-link-key-9876543210"
	w.Env["INPUT_REPORT-WEBHOOK-SECRET"] = "webhook-secret-0123456789"
	w.MustRun(0)
	w.Edit("bjorn.nunez@contoso.example", func(u fakegraph.User) { u["accountEnabled"] = false })
	path := w.SavePlanDry(0)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{w.Env["INPUT_MATTERMOST-TOKEN"], w.Env["INPUT_AZURE-CLIENT-SECRET"], "the-link-key-0123456789abcdef", "an-older-link-key-9876543210", "webhook-secret-0123456789"} {
		if strings.Contains(string(b), s) {
			t.Errorf("the saved plan holds the secret %q", s)
		}
	}
	if !strings.Contains(string(b), `"action":"deactivate"`) {
		t.Errorf("the plan lacks its deactivation:\n%s", b)
	}
}

// Insiders between the plan and its approval: three leavers, still signed
// in, try to hold back their approved deactivations. Renaming oneself does
// not (the sync never writes a username); deleting the sync's marks from
// one's own props, or moving one's own address, does, as the preconditions
// changed: each is listed as changed since the plan, the run warns, and the
// next plan, approved, deactivates them.
func TestInsidersBetweenPlanAndApply(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	w.MustRun(0)
	renamer, unlinker, mover := "bjorn.nunez@contoso.example", "82021909@contoso.example", "82021910@contoso.example"
	for _, m := range []string{renamer, unlinker, mover} {
		w.Edit(m, func(u fakegraph.User) { u["accountEnabled"] = false })
	}
	path := w.SavePlanDry(0)

	signIn := func(mail string) (string, string) {
		a := w.Account(mail)
		return a.ID, w.MM.LogIn(a.ID, "own-password-"+a.ID[:6])
	}
	id, tok := signIn(renamer)
	if code, _ := w.AsUser(tok, "PUT", "/users/me/patch", map[string]any{"username": "not.bjorn"}); code != 200 {
		t.Fatalf("own username change: %d", code)
	}
	unlinkerID, tok := signIn(unlinker)
	if code, _ := w.AsUser(tok, "PUT", "/users/me/patch", map[string]any{"props": map[string]string{"theme": "dark"}}); code != 200 {
		t.Fatalf("own props change: %d", code)
	}
	moverID, tok := signIn(mover)
	if code, _ := w.AsUser(tok, "PUT", "/users/me/patch", map[string]any{"email": "elsewhere@contoso.example", "password": "own-password-" + moverID[:6]}); code != 200 {
		t.Fatalf("own address change: %d", code)
	}

	if code := w.ApplyPlan(path, nil); code != 0 {
		t.Fatalf("exit %d\n%s", code, w.Stdout.String())
	}
	// None of the three edits of one's own account holds back the approved
	// offboarding: the fresh plan deactivates the same accounts for the same
	// directory users (approvalKey keys what takes something away on the
	// account and the user, not on what the account's owner can change).
	for who, what := range map[string]string{id: "renaming oneself", unlinkerID: "removing one's own link props", moverID: "moving one's own address"} {
		if u, _ := w.MM.User(who); u.DeleteAt == 0 {
			t.Errorf("%s held back an approved deactivation", what)
		}
	}
	if w.OutputInt("changed-since-plan") != 0 || w.OutputInt("deactivated") != 3 {
		t.Errorf("outputs %v", w.Outputs())
	}
	// Applying it again writes nothing.
	if code := w.ApplyPlan(path, nil); code != 0 {
		t.Fatalf("exit %d\n%s", code, w.Stdout.String())
	}
	if n := w.MM.Writes(); n != 0 {
		t.Errorf("applying the plan twice wrote %d times", n)
	}
}
