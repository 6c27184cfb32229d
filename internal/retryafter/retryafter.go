// Package retryafter reads the headers in which an HTTP server says how long
// to wait before the next request: Retry-After (RFC 9110 §10.2.3) and
// X-RateLimit-Reset (Mattermost's limiter, and many proxies). It is the one
// parser behind the Mattermost client, the Graph transport and the webhook;
// each caps the result by its own budget.
package retryafter

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Ceiling is the longest wait Parse and Seconds return: a value beyond it
// (an absurd number of seconds, a date next year) saturates here, far above
// every client's cap, so no arithmetic on it overflows.
const Ceiling = 24 * time.Hour

// Parse reads a Retry-After value: a number of seconds, which is also
// accepted with a fraction ("0.249" is 249 ms; Graph and some proxies send
// one), or an HTTP-date, taken relative to now (a date in the past is 0).
// ok is false for an empty or unreadable value, and then d is 0. d is never
// negative and at most Ceiling; the caller caps it by its own budget.
func Parse(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if d, ok := Seconds(v); ok {
		return d, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(t.Sub(now), 0), Ceiling), true
	}
	return 0, false
}

// Seconds reads a non-negative number of seconds, whole or with a fraction
// ("2", "0.249", ".5"), as Retry-After and X-RateLimit-Reset carry it. It is
// rounded to the microsecond and saturates at Ceiling. Exponents, signs,
// "Inf", "NaN" and hex floats, which strconv.ParseFloat would take and no
// server means here, are not ok.
func Seconds(v string) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if !isDecimal(v) {
		return 0, false
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, false
	}
	if f >= Ceiling.Seconds() {
		return Ceiling, true
	}
	return time.Duration(math.Round(f*1e6)) * time.Microsecond, true
}

// FromResponse is the wait a 429 or 503 answer asks for: its Retry-After,
// or on a 429 without one its X-RateLimit-Reset (Mattermost's limiter sends
// both; a proxy's 429 may carry only the latter). ok is false for other
// answers, nil (no answer) and answers that name no usable wait.
func FromResponse(resp *http.Response, now time.Time) (time.Duration, bool) {
	if resp == nil || (resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusServiceUnavailable) {
		return 0, false
	}
	if d, ok := Parse(resp.Header.Get("Retry-After"), now); ok {
		return d, true
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		return Seconds(resp.Header.Get("X-RateLimit-Reset"))
	}
	return 0, false
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
