// Package mattermost is a small client for the Mattermost REST API v4, limited
// to the endpoints the Entra ID sync needs, and the sync.Target adapter on
// top of it. The client is the only layer that retries a request (retry.go),
// paces requests by the server's rate limit headers (ratelimit.go), stops
// sending once the server is gone (breaker.go) and never follows a redirect.
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
	"strings"
	"time"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/internal/redact"
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
	// CheckRetry decides whether a try is repeated (nil: DefaultRetryPolicy).
	CheckRetry CheckRetry
	// Backoff says how long to wait before a retry (nil: DefaultBackoff).
	Backoff Backoff
	// BreakerThreshold is how many requests in a row must fail before the
	// client stops sending (0: DefaultBreakerThreshold; negative: never).
	BreakerThreshold int
	// Clock is used for every wait and every "now" (nil: the wall clock).
	Clock Clock
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
	hc        *http.Client

	retryMax     int
	retryWaitMin time.Duration
	retryWaitMax time.Duration
	checkRetry   CheckRetry
	backoff      Backoff
	clock        Clock
	logger       *slog.Logger
	progress     func(n int)

	maxPages int // MaxPages; a field so a test can lower it

	gate    *rateGate // nil: no pacing (tests compare with and without)
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
		base: base, token: token, userAgent: opts.UserAgent, hc: httpClient(opts),
		retryMax: opts.RetryMax, retryWaitMin: opts.RetryWaitMin, retryWaitMax: opts.RetryWaitMax,
		checkRetry: opts.CheckRetry, backoff: opts.Backoff, clock: opts.Clock, logger: opts.Logger, progress: opts.Progress,
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
	if c.checkRetry == nil {
		c.checkRetry = DefaultRetryPolicy
	}
	if c.backoff == nil {
		c.backoff = DefaultBackoff
	}
	if c.clock == nil {
		c.clock = realClock{}
	}
	if c.userAgent == "" {
		c.userAgent = "entra-mattermost-sync"
	}
	threshold := opts.BreakerThreshold
	if threshold == 0 {
		threshold = DefaultBreakerThreshold
	}
	c.maxPages = MaxPages
	c.gate = newRateGate(c.clock)
	c.breaker = newBreaker(threshold, c.clock)
	return c, nil
}

// httpClient is the client for single tries: a copy of opts.HTTPClient, or
// a pooled transport, that never follows a redirect.
func httpClient(opts Options) *http.Client {
	hc := &http.Client{}
	switch {
	case opts.HTTPClient != nil:
		cp := *opts.HTTPClient
		hc = &cp
	case opts.Transport != nil:
		hc.Transport = opts.Transport
	default:
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
	// The 3xx answer itself comes back and becomes a *RedirectError: the
	// token is never sent to the address a redirect names.
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return hc
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
	var body []byte
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("%s %s: encode request: %w", method, apiPath, err)
		}
		body = b
	}
	if cause, open := c.breaker.allow(); open {
		return nil, &UnavailableError{Method: method, Path: apiPath, Cause: cause}
	}
	resp, data, err := c.send(ctx, method, full, body)
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

// send makes up to retryMax+1 tries of one request and returns the last
// answer with its body read, or the last transport error (or ctx's). A 429
// is the server asking for patience, not a failure: tries answered 429 do
// not use up retryMax (the request never reached the server's handlers), up
// to MaxRateLimitedTries; the wait budget (MaxRequestWait) still bounds them.
// With retries off (Options.RetryMax < 0) the first answer stands, 429 too.
func (c *Client) send(ctx context.Context, method, full string, body []byte) (*http.Response, []byte, error) {
	var waited time.Duration
	failures, limited := 0, 0
	for attempt := 0; ; attempt++ {
		resp, data, err := c.try(ctx, method, full, body)
		if errors.Is(err, errBreakerOpen) {
			return nil, nil, err
		}
		retry, stop := c.checkRetry(ctx, resp, err)
		if stop != nil {
			return nil, nil, stop
		}
		if resp != nil && resp.StatusCode == http.StatusTooManyRequests {
			limited++
		} else {
			failures++
		}
		if !retry || failures > c.retryMax || limited >= MaxRateLimitedTries || c.retryMax == 0 && limited > 0 {
			return resp, data, err
		}
		wait := c.backoff(c.retryWaitMin, c.retryWaitMax, attempt, resp, c.clock.Now())
		if waited+wait > MaxRequestWait {
			return resp, data, err
		}
		if c.logger != nil {
			status := 0
			if resp != nil {
				status = resp.StatusCode
			}
			c.logger.Info("mattermost: retrying request", "method", method, "path", pathOf(full),
				"status", status, "attempt", attempt+2, "wait", wait)
		}
		if werr := c.wait(ctx, wait); werr != nil {
			if ctx.Err() != nil {
				return nil, nil, ctx.Err()
			}
			// The breaker opened meanwhile: this try's failure stands.
			return resp, data, err
		}
		waited += wait
	}
}

// wait sleeps d on the client's clock; it ends early with an error when ctx
// ends or the breaker opens.
func (c *Client) wait(ctx context.Context, d time.Duration) error {
	wctx, stop := c.breaker.waitContext(ctx)
	defer stop()
	return c.clock.Sleep(wctx, d)
}

// try sends the request once, through the rate gate, and reads the answer's
// body (at most maxBody bytes).
func (c *Client) try(ctx context.Context, method, full string, body []byte) (*http.Response, []byte, error) {
	if c.gate != nil {
		wctx, stop := c.breaker.waitContext(ctx)
		err := c.gate.wait(wctx)
		stop()
		if err != nil {
			if ctx.Err() == nil {
				err = errBreakerOpen
			}
			return nil, nil, err
		}
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, full, rd)
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
	if c.gate != nil {
		c.gate.inflight.Add(1)
	}
	resp, err := c.hc.Do(req)
	if c.gate != nil {
		c.gate.inflight.Add(-1)
	}
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	if c.gate != nil {
		c.gate.observe(resp)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if c.logger != nil {
		c.logger.Debug("mattermost: response", "method", method, "path", pathOf(full), "status", resp.StatusCode)
	}
	if err != nil {
		// The answer was cut off: as if none had come.
		return nil, nil, fmt.Errorf("read response: %w", err)
	}
	return resp, data, nil
}

// pathOf is full's path, for logs (the query is never logged).
func pathOf(full string) string {
	if u, err := url.Parse(full); err == nil {
		return u.Path
	}
	return ""
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
