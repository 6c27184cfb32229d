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

// WithTerminal decides between the progress bar (true) and plain lines
// (false) instead of asking whether the writer is a terminal. Inside GitHub
// Actions the caller passes false: the log is not a terminal even when a
// runner allocates a pseudo-terminal, and a redrawn bar would be one line per
// frame there.
func WithTerminal(terminal bool) Option {
	return func(r *Reporter) { r.terminal = terminal; r.terminalSet = true }
}
