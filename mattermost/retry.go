package mattermost

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"math/rand/v2"
	"net/http"
	"time"
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

// CheckRetry decides after each try whether to send the request again. resp
// is nil when err is a transport error. A non-nil error stops the retries and
// is returned instead of the answer (the caller's context ending).
type CheckRetry func(ctx context.Context, resp *http.Response, err error) (bool, error)

// Backoff returns how long to wait before retry number attempt+1 (attempt
// counts from 0) after resp, nil after a transport error; now is the
// client's clock, for an HTTP-date Retry-After.
type Backoff func(minWait, maxWait time.Duration, attempt int, resp *http.Response, now time.Time) time.Duration

// DefaultRetryPolicy retries every method, writes included, on a transport
// error with no answer (refused, reset, dropped, a try's timeout) and on 429,
// 502, 503 and 504. Writes are safe to repeat here: a create whose answer was
// lost comes back email_exists or username_exists and the applier re-reads
// the account; team adds and removals, PUT active and PUT patch are
// idempotent. Nothing else is retried: other 4xx, 500 (the server ran the
// request and failed), 501, 3xx (redirects are not followed), TLS and
// certificate errors, and the caller's context ending.
func DefaultRetryPolicy(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil {
		return retryableTransportError(err), nil
	}
	return retryableStatus(resp.StatusCode), nil
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

// DefaultBackoff honours Retry-After on 429 and 503 (and X-RateLimit-Reset on
// a 429 without Retry-After), capped at MaxRetryAfter; otherwise it waits
// minWait·2^attempt, at most maxWait, with full jitter in its upper half.
func DefaultBackoff(minWait, maxWait time.Duration, attempt int, resp *http.Response, now time.Time) time.Duration {
	if d, ok := serverWait(resp, now); ok {
		return d
	}
	d := minWait
	for i := 0; i < attempt && d < maxWait; i++ {
		d *= 2
	}
	d = min(d, maxWait)
	half := d / 2
	return half + randDuration(d-half)
}

// serverWait is the wait a 429 or 503 asks for, capped at MaxRetryAfter.
func serverWait(resp *http.Response, now time.Time) (time.Duration, bool) {
	if resp == nil || (resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusServiceUnavailable) {
		return 0, false
	}
	d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), now)
	if !ok && resp.StatusCode == http.StatusTooManyRequests {
		// Mattermost's limiter sends both; a proxy's 429 may carry only this.
		d, ok = parseSeconds(resp.Header.Get("X-RateLimit-Reset"))
	}
	if !ok {
		return 0, false
	}
	return min(d, MaxRetryAfter), true
}

// randDuration is uniform in [0, n].
func randDuration(n time.Duration) time.Duration {
	if n <= 0 {
		return 0
	}
	return time.Duration(rand.Int64N(int64(n) + 1))
}
