// Package mattermost is a small client for the Mattermost REST API v4, limited
// to the endpoints the Entra ID sync needs. It is built on go-retryablehttp
// with a retry policy that never repeats a write unless the server refused it
// before doing any work (HTTP 429).
package mattermost

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	retryablehttp "github.com/hashicorp/go-retryablehttp"
)

// APIPrefix is the path prefix of Mattermost's REST API v4.
const APIPrefix = "/api/v4"

// Defaults used when Options leaves a field zero.
const (
	DefaultRetryMax     = 6
	DefaultRetryWaitMin = 500 * time.Millisecond
	DefaultRetryWaitMax = 30 * time.Second
	DefaultTimeout      = 60 * time.Second
	// MaxRetryAfter caps how long a server-provided Retry-After (or
	// X-RateLimit-Reset pause) is honoured.
	MaxRetryAfter = 60 * time.Second
	// PerPage is the page size used for listings: Mattermost's maximum.
	PerPage = 200
	// maxErrorBody is how much of a non-JSON error body is kept.
	maxErrorBody = 200
	// maxBody bounds how much of a response body is read.
	maxBody = 64 << 20
)

// Options tune a Client. The zero value is fine.
type Options struct {
	// HTTPClient is the underlying client for each attempt. Its Transport
	// (and Timeout, if non-zero) are used; nil means a pooled default.
	HTTPClient *http.Client
	// Transport is used when HTTPClient is nil (tests, demo).
	Transport http.RoundTripper
	// RetryMax is the number of retries after the first attempt. 0 means
	// DefaultRetryMax; negative disables retries.
	RetryMax int
	// RetryWaitMin and RetryWaitMax bound the exponential backoff used when
	// the server gives no Retry-After.
	RetryWaitMin time.Duration
	RetryWaitMax time.Duration
	// Timeout bounds each attempt (not the waits between attempts).
	// 0 means DefaultTimeout.
	Timeout time.Duration
	// UserAgent is sent on every request.
	UserAgent string
	// Logger, when set, receives one debug line per attempt (method, path,
	// status) and a line per retry. Headers, query strings and bodies are
	// never logged.
	Logger *slog.Logger
}

// Client talks to one Mattermost server with one token.
type Client struct {
	base      string // scheme://host[/subpath], no trailing slash, no /api/v4
	token     string
	userAgent string
	rc        *retryablehttp.Client
	gate      *rateGate
}

// New builds a client. baseURL is the site URL as admins know it
// (https://chat.example.com, with or without a trailing slash or /api/v4).
func New(baseURL, token string, opts Options) (*Client, error) {
	base, err := NormalizeBaseURL(baseURL)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(token) == "" {
		return nil, errors.New("mattermost: empty access token")
	}
	if strings.ContainsAny(token, "\r\n") {
		return nil, errors.New("mattermost: access token contains a line break")
	}

	hc := &http.Client{}
	if opts.HTTPClient != nil {
		cp := *opts.HTTPClient
		hc = &cp
	} else if opts.Transport != nil {
		hc.Transport = opts.Transport
	} else {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 16
		hc.Transport = t
	}
	if hc.Transport == nil {
		hc.Transport = http.DefaultTransport
	}
	if hc.Timeout == 0 {
		hc.Timeout = opts.Timeout
		if hc.Timeout == 0 {
			hc.Timeout = DefaultTimeout
		}
	}
	gate := &rateGate{}
	hc.Transport = &gateTransport{next: hc.Transport, gate: gate}

	rc := &retryablehttp.Client{
		HTTPClient:   hc,
		Logger:       nil,
		RetryWaitMin: opts.RetryWaitMin,
		RetryWaitMax: opts.RetryWaitMax,
		RetryMax:     opts.RetryMax,
		CheckRetry:   checkRetry,
		Backoff:      backoff,
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
	}
	if rc.RetryWaitMin <= 0 {
		rc.RetryWaitMin = DefaultRetryWaitMin
	}
	if rc.RetryWaitMax <= 0 {
		rc.RetryWaitMax = DefaultRetryWaitMax
	}
	if rc.RetryWaitMax < rc.RetryWaitMin {
		rc.RetryWaitMax = rc.RetryWaitMin
	}
	switch {
	case rc.RetryMax == 0:
		rc.RetryMax = DefaultRetryMax
	case rc.RetryMax < 0:
		rc.RetryMax = 0
	}
	if l := opts.Logger; l != nil {
		rc.RequestLogHook = func(_ retryablehttp.Logger, r *http.Request, attempt int) {
			if attempt > 0 {
				l.Info("mattermost: retrying request", "method", r.Method, "path", r.URL.Path, "attempt", attempt+1)
			}
		}
		rc.ResponseLogHook = func(_ retryablehttp.Logger, r *http.Response) {
			if r.Request != nil {
				l.Debug("mattermost: response", "method", r.Request.Method, "path", r.Request.URL.Path, "status", r.StatusCode)
			}
		}
	}
	ua := opts.UserAgent
	if ua == "" {
		ua = "entra-mattermost-sync"
	}
	return &Client{base: base, token: token, userAgent: ua, rc: rc, gate: gate}, nil
}

// BaseURL returns the normalised site URL (without /api/v4).
func (c *Client) BaseURL() string { return c.base }

// NormalizeBaseURL validates a Mattermost site URL and returns it without a
// trailing slash and without a trailing /api/v4.
func NormalizeBaseURL(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", errors.New("mattermost: base URL is empty (set MM_API_BASE_URL, e.g. https://chat.example.com)")
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("mattermost: base URL is not a valid URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("mattermost: base URL must start with https:// or http:// (got scheme %q)", u.Scheme)
	}
	if u.Host == "" || u.Hostname() == "" {
		return "", errors.New("mattermost: base URL has no host (expected e.g. https://chat.example.com)")
	}
	if u.User != nil {
		return "", errors.New("mattermost: base URL must not contain user information (credentials)")
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return "", errors.New("mattermost: base URL must not contain a query or fragment")
	}
	p := strings.TrimRight(u.Path, "/")
	if strings.HasSuffix(strings.ToLower(p), APIPrefix) {
		p = strings.TrimRight(p[:len(p)-len(APIPrefix)], "/")
	}
	u.Path = p
	u.RawPath = ""
	return u.Scheme + "://" + u.Host + u.EscapedPath(), nil
}

type ctxKey int

const writeKey ctxKey = 1

// checkRetry: reads retry on 429, 5xx (except 501) and transport errors;
// writes retry only on 429, which Mattermost answers before any work.
func checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	write, _ := ctx.Value(writeKey).(bool)
	if err != nil {
		if write {
			return false, nil
		}
		ok, _ := retryablehttp.DefaultRetryPolicy(ctx, resp, err)
		return ok, nil
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		return true, nil
	}
	if write {
		return false, nil
	}
	if resp.StatusCode == 0 || (resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented) {
		return true, nil
	}
	return false, nil
}

// backoff honours Retry-After (seconds or HTTP date) on 429/503, capped at
// MaxRetryAfter, and is otherwise exponential with jitter.
func backoff(min, max time.Duration, attempt int, resp *http.Response) time.Duration {
	if resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
		if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			if d > MaxRetryAfter {
				d = MaxRetryAfter
			}
			return d
		}
		if resp.StatusCode == http.StatusTooManyRequests {
			if d, ok := parseSeconds(resp.Header.Get("X-RateLimit-Reset")); ok && d > 0 {
				if d > MaxRetryAfter {
					d = MaxRetryAfter
				}
				return d
			}
		}
	}
	d := min
	for i := 0; i < attempt && d < max; i++ {
		d *= 2
	}
	if d > max {
		d = max
	}
	// Full jitter in [d/2, d].
	half := d / 2
	if half > 0 {
		d = half + randDuration(half)
	}
	return d
}

func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if d, ok := parseSeconds(v); ok {
		return d, true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}

func parseSeconds(v string) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	if n > int64(MaxRetryAfter/time.Second) {
		return MaxRetryAfter, true
	}
	return time.Duration(n) * time.Second, true
}

// rateGate slows every request of a client down when the server says its
// rate limit is reached or nearly so (Mattermost's limiter is per token or
// per address, so one worker's 429 concerns them all):
//
//   - a 429 with Retry-After (or X-RateLimit-Reset) holds every request, not
//     only the one that is retried, until then;
//   - X-RateLimit-Remaining: 0 holds every request until X-RateLimit-Reset;
//   - X-RateLimit-Remaining at or below a tenth of X-RateLimit-Limit, or
//     below the number of requests already in flight, spaces requests out at
//     the rate the budget refills, estimated as Reset / (Limit - Remaining),
//     so that the burst is not spent to the last request and then answered
//     with 429s; it stops once half the budget is back.
type rateGate struct {
	mu       sync.Mutex
	until    time.Time     // no request before this
	interval time.Duration // when > 0, at most one request per interval
	next     time.Time     // the next free slot while pacing
	inflight atomic.Int64  // requests sent and not yet answered
}

// wait blocks until the request may go: it takes the next slot.
func (g *rateGate) wait(ctx context.Context) error {
	g.mu.Lock()
	now := time.Now()
	at := now
	if g.until.After(at) {
		at = g.until
	}
	if g.interval > 0 {
		if g.next.After(at) {
			at = g.next
		}
		g.next = at.Add(g.interval)
	}
	g.mu.Unlock()
	d := at.Sub(now)
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Requests are paced once X-RateLimit-Remaining is at most
// X-RateLimit-Limit / nearZero.
const nearZero = 10

func (g *rateGate) observe(resp *http.Response) {
	if resp == nil {
		return
	}
	h := resp.Header
	now := time.Now()
	if resp.StatusCode == http.StatusTooManyRequests {
		d, ok := parseRetryAfter(h.Get("Retry-After"), now)
		if !ok {
			d, ok = parseSeconds(h.Get("X-RateLimit-Reset"))
		}
		if ok && d > 0 {
			g.hold(now.Add(min(d, MaxRetryAfter)))
		}
		return
	}
	rem, err := strconv.Atoi(strings.TrimSpace(h.Get("X-RateLimit-Remaining")))
	if err != nil || rem < 0 {
		return
	}
	reset, ok := parseSeconds(h.Get("X-RateLimit-Reset"))
	if rem == 0 {
		if ok && reset > 0 {
			g.hold(now.Add(reset))
		}
		return
	}
	limit, err := strconv.Atoi(strings.TrimSpace(h.Get("X-RateLimit-Limit")))
	if err != nil || limit <= rem {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	inflight := g.inflight.Load()
	switch {
	case !ok || reset <= 0:
		g.interval = 0
	case rem*nearZero <= limit || int64(rem) <= inflight:
		// Nearly spent: pace at the refill rate.
		g.interval = reset / time.Duration(limit-rem)
	case g.interval > 0 && (rem*2 <= limit || int64(rem) <= 2*inflight):
		// Recovering while paced: keep pacing, at the current estimate,
		// until half the budget is back; stopping at once would spend it
		// again in one burst.
		g.interval = reset / time.Duration(limit-rem)
	default:
		g.interval = 0
	}
}

func (g *rateGate) hold(until time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if until.After(g.until) {
		g.until = until
	}
}

type gateTransport struct {
	next http.RoundTripper
	gate *rateGate
}

func (t *gateTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if err := t.gate.wait(r.Context()); err != nil {
		if r.Body != nil {
			r.Body.Close()
		}
		return nil, err
	}
	t.gate.inflight.Add(1)
	resp, err := t.next.RoundTrip(r)
	t.gate.inflight.Add(-1)
	t.gate.observe(resp)
	return resp, err
}

// do sends one API call. path starts with "/" and is relative to /api/v4
// (segments already escaped); query may be nil; in is JSON-encoded when
// non-nil; out is decoded from a 2xx body when non-nil. It returns the
// response headers of the final attempt.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, in, out any) (http.Header, error) {
	apiPath := APIPrefix + path
	full := c.base + apiPath
	if len(query) > 0 {
		full += "?" + query.Encode()
	}
	var body any
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("%s %s: encode request: %w", method, apiPath, err)
		}
		body = b
	}
	write := method != http.MethodGet && method != http.MethodHead
	req, err := retryablehttp.NewRequestWithContext(context.WithValue(ctx, writeKey, write), method, full, body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, apiPath, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set("X-Requested-With", "XMLHttpRequest")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.rc.Do(req)
	if err != nil {
		if resp != nil && resp.Body != nil {
			resp.Body.Close()
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, fmt.Errorf("%s %s: %w", method, apiPath, ctxErr)
		}
		return nil, fmt.Errorf("%s %s: %w", method, apiPath, c.scrub(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return resp.Header, fmt.Errorf("%s %s: read response: %w", method, apiPath, c.scrub(err))
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := newAppError(method, apiPath, resp, data)
		e.Message = c.redact(e.Message)
		e.DetailedError = c.redact(e.DetailedError)
		return resp.Header, e
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.Header, fmt.Errorf("%s %s: decode response (status %d): %w", method, apiPath, resp.StatusCode, err)
		}
	}
	return resp.Header, nil
}

// scrub removes the token from an error text, should a transport ever echo it.
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

func (c *Client) redact(s string) string {
	if c.token == "" {
		return s
	}
	return strings.ReplaceAll(s, c.token, "[REDACTED]")
}

func (c *Client) scrub(err error) error {
	if err == nil || c.token == "" || !strings.Contains(err.Error(), c.token) {
		return err
	}
	return &scrubbedError{msg: strings.ReplaceAll(err.Error(), c.token, "[REDACTED]"), err: err}
}

func newAppError(method, path string, resp *http.Response, data []byte) *AppError {
	e := &AppError{}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '{' && json.Unmarshal(trimmed, e) == nil && (e.ID != "" || e.Message != "") {
		// Mattermost AppError JSON.
	} else {
		*e = AppError{Message: truncate(string(trimmed), maxErrorBody)}
		if e.Message == "" {
			e.Message = http.StatusText(resp.StatusCode)
		}
	}
	if e.RequestID == "" {
		e.RequestID = resp.Header.Get("X-Request-Id")
	}
	e.StatusCode = resp.StatusCode
	e.Method = method
	e.Path = path
	return e
}

func truncate(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	// cut on a rune boundary
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
