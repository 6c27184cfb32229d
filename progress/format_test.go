package progress

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestSnapshotRateAndETA(t *testing.T) {
	tests := []struct {
		name     string
		s        snapshot
		rate     float64
		eta      time.Duration
		etaKnown bool
	}{
		{"nothing elapsed", snapshot{done: 5, total: 10}, 0, 0, false},
		{"nothing done", snapshot{total: 10, elapsed: 3 * time.Second}, 0, 0, false},
		// 4,500 of 9,000 in 460 s: 9.78/s, 4,500 left take 460 s more.
		{"half way", snapshot{done: 4500, total: 9000, elapsed: 460 * time.Second}, 4500.0 / 460, 460 * time.Second, true},
		// 10.7 creates/s (Mattermost 11.4, 4 in parallel): 1,000 of 10,000 in 93.46 s.
		{"first sync", snapshot{done: 1000, total: 10000, elapsed: 93460 * time.Millisecond}, 1000 / 93.46, 841140 * time.Millisecond, true},
		{"all done", snapshot{done: 10, total: 10, elapsed: time.Second}, 10, 0, false},
		{"past the total", snapshot{done: 12, total: 10, elapsed: time.Second}, 12, 0, false},
		{"unknown total", snapshot{done: 4000, elapsed: 2 * time.Second}, 2000, 0, false},
		{"hopelessly slow", snapshot{done: 1, total: 1 << 62, elapsed: time.Hour}, 1.0 / 3600, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.s.rate(); !near(got, tt.rate) {
				t.Errorf("rate() = %v, want %v", got, tt.rate)
			}
			eta, ok := tt.s.eta()
			if ok != tt.etaKnown || (ok && (eta-tt.eta).Abs() > time.Millisecond) {
				t.Errorf("eta() = %v, %v; want %v, %v", eta, ok, tt.eta, tt.etaKnown)
			}
		})
	}
}

func near(a, b float64) bool {
	d := a - b
	return d < 1e-9 && d > -1e-9
}

func TestSnapshotLines(t *testing.T) {
	tests := []struct {
		name               string
		s                  snapshot
		line, bar, closing string
	}{
		{
			name:    "apply half way",
			s:       snapshot{done: 4500, total: 9000, failed: 3, outcomes: true, elapsed: 460 * time.Second},
			line:    "Applying: 4,500/9,000 (50%), 9.8/s, 3 failed, about 7m40s left",
			bar:     "Applying: 4,500/9,000, 9.8/s, 3 failed, about 7m40s left",
			closing: "Applying: 4,500/9,000 (50%) in 7m40s, 9.8/s, 3 failed",
		},
		{
			name:    "apply without failures says so",
			s:       snapshot{done: 9000, total: 9000, outcomes: true, elapsed: 920 * time.Second},
			line:    "Applying: 9,000/9,000 (100%), 9.8/s, 0 failed",
			bar:     "Applying: 9,000/9,000, 9.8/s, 0 failed",
			closing: "Applying: 9,000/9,000 (100%) in 15m20s, 9.8/s, 0 failed",
		},
		{
			name:    "percent rounds down",
			s:       snapshot{done: 8999, total: 9000, outcomes: true, elapsed: 900 * time.Second},
			line:    "Applying: 8,999/9,000 (99%), 10.0/s, 0 failed, about 1s left",
			bar:     "Applying: 8,999/9,000, 10.0/s, 0 failed, about 1s left",
			closing: "Applying: 8,999/9,000 (99%) in 15m00s, 10.0/s, 0 failed",
		},
		{
			name:    "read of unknown length",
			s:       snapshot{done: 45000, elapsed: 11 * time.Second},
			line:    "Reading users: 45,000 so far, 4,091/s",
			bar:     "Reading users: 45,000, 4,091/s",
			closing: "Reading users: 45,000 in 11s, 4,091/s",
		},
		{
			name:    "nothing done yet",
			s:       snapshot{total: 200, outcomes: false, elapsed: 12 * time.Second},
			line:    "Reading users: 0/200 (0%), 0.0/s",
			bar:     "Reading users: 0/200, 0.0/s",
			closing: "Reading users: 0/200 (0%) in 12s, 0.0/s",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			label := "Applying"
			if !tt.s.outcomes {
				label = "Reading users"
			}
			if got := tt.s.line(label); got != tt.line {
				t.Errorf("line = %q\n want %q", got, tt.line)
			}
			if got := tt.s.barText(label); got != tt.bar {
				t.Errorf("barText = %q\n want %q", got, tt.bar)
			}
			if got := tt.s.final(label); got != tt.closing {
				t.Errorf("final = %q\n want %q", got, tt.closing)
			}
		})
	}
}

func TestFormatRate(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0.0/s"},
		{0.04, "0.0/s"},
		{5.5, "5.5/s"},
		{9.84, "9.8/s"},
		{99.94, "99.9/s"},
		{99.96, "100/s"}, // not "100.0/s"
		{4166.4, "4,166/s"},
		{1234567.8, "1,234,568/s"},
	}
	for _, tt := range tests {
		if got := formatRate(tt.in); got != tt.want {
			t.Errorf("formatRate(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "0s"},
		{400 * time.Millisecond, "0s"},
		{40 * time.Second, "40s"},
		{59500 * time.Millisecond, "1m00s"},
		{7*time.Minute + 40*time.Second, "7m40s"},
		{59*time.Minute + 59*time.Second, "59m59s"},
		{time.Hour, "1h00m"},
		{2*time.Hour + 5*time.Minute + 59*time.Second, "2h05m"},
		{100 * time.Hour, "100h00m"},
	}
	for _, tt := range tests {
		if got := formatDuration(tt.in); got != tt.want {
			t.Errorf("formatDuration(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestThousands(t *testing.T) {
	tests := []struct {
		in   int
		want string
	}{
		{0, "0"}, {7, "7"}, {999, "999"}, {1000, "1,000"}, {12345, "12,345"},
		{1234567, "1,234,567"}, {-1234, "-1,234"}, {-999, "-999"},
	}
	for _, tt := range tests {
		if got := thousands(tt.in); got != tt.want {
			t.Errorf("thousands(%d) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzThousands checks that the separators are only ever inserted, and every
// three digits from the right.
func FuzzThousands(f *testing.F) {
	for _, n := range []int{0, 1, 999, 1000, -1000, 1 << 62, -1 << 63} {
		f.Add(n)
	}
	f.Fuzz(func(t *testing.T, n int) {
		got := thousands(n)
		if strings.ReplaceAll(got, ",", "") != strconv.Itoa(n) {
			t.Fatalf("thousands(%d) = %q: digits changed", n, got)
		}
		groups := strings.Split(strings.TrimPrefix(got, "-"), ",")
		for i, g := range groups {
			if len(g) > 3 || len(g) == 0 || (i > 0 && len(g) != 3) {
				t.Fatalf("thousands(%d) = %q: group %q", n, got, g)
			}
		}
	})
}
