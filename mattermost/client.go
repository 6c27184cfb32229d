// Package mattermost is a small client for the Mattermost REST API v4, limited
// to the endpoints the Entra ID sync needs, and the sync.Target adapter on
// top of it. The client is the only layer that retries a request: it sends
// through hashicorp/go-retryablehttp (retry.go says how it is configured),
// over a transport (transport.go) that paces requests by the server's rate
// limit headers (ratelimit.go) and stops sending once the server is gone
// (breaker.go). It never follows a redirect.
package mattermost

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/internal/clock"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/internal/httpretry"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/internal/redact"
	"github.com/hashicorp/go-retryablehttp"
)

// Defaults used when Options leaves a field zero; the retry budget's are in
// retry.go.
const (
	DefaultTimeout = 60 * time.Second
	// PerPage is the page size used for listings: Mattermost's maximum.
	PerPage = 200
	// maxErrorBody is how much of a non-JSON error body is kept.
	maxErrorBody = 200
	// maxBody bounds how much of a response body is read.
	maxBody = 64 << 20
)

// Options tune a Client. The zero value is fine.
type Options struct {
	// HTTPClient is the underlying client for each try. Its Transport and
	// Timeout (if non-zero) are used; its CheckRedirect is not (redirects
	// are never followed). nil means a pooled default.
	HTTPClient *http.Client
	// Transport is used when HTTPClient is nil (tests, demo).
	Transport http.RoundTripper
	// RetryMax is the number of retries after the first try. 0 means
	// DefaultRetryMax; negative disables retries.
	RetryMax int
	// RetryWaitMin and RetryWaitMax bound the exponential backoff used when
	// the server gives no Retry-After (0: the defaults).
	RetryWaitMin time.Duration
	RetryWaitMax time.Duration
	// BreakerThreshold is how many requests in a row must fail before the
	// client stops sending (0: DefaultBreakerThreshold; negative: never).
	BreakerThreshold int
	// Clock is used for every wait and every "now" (nil: the wall clock).
	Clock clock.Clock
	// Timeout bounds each try (not the waits between tries).
	// 0 means DefaultTimeout.
	Timeout time.Duration
	// UserAgent is sent on every request.
	UserAgent string
	// Logger, when set, receives one debug line per try (method, path,
	// status) and an info line per retry. Headers, query strings and bodies
	// are never logged.
	Logger *slog.Logger
	// Progress, when set, is told of the users the user listing reads, a
	// page at a time (n is how many; called from the reading goroutine).
	Progress func(n int)
}

// Client talks to one Mattermost server with one token. It is safe for
// concurrent use.
type Client struct {
	base      string // scheme://host[/subpath], no trailing slash, no /api/v4
	token     string
	userAgent string

	// rc retries; its fields are set in New (see retry.go for how).
	rc           *retryablehttp.Client
	tr           *transport // rc's transport: breaker, rate gate, one try
	retryMax     int
	retryWaitMin time.Duration
	retryWaitMax time.Duration
	clock        clock.Clock
	logger       *slog.Logger
	progress     func(n int)

	maxPages int // MaxPages; a field so a test can lower it

	breaker *breaker
	// chanAdd is what the client learnt about the server's channel add
	// forms (channels.go).
	chanAdd addForm
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
	c := &Client{
		base: base, token: token, userAgent: opts.UserAgent,
		retryMax: opts.RetryMax, retryWaitMin: opts.RetryWaitMin, retryWaitMax: opts.RetryWaitMax,
		clock: clock.Or(opts.Clock), logger: opts.Logger, progress: opts.Progress,
		maxPages: MaxPages,
	}
	switch {
	case c.retryMax == 0:
		c.retryMax = DefaultRetryMax
	case c.retryMax < 0:
		c.retryMax = 0
	}
	if c.retryWaitMin <= 0 {
		c.retryWaitMin = DefaultRetryWaitMin
	}
	if c.retryWaitMax <= 0 {
		c.retryWaitMax = DefaultRetryWaitMax
	}
	c.retryWaitMax = max(c.retryWaitMax, c.retryWaitMin)
	if c.userAgent == "" {
		c.userAgent = "entra-mattermost-sync"
	}
	threshold := opts.BreakerThreshold
	if threshold == 0 {
		threshold = DefaultBreakerThreshold
	}
	c.breaker = newBreaker(threshold, c.clock)
	c.tr = &transport{breaker: c.breaker, gate: newRateGate(c.clock), logger: c.logger}
	c.tr.next, c.tr.timeout = tryTransport(opts)
	c.rc = &retryablehttp.Client{
		HTTPClient: &http.Client{
			Transport: c.tr,
			// The 3xx answer itself comes back and becomes a
			// *RedirectError: the token is never sent to the address a
			// redirect names.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		RetryWaitMin: c.retryWaitMin,
		RetryWaitMax: c.retryWaitMax,
		RetryMax:     c.retryMax + MaxRateLimitedTries,
		CheckRetry:   c.checkRetry,
		Backoff:      httpretry.ZeroBackoff,
		ErrorHandler: httpretry.LastFailure,
	}
	return c, nil
}

// tryTransport is what sends one try, and the try's timeout: from
// opts.HTTPClient, opts.Transport or a pooled transport.
func tryTransport(opts Options) (http.RoundTripper, time.Duration) {
	var next http.RoundTripper
	timeout := opts.Timeout
	switch {
	case opts.HTTPClient != nil:
		next = opts.HTTPClient.Transport
		if opts.HTTPClient.Timeout != 0 {
			timeout = opts.HTTPClient.Timeout
		}
	case opts.Transport != nil:
		next = opts.Transport
	default:
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 16
		next = t
	}
	if next == nil {
		next = http.DefaultTransport
	}
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	return next, timeout
}

// do sends one API call. path starts with "/" and is relative to /api/v4
// (segments already escaped); query may be nil; in is JSON-encoded when
// non-nil; out is decoded from a 2xx body when non-nil; secrets (besides the
// token, always hidden) are redacted from any error, e.g. the password of a
// created user. It returns the response headers of the final try.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, in, out any, secrets ...string) (http.Header, error) {
	apiPath := APIPrefix + path
	full := c.base + apiPath
	if len(query) > 0 {
		full += "?" + query.Encode()
	}
	secrets = append(secrets, c.token)
	var body any // nil, or the JSON bytes: retryablehttp sends them again on each try
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("%s %s: encode request: %w", method, apiPath, err)
		}
		body = b
	}
	resp, data, err := c.send(withBudget(ctx, &budget{method: method, path: apiPath}), method, full, body)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, fmt.Errorf("%s %s: %w", method, apiPath, ctxErr)
		}
		if errors.Is(err, errBreakerOpen) {
			cause, _ := c.breaker.allow()
			return nil, &UnavailableError{Method: method, Path: apiPath, Cause: cause}
		}
		err = &TransportError{Method: method, Path: apiPath, Err: redact.Error(err, secrets...)}
		c.breaker.record(true, err)
		return nil, err
	}
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode <= 399:
		c.breaker.record(false, nil)
		return resp.Header, c.redirectError(method, apiPath, full, resp)
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		e := newAppError(method, apiPath, resp, data)
		e.Message, e.DetailedError = redact.String(e.Message, secrets...), redact.String(e.DetailedError, secrets...)
		c.breaker.record(retryableStatus(resp.StatusCode) && resp.StatusCode != http.StatusTooManyRequests, e)
		return resp.Header, e
	}
	c.breaker.record(false, nil)
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.Header, fmt.Errorf("%s %s: decode response (status %d): %w", method, apiPath, resp.StatusCode, redact.Error(err, secrets...))
		}
	}
	return resp.Header, nil
}

// send makes the request through c.rc, which retries it within its budget
// (retry.go), and returns the last answer with its body, or the last
// transport error (or ctx's, or errBreakerOpen).
func (c *Client) send(ctx context.Context, method, full string, body any) (*http.Response, []byte, error) {
	req, err := retryablehttp.NewRequestWithContext(ctx, method, full, body)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set("X-Requested-With", "XMLHttpRequest")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.rc.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body) // in memory already (transport.go)
	if err != nil {
		return nil, nil, err
	}
	return resp, data, nil
}

// redirectError describes a 3xx answer to the request sent to full.
func (c *Client) redirectError(method, apiPath, full string, resp *http.Response) *RedirectError {
	e := &RedirectError{Method: method, Path: apiPath, StatusCode: resp.StatusCode, Base: c.base}
	loc := resp.Header.Get("Location")
	if loc == "" {
		return e
	}
	from, _ := url.Parse(full)
	to, err := from.Parse(loc)
	if err != nil {
		e.Location = redact.String(truncate(loc, maxErrorBody), c.token)
		return e
	}
	to.User = nil
	e.Location = redact.String(to.String(), c.token)
	// http://x/api/v4/users/me → https://x/api/v4/users/me: the base to use
	// is https://x.
	if p := to.EscapedPath(); strings.HasSuffix(p, apiPath) {
		s := *to
		s.RawQuery, s.Fragment, s.RawPath = "", "", ""
		s.Path = strings.TrimSuffix(to.Path, apiPath)
		if b, err := NormalizeBaseURL(s.String()); err == nil {
			e.Suggested = b
		}
	}
	return e
}
