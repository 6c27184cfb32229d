package progress

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// BenchmarkDone is the cost the applier's workers pay per action: a lock,
// a clock read and two comparisons (a line only at tenths and intervals).
func BenchmarkDone(b *testing.B) {
	r := New(io.Discard, "Applying", 1<<40, WithMinDuration(0), WithTicks(make(chan time.Time)), WithTerminal(false))
	defer r.Finish()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r.Done(true)
		}
	})
}

// BenchmarkHTTPRequest is what Done is to be compared with: one request to a
// server on the loopback interface that answers at once, far cheaper than any
// real Mattermost write (a create costs the server 35-180 ms of hashing).
func BenchmarkHTTPRequest(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "{}")
	}))
	defer srv.Close()
	client := srv.Client()
	for b.Loop() {
		resp, err := client.Get(srv.URL)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}
}
