package progress

import (
	"bytes"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is a clock that moves only when told to.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// newTest returns a plain-line reporter on a fake clock with the defaults
// (5 s quiet, 10 s interval) and a ticks channel that never ticks: tests call
// tick() themselves, so nothing happens behind their back.
func newTest(t *testing.T, total int, opts ...Option) (*Reporter, *fakeClock, *bytes.Buffer) {
	t.Helper()
	clock := newFakeClock()
	var out bytes.Buffer
	opts = append([]Option{WithClock(clock.Now), WithTicks(make(chan time.Time)), WithTerminal(false)}, opts...)
	r := New(&out, "Work", total, opts...)
	t.Cleanup(r.Finish)
	return r, clock, &out
}

// step is one moment of a scripted run: move the clock, finish some units
// (or tick), and expect exactly these lines to be printed.
type step struct {
	advance time.Duration
	done    int // Done(true) calls
	failed  int // Done(false) calls
	add     int // Add(add)
	tick    bool
	want    []string
}

func runSteps(t *testing.T, r *Reporter, clock *fakeClock, out *bytes.Buffer, steps []step) {
	t.Helper()
	for i, s := range steps {
		clock.Advance(s.advance)
		for range s.done {
			r.Done(true)
		}
		for range s.failed {
			r.Done(false)
		}
		r.Add(s.add)
		if s.tick {
			r.tick()
		}
		got := lines(out.String())
		out.Reset()
		if strings.Join(got, "\n") != strings.Join(s.want, "\n") {
			t.Fatalf("step %d (at +%v): printed\n%s\nwant\n%s", i, s.advance, strings.Join(got, "\n"), strings.Join(s.want, "\n"))
		}
	}
}

func lines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func TestQuietForShortRuns(t *testing.T) {
	tests := []struct {
		name  string
		total int
		steps []step
	}{
		{"apply within the quiet period", 9000, []step{
			{advance: time.Second, done: 3000},
			{advance: 2 * time.Second, done: 3000, failed: 10, tick: true},
			{advance: 1900 * time.Millisecond, done: 2990, tick: true},
		}},
		{"read of unknown length", 0, []step{
			{advance: time.Second, add: 999},
			{advance: 3 * time.Second, add: 999, tick: true},
			{advance: 999 * time.Millisecond, add: 999},
		}},
		{"nothing at all", 10, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, clock, out := newTest(t, tt.total)
			runSteps(t, r, clock, out, tt.steps)
			r.Finish()
			if out.Len() != 0 {
				t.Errorf("a run of under 5 s printed %q", out.String())
			}
		})
	}
}

func TestLinesAtTenthsAndAtTheInterval(t *testing.T) {
	r, clock, out := newTest(t, 100)
	runSteps(t, r, clock, out, []step{
		// The first tenth falls into the quiet period: said after it.
		{advance: time.Second, done: 10},
		{advance: 4 * time.Second, tick: true, want: []string{
			"Work: 10/100 (10%), 2.0/s, 0 failed, about 45s left",
		}},
		{advance: 2 * time.Second, done: 1},
		// Nothing new for 10 s: the interval's line, from a tick alone.
		{advance: 7 * time.Second, tick: true},
		{advance: time.Second, tick: true, want: []string{
			"Work: 11/100 (11%), 0.7/s, 0 failed, about 2m01s left",
		}},
		{advance: 2 * time.Second, tick: true},
		// Tenths come at once, even right after another line.
		{advance: time.Second, done: 8, failed: 1, want: []string{
			"Work: 20/100 (20%), 1.1/s, 1 failed, about 1m12s left",
		}},
		{advance: 0, done: 29, failed: 1, want: []string{
			"Work: 30/100 (30%), 1.7/s, 1 failed, about 42s left",
			"Work: 40/100 (40%), 2.2/s, 1 failed, about 27s left",
			"Work: 50/100 (50%), 2.8/s, 2 failed, about 18s left",
		}},
		// And work that goes on within a tenth gets the interval's line.
		{advance: 9 * time.Second, done: 5},
		{advance: time.Second, done: 1, want: []string{
			"Work: 56/100 (56%), 2.0/s, 2 failed, about 22s left",
		}},
		// Reaching the total is left to the closing line.
		{advance: 3 * time.Second, done: 44, want: []string{
			"Work: 60/100 (60%), 1.9/s, 2 failed, about 21s left",
			"Work: 70/100 (70%), 2.3/s, 2 failed, about 13s left",
			"Work: 80/100 (80%), 2.6/s, 2 failed, about 8s left",
			"Work: 90/100 (90%), 2.9/s, 2 failed, about 3s left",
		}},
	})
	clock.Advance(time.Second)
	r.Finish()
	if got, want := out.String(), "Work: 100/100 (100%) in 32s, 3.1/s, 2 failed\n"; got != want {
		t.Errorf("closing line %q, want %q", got, want)
	}
}

func TestUnknownTotalPrintsCountAndRateOnly(t *testing.T) {
	r, clock, out := newTest(t, 0)
	runSteps(t, r, clock, out, []step{
		{advance: 2 * time.Second, add: 999},
		{advance: 6 * time.Second, add: 999},
		{advance: 2 * time.Second, add: 999, want: []string{"Work: 2,997 so far, 300/s"}},
		{advance: 9 * time.Second, add: 999, tick: true},
		{advance: time.Second, tick: true, want: []string{"Work: 3,996 so far, 200/s"}},
		{add: 0},
		{add: -5},
	})
	clock.Advance(2 * time.Second)
	r.Add(40)
	r.Finish()
	if got, want := out.String(), "Work: 4,036 in 22s, 183/s\n"; got != want {
		t.Errorf("closing line %q, want %q", got, want)
	}
}

func TestOptionsChangeTheQuietPeriodAndInterval(t *testing.T) {
	r, clock, out := newTest(t, 1000, WithMinDuration(0), WithInterval(time.Second))
	runSteps(t, r, clock, out, []step{
		{done: 1},
		{advance: 500 * time.Millisecond, done: 1},
		{advance: 500 * time.Millisecond, done: 1, want: []string{"Work: 3/1,000 (0%), 3.0/s, 0 failed, about 5m32s left"}},
		{advance: time.Second, tick: true, want: []string{"Work: 3/1,000 (0%), 1.5/s, 0 failed, about 11m05s left"}},
	})
}

func TestConcurrentDone(t *testing.T) {
	const workers, each = 64, 1000
	const total = workers * each
	r, clock, out := newTest(t, total)
	clock.Advance(6 * time.Second) // past the quiet period: lines are printed while workers run
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				r.Done((w+i)%7 != 0)
			}
		})
	}
	wg.Wait()
	r.Finish()

	got := lines(out.String())
	// Every tenth is crossed once, by exactly one Done; the clock stood
	// still, so no interval line came in between.
	if len(got) != 10 {
		t.Fatalf("printed %d lines, want 9 tenths and a closing line:\n%s", len(got), out.String())
	}
	for i, l := range got[:9] {
		want := "Work: " + thousands((i+1)*total/10) + "/64,000 (" + []string{"10", "20", "30", "40", "50", "60", "70", "80", "90"}[i] + "%), "
		if !strings.HasPrefix(l, want) {
			t.Errorf("line %d = %q, want it to start with %q", i, l, want)
		}
	}
	failed := 0
	for w := range workers {
		for i := range each {
			if (w+i)%7 == 0 {
				failed++
			}
		}
	}
	if want := "Work: 64,000/64,000 (100%) in 6s, 10,667/s, " + thousands(failed) + " failed"; got[9] != want {
		t.Errorf("closing line %q, want %q", got[9], want)
	}
}

func TestFinish(t *testing.T) {
	t.Run("twice, and nothing after it", func(t *testing.T) {
		r, clock, out := newTest(t, 10)
		clock.Advance(6 * time.Second)
		r.Done(true)
		r.Finish()
		r.Finish()
		clock.Advance(time.Hour)
		r.Done(false)
		r.Add(3)
		r.tick()
		want := "Work: 1/10 (10%), 0.2/s, 0 failed, about 54s left\nWork: 1/10 (10%) in 6s, 0.2/s, 0 failed\n"
		if got := out.String(); got != want {
			t.Errorf("printed %q, want %q", got, want)
		}
	})
	t.Run("stops the goroutine", func(t *testing.T) {
		r, _, _ := newTest(t, 10)
		select {
		case <-r.stopped:
			t.Fatal("the goroutine ended before Finish")
		default:
		}
		r.Finish()
		select {
		case <-r.stopped:
		default:
			t.Fatal("Finish returned with the goroutine still running")
		}
	})
	t.Run("owns and stops its ticker when given none", func(t *testing.T) {
		var out bytes.Buffer
		r := New(&out, "Work", 10, WithTerminal(false))
		if r.ticker == nil {
			t.Fatal("no ticker of its own")
		}
		r.Finish()
		<-r.stopped
		if out.Len() != 0 {
			t.Errorf("printed %q within the quiet period", out.String())
		}
	})
	t.Run("nil reporter", func(t *testing.T) {
		var r *Reporter
		r.Done(true)
		r.Add(1)
		r.Finish()
	})
}

// signalWriter hands every write to the test, which waits for it instead of
// sleeping.
type signalWriter chan string

func (w signalWriter) Write(p []byte) (int, error) {
	w <- string(p)
	return len(p), nil
}

func TestTicksDriveLinesWhenNothingFinishes(t *testing.T) {
	clock := newFakeClock()
	ticks := make(chan time.Time)
	out := make(signalWriter, 1)
	r := New(out, "Work", 10, WithClock(clock.Now), WithTicks(ticks), WithTerminal(false))
	defer r.Finish()
	r.Done(true)
	clock.Advance(11 * time.Second)
	ticks <- clock.Now()
	if got, want := <-out, "Work: 1/10 (10%), 0.1/s, 0 failed, about 1m39s left\n"; got != want {
		t.Errorf("tick printed %q, want %q", got, want)
	}
}

func TestIsTerminal(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	for name, w := range map[string]io.Writer{"buffer": &bytes.Buffer{}, "file": f, "pipe": pw} {
		if IsTerminal(w) {
			t.Errorf("%s: IsTerminal = true", name)
		}
	}
}

// TestNotATerminalFallsBackToLines is the CLI with its output redirected: no
// WithTerminal, a writer that is a file, so plain lines and no escape codes.
func TestNotATerminalFallsBackToLines(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	clock := newFakeClock()
	r := New(f, "Applying", 20, WithClock(clock.Now), WithTicks(make(chan time.Time)))
	clock.Advance(6 * time.Second)
	r.Done(true)
	r.Done(true)
	r.Finish()
	got, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	want := "Applying: 2/20 (10%), 0.3/s, 0 failed, about 54s left\nApplying: 2/20 (10%) in 6s, 0.3/s, 0 failed\n"
	if string(got) != want {
		t.Errorf("wrote %q, want %q", got, want)
	}
}
