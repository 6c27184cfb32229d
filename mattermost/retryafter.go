package mattermost

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// parseRetryAfter reads a Retry-After value (RFC 9110 §10.2.3): a number of
// seconds, which this client also accepts with a fraction ("0.249" is
// 249 ms; some proxies send one), or an HTTP-date, taken relative to now
// (a date in the past is 0). ok is false for an empty or unreadable value.
// The result is not capped; the caller caps it at MaxRetryAfter.
func parseRetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if d, ok := parseSeconds(v); ok {
		return d, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// parseSeconds reads a non-negative number of seconds, whole or with a
// fraction ("2", "0.249"), as Retry-After and X-RateLimit-Reset carry it.
// It is rounded to the microsecond and saturates at a day, far above any cap.
func parseSeconds(v string) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if !isDecimal(v) {
		// ParseFloat alone would also take "1e3", "Inf", "-1" and hex
		// floats, which no server means here.
		return 0, false
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, false
	}
	const ceiling = 24 * time.Hour
	if f >= ceiling.Seconds() {
		return ceiling, true
	}
	return time.Duration(math.Round(f*1e6)) * time.Microsecond, true
}

// isDecimal reports whether v is digits with at most one decimal point and
// at least one digit: "2", "0.249", ".5", "3.".
func isDecimal(v string) bool {
	digits, points := 0, 0
	for _, r := range v {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '.':
			points++
		default:
			return false
		}
	}
	return digits > 0 && points <= 1
}
