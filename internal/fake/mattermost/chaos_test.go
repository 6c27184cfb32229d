package fakemm

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestChaosFaults(t *testing.T) {
	s := New(Options{Seed: 3})
	defer s.Close()
	tok := s.AdminToken()
	s.SetChaos(Chaos{TooMany: 0.3, RetryAfter: 0, BadGateway: 0.2})
	statuses := map[int]int{}
	for range 200 {
		r := call(t, s, tok, "GET", "/api/v4/users/me", "")
		statuses[r.status]++
		switch r.status {
		case 429:
			if r.header.Get("Retry-After") != "0" || strings.TrimSpace(string(r.body)) != "limit exceeded" {
				t.Fatalf("429: %v %q", r.header, r.body)
			}
		case 502:
			if !strings.Contains(string(r.body), "502 Bad Gateway") {
				t.Fatalf("502 body %q", r.body)
			}
		}
	}
	if statuses[200] < 60 || statuses[429] < 30 || statuses[502] < 20 {
		t.Errorf("statuses %v", statuses)
	}
	if c := s.ChaosCounts(); c["429"] != statuses[429] || c["502"] != statuses[502] {
		t.Errorf("ChaosCounts %v, statuses %v", c, statuses)
	}

	// A drop before the handler: no answer, no change.
	s.SetChaos(Chaos{Drop: 1})
	if _, err := rawCall(s, tok, "POST", "/api/v4/users", createBody("gone", "gone@example.com", "password1")); err == nil {
		t.Fatal("dropped request answered")
	}
	if _, ok := s.UserByEmail("gone@example.com"); ok {
		t.Fatal("a request dropped before the handler took effect")
	}
	// A drop after the handler: no answer, the change is made.
	s.SetChaos(Chaos{DropAfter: 1})
	if _, err := rawCall(s, tok, "POST", "/api/v4/users", createBody("lost", "lost@example.com", "password1")); err == nil {
		t.Fatal("dropped request answered")
	}
	if _, ok := s.UserByEmail("lost@example.com"); !ok {
		t.Fatal("a request dropped after the handler did not take effect")
	}
	// ReadsOnly spares writes from 502s and drops, not from 429s.
	s.SetChaos(Chaos{BadGateway: 1, ReadsOnly: true})
	if r := call(t, s, tok, "POST", "/api/v4/users", createBody("kept", "kept@example.com", "password1")); r.status != 201 {
		t.Fatalf("write under ReadsOnly chaos: %d", r.status)
	}
	if r := call(t, s, tok, "GET", "/api/v4/users/me", ""); r.status != 502 {
		t.Fatalf("read under ReadsOnly chaos: %d", r.status)
	}
	s.SetChaos(Chaos{})

	// An injected Fault can drop too.
	s.InjectFault(Fault{Method: "POST", PathPrefix: "/api/v4/users", Drop: true, AfterHandler: true})
	if _, err := rawCall(s, tok, "POST", "/api/v4/users", createBody("lost2", "lost2@example.com", "password1")); err == nil {
		t.Fatal("dropped request answered")
	}
	if _, ok := s.UserByEmail("lost2@example.com"); !ok {
		t.Fatal("Fault{Drop, AfterHandler} did not take effect")
	}
	s.ResetCounters()
	if len(s.ChaosCounts()) != 0 {
		t.Error("ResetCounters kept the chaos counts")
	}
}

// rawCall sends one request on a fresh connection and returns the status or
// the transport error.
func rawCall(s *Server, token, method, path, body string) (int, error) {
	req, err := http.NewRequest(method, s.URL()+path, strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	res, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	res.Body.Close()
	return res.StatusCode, nil
}

func TestOutage(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	tok := s.AdminToken()
	s.SetOutage(Outage{Mode: OutageUnavailable, RetryAfter: 2})
	r := call(t, s, tok, "POST", "/api/v4/users", createBody("down", "down@example.com", "password1"))
	if r.status != 503 || r.header.Get("Retry-After") != "2" {
		t.Fatalf("outage: %d %v", r.status, r.header)
	}
	s.SetOutage(Outage{Mode: OutageRefuse})
	if _, err := rawCall(s, tok, "GET", "/api/v4/system/ping", ""); err == nil {
		t.Fatal("refused outage answered")
	}
	if _, ok := s.UserByEmail("down@example.com"); ok || s.Writes() != 0 {
		t.Fatal("a write took effect during the outage")
	}
	s.SetOutage(Outage{})
	if r := call(t, s, tok, "GET", "/api/v4/system/ping", ""); r.status != 200 {
		t.Fatalf("after the outage: %d", r.status)
	}
	if n := s.Requests()["POST /api/v4/users"]; n != 1 {
		t.Errorf("requests during the outage not counted: %v", s.Requests())
	}
}

func TestTokenBucketRateLimit(t *testing.T) {
	s := New(Options{RateLimit: RateLimit{PerSecond: 20, MaxBurst: 4}})
	defer s.Close()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(d time.Duration) { s.SetClock(func() time.Time { return start.Add(d) }) }
	at(0)
	var last resp
	for i := range 5 {
		last = call(t, s, "", "GET", "/api/v4/system/ping", "")
		if last.status != 200 {
			t.Fatalf("request %d within the burst: %d", i, last.status)
		}
		if got, want := last.header.Get("X-RateLimit-Remaining"), fmt.Sprint(4-i); got != want {
			t.Fatalf("request %d: remaining %s, want %s", i, got, want)
		}
	}
	if last.header.Get("X-RateLimit-Limit") != "5" || last.header.Get("X-RateLimit-Reset") != "1" {
		t.Fatalf("headers %v", last.header)
	}
	r := call(t, s, "", "GET", "/api/v4/system/ping", "")
	if r.status != 429 || r.header.Get("Retry-After") != "1" || r.header.Get("X-RateLimit-Remaining") != "0" {
		t.Fatalf("over the burst: %d %v", r.status, r.header)
	}
	if s.RateLimited() != 1 {
		t.Fatalf("RateLimited = %d", s.RateLimited())
	}
	at(40 * time.Millisecond) // not yet a token back at 20/s
	if r := call(t, s, "", "GET", "/api/v4/system/ping", ""); r.status != 429 {
		t.Fatalf("40 ms later: %d, want 429", r.status)
	}
	at(100 * time.Millisecond) // two tokens back at 20/s
	if r := call(t, s, "", "GET", "/api/v4/system/ping", ""); r.status != 200 {
		t.Fatalf("after refill: %d", r.status)
	}
}

func TestListCacheFollowsChanges(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	tok := s.AdminToken()
	list := func() string { return string(call(t, s, tok, "GET", "/api/v4/users?per_page=200", "").body) }
	before := list()
	u := s.AddUser(User{Username: "zed", Email: "zed@example.com"})
	if l := list(); l == before || !strings.Contains(l, "zed@example.com") {
		t.Fatal("AddUser not listed")
	}
	call(t, s, tok, "PUT", "/api/v4/users/"+u.ID+"/patch", `{"nickname":"Zed Z"}`)
	if !strings.Contains(list(), "Zed Z") {
		t.Fatal("patch not listed")
	}
	call(t, s, tok, "PUT", "/api/v4/users/"+u.ID+"/active", `{"active":false}`)
	if strings.Contains(string(call(t, s, tok, "GET", "/api/v4/users?per_page=200&active=true", "").body), "zed@example.com") {
		t.Fatal("deactivation not listed")
	}
	call(t, s, tok, "POST", "/api/v4/users", createBody("newer", "newer@example.com", "password1"))
	if !strings.Contains(list(), "newer@example.com") {
		t.Fatal("create not listed")
	}
	// The cached list is not changed by a filtered listing.
	all := list()
	call(t, s, tok, "GET", "/api/v4/users?per_page=200&inactive=true", "")
	if list() != all {
		t.Fatal("a filtered listing changed the cache")
	}
}
