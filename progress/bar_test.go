package progress

import (
	"bytes"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestTerminalBar(t *testing.T) {
	r, clock, out := newTest(t, 100, WithTerminal(true))

	clock.Advance(time.Second)
	r.Done(true)
	r.tick()
	if out.Len() != 0 {
		t.Fatalf("the bar was drawn within the quiet period: %q", out.String())
	}

	clock.Advance(3900 * time.Millisecond)
	for range 9 {
		r.Done(true)
	}
	clock.Advance(100 * time.Millisecond)
	r.tick()
	frame := out.String()
	if !strings.HasPrefix(frame, "\r") || strings.Contains(frame, "\n") {
		t.Errorf("the bar is not redrawn in place: %q", frame)
	}
	for _, want := range []string{" 10% |", "|  Work: 10/100, 2.0/s, 0 failed, about 45s left "} {
		if !strings.Contains(frame, want) {
			t.Errorf("frame %q lacks %q", frame, want)
		}
	}

	// Within 200 ms of the last frame: counted, not drawn.
	out.Reset()
	clock.Advance(100 * time.Millisecond)
	r.Done(false)
	if out.Len() != 0 {
		t.Errorf("redrawn 100 ms after the last frame: %q", out.String())
	}
	// A tick draws it later even when nothing else finishes.
	clock.Advance(100 * time.Millisecond)
	r.tick()
	if want := "Work: 11/100, 2.1/s, 1 failed, about 42s left"; !strings.Contains(out.String(), want) {
		t.Errorf("frame %q lacks %q", out.String(), want)
	}

	out.Reset()
	r.Finish()
	got := out.String()
	closing := "Work: 11/100 (11%) in 5s, 2.1/s, 1 failed\n"
	if !strings.HasSuffix(got, "\r"+closing) {
		t.Errorf("Finish wrote %q: want the bar erased, then %q", got, closing)
	}
	if erase := strings.TrimSuffix(got, closing); strings.Trim(erase, "\r ") != "" {
		t.Errorf("Finish drew more than the erasing of the bar: %q", erase)
	}
}

func TestTerminalBarUnknownTotal(t *testing.T) {
	r, clock, out := newTest(t, 0, WithTerminal(true))
	clock.Advance(6 * time.Second)
	before := runtime.NumGoroutine()
	r.Add(600)
	// progressbar animates a spinner from a goroutine of its own unless told
	// not to, and that goroutine would outlive the bar.
	if after := runtime.NumGoroutine(); after > before {
		t.Errorf("drawing the bar started %d goroutine(s)", after-before)
	}
	if want := "Work: 600, 100/s"; !strings.Contains(out.String(), want) || strings.Contains(out.String(), "left") {
		t.Errorf("frame %q: want %q and no estimate", out.String(), want)
	}
	out.Reset()
	r.Finish()
	if !strings.HasSuffix(out.String(), "\rWork: 600 in 6s, 100/s\n") {
		t.Errorf("Finish wrote %q", out.String())
	}
}

func TestTerminalBarPastItsTotal(t *testing.T) {
	r, clock, out := newTest(t, 2, WithTerminal(true))
	clock.Advance(6 * time.Second)
	for range 3 { // more results than planned must not break the bar
		clock.Advance(time.Second)
		r.Done(true)
	}
	if want := "Work: 3/2, 0.3/s, 0 failed"; !strings.Contains(out.String(), want) {
		t.Errorf("frames %q lack %q", out.String(), want)
	}
}

func TestTerminalQuietForShortRuns(t *testing.T) {
	var out bytes.Buffer
	clock := newFakeClock()
	r := New(&out, "Work", 10, WithClock(clock.Now), WithTicks(make(chan time.Time)), WithTerminal(true))
	for range 10 {
		clock.Advance(400 * time.Millisecond)
		r.Done(true)
	}
	r.Finish()
	if out.Len() != 0 {
		t.Errorf("a 4-second run drew %q", out.String())
	}
}
