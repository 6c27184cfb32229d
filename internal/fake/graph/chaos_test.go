package fakegraph

import (
	"net/http"
	"testing"
	"time"
)

func TestChaos(t *testing.T) {
	tn := loadFixture(t)
	s := newServer(t, Options{Users: tn.Users, Seed: 7})
	tok := token(t, s)
	s.SetChaos(Chaos{TooMany: 0.3, RetryAfter: 0, BadGateway: 0.2, ServiceUnavailable: 0.1})
	statuses := map[int]int{}
	for range 200 {
		code, h, _ := do(t, s, "GET", s.GraphURL()+"/users?$top=5", nil, tok)
		statuses[code]++
		if (code == 429 || code == 503) && h.Get("Retry-After") != "0" {
			t.Fatalf("%d without Retry-After: 0: %v", code, h)
		}
	}
	for _, code := range []int{200, 429, 502, 503} {
		if statuses[code] < 15 {
			t.Errorf("status %d answered %d times of 200: %v", code, statuses[code], statuses)
		}
	}
	cc := s.ChaosCounts()
	if cc["429"] != statuses[429] || cc["502"] != statuses[502] || cc["503"] != statuses[503] {
		t.Errorf("ChaosCounts %v disagree with %v", cc, statuses)
	}
	// The token endpoint is spared unless IncludeToken.
	for range 20 {
		if code, m := tokenFor(t, s, client, secret, tenant); code != 200 {
			t.Fatalf("token under chaos without IncludeToken: %d %v", code, m)
		}
	}

	// Dropped connections: the client sees a transport error, no answer.
	s.SetChaos(Chaos{Drop: 1})
	req, _ := http.NewRequest("GET", s.GraphURL()+"/users", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	if resp, err := s.Client().Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("dropped request answered %d", resp.StatusCode)
	}
	if s.ChaosCounts()["drop"] == 0 {
		t.Error("drop not counted")
	}
	s.SetChaos(Chaos{})
	if code, _, _ := do(t, s, "GET", s.GraphURL()+"/users", nil, tok); code != 200 {
		t.Fatalf("after chaos: %d", code)
	}
	s.ResetCounters()
	if len(s.ChaosCounts()) != 0 {
		t.Error("ResetCounters kept the chaos counts")
	}
}

func TestSetLatency(t *testing.T) {
	s := newServer(t, Options{})
	s.SetLatency(50 * time.Millisecond)
	start := time.Now()
	do(t, s, "GET", s.URL()+"/"+tenant+"/v2.0/.well-known/openid-configuration", nil, "")
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Fatalf("answered in %v", d)
	}
}
