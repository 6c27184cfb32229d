package progress

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// snapshot is the state one line is made of, taken under the reporter's lock.
type snapshot struct {
	done, total int // total 0: unknown
	failed      int
	outcomes    bool // Done was used, so failures are a fact to show (even 0)
	elapsed     time.Duration
}

// rate is units finished per second since the start: the average over the
// whole run, which is steady for a first sync (every create costs the server
// the same hashing time) and needs no window to tune. 0 before any time has
// passed.
func (s snapshot) rate() float64 {
	if s.elapsed <= 0 {
		return 0
	}
	return float64(s.done) / s.elapsed.Seconds()
}

// eta is the time left at the current rate; false when there is no estimate
// (total unknown, nothing done yet, or already done).
func (s snapshot) eta() (time.Duration, bool) {
	rate := s.rate()
	if s.total <= 0 || s.done >= s.total || rate <= 0 {
		return 0, false
	}
	secs := float64(s.total-s.done) / rate
	if secs > float64(math.MaxInt64/int64(time.Second)) {
		return 0, false // a rate so low that any estimate is meaningless
	}
	return time.Duration(secs * float64(time.Second)), true
}

// details is the part of a line after the count: "9.8/s, 3 failed, about
// 7m40s left". The estimate is left out of the closing line (eta false).
func (s snapshot) details(eta bool) string {
	parts := []string{formatRate(s.rate())}
	if s.outcomes {
		parts = append(parts, thousands(s.failed)+" failed")
	}
	if left, ok := s.eta(); ok && eta {
		// Work is left, so "about 0s left" would be wrong however fast it goes.
		parts = append(parts, "about "+formatDuration(max(left, time.Second))+" left")
	}
	return strings.Join(parts, ", ")
}

// amount is "4,500/9,000 (50%)" (percent true) or "4,500/9,000", and just
// "45,000" when the total is unknown. The percentage is rounded down, so
// 100% means all done.
func (s snapshot) amount(percent bool) string {
	if s.total <= 0 {
		return thousands(s.done)
	}
	a := thousands(s.done) + "/" + thousands(s.total)
	if percent {
		a += fmt.Sprintf(" (%d%%)", s.done*100/s.total)
	}
	return a
}

// line is one progress line:
// "Applying: 4,500/9,000 (50%), 9.8/s, 3 failed, about 7m40s left", or
// "Reading users: 45,000 so far, 4,120/s" when the total is unknown.
func (s snapshot) line(label string) string {
	a := s.amount(true)
	if s.total <= 0 {
		a += " so far"
	}
	return label + ": " + a + ", " + s.details(true)
}

// barText is what the terminal bar shows after itself: the line without the
// percentage, which the bar draws already.
func (s snapshot) barText(label string) string {
	return label + ": " + s.amount(false) + ", " + s.details(true)
}

// final is the closing line, with the time taken instead of an estimate:
// "Applying: 9,000/9,000 (100%) in 15m20s, 9.8/s, 3 failed".
func (s snapshot) final(label string) string {
	return label + ": " + s.amount(true) + " in " + formatDuration(s.elapsed) + ", " + s.details(false)
}

// formatRate is "9.8/s" below 100 per second and "4,166/s" from there: one
// decimal matters at the 5-30 creates/s a server's password hashing allows,
// not at the thousands/s of a read.
func formatRate(perSecond float64) string {
	if math.Round(perSecond*10) < 1000 { // what prints as 99.9 or less
		return strconv.FormatFloat(perSecond, 'f', 1, 64) + "/s"
	}
	return thousands(int(math.Round(perSecond))) + "/s"
}

// formatDuration rounds to whole seconds and drops what does not matter at
// that size: "40s", "7m40s", "2h05m".
func formatDuration(d time.Duration) string {
	secs := int64(d.Round(time.Second) / time.Second)
	switch {
	case secs < 60:
		return fmt.Sprintf("%ds", secs)
	case secs < 3600:
		return fmt.Sprintf("%dm%02ds", secs/60, secs%60)
	default:
		return fmt.Sprintf("%dh%02dm", secs/3600, secs%3600/60)
	}
}

// thousands writes n with a comma every three digits: 12345 → "12,345", the
// way the run's other log lines would read to an English-speaking admin.
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
