package world

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/internal/cli"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/internal/clock"
	fakegraph "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/graph"
	fakemm "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/mattermost"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/report"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/webhook"
)

// The world: one fake Entra ID and Graph, one fake Mattermost, the Actions
// environment a run sees, and runs of the real program (cli.Run) on virtual time.

// The fake tenant's sign-in: the world's Entra ID accepts only these.
const (
	TenantID     = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	ClientID     = "11111111-2222-4333-8444-555555555555"
	ClientSecret = "s3cr3t~Value.With-Symbols_0123456789"
)

// World is one pair of fakes and the Actions environment a run sees. A
// test changes the directory (Users, Groups, through Graph) and the inputs
// (Env) between runs, and reads what a run left in Stdout, the outputs, the
// summary and the report.
type World struct {
	T      *testing.T
	Users  []fakegraph.User  // the directory, as last set
	Groups []fakegraph.Group // its groups, as last set
	Graph  *fakegraph.Server
	MM     *fakemm.Server
	Env    map[string]string // the process environment: INPUT_*, GITHUB_*
	Dir    string            // the run's temporary folder: outputs, summary, report
	Stdout bytes.Buffer      // the last run's log
	Stderr bytes.Buffer
	// Clock is the last run's virtual clock (RunWith); nil when the test
	// passed a clock of its own that is no clock.Fake.
	Clock *clock.Fake
}

// Edges are the parts of a run's process a test may set; RunWith sets the
// rest (the environment, the output streams) from the world.
type Edges struct {
	// MattermostTransport carries every Mattermost request (nil: a default
	// transport).
	MattermostTransport http.RoundTripper
	// GraphTransport carries the token and Graph requests (nil: the fake
	// Graph's, which trusts its test certificate).
	GraphTransport http.RoundTripper
	// Clock times the clients' waits (nil: a new manual clock.Fake that
	// RunWith drives, World.Clock).
	Clock clock.Clock
	// Now is the run's wall time (nil: time.Now).
	Now func() time.Time
	// Webhook is the report webhook's retries (zero: package webhook's).
	Webhook webhook.Options
}

// New is a world of the tenant file testdata/name in the module's root
// (e.g. "tenant-60.json"; "" for an empty directory) and a fresh fake
// Mattermost 11.1 with only the token owner, with the inputs of a first sync
// (Env); the fakes close when t ends.
func New(t *testing.T, name string) *World {
	t.Helper()
	var users []fakegraph.User
	var groups []fakegraph.Group
	if name != "" {
		tenant, err := fakegraph.ParseTenant(fixture(t, name))
		if err != nil {
			t.Fatal(err)
		}
		users, groups = tenant.Users, tenant.Groups
	}
	w := &World{T: t, Dir: t.TempDir(), Users: users, Groups: groups}
	w.Graph = fakegraph.New(fakegraph.Options{TenantID: TenantID, ClientID: ClientID, ClientSecret: ClientSecret, Users: users, Groups: groups})
	t.Cleanup(w.Graph.Close)
	w.MM = fakemm.New(fakemm.Options{AdminToken: "mmtoken" + strings.Repeat("x", 19), AdminUsername: "sysadmin", AdminEmail: "sysadmin@contoso.example", ServerVersion: "11.1.0"})
	t.Cleanup(w.MM.Close)
	w.Env = map[string]string{
		"GITHUB_ACTIONS":             "true",
		"GITHUB_OUTPUT":              filepath.Join(w.Dir, "output"),
		"GITHUB_STEP_SUMMARY":        filepath.Join(w.Dir, "summary.md"),
		"INPUT_AZURE-TENANT-ID":      TenantID,
		"INPUT_AZURE-CLIENT-ID":      ClientID,
		"INPUT_AZURE-CLIENT-SECRET":  ClientSecret,
		"INPUT_MATTERMOST-URL":       w.MM.URL(),
		"INPUT_MATTERMOST-TOKEN":     w.MM.AdminToken(),
		"INPUT_DRY-RUN":              "false",
		"INPUT_AZURE-AUTHORITY-HOST": w.Graph.AuthorityHost(),
		"INPUT_GRAPH-URL":            w.Graph.GraphURL(),
		"INPUT_REPORT-PATH":          filepath.Join(w.Dir, "report.json"),
		"INPUT_CONCURRENCY":          "8",
		"INPUT_CREATE-CONCURRENCY":   "3",
	}
	return w
}

// Run executes the program's real code path as the Actions runner would,
// on virtual time, with the webhook's retries a few milliseconds apart; it
// returns the exit code (cli.ExitOK, ExitFailure, ExitUsage).
func (w *World) Run(args ...string) int {
	w.T.Helper()
	return w.RunWith(context.Background(), Edges{
		Webhook: webhook.Options{Attempts: 3, WaitMin: time.Millisecond, WaitMax: 5 * time.Millisecond, MaxTotal: 5 * time.Second},
	}, args...)
}

// Outputs parses the GITHUB_OUTPUT file (name<<DELIM / value / DELIM).
func (w *World) Outputs() map[string]string {
	w.T.Helper()
	f, err := os.Open(w.Env["GITHUB_OUTPUT"])
	if err != nil {
		w.T.Fatalf("no GITHUB_OUTPUT: %v", err)
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

// OutputInt is a step output of the last run as an integer; it fails the
// test when the output is missing or no integer.
func (w *World) OutputInt(name string) int {
	w.T.Helper()
	v, ok := w.Outputs()[name]
	if !ok {
		w.T.Fatalf("output %q missing; stdout:\n%s", name, w.Stdout.String())
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		w.T.Fatalf("output %s = %q is not an integer", name, v)
	}
	return n
}

// Summary is the job summary the last run wrote.
func (w *World) Summary() string {
	b, _ := os.ReadFile(w.Env["GITHUB_STEP_SUMMARY"])
	return string(b)
}

// AssertNoSecrets checks the last run's stdout, stderr, summary, report and
// outputs for the client secret, the Mattermost token and passwords (e.g.
// those the onboarding mails carried). The ::add-mask:: command is how a
// secret is handed to the runner, so it is the one line allowed to hold it.
func (w *World) AssertNoSecrets(passwords []string) {
	w.T.Helper()
	report, _ := os.ReadFile(w.Env["INPUT_REPORT-PATH"])
	output, _ := os.ReadFile(w.Env["GITHUB_OUTPUT"])
	var stdout []string
	for _, l := range strings.Split(w.Stdout.String(), "\n") {
		if !strings.HasPrefix(l, "::add-mask::") {
			stdout = append(stdout, l)
		}
	}
	channels := map[string]string{"stdout": strings.Join(stdout, "\n"), "stderr": w.Stderr.String(),
		"summary": w.Summary(), "report": string(report), "outputs": string(output)}
	for name, text := range channels {
		for _, s := range append([]string{ClientSecret, w.MM.AdminToken()}, passwords...) {
			if s != "" && strings.Contains(text, s) {
				w.T.Errorf("%s contains a secret or password (%.4s…)", name, s)
			}
		}
	}
}

// RunCtx is Run with a context and a Mattermost transport of the test's
// choosing (nil: the default), and package webhook's own retries.
func (w *World) RunCtx(ctx context.Context, mmTransport http.RoundTripper, args ...string) int {
	w.T.Helper()
	return w.RunWith(ctx, Edges{MattermostTransport: mmTransport}, args...)
}

// RunWith runs the program's real code path (cli.Run, as main calls it)
// with args and more of the process's edges set. With no clock the run gets
// a virtual one (w.Clock); a Manual clock.Fake passed in is driven the same
// way (virtualtime.go). It returns the exit code.
func (w *World) RunWith(ctx context.Context, e Edges, args ...string) int {
	w.T.Helper()
	w.Stdout.Reset()
	w.Stderr.Reset()
	for _, f := range []string{"output", "summary.md"} {
		os.Remove(filepath.Join(w.Dir, f))
	}
	env := maps.Clone(w.Env)
	if e.GraphTransport == nil {
		e.GraphTransport = w.Graph.Transport()
	}
	if e.Clock == nil {
		clk := clock.NewFake()
		clk.Manual = true
		e.Clock = clk
	}
	w.Clock, _ = e.Clock.(*clock.Fake)
	if w.Clock != nil && w.Clock.Manual {
		vt := driveVirtualTime(w.Clock)
		defer vt.Stop()
		e.GraphTransport, e.MattermostTransport = vt.transport(e.GraphTransport), vt.transport(e.MattermostTransport)
		w.MM.SetSleeper(vt.serverSleep)
		defer w.MM.SetSleeper(nil)
	}
	opts := []cli.Option{
		cli.WithStdout(&w.Stdout), cli.WithStderr(&w.Stderr),
		cli.WithGetenv(func(k string) string { return env[k] }),
		cli.WithGraphTransport(e.GraphTransport), cli.WithMattermostTransport(e.MattermostTransport),
		cli.WithClock(e.Clock), cli.WithWebhookRetries(e.Webhook),
	}
	if e.Now != nil {
		opts = append(opts, cli.WithNow(e.Now))
	}
	return cli.Run(ctx, args, opts...)
}

// Report reads the JSON report of the last run.
func (w *World) Report() report.Report {
	w.T.Helper()
	var rep report.Report
	b, err := os.ReadFile(w.Env["INPUT_REPORT-PATH"])
	if err == nil {
		err = json.Unmarshal(b, &rep)
	}
	if err != nil {
		w.T.Fatalf("report: %v", err)
	}
	return rep
}

// Converged checks that Mattermost holds want accounts (the directory users
// who should have one, e.g. ExpectedCreates) and the token owner, that each
// is linked to a different directory user, and that a further run writes
// nothing (Noop).
func (w *World) Converged(want int) {
	w.T.Helper()
	users := w.MM.Users()
	if len(users) != want+1 { // + the token owner
		w.T.Errorf("Mattermost has %d accounts, want %d + the token owner", len(users), want)
	}
	byObject := map[string]int{}
	for _, u := range users {
		if id := u.Props["entra_object_id"]; id != "" {
			byObject[id]++
		}
	}
	for id, n := range byObject {
		if n > 1 {
			w.T.Errorf("Entra ID user %s has %d accounts", id, n)
		}
	}
	if len(byObject) != want {
		w.T.Errorf("%d accounts are linked, want %d", len(byObject), want)
	}
	w.Noop()
}

// MustRun runs the sync and fails the test unless it exits with want.
func (w *World) MustRun(want int, args ...string) {
	w.T.Helper()
	if code := w.Run(args...); code != want {
		w.T.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, want, w.Stdout.String(), w.Stderr.String())
	}
}

// Noop resets both fakes' counters, runs the sync again and fails unless it
// exits 0 and writes nothing.
func (w *World) Noop() {
	w.T.Helper()
	w.MM.ResetCounters()
	w.Graph.ResetCounters()
	w.MustRun(0)
	if n := w.MM.Writes(); n != 0 {
		w.T.Fatalf("the run after a change is not a no-op: %d writes\n%s", n, w.Stdout.String())
	}
}

// UseMattermost replaces the world's Mattermost with a fresh fake built
// from opts (the world's admin token and name).
func (w *World) UseMattermost(opts fakemm.Options) {
	w.MM.Close()
	opts.AdminToken, opts.AdminUsername, opts.AdminEmail = w.MM.AdminToken(), "sysadmin", "sysadmin@contoso.example"
	w.MM = fakemm.New(opts)
	w.T.Cleanup(w.MM.Close)
	w.Env["INPUT_MATTERMOST-URL"] = w.MM.URL()
}

// As sets the inputs that make the next runs those of one of several syncs
// on one server: instance, groups (its scope) and link-key.
func (w *World) As(instance, groups, linkKey string) {
	w.Env["INPUT_INSTANCE"] = instance
	w.Env["INPUT_GROUPS"] = groups
	w.Env["INPUT_LINK-KEY"] = linkKey
}

// SkipReasons maps each address the last run's report skipped to its
// reasons, each followed by ";".
func (w *World) SkipReasons() map[string]string {
	w.T.Helper()
	b, err := os.ReadFile(w.Env["INPUT_REPORT-PATH"])
	if err != nil {
		w.T.Fatal(err)
	}
	var rep struct {
		Skipped []struct {
			Email  string `json:"email"`
			Reason string `json:"reason"`
		} `json:"skipped"`
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		w.T.Fatal(err)
	}
	out := map[string]string{}
	for _, s := range rep.Skipped {
		out[s.Email] += s.Reason + ";"
	}
	return out
}

// SavePlanDry makes a dry run that saves its plan (plan-out) and exits
// wantCode, and returns the plan's path; it fails unless the run wrote
// nothing to Mattermost, the output plan names the path and the file's
// mode is 0600. It sets dry-run back to false for the next runs.
func (w *World) SavePlanDry(wantCode int) string {
	w.T.Helper()
	path := filepath.Join(w.Dir, "approved", "plan.json")
	w.Env["INPUT_DRY-RUN"], w.Env["INPUT_PLAN-OUT"] = "true", path
	w.MM.ResetCounters()
	w.MustRun(wantCode)
	delete(w.Env, "INPUT_PLAN-OUT")
	w.Env["INPUT_DRY-RUN"] = "false"
	if n := w.MM.Writes(); n != 0 {
		w.T.Fatalf("the dry run that saved the plan wrote %d times", n)
	}
	if got := w.Outputs()["plan"]; got != path {
		w.T.Fatalf("output plan = %q, want %q", got, path)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		w.T.Fatalf("plan file: %v, mode %v; want 0600", err, fi.Mode().Perm())
	}
	return path
}

// ApplyPlan resets the fake Mattermost's counters and runs with apply-plan
// path and, for this run only, the extra environment inputs (e.g.
// "INPUT_MAX-DEACTIVATIONS": "5"); it returns the exit code.
func (w *World) ApplyPlan(path string, inputs map[string]string) int {
	w.T.Helper()
	w.Env["INPUT_APPLY-PLAN"] = path
	defer delete(w.Env, "INPUT_APPLY-PLAN")
	for k, v := range inputs {
		w.Env[k] = v
		defer delete(w.Env, k)
	}
	w.MM.ResetCounters()
	return w.Run()
}

// NewOnboarding is New(t, "tenant-60.json") with onboarding: method; for
// graph-mail the sender is the first user's mailbox.
func NewOnboarding(t *testing.T, method string) *World {
	w := New(t, "tenant-60.json")
	w.Env["INPUT_ONBOARDING"] = method
	if method == "graph-mail" {
		w.Env["INPUT_ONBOARDING-SENDER"] = w.Users[0]["userPrincipalName"].(string)
	}
	return w
}
