package progress

import "time"

// Defaults. The interval is the "at most every 10 seconds" for the
// Actions log; the quiet period keeps runs that end in a few seconds silent.
const (
	DefaultInterval    = 10 * time.Second
	DefaultMinDuration = 5 * time.Second
	// tickEvery is how often the reporter looks at the clock when no work
	// finishes, so a stalled run (a server that stopped answering, a long
	// Retry-After) still gets its line about one interval after the last.
	tickEvery = time.Second
	// redrawEvery bounds how often the terminal bar is redrawn: a few times a
	// second looks live, and 1,000 updates per second would not.
	redrawEvery = 200 * time.Millisecond
)

// Option configures a Reporter, in the functional-options style of
// sethvargo/go-githubactions.
type Option func(*Reporter)

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

// WithTerminal decides between the progress bar (true) and plain lines
// (false) instead of asking whether the writer is a terminal. Inside GitHub
// Actions the caller passes false: the log is not a terminal even when a
// runner allocates a pseudo-terminal, and a redrawn bar would be one line per
// frame there.
func WithTerminal(terminal bool) Option {
	return func(r *Reporter) { r.terminal = terminal; r.terminalSet = true }
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
