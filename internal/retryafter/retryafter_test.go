package retryafter

import (
	"net/http"
	"testing"
	"time"
)

var now = time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)

func TestParse(t *testing.T) {
	cases := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"0", 0, true},
		{"2", 2 * time.Second, true},
		{"0.249", 249 * time.Millisecond, true},
		{" 1.5 ", 1500 * time.Millisecond, true},
		{".5", 500 * time.Millisecond, true},
		{"180", 180 * time.Second, true},
		{"181", 181 * time.Second, true},
		{"99999999999", Ceiling, true},
		{"-1", 0, false},
		{"1e3", 0, false},
		{"Inf", 0, false},
		{"+Inf", 0, false},
		{"NaN", 0, false},
		{"0x10", 0, false},
		{"soon", 0, false},
		{"1.2.3", 0, false},
		{"Tue, 04 Mar 2025 10:00:30 GMT", 30 * time.Second, true},
		{"Tue, 04 Mar 2025 09:59:00 GMT", 0, true}, // in the past: at once
		{"Tuesday, 04-Mar-25 10:01:30 GMT", 90 * time.Second, true},
		{"Thu, 04 Mar 2027 10:00:30 GMT", Ceiling, true},
	}
	for _, tc := range cases {
		d, ok := Parse(tc.in, now)
		if d != tc.want || ok != tc.ok {
			t.Errorf("Parse(%q) = %v, %v; want %v, %v", tc.in, d, ok, tc.want, tc.ok)
		}
	}
}

func TestFromResponse(t *testing.T) {
	answer := func(code int, h ...string) *http.Response {
		r := &http.Response{StatusCode: code, Header: http.Header{}}
		for i := 0; i+1 < len(h); i += 2 {
			r.Header.Set(h[i], h[i+1])
		}
		return r
	}
	cases := []struct {
		name string
		resp *http.Response
		want time.Duration
		ok   bool
	}{
		{"no answer", nil, 0, false},
		{"429 seconds", answer(429, "Retry-After", "3"), 3 * time.Second, true},
		{"503 fraction", answer(503, "Retry-After", "0.249"), 249 * time.Millisecond, true},
		{"429 reset", answer(429, "X-RateLimit-Reset", "2"), 2 * time.Second, true},
		{"Retry-After wins", answer(429, "Retry-After", "1", "X-RateLimit-Reset", "9"), time.Second, true},
		{"503 reset is not a wait", answer(503, "X-RateLimit-Reset", "20"), 0, false},
		{"502 Retry-After is not a wait", answer(502, "Retry-After", "20"), 0, false},
		{"unreadable", answer(429, "Retry-After", "soon"), 0, false},
	}
	for _, tc := range cases {
		d, ok := FromResponse(tc.resp, now)
		if d != tc.want || ok != tc.ok {
			t.Errorf("%s: %v, %v; want %v, %v", tc.name, d, ok, tc.want, tc.ok)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"0", "0.249", "120", "-3", "1e308", "NaN", "+Inf", ".", "99999999999999999999",
		"Tue, 04 Mar 2025 10:00:30 GMT", "Wed, 21 Oct 2015 07:28:00 GMT", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		d, ok := Parse(v, now)
		if !ok && d != 0 {
			t.Fatalf("%q: unusable but %v", v, d)
		}
		if d < 0 || d > Ceiling {
			t.Fatalf("%q: wait %v outside [0, %v]", v, d, Ceiling)
		}
		if s, sok := Seconds(v); sok && (!ok || s != d) {
			t.Fatalf("%q: Seconds %v, %v but Parse %v, %v", v, s, sok, d, ok)
		}
	})
}
