// Package webhook posts the run's result to a webhook (an n8n Webhook node,
// say) as one signed JSON document.
//
// The body is signed like GitHub's own webhooks: the header
// X-Signature-256 carries "sha256=" + the hex HMAC-SHA256 of the exact body
// bytes, keyed by the shared secret. Receivers must verify the raw body, not
// a re-serialised copy.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/internal/clock"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/internal/httpretry"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/internal/redact"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/internal/retryafter"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/report"
	"github.com/hashicorp/go-cleanhttp"
	"github.com/hashicorp/go-retryablehttp"
)

// Status values.
const (
	StatusSuccess = "success"
	StatusFailure = "failure"
	StatusDryRun  = "dry-run"
)

// MaxFailures is the most failures a Payload carries; the rest are counted
// in FailuresTruncated (the JSON report has all of them).
const MaxFailures = 100

// SignatureHeader carries the body's signature.
const SignatureHeader = "X-Signature-256"

// DeliveryHeader carries the delivery's id: 32 random hex digits, one per
// report, the same on every retry of it (as GitHub's X-GitHub-Delivery). A
// receiver slower than the attempt timeout can see one delivery twice; the
// id lets it drop the second.
const DeliveryHeader = "X-Delivery-Id"

// UserAgent is sent with every delivery.
const UserAgent = "entra-mattermost-sync"

// Payload is the document posted after a run.
type Payload struct {
	Status string `json:"status"` // success, failure or dry-run
	DryRun bool   `json:"dry_run"`
	// Counts are the report's counts: its JSON field names are this
	// payload's contract as well (see TestPayloadCountsContract).
	Counts     report.Counts `json:"counts"`
	RunURL     string        `json:"run_url"`
	Repository string        `json:"repository"`
	Event      string        `json:"event"`
	StartedAt  string        `json:"started_at"`  // RFC 3339, UTC; see Timestamp
	FinishedAt string        `json:"finished_at"` // RFC 3339, UTC
	// Error is why the run failed before or while syncing (no secrets).
	Error             string    `json:"error,omitempty"`
	Failures          []Failure `json:"failures"`
	FailuresTruncated int       `json:"failures_truncated,omitempty"`
}

// Failure is one change that failed.
type Failure struct {
	Action   string `json:"action"` // create, update, deactivate, reactivate
	Email    string `json:"email,omitempty"`
	Username string `json:"username,omitempty"`
	Error    string `json:"error"`
	ErrorID  string `json:"error_id,omitempty"` // Mattermost's error id
}

// Timestamp formats t as the payload's times are: RFC 3339, UTC, seconds.
func Timestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// AddFailure appends f, or counts it in FailuresTruncated once MaxFailures
// are held.
func (p *Payload) AddFailure(f Failure) {
	if len(p.Failures) >= MaxFailures {
		p.FailuresTruncated++
		return
	}
	p.Failures = append(p.Failures, f)
}

// Redact replaces every occurrence of each non-empty secret in the error
// texts with "***".
func (p *Payload) Redact(secrets ...string) {
	scrub := func(s string) string { return redact.String(s, secrets...) }
	p.Error = scrub(p.Error)
	for i := range p.Failures {
		p.Failures[i].Error = scrub(p.Failures[i].Error)
		p.Failures[i].Email = scrub(p.Failures[i].Email)
		p.Failures[i].Username = scrub(p.Failures[i].Username)
	}
}

// FromReport builds the payload of a run's report. getenv reads the GitHub
// Actions context (GITHUB_REPOSITORY, GITHUB_EVENT_NAME, and the run's URL
// from GITHUB_SERVER_URL and GITHUB_RUN_ID); outside Actions those fields
// stay empty. Secrets are the caller's to Redact.
func FromReport(rep *report.Report, getenv func(string) string) Payload {
	p := Payload{
		Status: rep.Status, DryRun: rep.DryRun, Error: rep.Error, Counts: rep.Counts,
		Repository: getenv("GITHUB_REPOSITORY"), Event: getenv("GITHUB_EVENT_NAME"),
		StartedAt: Timestamp(rep.StartedAt), FinishedAt: Timestamp(rep.FinishedAt),
	}
	if server, repo, id := getenv("GITHUB_SERVER_URL"), getenv("GITHUB_REPOSITORY"), getenv("GITHUB_RUN_ID"); server != "" && repo != "" && id != "" {
		p.RunURL = server + "/" + repo + "/actions/runs/" + id
	}
	for _, f := range rep.Failures() {
		p.AddFailure(Failure{Action: string(f.Kind), Email: f.Email, Username: f.Username, Error: f.Error, ErrorID: f.ErrorID})
	}
	return p
}

// Marshal validates the status, caps the failures at MaxFailures and encodes
// the payload (failures is [] rather than null when there are none; <, >
// and & are not escaped).
func (p Payload) Marshal() ([]byte, error) {
	switch p.Status {
	case StatusSuccess, StatusFailure, StatusDryRun:
	default:
		return nil, fmt.Errorf("webhook: status %q is not one of success, failure, dry-run", p.Status)
	}
	if len(p.Failures) > MaxFailures {
		p.FailuresTruncated += len(p.Failures) - MaxFailures
		p.Failures = p.Failures[:MaxFailures:MaxFailures]
	}
	if p.Failures == nil {
		p.Failures = []Failure{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(p); err != nil {
		return nil, fmt.Errorf("webhook: %w", err)
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// Sign returns "sha256=" + the hex HMAC-SHA256 of body keyed by secret.
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify reports whether signature (an X-Signature-256 value) is body's
// signature under secret, comparing in constant time.
func Verify(secret, body []byte, signature string) bool {
	return hmac.Equal([]byte(Sign(secret, body)), []byte(strings.TrimSpace(signature)))
}

// Options tunes Send. The zero value gives the defaults.
type Options struct {
	// Attempts is the most deliveries tried (default 4).
	Attempts int
	// WaitMin and WaitMax bound the exponential backoff between attempts
	// (defaults 1s and 8s); a Retry-After longer than WaitMax is cut to it.
	WaitMin, WaitMax time.Duration
	// AttemptTimeout bounds one attempt (default 10s).
	AttemptTimeout time.Duration
	// MaxTotal bounds the whole delivery, waits included (default 60s).
	MaxTotal time.Duration
	// HTTPClient, when set, is used for the requests (redirects are never
	// followed whatever its CheckRedirect says).
	HTTPClient *http.Client
	// UserAgent replaces the default User-Agent "entra-mattermost-sync".
	UserAgent string
	// Clock times the waits between attempts, and MaxTotal's share of them
	// (nil: the wall clock; tests pass a fake one).
	Clock clock.Clock
}

func (o Options) withDefaults() Options {
	if o.Attempts <= 0 {
		o.Attempts = 4
	}
	if o.WaitMin <= 0 {
		o.WaitMin = time.Second
	}
	if o.WaitMax <= 0 {
		o.WaitMax = 8 * time.Second
	}
	if o.WaitMax < o.WaitMin {
		o.WaitMax = o.WaitMin
	}
	if o.AttemptTimeout <= 0 {
		o.AttemptTimeout = 10 * time.Second
	}
	if o.MaxTotal <= 0 {
		o.MaxTotal = 60 * time.Second
	}
	if o.UserAgent == "" {
		o.UserAgent = UserAgent
	}
	return o
}

// ValidateURL checks that rawURL is an absolute http or https URL. Its error
// shows only the scheme, host and path.
func ValidateURL(rawURL string) error {
	_, err := parseURL(rawURL)
	return err
}

func parseURL(rawURL string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil {
		return nil, errors.New("webhook: report-webhook-url is not a valid URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("webhook: report-webhook-url must be an http or https URL, not %q", SafeURL(rawURL))
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("webhook: report-webhook-url %q has no host", SafeURL(rawURL))
	}
	return u, nil
}

// SafeURL is rawURL reduced to scheme://host, with "/…" where it has a
// path: no user info, path, query or fragment. Unlike redact.BareURL it
// hides the path too, because a webhook's path is often its only secret
// (n8n's /webhook/<uuid>, Slack's /services/T…/B…/…, Discord's
// /api/webhooks/<id>/<token>) and an Actions log may be public.
func SafeURL(rawURL string) string {
	bare := redact.BareURL(rawURL)
	scheme, rest, ok := strings.Cut(bare, "://")
	if !ok {
		return bare
	}
	host, path, _ := strings.Cut(rest, "/")
	if path == "" {
		return scheme + "://" + host
	}
	return scheme + "://" + host + "/…"
}

// pathSecrets are the forms of u's path an error text may hold, for
// redact.String: none for an empty or root path, which hide nothing.
func pathSecrets(u *url.URL) []string {
	if len(u.Path) <= 1 {
		return nil
	}
	return []string{u.EscapedPath(), u.Path}
}

// Send POSTs body (application/json) to rawURL, signed with secret when it
// is not empty, with a fresh DeliveryHeader that every retry repeats. Transport errors, 429 and 5xx answers are retried with
// exponential backoff; any 2xx is success; redirects are not followed.
// Errors never contain the secret or the URL's user info, path, query or
// fragment.
func Send(ctx context.Context, rawURL, secret string, body []byte, opts Options) error {
	u, err := parseURL(rawURL)
	if err != nil {
		return err
	}
	opts = opts.withDefaults()
	safe := SafeURL(rawURL)
	scrub := func(s string) string {
		return redact.String(s, append([]string{secret, u.RawQuery, u.Fragment, u.User.String()}, pathSecrets(u)...)...)
	}

	var hc http.Client
	if opts.HTTPClient != nil {
		hc = *opts.HTTPClient
	} else {
		hc = *cleanhttp.DefaultPooledClient()
	}
	if hc.Timeout == 0 || hc.Timeout > opts.AttemptTimeout {
		hc.Timeout = opts.AttemptTimeout
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	// tries is the attempt under way, counted from 1 (RequestLogHook runs
	// before each).
	tries := 0
	clk := clock.Or(opts.Clock)
	start := clk.Now()
	rc := &retryablehttp.Client{
		HTTPClient:   &hc,
		Logger:       nil,
		RetryWaitMin: opts.WaitMin,
		RetryWaitMax: opts.WaitMax,
		RetryMax:     opts.Attempts - 1,
		// The library's policy, then the wait, here on clk (the library's
		// own timer stays at zero): Retry-After (internal/retryafter) cut to
		// WaitMax, or WaitMin doubling up to WaitMax; MaxTotal bounds the
		// waits as the context bounds the attempts.
		CheckRetry: func(ctx context.Context, resp *http.Response, err error) (bool, error) {
			retry, stop := retryablehttp.DefaultRetryPolicy(ctx, resp, err)
			if !retry || stop != nil || tries >= opts.Attempts {
				return false, stop
			}
			wait, ok := retryafter.FromResponse(resp, clk.Now())
			if !ok {
				wait = retryablehttp.DefaultBackoff(opts.WaitMin, opts.WaitMax, tries-1, nil)
			}
			wait = min(wait, opts.WaitMax)
			left := opts.MaxTotal - clk.Now().Sub(start)
			if err := clk.Sleep(ctx, min(wait, left)); err != nil {
				return false, err
			}
			if wait > left {
				return false, context.DeadlineExceeded
			}
			return true, nil
		},
		Backoff: httpretry.ZeroBackoff,
		ErrorHandler: func(resp *http.Response, err error, n int) (*http.Response, error) {
			tries = n
			return httpretry.LastFailure(resp, err, n)
		},
		RequestLogHook: func(_ retryablehttp.Logger, _ *http.Request, n int) { tries = n + 1 },
	}

	ctx, cancel := context.WithTimeout(ctx, opts.MaxTotal)
	defer cancel()
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodPost, u.String(), body)
	if err != nil {
		return fmt.Errorf("webhook: POST %s: %s", safe, scrub(err.Error()))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", opts.UserAgent)
	if secret != "" {
		req.Header.Set(SignatureHeader, Sign([]byte(secret), body))
	}
	// Set once on the request retryablehttp re-sends: every retry carries it.
	req.Header.Set(DeliveryHeader, newDeliveryID())

	resp, err := rc.Do(req)
	if err != nil {
		cause := err
		var ue *url.Error
		if errors.As(err, &ue) {
			cause = ue.Err
		}
		if ctx.Err() != nil && !errors.Is(cause, ctx.Err()) {
			cause = fmt.Errorf("%v (%w)", cause, ctx.Err())
		}
		return fmt.Errorf("webhook: POST %s failed after %d attempt(s): %s", safe, max(tries, 1), scrub(cause.Error()))
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	msg := fmt.Sprintf("webhook: POST %s answered HTTP %d after %d attempt(s)", safe, resp.StatusCode, max(tries, 1))
	if s := strings.Join(strings.Fields(string(snippet)), " "); s != "" {
		if len(s) > 200 {
			s = s[:200] + "…"
		}
		msg += ": " + s
	}
	return errors.New(scrub(msg))
}

// newDeliveryID returns 16 random bytes in hex.
func newDeliveryID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}
