package progress

import "time"

// The reporter's test seams: compiled into this package's tests only, so
// that the production API is the writer, the label, the total and
// WithTerminal (as go-githubactions keeps its test seams unexported).

// WithClock sets the source of the current time (default time.Now). Tests
// pass a fake clock so that rates, estimates and the quiet period are exact.
func WithClock(now func() time.Time) Option {
	return func(r *Reporter) { r.now = now }
}

// WithTicks replaces the reporter's one-second ticker with ticks. The
// reporter reads the clock (not the tick's value) on each tick; tests send
// ticks after moving a fake clock. The reporter never closes ticks.
func WithTicks(ticks <-chan time.Time) Option {
	return func(r *Reporter) { r.ticks = ticks }
}

// WithMinDuration sets the quiet period after New during which nothing is
// printed (default 5 s). A run that finishes within it prints nothing at all.
func WithMinDuration(d time.Duration) Option {
	return func(r *Reporter) { r.quiet = d }
}

// WithInterval sets the longest time between two plain lines while work goes
// on (default 10 s). Lines also come at every tenth of a known total.
func WithInterval(d time.Duration) Option {
	return func(r *Reporter) {
		if d > 0 {
			r.interval = d
		}
	}
}
