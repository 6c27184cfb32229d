package run

// Scale benchmarks: the real code path (cli.Run) against the fakes with
// realistic latency (tools/scale.Realistic), next to the reference
// strategy the product replaces. They run only with -bench:
//
//	go test -run '^$' -bench 'Scale|Reference' -benchtime 3x ./e2e/run
//
// EMS_SCALE_USERS (e.g. "1000,10000,100000") sets the tenant sizes; the
// defaults keep one pass under a few minutes. Figures and the measurement
// command that also reports the sync's own peak RSS (the fakes run in-process
// here) are in BENCHMARKS.md.

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/e2e/world"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/internal/cli"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/tools/scale"
)

func scaleSizes(b *testing.B, def ...int) []int {
	v := os.Getenv("EMS_SCALE_USERS")
	if v == "" {
		return def
	}
	var out []int
	for _, s := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			b.Fatalf("EMS_SCALE_USERS: %v", err)
		}
		out = append(out, n)
	}
	return out
}

func sizeName(n int) string {
	if n%1000 == 0 {
		return strconv.Itoa(n/1000) + "k"
	}
	return strconv.Itoa(n)
}

// syncOnceIn runs the product once against e and fails b unless it exits 0.
func syncOnceIn(b *testing.B, e *scale.Env, dir string) {
	b.Helper()
	env := e.Env(filepath.Join(dir, "report.json"))
	var out bytes.Buffer
	code := cli.Run(context.Background(), nil, cli.WithStdout(&out), cli.WithStderr(&out),
		cli.WithGetenv(func(k string) string { return env[k] }), cli.WithGraphTransport(e.Graph.Transport()))
	if code != 0 {
		b.Fatalf("exit %d\n%s", code, world.Tail(out.String(), 2000))
	}
}

// reportRequests reports c, the requests of iterations runs, per run.
func reportRequests(b *testing.B, c scale.Requests, iterations int) {
	n := float64(max(iterations, 1))
	b.ReportMetric(float64(c.MMTotal())/n, "mm-req/op")
	b.ReportMetric(float64(c.MMWrites())/n, "mm-writes/op")
	b.ReportMetric(float64(c.GraphTotal())/n, "graph-req/op")
}

// BenchmarkScaleNoop is a resync in which nothing changed: the product's
// steady state, run after every directory change or on a schedule.
func BenchmarkScaleNoop(b *testing.B) {
	for _, n := range scaleSizes(b, 1000, 10000) {
		b.Run(sizeName(n), func(b *testing.B) {
			e := scale.Start(n, scale.Latency{})
			defer e.Close()
			dir := b.TempDir()
			syncOnceIn(b, e, dir) // seed at zero latency
			e.SetLatency(scale.Realistic())
			e.ResetCounters()
			i := 0
			for b.Loop() {
				syncOnceIn(b, e, dir)
				i++
			}
			if w := e.MM.Writes(); w != 0 {
				b.Fatalf("no-op resync wrote %d times", w)
			}
			reportRequests(b, e.Counts(), i)
		})
	}
}

// BenchmarkScaleFirst is the first sync: every enabled user is created.
func BenchmarkScaleFirst(b *testing.B) {
	for _, n := range scaleSizes(b, 1000) {
		b.Run(sizeName(n), func(b *testing.B) {
			dir := b.TempDir()
			var total scale.Requests
			i := 0
			for b.Loop() {
				b.StopTimer()
				e := scale.Start(n, scale.Realistic())
				b.StartTimer()
				syncOnceIn(b, e, dir)
				b.StopTimer()
				total = addCounts(total, e.Counts())
				e.Close()
				b.StartTimer()
				i++
			}
			reportRequests(b, total, i)
		})
	}
}

// BenchmarkReferenceNoop is the replaced strategy over a server that
// already matches the directory: a lookup and a patch per user.
func BenchmarkReferenceNoop(b *testing.B) {
	for _, n := range scaleSizes(b, 1000, 10000) {
		b.Run(sizeName(n), func(b *testing.B) {
			e := scale.Start(n, scale.Latency{})
			defer e.Close()
			syncOnceIn(b, e, b.TempDir())
			e.SetLatency(scale.Realistic())
			e.ResetCounters()
			i := 0
			for b.Loop() {
				res, err := scale.Reference(context.Background(), e, nil)
				if err != nil || res.Failed > 0 {
					b.Fatalf("reference: %v, %d failed (%v)", err, res.Failed, res.FirstError)
				}
				i++
			}
			reportRequests(b, e.Counts(), i)
		})
	}
}

// BenchmarkReferenceFirst is the replaced strategy on an empty server.
func BenchmarkReferenceFirst(b *testing.B) {
	for _, n := range scaleSizes(b, 1000) {
		b.Run(sizeName(n), func(b *testing.B) {
			var total scale.Requests
			i := 0
			for b.Loop() {
				b.StopTimer()
				e := scale.Start(n, scale.Realistic())
				b.StartTimer()
				res, err := scale.Reference(context.Background(), e, nil)
				if err != nil || res.Failed > 0 {
					b.Fatalf("reference: %v, %d failed (%v)", err, res.Failed, res.FirstError)
				}
				b.StopTimer()
				total = addCounts(total, e.Counts())
				e.Close()
				b.StartTimer()
				i++
			}
			reportRequests(b, total, i)
		})
	}
}

func addCounts(a, b scale.Requests) scale.Requests {
	if a.MM == nil {
		a = scale.Requests{MM: map[string]int{}, Graph: map[string]int{}}
	}
	for k, v := range b.MM {
		a.MM[k] += v
	}
	for k, v := range b.Graph {
		a.Graph[k] += v
	}
	return a
}

// TestScaleTargets checks the request target at a size the default test run
// can afford (1,000 users; the 10,000-user figures and the wall-time target
// are in BENCHMARKS.md): a no-op resync makes no write and at least 100 times
// fewer Mattermost requests than the reference strategy. With
// EMS_SCALE_TIMING=1 it also adds 3 ms to every Mattermost request and checks
// that the resync takes at least 20 times less time than the reference.
func TestScaleTargets(t *testing.T) {
	const n = 1000
	timing := os.Getenv("EMS_SCALE_TIMING") != ""
	e := scale.Start(n, scale.Latency{})
	defer e.Close()
	dir := t.TempDir()
	env := e.Env(filepath.Join(dir, "report.json"))
	var out bytes.Buffer
	resync := func() {
		out.Reset()
		if code := cli.Run(context.Background(), nil, cli.WithStdout(&out), cli.WithStderr(&out),
			cli.WithGetenv(func(k string) string { return env[k] }), cli.WithGraphTransport(e.Graph.Transport())); code != 0 {
			t.Fatalf("exit %d\n%s", code, world.Tail(out.String(), 2000))
		}
	}
	resync()
	if timing {
		e.SetLatency(scale.Latency{Request: scale.Realistic().Request})
	}
	e.ResetCounters()
	start := time.Now()
	resync()
	noop := time.Since(start)
	product := e.Counts()
	if product.MMWrites() != 0 {
		t.Fatalf("no-op resync wrote: %v", product.MM)
	}
	e.ResetCounters()
	start = time.Now()
	res, err := scale.Reference(context.Background(), e, nil)
	ref := time.Since(start)
	if err != nil || res.Failed != 0 {
		t.Fatalf("reference: %v (%d failed)", err, res.Failed)
	}
	reference := e.Counts()
	t.Logf("%d users: no-op resync %v, %d Mattermost requests; reference %v, %d requests",
		n, noop, product.MMTotal(), ref, reference.MMTotal())
	if product.MMTotal()*100 > reference.MMTotal() {
		t.Errorf("no-op resync made %d Mattermost requests, the reference %d: not 100 times fewer", product.MMTotal(), reference.MMTotal())
	}
	if timing && noop*20 > ref {
		t.Errorf("no-op resync took %v, the reference %v: not 20 times less", noop, ref)
	}
}
