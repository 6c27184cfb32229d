package main

import (
	"testing"
	"time"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/tools/scale"
)

func TestParseLatency(t *testing.T) {
	def := scale.Latency{Graph: time.Second}
	for _, tt := range []struct {
		in   string
		want scale.Latency
		ok   bool
	}{
		{"", def, true},
		{"20ms,3ms,30ms", scale.Latency{Graph: 20 * time.Millisecond, Request: 3 * time.Millisecond, Create: 30 * time.Millisecond}, true},
		{"0,0,0", scale.Latency{}, true},
		{"20ms,3ms", def, false},
		{"x,0,0", def, false},
	} {
		got, err := parseLatency(tt.in, def)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseLatency(%q) = %+v, %v", tt.in, got, err)
		}
	}
}

func TestRound(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "—", 1234567 * time.Nanosecond: "1ms", 1234 * time.Millisecond: "1.23s"} {
		if got := round(d); got != want {
			t.Errorf("round(%v) = %s, want %s", d, got, want)
		}
	}
}
