package progress

import (
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// The terminal bar is drawn by github.com/schollz/progressbar/v3 rather than
// github.com/vbauerster/mpb/v8 (both maintained, both on the module proxy):
// this is one bar, and progressbar draws it in the calling goroutine, so the
// reporter's lock and fake clock decide every frame and there is no render
// goroutine to wait for. mpb is built for many bars and always renders from a
// goroutine of its own on a wall-clock refresh timer.
//
// progressbar's own rate and estimate are turned off: it computes them from
// the wall clock, and the bar must say what the plain lines say. Its spinner
// ticker (unknown totals) is turned off too: that goroutine ends only when the
// bar fills, which an unknown total never does.

// barWidth is the bar's width in cells; progressbar narrows it to fit a
// narrower terminal.
const barWidth = 30

// bar is the terminal rendering of a Reporter; used under the reporter's lock.
type bar struct {
	pb    *progressbar.ProgressBar
	total int
	drawn time.Time // when the last frame was drawn
}

func newBar(w io.Writer, total int) *bar {
	limit := int64(total)
	if total <= 0 {
		limit = -1 // progressbar's unknown length: a spinner and a count
	}
	pb := progressbar.NewOptions64(limit,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetWidth(barWidth),
		progressbar.OptionShowDescriptionAtLineEnd(),
		progressbar.OptionSetPredictTime(false),
		progressbar.OptionSetElapsedTime(false),
		progressbar.OptionSetSpinnerChangeInterval(0),
		progressbar.OptionThrottle(0),
	)
	return &bar{pb: pb, total: total}
}

// draw redraws the bar in place with s's facts after it:
// " 50% |███████████████               |  Applying: 4,500/9,000, 9.8/s, 3 failed, about 7m40s left".
func (b *bar) draw(now time.Time, s snapshot, label string) {
	n := s.done
	if b.total > 0 {
		n = min(n, b.total) // progressbar refuses a count past its maximum
	}
	// Describe draws a frame; Set draws another only when the percentage
	// changes, which at a server's 5-30 creates/s is seldom. Errors are
	// dropped as in Reporter.println: progress is advisory.
	b.pb.Describe(s.barText(label))
	_ = b.pb.Set(n)
	b.drawn = now
}

// close leaves the bar as it stands (not filled: the work may have been
// stopped early) and erases it, so that the closing line takes its place.
func (b *bar) close() {
	_ = b.pb.Exit()
	_ = b.pb.Clear()
}

// IsTerminal reports whether w is a terminal: an *os.File (or anything with
// a file descriptor) for which the operating system says so. A pipe, a file
// or a buffer is not; GitHub Actions' log is a pipe.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(interface{ Fd() uintptr })
	return ok && term.IsTerminal(int(f.Fd()))
}
