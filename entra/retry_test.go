package entra

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

type scripted struct {
	answers []any // *http.Response or error, one per call
	calls   int
}

func (s *scripted) RoundTrip(*http.Request) (*http.Response, error) {
	a := s.answers[min(s.calls, len(s.answers)-1)]
	s.calls++
	if err, ok := a.(error); ok {
		return nil, err
	}
	return a.(*http.Response), nil
}

func status(code int) *http.Response {
	return &http.Response{StatusCode: code, Body: io.NopCloser(strings.NewReader(""))}
}

func TestReadRetry(t *testing.T) {
	old := readRetryWait
	readRetryWait = time.Millisecond
	defer func() { readRetryWait = old }()
	tests := []struct {
		name    string
		method  string
		answers []any
		calls   int
		code    int
	}{
		{"502 then ok", http.MethodGet, []any{status(502), status(200)}, 2, 200},
		{"dropped then ok", http.MethodGet, []any{errors.New("connection reset by peer"), status(200)}, 2, 200},
		{"404 is final", http.MethodGet, []any{status(404)}, 1, 404},
		{"429 is the SDK's", http.MethodGet, []any{status(429)}, 1, 429},
		{"POST is never repeated", http.MethodPost, []any{status(502)}, 1, 502},
		{"gives up", http.MethodGet, []any{status(502)}, 4, 502},
	}
	for _, tt := range tests {
		s := &scripted{answers: tt.answers}
		rt := &readRetry{next: s, attempts: 3}
		req, _ := http.NewRequest(tt.method, "https://graph.example/v1.0/users", nil)
		resp, err := rt.RoundTrip(req)
		if err != nil || resp.StatusCode != tt.code || s.calls != tt.calls {
			t.Errorf("%s: %v %v after %d calls, want %d after %d", tt.name, resp, err, s.calls, tt.code, tt.calls)
		}
	}
}
