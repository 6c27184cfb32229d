// Package progress reports how far long work has come: plain lines for a log
// (the GitHub Actions log, a CLI whose output is redirected) and a progress
// bar redrawn in place on a terminal. Work that ends within the quiet period
// (5 s by default) prints nothing at all.
//
// A plain line comes at the latest one interval (10 s) after the previous one
// while the work goes on, and whenever the work crosses a new tenth of its
// total:
//
//	Applying: 4,500/9,000 (50%), 9.8/s, 3 failed, about 7m40s left
//
// With an unknown total (a paged read) the count and the rate are shown:
//
//	Reading Entra ID users: 45,000 so far, 4,120/s
package progress

import (
	"io"
	"sync"
	"time"
)

// Reporter counts finished units of one piece of work and reports progress.
// Its methods are safe for concurrent use (the applier's workers call Done),
// and a nil *Reporter does nothing, so a caller can leave progress off by
// passing nil. New starts one goroutine that wakes every second; Finish stops
// it, so every Reporter must be finished (defer r.Finish()).
type Reporter struct {
	// Fixed by New and the options.
	w                     io.Writer
	label                 string
	total                 int // 0: unknown
	now                   func() time.Time
	ticks                 <-chan time.Time
	ticker                *time.Ticker // owned when no ticks were given; stopped by Finish
	terminal, terminalSet bool
	quiet, interval       time.Duration
	stop, stopped         chan struct{}

	mu        sync.Mutex
	start     time.Time
	done      int
	failed    int
	outcomes  bool      // Done was called: failures are worth a mention
	shown     bool      // a line or the bar was printed
	lastLine  time.Time // when the last plain line was printed (start before)
	lastTenth int       // the tenth of the total at the last plain line
	finished  bool
	bar       *bar // terminal mode, once shown
}

// New starts reporting on work of total units (0 when the total is unknown)
// under label, for example "Applying" or "Reading Mattermost users". Output
// goes to w: a progress bar when w is a terminal (or WithTerminal(true)),
// plain lines otherwise. The quiet period starts now.
func New(w io.Writer, label string, total int, opts ...Option) *Reporter {
	r := &Reporter{
		w: w, label: label, total: max(total, 0),
		now: time.Now, quiet: DefaultMinDuration, interval: DefaultInterval,
		stop: make(chan struct{}), stopped: make(chan struct{}),
	}
	for _, o := range opts {
		o(r)
	}
	if !r.terminalSet {
		r.terminal = IsTerminal(w)
	}
	r.start = r.now()
	r.lastLine = r.start
	if r.ticks == nil {
		r.ticker = time.NewTicker(tickEvery)
		r.ticks = r.ticker.C
	}
	go r.loop()
	return r
}

// Done records one finished unit; ok false counts it as failed.
func (r *Reporter) Done(ok bool) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.done++
	r.outcomes = true
	if !ok {
		r.failed++
	}
	r.report()
}

// Add records n more units (users or pages read), for work that has no
// outcome per unit. n ≤ 0 is ignored.
func (r *Reporter) Add(n int) {
	if r == nil || n <= 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.done += n
	r.report()
}

// Finish ends the report: if anything was printed, the bar is taken down and
// a closing line says what was done, how fast and in how long
// ("Applying: 9,000/9,000 (100%) in 15m20s, 9.8/s, 3 failed"); if not,
// nothing is printed. It stops the reporter's goroutine before it returns.
// Later calls to any method do nothing.
func (r *Reporter) Finish() {
	if r == nil {
		return
	}
	r.mu.Lock()
	if r.finished {
		r.mu.Unlock()
		return
	}
	r.finished = true
	if r.shown {
		s := r.snapshot(r.now())
		if r.bar != nil {
			r.bar.close()
		}
		r.println(s.final(r.label))
	}
	r.mu.Unlock()
	close(r.stop)
	<-r.stopped
	if r.ticker != nil {
		r.ticker.Stop()
	}
}

// loop reports on each tick, so that lines keep coming while no unit
// finishes (a stalled server) and the bar's rate and estimate stay current.
func (r *Reporter) loop() {
	defer close(r.stopped)
	for {
		select {
		case <-r.stop:
			return
		case <-r.ticks:
			r.tick()
		}
	}
}

// tick is what a tick does; tests call it directly to stay deterministic.
func (r *Reporter) tick() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.report()
}

// report prints a line or redraws the bar if one is due. r.mu is held.
func (r *Reporter) report() {
	if r.finished {
		return
	}
	now := r.now()
	if now.Sub(r.start) < r.quiet {
		return
	}
	if r.terminal {
		if r.bar == nil {
			r.bar = newBar(r.w, r.total)
		} else if now.Sub(r.bar.drawn) < redrawEvery {
			return
		}
		r.bar.draw(now, r.snapshot(now), r.label)
		r.shown = true
		return
	}
	tenth := r.tenth()
	if now.Sub(r.lastLine) < r.interval && tenth <= r.lastTenth {
		return
	}
	r.println(r.snapshot(now).line(r.label))
	r.lastLine, r.lastTenth, r.shown = now, tenth, true
}

// tenth is how many whole tenths of the total are done. Reaching the total
// is not a new tenth: Finish's closing line says so right after.
func (r *Reporter) tenth() int {
	if r.total <= 0 || r.done >= r.total {
		return r.lastTenth
	}
	return r.done * 10 / r.total
}

func (r *Reporter) snapshot(now time.Time) snapshot {
	return snapshot{done: r.done, total: r.total, failed: r.failed, outcomes: r.outcomes, elapsed: now.Sub(r.start)}
}

// println writes one line. A write error is dropped: progress is advisory,
// and a closed output must not fail the work it describes.
func (r *Reporter) println(s string) {
	_, _ = io.WriteString(r.w, s+"\n")
}
