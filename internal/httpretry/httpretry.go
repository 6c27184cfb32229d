// Package httpretry holds what the three clients (Mattermost, Graph, the
// report webhook) configure go-retryablehttp with alike. Each client's
// CheckRetry decides and then waits, on an injectable clock (internal/clock)
// and cut by the request's context, because CheckRetry is the one hook of
// the library that sees the context; the library's own timer is then zero.
package httpretry

import (
	"net/http"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// ZeroBackoff is the retryablehttp.Backoff of a client whose CheckRetry has
// already waited: the library's timer waits nothing.
func ZeroBackoff(time.Duration, time.Duration, int, *http.Response) time.Duration { return 0 }

// LastFailure is a retryablehttp.ErrorHandler: the error stands (the
// context's, or the last try's transport error) and an answer that came with
// it is closed; with no error the last answer is returned as it is (the
// library's default would turn it into an error and drop it).
func LastFailure(resp *http.Response, err error, _ int) (*http.Response, error) {
	if err == nil {
		return resp, nil
	}
	if resp != nil {
		resp.Body.Close()
	}
	return nil, err
}

var (
	_ retryablehttp.Backoff      = ZeroBackoff
	_ retryablehttp.ErrorHandler = LastFailure
)
