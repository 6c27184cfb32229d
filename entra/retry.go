package entra

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/internal/clock"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/internal/httpretry"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/internal/retryafter"
	"github.com/hashicorp/go-retryablehttp"
)

// Graph's retry policy: one layer, one budget per request.
//
// Every Graph request (one page of a listing) goes through graphRetry, a
// retryablehttp.RoundTripper, and through nothing else that retries: New
// removes kiota's RetryHandler from the SDK's middleware. We configure
// go-retryablehttp rather than kiota's handler because kiota's
// (kiota-http-go v1.5.6, retry_handler.go) turns a fractional Retry-After
// into whole seconds (`time.Duration(0.249) * time.Second` is 0, so
// "Retry-After: 0.249" is retried at once), cannot retry a dropped
// connection (it only sees answers), caps retries at 10 and sleeps on the
// wall clock, which no test can fake. Stacking both, as before, gave a page
// up to 9 × 8 tries.
//
// The budget of one request:
//   - tries: at most 1 + Config.MaxRetries (default 9, at most 11);
//   - retried: 429, 502, 503 and 504 answers, and a GET/HEAD whose connection
//     dropped before an answer; 502, 504 and dropped connections only for
//     GET and HEAD (another method may have been carried out), 429 and 503
//     for any method whose body can be sent again (at most maxKeptBody);
//   - wait before a retry: the answer's Retry-After (seconds, fractions
//     included, or an HTTP date; internal/retryafter) when it has one, else
//     exponential backoff from 500 ms doubling to at most 8 s, plus up to
//     50 % random jitter;
//   - longest total wait: MaxRetryWait (180 s). A Retry-After that would take
//     the total past it ends the retries at once with the answer in hand, rather
//     than retrying before the server asked.
//
// Config.Timeout (default 5 min) bounds the whole request, tries and waits.
//
// Token requests (Entra ID's /token endpoint and its metadata) go through
// the same layer (newTokenRetry), with the Azure SDK's own retry switched off
// (its waits are on the wall clock): any method, as a token request changes
// nothing; on dropped connections and on 408, 429, 500, 502, 503 and 504, the
// statuses azcore retried; at most tokenMaxRetries retries, azcore's count.
//
// How graphRetry drives go-retryablehttp (newGraphRetry sets these fields):
//
//	CheckRetry:   t.checkRetry       retriable, then the request's budget, then the wait on the clock
//	Backoff:      httpretry.ZeroBackoff (the wait already ran on the clock, cut by the context)
//	ErrorHandler: httpretry.LastFailure  the last try's error, or its answer
//	RetryMax:     maxRetries
//	HTTPClient:   no redirects, no timeout (the SDK's client has it), Transport: the network

// MaxRetryWait is the most one Graph request waits between its tries, in
// total (the figure kiota used, so a request keeps the patience it had).
const MaxRetryWait = 180 * time.Second

// Backoff without Retry-After: first wait, and the cap of one wait (jitter excluded).
const (
	retryFirstWait = 500 * time.Millisecond
	retryMaxWait   = 8 * time.Second
)

// backoffWait is the wait before the next try when the server named none,
// after n such waits (n from 0): retryFirstWait doubled n times, at most
// retryMaxWait, jitter excluded. A request's own retries (checkRetry) and
// the $batch re-sends of throttled items (confirm.go) both wait by it.
func backoffWait(n int) time.Duration {
	w := retryFirstWait
	for ; n > 0 && w < retryMaxWait; n-- {
		w *= 2
	}
	return min(w, retryMaxWait)
}

// tokenMaxRetries is the retry budget of a token request.
const tokenMaxRetries = 3

// graphRetry is the http.RoundTripper that retries Graph requests; it sits
// below the SDK's middleware, next to the network, so that it also sees
// dropped connections.
type graphRetry struct {
	rt         *retryablehttp.RoundTripper
	maxRetries int
	token      bool // token requests: see newTokenRetry
	clock      clock.Clock
	// jitter returns a random duration in [0, max].
	jitter func(max time.Duration) time.Duration
}

func newGraphRetry(next http.RoundTripper, maxRetries int, clk clock.Clock) *graphRetry {
	t := &graphRetry{
		maxRetries: maxRetries, clock: clock.Or(clk),
		jitter: func(max time.Duration) time.Duration { return time.Duration(rand.Int64N(int64(max) + 1)) },
	}
	t.rt = &retryablehttp.RoundTripper{Client: &retryablehttp.Client{
		HTTPClient: &http.Client{
			Transport:     next,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		RetryWaitMin: retryFirstWait,
		RetryWaitMax: retryMaxWait,
		RetryMax:     maxRetries,
		CheckRetry:   t.checkRetry,
		Backoff:      httpretry.ZeroBackoff,
		ErrorHandler: httpretry.LastFailure,
	}}
	return t
}

// newTokenRetry is graphRetry for the token requests of the credential.
func newTokenRetry(next http.RoundTripper, clk clock.Clock) *graphRetry {
	t := newGraphRetry(next, tokenMaxRetries, clk)
	t.token = true
	return t
}

// maxKeptBody is the largest request body that is sent again (a mail is a
// few kilobytes): a larger one is sent once.
const maxKeptBody = 1 << 20

// graphBudget is what one request has spent of its budget; it rides on the
// request's context, as the library's CheckRetry sees nothing else of it.
type graphBudget struct {
	idempotent bool // GET or HEAD
	replayable bool // the body can be sent again
	retries    int
	backoffs   int // waits of our own choosing so far (the exponent)
	waited     time.Duration
}

type graphBudgetKey struct{}

func (t *graphRetry) RoundTrip(req *http.Request) (*http.Response, error) {
	b := &graphBudget{idempotent: req.Method == http.MethodGet || req.Method == http.MethodHead, replayable: true}
	if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
		// The SDK's compression middleware hands over a body it cannot
		// rewind (sendMail's gzipped message): retryablehttp keeps it in
		// memory to send again, which is fine for a small one; a larger
		// one is sent once, as it comes.
		data, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		b.replayable = len(data) <= maxKeptBody
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(data))
	}
	req = req.WithContext(context.WithValue(req.Context(), graphBudgetKey{}, b))
	return t.rt.RoundTrip(req)
}

// checkRetry is the library's CheckRetry: whether the answer (or its
// absence) is worth another try within the request's budget; if so, it
// waits on the clock and says yes. false with no error returns the answer
// in hand; an error (the context's) ends the request.
func (t *graphRetry) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	b, _ := ctx.Value(graphBudgetKey{}).(*graphBudget)
	if b == nil {
		b = &graphBudget{}
	}
	if err != nil && ctx.Err() != nil {
		return false, ctx.Err()
	}
	if !b.replayable || b.retries >= t.maxRetries || !t.retriable(resp, err, b.idempotent) {
		return false, nil
	}
	var wait time.Duration
	var fromServer bool
	if resp != nil {
		wait, fromServer = retryafter.Parse(resp.Header.Get("Retry-After"), t.clock.Now())
	}
	if !fromServer {
		backoff := backoffWait(b.backoffs)
		wait = backoff + t.jitter(backoff/2)
		b.backoffs++
	}
	if b.waited+wait > MaxRetryWait {
		return false, nil
	}
	if err := t.clock.Sleep(ctx, wait); err != nil {
		return false, err
	}
	b.waited += wait
	b.retries++
	return true, nil
}

// retriable reports whether an answer (or its absence) is worth another try.
func (t *graphRetry) retriable(resp *http.Response, err error, idempotent bool) bool {
	if t.token {
		if err == nil && (resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode == http.StatusInternalServerError) {
			return true
		}
		idempotent = true
	}
	if err != nil {
		return idempotent && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		return true
	case http.StatusBadGateway, http.StatusGatewayTimeout:
		return idempotent
	}
	return false
}
