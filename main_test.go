package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/internal/clock"
	fakegraph "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/graph"
	fakemm "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/mattermost"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/report"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/webhook"
)

const (
	testTenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	testClient = "11111111-2222-4333-8444-555555555555"
	testSecret = "s3cr3t~Value.With-Symbols_0123456789"
)

// world is one pair of fakes and the Actions environment a run sees.
type world struct {
	t      *testing.T
	users  []fakegraph.User
	groups []fakegraph.Group
	graph  *fakegraph.Server
	mm     *fakemm.Server
	env    map[string]string
	dir    string
	stdout bytes.Buffer
	stderr bytes.Buffer
	// clock is the last run's virtual clock (faults_test.go's runWith).
	clock *clock.Fake
}

func newWorld(t *testing.T, fixture string) *world {
	t.Helper()
	var users []fakegraph.User
	var groups []fakegraph.Group
	if fixture != "" {
		b, err := os.ReadFile(filepath.Join("testdata", fixture))
		if err != nil {
			t.Fatal(err)
		}
		tenant, err := fakegraph.ParseTenant(b)
		if err != nil {
			t.Fatal(err)
		}
		users, groups = tenant.Users, tenant.Groups
	}
	w := &world{t: t, dir: t.TempDir(), users: users, groups: groups}
	w.graph = fakegraph.New(fakegraph.Options{TenantID: testTenant, ClientID: testClient, ClientSecret: testSecret, Users: users, Groups: groups})
	t.Cleanup(w.graph.Close)
	w.mm = fakemm.New(fakemm.Options{AdminToken: "mmtoken" + strings.Repeat("x", 19), AdminUsername: "sysadmin", AdminEmail: "sysadmin@contoso.example", ServerVersion: "11.1.0"})
	t.Cleanup(w.mm.Close)
	w.env = map[string]string{
		"GITHUB_ACTIONS":             "true",
		"GITHUB_OUTPUT":              filepath.Join(w.dir, "output"),
		"GITHUB_STEP_SUMMARY":        filepath.Join(w.dir, "summary.md"),
		"INPUT_AZURE-TENANT-ID":      testTenant,
		"INPUT_AZURE-CLIENT-ID":      testClient,
		"INPUT_AZURE-CLIENT-SECRET":  testSecret,
		"INPUT_MATTERMOST-URL":       w.mm.URL(),
		"INPUT_MATTERMOST-TOKEN":     w.mm.AdminToken(),
		"INPUT_DRY-RUN":              "false",
		"INPUT_AZURE-AUTHORITY-HOST": w.graph.AuthorityHost(),
		"INPUT_GRAPH-URL":            w.graph.GraphURL(),
		"INPUT_REPORT-PATH":          filepath.Join(w.dir, "report.json"),
		"INPUT_CONCURRENCY":          "8",
		"INPUT_CREATE-CONCURRENCY":   "3",
	}
	return w
}

// run executes the program's real code path as the Actions runner would.
func (w *world) run(args ...string) int {
	w.t.Helper()
	return w.runWith(context.Background(), deps{
		webhook: webhook.Options{Attempts: 3, WaitMin: time.Millisecond, WaitMax: 5 * time.Millisecond, MaxTotal: 5 * time.Second},
	}, args...)
}

// outputs parses the GITHUB_OUTPUT file (name<<DELIM / value / DELIM).
func (w *world) outputs() map[string]string {
	w.t.Helper()
	f, err := os.Open(w.env["GITHUB_OUTPUT"])
	if err != nil {
		w.t.Fatalf("no GITHUB_OUTPUT: %v", err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, delim, ok := strings.Cut(sc.Text(), "<<")
		if !ok {
			continue
		}
		var val []string
		for sc.Scan() && sc.Text() != delim {
			val = append(val, sc.Text())
		}
		out[name] = strings.Join(val, "\n")
	}
	return out
}

func (w *world) outputInt(name string) int {
	w.t.Helper()
	v, ok := w.outputs()[name]
	if !ok {
		w.t.Fatalf("output %q missing; stdout:\n%s", name, w.stdout.String())
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		w.t.Fatalf("output %s = %q is not an integer", name, v)
	}
	return n
}

func (w *world) summary() string {
	b, _ := os.ReadFile(w.env["GITHUB_STEP_SUMMARY"])
	return string(b)
}

// assertNoSecrets checks every output channel for the secrets and for every
// password the fake Mattermost received. The ::add-mask:: command is how a
// secret is handed to the runner, so it is the one line allowed to hold it.
func (w *world) assertNoSecrets(passwords []string) {
	w.t.Helper()
	report, _ := os.ReadFile(w.env["INPUT_REPORT-PATH"])
	output, _ := os.ReadFile(w.env["GITHUB_OUTPUT"])
	var stdout []string
	for _, l := range strings.Split(w.stdout.String(), "\n") {
		if !strings.HasPrefix(l, "::add-mask::") {
			stdout = append(stdout, l)
		}
	}
	channels := map[string]string{"stdout": strings.Join(stdout, "\n"), "stderr": w.stderr.String(),
		"summary": w.summary(), "report": string(report), "outputs": string(output)}
	for name, text := range channels {
		for _, s := range append([]string{testSecret, w.mm.AdminToken()}, passwords...) {
			if s != "" && strings.Contains(text, s) {
				w.t.Errorf("%s contains a secret or password (%.4s…)", name, s)
			}
		}
	}
}

// expectedCreates states the rules for who gets an account, written
// independently of package sync: an enabled member (guests are out of scope
// by default) with an address (mail, else
// a UPN that is not a guest's #EXT# name), unless another directory user
// claims the same address, where a user's own mail beats another user's UPN
// fallback and, among several mails, only a sole enabled claimant wins.
func expectedCreates(t *testing.T, fixture string) int {
	b, err := os.ReadFile(filepath.Join("testdata", fixture))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Users []struct {
			AccountEnabled bool    `json:"accountEnabled"`
			UserType       string  `json:"userType"`
			Mail           *string `json:"mail"`
			UPN            string  `json:"userPrincipalName"`
		} `json:"users"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	type claim struct{ enabled, byMail bool }
	claims := map[string][]claim{}
	for _, u := range f.Users {
		switch {
		case u.UserType == "Guest": // out of scope unless include-guests
		case u.Mail != nil && *u.Mail != "":
			claims[strings.ToLower(*u.Mail)] = append(claims[strings.ToLower(*u.Mail)], claim{u.AccountEnabled, true})
		case !strings.Contains(u.UPN, "#EXT#"):
			claims[strings.ToLower(u.UPN)] = append(claims[strings.ToLower(u.UPN)], claim{u.AccountEnabled, false})
		}
	}
	n := 0
	for _, cs := range claims {
		var mails, enabledMails int
		var winner *claim
		for i, c := range cs {
			if c.byMail {
				mails++
				if c.enabled {
					enabledMails++
				}
			}
			if len(cs) == 1 {
				winner = &cs[i]
			}
		}
		for i, c := range cs {
			if len(cs) > 1 && c.byMail && (mails == 1 || c.enabled && enabledMails == 1) {
				winner = &cs[i]
			}
		}
		if winner != nil && winner.enabled {
			n++
		}
	}
	return n
}

func guests(t *testing.T, fixture string) int {
	b, err := os.ReadFile(filepath.Join("testdata", fixture))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), `"userType": "Guest"`)
}

var validUsername = regexp.MustCompile(`^[a-z][a-z0-9._-]{2,21}$`)

func TestFirstSyncThenNoOp(t *testing.T) {
	w := newWorld(t, "tenant-2000.json")
	want := expectedCreates(t, "tenant-2000.json")

	if code := w.run(); code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, w.stdout.String(), w.stderr.String())
	}
	if got := w.outputInt("created"); got != want {
		t.Errorf("created = %d, want %d", got, want)
	}
	for _, name := range []string{"updated", "deactivated", "reactivated", "failed"} {
		if got := w.outputInt(name); got != 0 {
			t.Errorf("%s = %d, want 0", name, got)
		}
	}
	if got, want := w.outputInt("skipped"), 2000-want-guests(t, "tenant-2000.json"); got != want {
		t.Errorf("skipped = %d, want %d", got, want)
	}
	users := w.mm.Users()
	if len(users) != want+1 { // + the token owner
		t.Errorf("Mattermost has %d users, want %d", len(users), want+1)
	}
	seen := map[string]bool{}
	for _, u := range users {
		if !validUsername.MatchString(u.Username) || seen[u.Username] {
			t.Errorf("username %q invalid or duplicate", u.Username)
		}
		seen[u.Username] = true
	}
	hashes := w.mm.PasswordHashes()
	distinct := map[string]bool{}
	for _, h := range hashes {
		distinct[h] = true
	}
	if len(distinct) != want {
		t.Errorf("%d distinct passwords for %d created users", len(distinct), want)
	}
	var rep report.Report
	b, err := os.ReadFile(w.outputs()["report"])
	if err != nil || json.Unmarshal(b, &rep) != nil || len(rep.Results) != want || rep.Status != "success" {
		t.Fatalf("report %q: %v, %d results, status %q", w.outputs()["report"], err, len(rep.Results), rep.Status)
	}
	if s := w.summary(); !strings.Contains(s, "| created |") || !strings.Contains(s, fmt.Sprintf("| %d | 0 |", want)) {
		t.Errorf("job summary lacks the counts:\n%.600s", s)
	}
	w.assertNoSecrets(nil)

	// The second run over the same data writes nothing, and reads in bulk:
	// ceil(N/999) Graph pages plus one token, ceil(M/200) Mattermost pages
	// plus the preflight.
	w.mm.ResetCounters()
	w.graph.ResetCounters()
	if code := w.run(); code != 0 {
		t.Fatalf("second run exit %d\n%s", code, w.stderr.String())
	}
	if n := w.mm.Writes(); n != 0 {
		t.Errorf("second run made %d writes", n)
	}
	if got := w.outputInt("unchanged"); got != want {
		t.Errorf("unchanged = %d, want %d", got, want)
	}
	graphReqs := w.graph.Requests()
	if n := graphReqs["GET /v1.0/users"]; n > (2000+998)/999 {
		t.Errorf("%d Graph /users requests, want at most %d", n, (2000+998)/999)
	}
	total := 0
	for k, n := range graphReqs {
		if !strings.Contains(k, "openid-configuration") {
			total += n
		}
	}
	// Users in pages of 999, the deleted users (none here: one page), the token.
	if n := graphReqs["GET /v1.0/directory/deletedItems/microsoft.graph.user"]; n != 1 {
		t.Errorf("%d deleted-users requests, want 1", n)
	}
	if total > (2000+998)/999+1+1 {
		t.Errorf("Graph requests %v exceed pages + deleted page + token", graphReqs)
	}
	m := len(users)
	if n, bound := w.mm.TotalRequests(), (m+199)/200+4; n > bound {
		t.Errorf("%d Mattermost requests, want at most %d: %v", n, bound, w.mm.Requests())
	}
}

func TestDryRunChangesNothing(t *testing.T) {
	w := newWorld(t, "tenant-60.json")
	w.env["INPUT_DRY-RUN"] = "true"
	if code := w.run(); code != 0 {
		t.Fatalf("exit %d: %s", code, w.stderr.String())
	}
	if n := w.mm.Writes(); n != 0 {
		t.Fatalf("dry run made %d writes", n)
	}
	want := expectedCreates(t, "tenant-60.json")
	if got := w.outputInt("created"); got != want {
		t.Errorf("dry-run created = %d, want the planned %d", got, want)
	}
	if !strings.Contains(w.stdout.String(), "+ create") || !strings.Contains(w.summary(), "dry run") {
		t.Errorf("dry run does not show the plan:\n%.500s", w.stdout.String())
	}
}

func TestBadInputFailsBeforeAnyChange(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(w *world)
		want   string
	}{
		{"missing tenant", func(w *world) { delete(w.env, "INPUT_AZURE-TENANT-ID") }, "azure-tenant-id"},
		{"missing client id", func(w *world) { delete(w.env, "INPUT_AZURE-CLIENT-ID") }, "azure-client-id"},
		{"missing secret", func(w *world) { delete(w.env, "INPUT_AZURE-CLIENT-SECRET") }, "azure-client-secret"},
		{"missing url", func(w *world) { delete(w.env, "INPUT_MATTERMOST-URL") }, "mattermost-url"},
		{"missing token", func(w *world) { delete(w.env, "INPUT_MATTERMOST-TOKEN") }, "mattermost-token"},
		{"malformed url", func(w *world) { w.env["INPUT_MATTERMOST-URL"] = "chat.example.com/api/v4" }, "mattermost-url"},
		{"ftp url", func(w *world) { w.env["INPUT_MATTERMOST-URL"] = "ftp://chat.example.com" }, "mattermost-url"},
		{"client id not a guid", func(w *world) { w.env["INPUT_AZURE-CLIENT-ID"] = "my-app" }, "azure-client-id"},
		{"dry-run not a boolean", func(w *world) { w.env["INPUT_DRY-RUN"] = "maybe" }, "dry-run"},
		{"bad mattermost token", func(w *world) { w.env["INPUT_MATTERMOST-TOKEN"] = "wrongtoken000000000000000a" }, "mattermost-token"},
		{"wrong azure secret", func(w *world) { w.env["INPUT_AZURE-CLIENT-SECRET"] = "not-the-secret" }, "azure-client-secret"},
		{"graph 403", func(w *world) { w.graph.SetForbidden(true) }, "User.Read.All"},
		{"not mattermost", func(w *world) { w.env["INPUT_MATTERMOST-URL"] = w.graph.GraphURL() }, "mattermost-url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, "tenant-60.json")
			tt.mutate(w)
			code := w.run()
			if code == 0 {
				t.Fatal("exit 0, want a failure")
			}
			if n := w.mm.Writes(); n != 0 {
				t.Errorf("%d writes before failing", n)
			}
			var errLine string
			for _, l := range strings.Split(w.stdout.String(), "\n") {
				if strings.HasPrefix(l, "::error") {
					errLine = l
					break
				}
			}
			if !strings.Contains(errLine, tt.want) {
				t.Errorf("first ::error:: line %q does not name %q\nstdout:\n%s", errLine, tt.want, w.stdout.String())
			}
			if got := w.outputs()["failed"]; got != "0" {
				t.Errorf("failed output = %q, want 0 (no user was attempted)", got)
			}
			w.assertNoSecrets(nil)
		})
	}
}

func TestOneUsersFailureDoesNotStopOthers(t *testing.T) {
	w := newWorld(t, "tenant-60.json")
	w.mm.FailNext(3, 500, "POST /api/v4/users")
	code := w.run()
	if code == 0 {
		t.Fatal("exit 0 despite failures")
	}
	want := expectedCreates(t, "tenant-60.json")
	if f, c := w.outputInt("failed"), w.outputInt("created"); f != 3 || c != want-3 {
		t.Errorf("failed=%d created=%d, want 3 and %d", f, c, want-3)
	}
	if !strings.Contains(w.summary(), "### Failures (3)") {
		t.Errorf("summary lacks the failures:\n%s", w.summary())
	}
	// The next run converges.
	if code := w.run(); code != 0 || w.outputInt("created") != 3 {
		t.Fatalf("second run exit %d created %s\n%s", code, w.outputs()["created"], w.stdout.String())
	}
}

func TestErrorAnnotationsAreCapped(t *testing.T) {
	w := newWorld(t, "tenant-60.json")
	w.mm.FailNext(40, 500, "POST /api/v4/users")
	if code := w.run(); code == 0 {
		t.Fatal("exit 0")
	}
	if n := strings.Count(w.stdout.String(), "::error"); n > maxErrorAnnotations {
		t.Errorf("%d error annotations, want at most %d", n, maxErrorAnnotations)
	}
}

func TestCLIUsesLegacyEnvironmentNames(t *testing.T) {
	w := newWorld(t, "tenant-60.json")
	w.env = map[string]string{
		"AZURE_TENANT_ID": testTenant, "AZURE_CLIENT_ID": testClient, "AZURE_CLIENT_SECRET": testSecret,
		"MM_API_BASE_URL": w.mm.URL() + "/api/v4/", "MM_ADMIN_TOKEN": w.mm.AdminToken(),
		"AZURE_AUTHORITY_HOST": w.graph.AuthorityHost(),
	}
	code := w.run("--graph-url", w.graph.GraphURL(), "--report-path", filepath.Join(w.dir, "r.json"), "--dry-run")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, w.stderr.String())
	}
	if strings.Contains(w.stdout.String(), "::") {
		t.Errorf("workflow commands printed outside Actions:\n%s", w.stdout.String())
	}
	if !strings.Contains(w.stdout.String(), "Dry run:") {
		t.Errorf("no summary line:\n%s", w.stdout.String())
	}
}

func TestHelpDocumentsEveryOption(t *testing.T) {
	var out bytes.Buffer
	code := run(context.Background(), []string{"--help"}, deps{stdout: &out, stderr: &out, getenv: func(string) string { return "" }})
	if code != 0 {
		t.Fatalf("--help exit %d", code)
	}
	for _, name := range []string{"azure-tenant-id", "mattermost-token", "dry-run", "MM_API_BASE_URL", "AZURE_CLIENT_SECRET", "plan-out", "apply-plan", "plan-max-age", "PLAN_MAX_AGE"} {
		if !strings.Contains(out.String(), name) {
			t.Errorf("--help does not mention %s", name)
		}
	}
}

func TestDemoRuns(t *testing.T) {
	var out bytes.Buffer
	code := run(context.Background(), []string{"demo"}, deps{stdout: &out, stderr: &out, getenv: os.Getenv})
	if code != 0 {
		t.Fatalf("demo exit %d:\n%s", code, out.String())
	}
	if !strings.Contains(out.String(), "No changes.") || !strings.Contains(out.String(), "0 writes") {
		t.Errorf("demo does not show an idempotent second sync:\n%s", out.String())
	}
	if strings.Contains(out.String(), "\x1b") {
		t.Errorf("ANSI escape codes in output that is no terminal")
	}
}
