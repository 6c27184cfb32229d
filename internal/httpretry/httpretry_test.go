package httpretry

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

type closeCounter struct {
	io.Reader
	closed bool
}

func (c *closeCounter) Close() error { c.closed = true; return nil }

func TestLastFailure(t *testing.T) {
	body := &closeCounter{Reader: strings.NewReader("x")}
	resp := &http.Response{StatusCode: 503, Body: body}
	if got, err := LastFailure(resp, nil, 3); got != resp || err != nil || body.closed {
		t.Fatalf("an answer without error: %v, %v, closed %v", got, err, body.closed)
	}
	boom := errors.New("boom")
	if got, err := LastFailure(resp, boom, 3); got != nil || err != boom || !body.closed {
		t.Fatalf("an answer with an error: %v, %v, closed %v", got, err, body.closed)
	}
	if got, err := LastFailure(nil, boom, 1); got != nil || err != boom {
		t.Fatalf("no answer: %v, %v", got, err)
	}
	if ZeroBackoff(1, 2, 3, nil) != 0 {
		t.Fatal("ZeroBackoff waits")
	}
}
