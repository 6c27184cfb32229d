package main

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

	fakegraph "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/graph"
	fakemm "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/mattermost"
	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
)

// firstPassword is how the default mail shows the password.
var firstPassword = regexp.MustCompile(`First password:\s+(\S+)`)
var mailUsername = regexp.MustCompile(`Username:\s+(\S+)`)

// onboardingWorld is tenant-60 with graph-mail from the first user's mailbox.
func onboardingWorld(t *testing.T, method string) *world {
	w := newWorld(t, "tenant-60.json")
	w.env["INPUT_ONBOARDING"] = method
	if method == "graph-mail" {
		w.env["INPUT_ONBOARDING-SENDER"] = w.users[0]["userPrincipalName"].(string)
	}
	return w
}

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

// directoryMail maps a Mattermost address to the directory user's mail.
func (w *world) directoryMails() map[string]string {
	out := map[string]string{}
	for _, u := range w.users {
		if m, _ := u["mail"].(string); m != "" {
			out[strings.ToLower(m)] = m
		}
	}
	return out
}

func (w *world) allOnboarded(t *testing.T, l mmsync.Linker) {
	t.Helper()
	for _, u := range w.mm.Users() {
		a := mmsync.Account{ID: u.ID, Props: u.Props}
		oid := u.Props[mmsync.PropEntraID]
		if oid == "" {
			continue
		}
		if !l.Onboarded(&a, oid) || u.Props[mmsync.PropOnboardPending] != "" {
			if _, hasMail := w.directoryMails()[strings.ToLower(u.Email)]; hasMail {
				t.Errorf("%s is not recorded as onboarded: %v", u.Username, u.Props)
			}
		}
	}
}

func TestOnboardingGraphMailEndToEnd(t *testing.T) {
	w := onboardingWorld(t, "graph-mail")
	w.env["INPUT_DRY-RUN"] = "true"
	if code := w.run(); code != 0 {
		t.Fatalf("dry run exit %d\n%s\n%s", code, w.stdout.String(), w.stderr.String())
	}
	planned := w.outputInt("onboarded")
	if planned == 0 || !regexp.MustCompile(`\+ onboard\s+\S+\s+<[^>]+>\s+by graph-mail`).MatchString(w.stdout.String()) {
		t.Fatalf("the dry run does not show the onboarding (%d planned):\n%s", planned, w.stdout.String())
	}
	if len(w.graph.Mails()) != 0 || w.mm.Writes() != 0 {
		t.Fatal("the dry run mailed or wrote")
	}

	w.env["INPUT_DRY-RUN"] = "false"
	if code := w.run(); code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, w.stdout.String(), w.stderr.String())
	}
	created, onboarded := w.outputInt("created"), w.outputInt("onboarded")
	mails := w.graph.Mails()
	if onboarded != planned || len(mails) != onboarded || onboarded == 0 {
		t.Fatalf("onboarded %d, planned %d, mails %d (created %d)", onboarded, planned, len(mails), created)
	}
	noMail := created - onboarded
	if got := strings.Count(w.stdout.String(), ": cannot be onboarded by graph-mail"); got != noMail || noMail == 0 {
		t.Errorf("%d no-mail warnings, want %d (one per created person without a mail)", got, noMail)
	}
	dirMail := w.directoryMails()
	pws := mailed(t, mails)
	var passwords []string
	for _, m := range mails {
		if m.From != w.env["INPUT_ONBOARDING-SENDER"] || m.SaveToSentItems || len(m.To) != 1 || m.ContentType != "text" {
			t.Errorf("mail %+v: want from the sender, one recipient, text, not saved to Sent Items", m)
		}
		if !strings.EqualFold(dirMail[strings.ToLower(m.To[0])], m.To[0]) {
			t.Errorf("mail to %s, which is no directory user's mail", m.To[0])
		}
	}
	for user, pw := range pws {
		passwords = append(passwords, pw)
		if !w.mm.SignIn(user, pw) {
			t.Errorf("%s cannot sign in with the mailed password", user)
		}
		// The workflow command escapes %, CR and LF.
		if !strings.Contains(w.stdout.String(), "::add-mask::"+strings.ReplaceAll(pw, "%", "%25")) {
			t.Errorf("%s's password was not masked", user)
		}
	}
	w.assertNoSecrets(passwords)
	w.allOnboarded(t, mmsync.NewLinker(mmsync.DeriveLinkKey(w.env["INPUT_MATTERMOST-TOKEN"])))

	writes := w.mm.Writes()
	if code := w.run(); code != 0 || w.outputInt("onboarded") != 0 || w.mm.Writes() != writes || len(w.graph.Mails()) != len(mails) {
		t.Fatalf("second run: exit %d, onboarded %d, writes %d, mails %d", code, w.outputInt("onboarded"), w.mm.Writes()-writes, len(w.graph.Mails())-len(mails))
	}
}

func TestOnboardingResetEmailEndToEnd(t *testing.T) {
	w := onboardingWorld(t, "reset-email")
	if code := w.run(); code != 1 {
		t.Fatalf("without SMTP: exit %d, want 1", code)
	}
	out := w.stdout.String()
	if !strings.Contains(out, "::error::input onboarding: reset-email needs the Mattermost server to send mail") ||
		!strings.Contains(out, "System Console > Environment > SMTP") || !strings.Contains(out, "Nothing was changed") {
		t.Fatalf("the error does not name the input and the setting:\n%s", out)
	}
	if n := len(w.mm.Users()); n != 1 || len(w.mm.Mails()) != 0 {
		t.Fatalf("%d accounts (want only the admin) after the mail check stopped the run", n)
	}

	w.mm.SetSMTP(true)
	if code := w.run(); code != 0 {
		t.Fatalf("exit %d\n%s", code, w.stdout.String())
	}
	created, onboarded := w.outputInt("created"), w.outputInt("onboarded")
	var resets []fakemm.Mail
	for _, m := range w.mm.Mails() {
		if m.Subject == fakemm.SubjectReset {
			resets = append(resets, m)
		}
	}
	if created == 0 || onboarded != created || len(resets) != created {
		t.Fatalf("created %d, onboarded %d, reset mails %d", created, onboarded, len(resets))
	}
	for _, m := range resets {
		if _, ok := w.mm.UserByEmail(m.To); !ok {
			t.Errorf("reset mail to %s, which no account has", m.To)
		}
	}
	w.assertNoSecrets(nil)
	writes, mails := w.mm.Writes(), len(w.mm.Mails())
	// The preflight's POST /email/test is the one request that is no GET,
	// and its test mail to the admin the one mail.
	if code := w.run(); code != 0 || w.mm.Writes() != writes+1 || len(w.mm.Mails()) != mails+1 {
		t.Fatalf("second run: exit %d, %d writes, %d mails", code, w.mm.Writes()-writes, len(w.mm.Mails())-mails)
	}
}

// The move from the Python script: its accounts, all on one password, are
// adopted; afterwards that password signs in nowhere, and each mailed one
// does. An account the directory does not know keeps its password.
func TestMigrationFromTheOldScript(t *testing.T) {
	const shared = "New1234!"
	w := onboardingWorld(t, "graph-mail")
	w.env["INPUT_ONBOARD"] = "new-and-adopted"
	// The script's accounts are unverified: the reviewed move adopts them
	// with adopt-existing: any (README, Moving from the Python script).
	w.env["INPUT_ADOPT-EXISTING"] = "any"
	var old []string
	for _, u := range w.users[1:11] {
		mail, _ := u["mail"].(string)
		if mail == "" || u["userType"] == "Guest" || u["accountEnabled"] == false {
			continue
		}
		name := strings.ToLower(strings.Split(mail, "@")[0])
		name = "u" + strings.NewReplacer(".", "", "-", "", "_", "").Replace(name)
		w.mm.AddUser(fakemm.User{Username: name, Email: mail, Password: shared, Nickname: "script style"})
		old = append(old, name)
	}
	w.mm.AddUser(fakemm.User{Username: "contractor", Email: "contractor@elsewhere.example", Password: shared})

	w.env["INPUT_DRY-RUN"] = "true"
	if code := w.run(); code != 0 {
		t.Fatalf("dry run exit %d\n%s", code, w.stdout.String())
	}
	for _, name := range old {
		if !regexp.MustCompile(`\+ onboard\s+` + regexp.QuoteMeta(name) + `\s+<`).MatchString(w.stdout.String()) {
			t.Errorf("the dry run does not list %s's onboarding", name)
		}
	}
	w.env["INPUT_DRY-RUN"] = "false"
	if code := w.run(); code != 0 {
		t.Fatalf("exit %d\n%s", code, w.stdout.String())
	}
	pws := mailed(t, w.graph.Mails())
	for _, name := range old {
		if w.mm.SignIn(name, shared) {
			t.Errorf("%s still signs in with the shared password", name)
		}
		if pw := pws[name]; pw == "" || !w.mm.SignIn(name, pw) {
			t.Errorf("%s: no mail, or its password does not sign in", name)
		}
	}
	if !w.mm.SignIn("contractor", shared) {
		t.Error("an account outside the directory was touched")
	}
	var passwords []string
	for _, pw := range pws {
		passwords = append(passwords, pw)
	}
	w.assertNoSecrets(append(passwords, shared))
	writes := w.mm.Writes()
	if code := w.run(); code != 0 || w.mm.Writes() != writes || w.outputInt("onboarded") != 0 {
		t.Fatalf("second run: exit %d, %d writes", code, w.mm.Writes()-writes)
	}
}

// A 403 (no Mail.Send) names the permission once, stops onboarding and
// leaves every account due; once granted, the next run onboards them all.
func TestOnboardingForbiddenThenGranted(t *testing.T) {
	w := onboardingWorld(t, "graph-mail")
	w.graph.SetMailDenied(true)
	hook := &webhookSink{}
	srv := httptest.NewServer(hook)
	defer srv.Close()
	w.env["INPUT_REPORT-WEBHOOK-URL"] = srv.URL
	if code := w.run(); code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	var errorsNaming int
	for _, l := range strings.Split(w.stdout.String(), "\n") {
		if strings.HasPrefix(l, "::error::") && strings.Contains(l, "Mail.Send") {
			errorsNaming++
		}
	}
	if errorsNaming != 1 {
		t.Errorf("%d error annotations name Mail.Send, want 1:\n%s", errorsNaming, w.stdout.String())
	}
	if len(w.graph.Mails()) != 0 || w.outputInt("onboarded") != 0 || w.outputInt("created") == 0 {
		t.Fatal("mails went out, or nothing was created")
	}
	if c, ok := hook.counts()["onboarded"]; !ok || c != 0 {
		t.Errorf("webhook counts: %v", hook.counts())
	}
	// Accounts are created, and each is still due.
	l := mmsync.NewLinker(mmsync.DeriveLinkKey(w.env["INPUT_MATTERMOST-TOKEN"]))
	due := 0
	for _, u := range w.mm.Users() {
		a := mmsync.Account{ID: u.ID, Props: u.Props}
		if oid := u.Props[mmsync.PropEntraID]; oid != "" && l.OnboardPending(&a, oid) && !l.Onboarded(&a, oid) {
			due++
		}
	}
	if due != w.outputInt("created") {
		t.Errorf("%d accounts due, want every created one (%d)", due, w.outputInt("created"))
	}

	w.graph.SetMailDenied(false)
	if code := w.run(); code != 0 {
		t.Fatalf("after the grant: exit %d\n%s", code, w.stdout.String())
	}
	pws := mailed(t, w.graph.Mails())
	if w.outputInt("onboarded") == 0 || len(pws) != w.outputInt("onboarded") {
		t.Fatalf("onboarded %d, mails %d", w.outputInt("onboarded"), len(pws))
	}
	for user, pw := range pws {
		if !w.mm.SignIn(user, pw) {
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
	w.assertNoSecrets(passwords)
	if strings.Contains(hook.all(), passwords[0]) {
		t.Error("the webhook carried a password")
	}
}

// A mail Exchange refuses fails that person alone; the next run sets a
// fresh password and mails it. A 429 with Retry-After is waited out.
func TestOnboardingFailedMailThenRetry(t *testing.T) {
	w := onboardingWorld(t, "graph-mail")
	victim := ""
	for _, u := range w.users[5:] {
		if m, _ := u["mail"].(string); m != "" && u["userType"] != "Guest" && u["accountEnabled"] != false {
			victim = m
			break
		}
	}
	w.graph.RefuseRecipient(victim, true)
	w.graph.ThrottleMail(2, 7)
	clock := &virtualClock{}
	if code := w.runWith(context.Background(), deps{clock: clock}); code != 1 || w.outputInt("failed") != 1 {
		t.Fatalf("exit %d, failed %d\n%s", code, w.outputInt("failed"), w.stdout.String())
	}
	if len(clock.slept) == 0 {
		t.Error("the 429's Retry-After was not waited out")
	}
	rep := w.report()
	for _, r := range rep.Results {
		if r.Status == mmsync.StatusFailed && (r.Kind != mmsync.KindOnboard || !strings.Contains(r.Error, "ErrorInvalidRecipients")) {
			t.Errorf("failure: %s %s", r.Kind, r.Error)
		}
	}
	acct, _ := w.mm.UserByEmail(victim)
	hashBefore := w.mm.PasswordHashes()[acct.ID]
	before := len(w.graph.Mails())

	w.graph.RefuseRecipient(victim, false)
	if code := w.runWith(context.Background(), deps{clock: clock}); code != 0 || w.outputInt("onboarded") != 1 {
		t.Fatalf("retry: exit %d, onboarded %d\n%s", code, w.outputInt("onboarded"), w.stdout.String())
	}
	pws := mailed(t, w.graph.Mails()[before:])
	if len(pws) != 1 || !w.mm.SignIn(acct.Username, pws[acct.Username]) || w.mm.PasswordHashes()[acct.ID] == hashBefore {
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
