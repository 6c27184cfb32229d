package run

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/e2e/world"
	fakegraph "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/graph"
	fakemm "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/mattermost"
	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
)

// firstPassword is how the default mail shows the password.
var firstPassword = regexp.MustCompile(`First password:\s+(\S+)`)

var mailUsername = regexp.MustCompile(`Username:\s+(\S+)`)

// mailed returns username → password of the mails delivered since from.
func mailed(t *testing.T, mails []fakegraph.Mail) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, m := range mails {
		pw, user := firstPassword.FindStringSubmatch(m.Body), mailUsername.FindStringSubmatch(m.Body)
		if pw == nil || user == nil {
			t.Fatalf("mail without a username or password: %q", m.Body)
		}
		out[user[1]] = pw[1]
	}
	return out
}

func TestOnboardingGraphMailEndToEnd(t *testing.T) {
	w := world.NewOnboarding(t, "graph-mail")
	w.Env["INPUT_DRY-RUN"] = "true"
	if code := w.Run(); code != 0 {
		t.Fatalf("dry run exit %d\n%s\n%s", code, w.Stdout.String(), w.Stderr.String())
	}
	planned := w.OutputInt("onboarded")
	if planned == 0 || !regexp.MustCompile(`\+ onboard\s+\S+\s+<[^>]+>\s+by graph-mail`).MatchString(w.Stdout.String()) {
		t.Fatalf("the dry run does not show the onboarding (%d planned):\n%s", planned, w.Stdout.String())
	}
	if len(w.Graph.Mails()) != 0 || w.MM.Writes() != 0 {
		t.Fatal("the dry run mailed or wrote")
	}

	w.Env["INPUT_DRY-RUN"] = "false"
	if code := w.Run(); code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, w.Stdout.String(), w.Stderr.String())
	}
	created, onboarded := w.OutputInt("created"), w.OutputInt("onboarded")
	mails := w.Graph.Mails()
	if onboarded != planned || len(mails) != onboarded || onboarded == 0 {
		t.Fatalf("onboarded %d, planned %d, mails %d (created %d)", onboarded, planned, len(mails), created)
	}
	noMail := created - onboarded
	if got := strings.Count(w.Stdout.String(), ": cannot be onboarded by graph-mail"); got != noMail || noMail == 0 {
		t.Errorf("%d no-mail warnings, want %d (one per created person without a mail)", got, noMail)
	}
	dirMail := w.DirectoryMails()
	pws := mailed(t, mails)
	var passwords []string
	for _, m := range mails {
		if m.From != w.Env["INPUT_ONBOARDING-SENDER"] || m.SaveToSentItems || len(m.To) != 1 || m.ContentType != "text" {
			t.Errorf("mail %+v: want from the sender, one recipient, text, not saved to Sent Items", m)
		}
		if !strings.EqualFold(dirMail[strings.ToLower(m.To[0])], m.To[0]) {
			t.Errorf("mail to %s, which is no directory user's mail", m.To[0])
		}
	}
	for user, pw := range pws {
		passwords = append(passwords, pw)
		if !w.MM.SignIn(user, pw) {
			t.Errorf("%s cannot sign in with the mailed password", user)
		}
		// The workflow command escapes %, CR and LF.
		if !strings.Contains(w.Stdout.String(), "::add-mask::"+strings.ReplaceAll(pw, "%", "%25")) {
			t.Errorf("%s's password was not masked", user)
		}
	}
	w.AssertNoSecrets(passwords)
	w.AllOnboarded(t, mmsync.NewLinker(mmsync.DeriveLinkKey(w.Env["INPUT_MATTERMOST-TOKEN"])))

	writes := w.MM.Writes()
	if code := w.Run(); code != 0 || w.OutputInt("onboarded") != 0 || w.MM.Writes() != writes || len(w.Graph.Mails()) != len(mails) {
		t.Fatalf("second run: exit %d, onboarded %d, writes %d, mails %d", code, w.OutputInt("onboarded"), w.MM.Writes()-writes, len(w.Graph.Mails())-len(mails))
	}
}

func TestOnboardingResetEmailEndToEnd(t *testing.T) {
	w := world.NewOnboarding(t, "reset-email")
	if code := w.Run(); code != 1 {
		t.Fatalf("without SMTP: exit %d, want 1", code)
	}
	out := w.Stdout.String()
	if !strings.Contains(out, "::error::input onboarding: reset-email needs the Mattermost server to send mail") ||
		!strings.Contains(out, "System Console > Environment > SMTP") || !strings.Contains(out, "Nothing was changed") {
		t.Fatalf("the error does not name the input and the setting:\n%s", out)
	}
	if n := len(w.MM.Users()); n != 1 || len(w.MM.Mails()) != 0 {
		t.Fatalf("%d accounts (want only the admin) after the mail check stopped the run", n)
	}

	w.MM.SetSMTP(true)
	if code := w.Run(); code != 0 {
		t.Fatalf("exit %d\n%s", code, w.Stdout.String())
	}
	created, onboarded := w.OutputInt("created"), w.OutputInt("onboarded")
	var resets []fakemm.Mail
	for _, m := range w.MM.Mails() {
		if m.Subject == fakemm.SubjectReset {
			resets = append(resets, m)
		}
	}
	if created == 0 || onboarded != created || len(resets) != created {
		t.Fatalf("created %d, onboarded %d, reset mails %d", created, onboarded, len(resets))
	}
	for _, m := range resets {
		if _, ok := w.MM.UserByEmail(m.To); !ok {
			t.Errorf("reset mail to %s, which no account has", m.To)
		}
	}
	w.AssertNoSecrets(nil)
	writes, mails := w.MM.Writes(), len(w.MM.Mails())
	// The preflight's POST /email/test is the one request that is no GET,
	// and its test mail to the admin the one mail.
	if code := w.Run(); code != 0 || w.MM.Writes() != writes+1 || len(w.MM.Mails()) != mails+1 {
		t.Fatalf("second run: exit %d, %d writes, %d mails", code, w.MM.Writes()-writes, len(w.MM.Mails())-mails)
	}
}

// The move from the Python script: its accounts, all on one password, are
// adopted; afterwards that password signs in nowhere, and each mailed one
// does. An account the directory does not know keeps its password.
func TestMigrationFromTheOldScript(t *testing.T) {
	const shared = "New1234!"
	w := world.NewOnboarding(t, "graph-mail")
	w.Env["INPUT_ONBOARD"] = "new-and-adopted"
	// The script's accounts are unverified: the reviewed move adopts them
	// with adopt-existing: any (README, Moving from the Python script).
	w.Env["INPUT_ADOPT-EXISTING"] = "any"
	var old []string
	for _, u := range w.Users[1:11] {
		mail, _ := u["mail"].(string)
		if mail == "" || u["userType"] == "Guest" || u["accountEnabled"] == false {
			continue
		}
		name := strings.ToLower(strings.Split(mail, "@")[0])
		name = "u" + strings.NewReplacer(".", "", "-", "", "_", "").Replace(name)
		w.MM.AddUser(fakemm.User{Username: name, Email: mail, Password: shared, Nickname: "script style"})
		old = append(old, name)
	}
	w.MM.AddUser(fakemm.User{Username: "contractor", Email: "contractor@elsewhere.example", Password: shared})

	w.Env["INPUT_DRY-RUN"] = "true"
	if code := w.Run(); code != 0 {
		t.Fatalf("dry run exit %d\n%s", code, w.Stdout.String())
	}
	for _, name := range old {
		if !regexp.MustCompile(`\+ onboard\s+` + regexp.QuoteMeta(name) + `\s+<`).MatchString(w.Stdout.String()) {
			t.Errorf("the dry run does not list %s's onboarding", name)
		}
	}
	w.Env["INPUT_DRY-RUN"] = "false"
	if code := w.Run(); code != 0 {
		t.Fatalf("exit %d\n%s", code, w.Stdout.String())
	}
	pws := mailed(t, w.Graph.Mails())
	for _, name := range old {
		if w.MM.SignIn(name, shared) {
			t.Errorf("%s still signs in with the shared password", name)
		}
		if pw := pws[name]; pw == "" || !w.MM.SignIn(name, pw) {
			t.Errorf("%s: no mail, or its password does not sign in", name)
		}
	}
	if !w.MM.SignIn("contractor", shared) {
		t.Error("an account outside the directory was touched")
	}
	var passwords []string
	for _, pw := range pws {
		passwords = append(passwords, pw)
	}
	w.AssertNoSecrets(append(passwords, shared))
	writes := w.MM.Writes()
	if code := w.Run(); code != 0 || w.MM.Writes() != writes || w.OutputInt("onboarded") != 0 {
		t.Fatalf("second run: exit %d, %d writes", code, w.MM.Writes()-writes)
	}
}

// A 403 (no Mail.Send) names the permission once, stops onboarding and
// leaves every account due; once granted, the next run onboards them all.
func TestOnboardingForbiddenThenGranted(t *testing.T) {
	w := world.NewOnboarding(t, "graph-mail")
	w.Graph.SetMailDenied(true)
	hook := &webhookSink{}
	srv := httptest.NewServer(hook)
	defer srv.Close()
	w.Env["INPUT_REPORT-WEBHOOK-URL"] = srv.URL
	if code := w.Run(); code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	var errorsNaming int
	for _, l := range strings.Split(w.Stdout.String(), "\n") {
		if strings.HasPrefix(l, "::error::") && strings.Contains(l, "Mail.Send") {
			errorsNaming++
		}
	}
	if errorsNaming != 1 {
		t.Errorf("%d error annotations name Mail.Send, want 1:\n%s", errorsNaming, w.Stdout.String())
	}
	if len(w.Graph.Mails()) != 0 || w.OutputInt("onboarded") != 0 || w.OutputInt("created") == 0 {
		t.Fatal("mails went out, or nothing was created")
	}
	if c, ok := hook.counts()["onboarded"]; !ok || c != 0 {
		t.Errorf("webhook counts: %v", hook.counts())
	}
	// Accounts are created, and each is still due.
	l := mmsync.NewLinker(mmsync.DeriveLinkKey(w.Env["INPUT_MATTERMOST-TOKEN"]))
	due := 0
	for _, u := range w.MM.Users() {
		a := mmsync.Account{ID: u.ID, Props: u.Props}
		if oid := u.Props[mmsync.PropEntraID]; oid != "" && l.OnboardPending(&a, oid) && !l.Onboarded(&a, oid) {
			due++
		}
	}
	if due != w.OutputInt("created") {
		t.Errorf("%d accounts due, want every created one (%d)", due, w.OutputInt("created"))
	}

	w.Graph.SetMailDenied(false)
	if code := w.Run(); code != 0 {
		t.Fatalf("after the grant: exit %d\n%s", code, w.Stdout.String())
	}
	pws := mailed(t, w.Graph.Mails())
	if w.OutputInt("onboarded") == 0 || len(pws) != w.OutputInt("onboarded") {
		t.Fatalf("onboarded %d, mails %d", w.OutputInt("onboarded"), len(pws))
	}
	for user, pw := range pws {
		if !w.MM.SignIn(user, pw) {
			t.Errorf("%s: the retry's password does not sign in", user)
		}
	}
	if hook.counts()["onboarded"] != len(pws) {
		t.Errorf("webhook counts: %v", hook.counts())
	}
	var passwords []string
	for _, pw := range pws {
		passwords = append(passwords, pw)
	}
	w.AssertNoSecrets(passwords)
	if strings.Contains(hook.all(), passwords[0]) {
		t.Error("the webhook carried a password")
	}
}

// A mail Exchange refuses fails that person alone; the next run sets a
// fresh password and mails it. A 429 with Retry-After is waited out.
func TestOnboardingFailedMailThenRetry(t *testing.T) {
	w := world.NewOnboarding(t, "graph-mail")
	victim := ""
	for _, u := range w.Users[5:] {
		if m, _ := u["mail"].(string); m != "" && u["userType"] != "Guest" && u["accountEnabled"] != false {
			victim = m
			break
		}
	}
	w.Graph.RefuseRecipient(victim, true)
	w.Graph.ThrottleMail(2, 7)
	clock := &world.SleepClock{}
	if code := w.RunWith(context.Background(), world.Edges{Clock: clock}); code != 1 || w.OutputInt("failed") != 1 {
		t.Fatalf("exit %d, failed %d\n%s", code, w.OutputInt("failed"), w.Stdout.String())
	}
	if len(clock.Slept()) == 0 {
		t.Error("the 429's Retry-After was not waited out")
	}
	rep := w.Report()
	for _, r := range rep.Results {
		if r.Status == mmsync.StatusFailed && (r.Kind != mmsync.KindOnboard || !strings.Contains(r.Error, "ErrorInvalidRecipients")) {
			t.Errorf("failure: %s %s", r.Kind, r.Error)
		}
	}
	acct, _ := w.MM.UserByEmail(victim)
	hashBefore := w.MM.PasswordHashes()[acct.ID]
	before := len(w.Graph.Mails())

	w.Graph.RefuseRecipient(victim, false)
	if code := w.RunWith(context.Background(), world.Edges{Clock: clock}); code != 0 || w.OutputInt("onboarded") != 1 {
		t.Fatalf("retry: exit %d, onboarded %d\n%s", code, w.OutputInt("onboarded"), w.Stdout.String())
	}
	pws := mailed(t, w.Graph.Mails()[before:])
	if len(pws) != 1 || !w.MM.SignIn(acct.Username, pws[acct.Username]) || w.MM.PasswordHashes()[acct.ID] == hashBefore {
		t.Fatalf("the retry did not mail a fresh password that signs in: %v", pws)
	}
}

// webhookSink records the bodies a report webhook receives.
type webhookSink struct {
	mu     sync.Mutex
	bodies []string
}

func (s *webhookSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.bodies = append(s.bodies, string(b))
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// counts returns the counts of the last payload (nil when none came).
func (s *webhookSink) counts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.bodies) == 0 {
		return nil
	}
	var p struct {
		Counts map[string]int `json:"counts"`
	}
	_ = json.Unmarshal([]byte(s.bodies[len(s.bodies)-1]), &p)
	return p.Counts
}

func (s *webhookSink) all() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.bodies, "\n")
}
