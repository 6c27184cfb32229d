package mattermost

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"
)

// transport is the http.RoundTripper under the client's retryablehttp.Client:
// one try of a request. It refuses to send while the breaker is open, waits
// for the rate gate (a wait the breaker also ends), bounds the try by its
// timeout, reads the answer's body into memory (an answer cut off is a
// failed try, retried like a dropped connection) and shows the gate the
// answer's rate limit headers.
type transport struct {
	next    http.RoundTripper
	timeout time.Duration // bounds one try: sending and reading the answer
	gate    *rateGate     // nil: no pacing (tests compare with and without)
	breaker *breaker
	logger  *slog.Logger
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	if _, open := t.breaker.allow(); open {
		return nil, errBreakerOpen
	}
	if t.gate != nil {
		wctx, stop := t.breaker.waitContext(ctx)
		err := t.gate.wait(wctx)
		stop()
		if err != nil {
			if ctx.Err() == nil {
				err = errBreakerOpen
			}
			return nil, err
		}
		t.gate.inflight.Add(1)
		defer t.gate.inflight.Add(-1)
	}
	tctx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	resp, err := t.next.RoundTrip(req.WithContext(tctx))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if t.gate != nil {
		t.gate.observe(resp)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if t.logger != nil {
		t.logger.Debug("mattermost: response", "method", req.Method, "path", req.URL.Path, "status", resp.StatusCode)
	}
	if err != nil {
		// The answer was cut off: as if none had come.
		return nil, fmt.Errorf("read response: %w", err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(data))
	return resp, nil
}
