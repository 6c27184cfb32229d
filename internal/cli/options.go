package cli

import (
	"context"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/internal/clock"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/webhook"
)

// deps are the process's edges. Run starts from the real ones (the
// process's standard streams and environment, the wall clock, the default
// transports); the options replace them, as go-githubactions' options do,
// so that tests and the demo run the real code path against fakes.
type deps struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	graphTransport http.RoundTripper // nil: Go's default for tokens, the Graph SDK's for Graph
	mmTransport    http.RoundTripper // nil: package mattermost's default
	now            func() time.Time
	webhook        webhook.Options // zero: the webhook package's defaults
	// clock, when set, times the Graph and Mattermost clients' waits
	// (retries, Retry-After, the rate gate): tests pass a virtual clock.
	clock clock.Clock
	// shownPlan, when set (the demo), holds the plan the last run printed:
	// a run whose plan is the same says so in one line instead of printing
	// it again.
	shownPlan *string
	// version is what --version prints, the User-Agent carries and a saved
	// plan records: the release's tag (WithVersion), else buildVersion's.
	version string
}

// Option sets one of Run's edges.
//
// main sets only WithVersion. The others are for the demo and the
// end-to-end tests (e2e/), which run the real program against fakes: those
// tests live in packages of their own, so that go test runs them side by
// side, and so the options are exported; internal/ keeps them from any other
// module.
type Option func(*deps)

// WithStdout sets where the log, the plan and the workflow commands go
// (default os.Stdout).
func WithStdout(w io.Writer) Option { return func(d *deps) { d.stdout = w } }

// WithStderr sets where errors and warnings go outside GitHub Actions (in
// Actions they are workflow commands on stdout), and the demo's own
// failures (default os.Stderr).
func WithStderr(w io.Writer) Option { return func(d *deps) { d.stderr = w } }

// WithGetenv sets how the environment is read (default os.Getenv): the
// inputs (INPUT_*, then each option's variable that --help shows), the
// runner's GITHUB_* and RUNNER_TEMP, and the OIDC token request's
// ACTIONS_ID_TOKEN_REQUEST_*.
func WithGetenv(getenv func(string) string) Option { return func(d *deps) { d.getenv = getenv } }

// WithGraphTransport sends Entra ID's token requests and every Graph
// request through rt (default: a clone of http.DefaultTransport for the
// tokens, the Graph SDK's default transport for Graph).
func WithGraphTransport(rt http.RoundTripper) Option {
	return func(d *deps) { d.graphTransport = rt }
}

// WithMattermostTransport sends every Mattermost request through rt
// (default: package mattermost's clone of http.DefaultTransport, which
// keeps 16 idle connections to the server).
func WithMattermostTransport(rt http.RoundTripper) Option {
	return func(d *deps) { d.mmTransport = rt }
}

// WithClock times the clients' waits (retries, Retry-After, the rate gate,
// the webhook's retries) on c (default: the wall clock).
func WithClock(c clock.Clock) Option { return func(d *deps) { d.clock = c } }

// WithNow sets the time the report, the saved plan and plan-max-age read
// (default time.Now).
func WithNow(now func() time.Time) Option { return func(d *deps) { d.now = now } }

// WithWebhookRetries sets the report webhook's attempts and waits (default:
// package webhook's).
func WithWebhookRetries(o webhook.Options) Option { return func(d *deps) { d.webhook = o } }

// WithVersion sets the release's tag, which --version prints, the
// Mattermost requests' User-Agent carries and a saved plan records
// (default: the module version Go recorded, else "devel" and the commit).
// Empty leaves the default.
func WithVersion(v string) Option { return func(d *deps) { d.version = v } }

// Run is the whole program. args is the command line after the program's
// name: flags (the environment supplies the other inputs), "demo" and flags
// for the demo's runs, "version" or --version, or --help. A sync reads its
// inputs, reconciles Entra ID into Mattermost once and reports; Run returns
// the process's exit code (ExitOK, ExitFailure, ExitUsage). Nothing is
// written to Mattermost before every input is valid and both sides were
// read in full.
func Run(ctx context.Context, args []string, opts ...Option) int {
	d := deps{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, now: time.Now}
	for _, o := range opts {
		o(&d)
	}
	if d.version == "" {
		d.version = buildVersion()
	}
	return run(ctx, args, d)
}
