package mattermost

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/internal/retryafter"
	"github.com/hashicorp/go-retryablehttp"
)

// The retry budget of one request. The HTTP client is the only layer that
// retries a Mattermost request: the applier does not try again.
//
// A request is sent at most DefaultRetryMax+1 = 5 times when it fails (a
// transport error, 502, 503, 504), and up to MaxRateLimitedTries (10) more
// while the server answers 429. Between tries it
// waits what the server asks for with Retry-After (on 429 and 503), each
// wait capped at MaxRetryAfter (30 s), or else an exponential backoff with
// jitter of 0.25-0.5, 0.5-1, 1-2, 2-4 s. All waits of one request together
// stay within MaxRequestWait (30 s): a retry whose wait would pass it is not
// made, and the last answer is returned. So one request spends at most 30 s
// waiting, plus up to 5 tries of at most DefaultTimeout (60 s) each; with
// no Retry-After a request to a server that is gone fails after about 4-7.5 s.
const (
	DefaultRetryMax     = 4
	DefaultRetryWaitMin = 500 * time.Millisecond
	DefaultRetryWaitMax = 8 * time.Second
	// MaxRetryAfter caps one wait asked for by Retry-After (or, on a 429
	// without it, X-RateLimit-Reset).
	MaxRetryAfter = 30 * time.Second
	// MaxRequestWait caps the sum of one request's waits between tries.
	MaxRequestWait = 30 * time.Second
	// MaxRateLimitedTries caps the tries answered 429, which do not count
	// against DefaultRetryMax (a 429 never reached the handlers): a burst of
	// rate limiting is waited out within MaxRequestWait.
	MaxRateLimitedTries = 10
)

// How the client drives go-retryablehttp (New sets these fields of its
// retryablehttp.Client):
//
//	CheckRetry:   c.checkRetry      DefaultRetryPolicy, then the request's budget, then the wait
//	Backoff:      httpretry.ZeroBackoff (the wait already ran on the client's clock)
//	ErrorHandler: httpretry.LastFailure the last try's error, or its answer
//	RetryMax:     the budget's most retries (the budget ends them first)
//	HTTPClient:   no redirects, Transport: transport.go (breaker, rate gate, one try)
//
// The wait runs in CheckRetry, not in the library's timer, because only
// CheckRetry sees the request's context: the wait runs on the client's
// Clock (tests use a fake one) and ends early when the context ends or the
// breaker opens. The library's own timer is always zero.

// DefaultRetryPolicy (a retryablehttp.CheckRetry) retries every method,
// writes included, on a transport error with no answer (refused, reset,
// dropped, a try's timeout) and on 429, 502, 503 and 504. Writes are safe to
// repeat here: a create whose answer was lost comes back email_exists or
// username_exists and the applier re-reads the account; team adds and
// removals, PUT active and PUT patch are idempotent. Nothing else is
// retried: other 4xx, 500 (the server ran the request and failed), 501, 3xx
// (redirects are not followed), TLS and certificate errors, and the caller's
// context ending (returned as the error).
func DefaultRetryPolicy(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil {
		return retryableTransportError(err), nil
	}
	return retryableStatus(resp.StatusCode), nil
}

// DefaultBackoff (a retryablehttp.Backoff) is the wait before retry number
// attempt+1 (attempt counts from 0) when the server named none:
// minWait·2^attempt, at most maxWait, with full jitter in its upper half.
// A wait the server names (serverWait) comes first.
func DefaultBackoff(minWait, maxWait time.Duration, attempt int, _ *http.Response) time.Duration {
	d := minWait
	for i := 0; i < attempt && d < maxWait; i++ {
		d *= 2
	}
	d = min(d, maxWait)
	half := d / 2
	return half + randDuration(d-half)
}

// budget is what one request has spent of its retry budget. It rides on
// the request's context (withBudget), as the library's CheckRetry sees
// nothing else of the request.
type budget struct {
	method, path      string // for the log
	failures, limited int    // tries that failed, tries answered 429
	retries           int    // retries made so far
	waited            time.Duration
}

type budgetKey struct{}

func withBudget(ctx context.Context, b *budget) context.Context {
	return context.WithValue(ctx, budgetKey{}, b)
}

// checkRetry is the client's CheckRetry: DefaultRetryPolicy, then the
// request's budget (module comment above), then the wait itself, on the
// client's clock. It answers false, with no error, to return the last try's
// answer or transport error; an error (the caller's context) stops the
// request.
func (c *Client) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if errors.Is(err, errBreakerOpen) {
		return false, nil
	}
	retry, stop := DefaultRetryPolicy(ctx, resp, err)
	if stop != nil {
		return false, stop
	}
	b, _ := ctx.Value(budgetKey{}).(*budget)
	if b == nil {
		b = &budget{}
	}
	if resp != nil && resp.StatusCode == http.StatusTooManyRequests {
		b.limited++
	} else {
		b.failures++
	}
	if !retry || b.failures > c.retryMax || b.limited >= MaxRateLimitedTries || c.retryMax == 0 && b.limited > 0 {
		return false, nil
	}
	wait, ok := serverWait(resp, c.clock.Now())
	if !ok {
		wait = DefaultBackoff(c.retryWaitMin, c.retryWaitMax, b.retries, resp)
	}
	if b.waited+wait > MaxRequestWait {
		return false, nil
	}
	if c.logger != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		c.logger.Info("mattermost: retrying request", "method", b.method, "path", b.path,
			"status", status, "attempt", b.retries+2, "wait", wait)
	}
	wctx, stopWait := c.breaker.waitContext(ctx)
	werr := c.clock.Sleep(wctx, wait)
	stopWait()
	if werr != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		// The breaker opened meanwhile: this try's failure stands.
		return false, nil
	}
	b.waited += wait
	b.retries++
	return true, nil
}

// retryableStatus: rate limited, or a gateway or server that is (re)starting.
func retryableStatus(code int) bool {
	switch code {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// retryableTransportError is false for errors that the next try would meet
// again: a certificate the client does not trust, a TLS handshake with a
// server that does not speak TLS.
func retryableTransportError(err error) bool {
	var (
		verify    *tls.CertificateVerificationError
		authority x509.UnknownAuthorityError
		hostname  x509.HostnameError
		invalid   x509.CertificateInvalidError
		record    tls.RecordHeaderError
	)
	switch {
	case errors.As(err, &verify), errors.As(err, &authority), errors.As(err, &hostname),
		errors.As(err, &invalid), errors.As(err, &record):
		return false
	}
	return true
}

// serverWait is the wait a 429 or 503 asks for (Retry-After, or on a 429
// X-RateLimit-Reset), capped at MaxRetryAfter.
func serverWait(resp *http.Response, now time.Time) (time.Duration, bool) {
	d, ok := retryafter.FromResponse(resp, now)
	return min(d, MaxRetryAfter), ok
}

// randDuration is uniform in [0, n].
func randDuration(n time.Duration) time.Duration {
	if n <= 0 {
		return 0
	}
	return time.Duration(rand.Int64N(int64(n) + 1))
}

var (
	_ retryablehttp.CheckRetry = DefaultRetryPolicy
	_ retryablehttp.Backoff    = DefaultBackoff
)
