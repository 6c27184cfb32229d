// Command scale measures the sync at scale against the in-process fakes with
// realistic latency, and compares it with the reference strategy the product
// replaces. The sync runs as its own process (the real binary, built here),
// so that its peak RSS is its own: the fakes, which hold the whole tenant and
// the whole Mattermost user table, live in this process.
//
//	go run ./cmd/scale -users 1000,10000
//	go run ./cmd/scale -users 100000 -reference noop -first-latency 0,0,0
//	go run ./cmd/scale -users 2000 -reference none -profile 5.36
//
// With -profile the first sync runs against a fake that hashes passwords as
// the measured server does (fakemm.Profiles: its cores, hashing time and
// request latency), and the run reports accounts created per second and
// the share of the server's capacity (fakemm.CPU.Capacity) that is.
//
// For each size it runs, in order: the product's first sync, its no-op
// resync, the reference strategy over the synced server (its "no-op"), and,
// on a fresh server, the reference's first sync. It prints one Markdown table
// and the requests per endpoint of every run.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	fakemm "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/mattermost"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/tools/scale"
)

// childEnv is added to the product's environment (-child-env).
var childEnv string

// rateLimit is applied to every fake Mattermost (-rate-limit).
var rateLimit fakemm.RateLimit

// profile is the server the first sync runs against (-profile); the zero
// Profile: the -first-latency timers, no CPU model.
var profile fakemm.Profile

// channels is how many group-mapped private channels the product's runs
// get (-channels); channelEnv is the product's environment for them.
var (
	channels   int
	channelEnv map[string]string
)

type result struct {
	name     string
	users    int
	wall     time.Duration
	read     time.Duration // start → directory and accounts read (incl. process start, preflight)
	plan     time.Duration // → plan computed and printed
	apply    time.Duration // → process exit (apply, report)
	rssKiB   int64
	reqs     scale.Requests
	exit     int
	note     string
	lookups  time.Duration
	writes   time.Duration
	failures int
	limited  int // requests the fake's rate limiter answered 429
}

func main() {
	users := flag.String("users", "1000,10000", "comma-separated tenant sizes")
	lat := flag.String("latency", "", "Graph,Mattermost request,create latency (default 20ms,3ms,30ms)")
	firstLat := flag.String("first-latency", "", "latency for the product's first sync only, same format (default: -latency)")
	reference := flag.String("reference", "noop,first", "reference runs: noop, first, both comma-separated, or none")
	bin := flag.String("bin", "", "the product binary (default: go build it)")
	conc := flag.Int("concurrency", 0, "the product's concurrency input (0: its default)")
	createConc := flag.Int("create-concurrency", 0, "the product's create-concurrency input (0: its default)")
	keep := flag.Bool("keep-logs", false, "keep the product's output in the temporary directory")
	flag.StringVar(&childEnv, "child-env", "", "extra environment for the product only, comma-separated KEY=VALUE (e.g. GOMEMLIMIT=200MiB)")
	prof := flag.String("profile", "", "the first sync's server: 5.36 or 11.4 (fakemm.Profiles: CPU-bound password hashing); empty: the latency timers")
	profLat := flag.Duration("profile-latency", 0, "with -profile: the Mattermost request latency instead of the profile's (a round trip from the runner to the server)")
	flag.IntVar(&channels, "channels", 0, "map this many groups to as many private channels (group-channels), the users spread evenly over them")
	rate := flag.String("rate-limit", "", "Mattermost's rate limiter in the fake: PerSec,MaxBurst (e.g. 10,100, the server's defaults); empty: off")
	flag.Parse()

	l, err := parseLatency(*lat, scale.Realistic())
	check(err)
	fl, err := parseLatency(*firstLat, l)
	check(err)
	refs := strings.Split(*reference, ",")
	if *rate != "" {
		ps, burst, ok := strings.Cut(*rate, ",")
		perSec, err1 := strconv.ParseFloat(ps, 64)
		b, err2 := strconv.Atoi(burst)
		if !ok || err1 != nil || err2 != nil || perSec <= 0 {
			check(fmt.Errorf("-rate-limit %q: want PerSec,MaxBurst", *rate))
		}
		rateLimit = fakemm.RateLimit{PerSecond: perSec, MaxBurst: b}
	}

	if *prof != "" {
		p, ok := fakemm.Profiles()[*prof]
		if !ok {
			check(fmt.Errorf("-profile %q: want 5.36 or 11.4", *prof))
		}
		if *profLat > 0 {
			p.Latency = *profLat
		}
		profile = p
	}

	dir, err := os.MkdirTemp("", "ems-scale-")
	check(err)
	if !*keep {
		defer os.RemoveAll(dir)
	}
	if *bin == "" {
		*bin = filepath.Join(dir, "entra-mattermost-sync")
		fmt.Fprintf(os.Stderr, "building the product into %s\n", *bin)
		root, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
		check(err)
		cmd := exec.Command("go", "build", "-o", *bin, ".")
		cmd.Dir = strings.TrimSpace(string(root))
		cmd.Stderr = os.Stderr
		check(cmd.Run())
	}

	host, _ := os.Hostname()
	fmt.Printf("# scale run %s on %s (%s/%s, %d CPUs, %s)\n\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"),
		host, runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())
	fmt.Printf("latency: Graph %v/request, Mattermost %v/request + %v/create; first sync: Graph %v, Mattermost %v + %v\n",
		l.Graph, l.Request, l.Create, fl.Graph, fl.Request, fl.Create)
	if profile.Name != "" {
		fmt.Printf("first sync against the %s profile: %d cores, %v per password hash (capacity %.1f creates/s), Mattermost %v/request\n",
			profile.Name, profile.CPU.Cores, profile.CPU.Hash.Round(100*time.Microsecond), profile.CPU.Capacity(), profile.Latency)
	}
	if rateLimit.PerSecond > 0 {
		fmt.Printf("Mattermost rate limit: %g requests/s, burst %d\n", rateLimit.PerSecond, rateLimit.MaxBurst)
	}
	fmt.Println()

	var all []result
	for _, s := range strings.Split(*users, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		check(err)
		all = append(all, measure(n, l, fl, refs, *bin, dir, *conc, *createConc)...)
	}

	fmt.Println("| run | users | wall | read | plan | apply | peak RSS | Mattermost requests (writes) | Graph requests | exit |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range all {
		rss := "—"
		if r.rssKiB > 0 {
			rss = fmt.Sprintf("%.0f MiB", float64(r.rssKiB)/1024)
		}
		fmt.Printf("| %s | %d | %s | %s | %s | %s | %s | %d (%d) | %d | %d |\n", r.name, r.users, round(r.wall),
			round(r.read), round(r.plan), round(r.apply), rss, r.reqs.MMTotal(), r.reqs.MMWrites(), r.reqs.GraphTotal(), r.exit)
	}
	fmt.Println()
	for _, r := range all {
		fmt.Printf("* %s, %d users: Mattermost %s; Graph %s", r.name, r.users, scale.Format(r.reqs.MM), scale.Format(r.reqs.Graph))
		if r.note != "" {
			fmt.Printf(". %s", r.note)
		}
		if rateLimit.PerSecond > 0 {
			fmt.Printf(". %d answered 429 by the rate limiter", r.limited)
		}
		fmt.Println()
	}
	fmt.Printf("\nthis process (fakes and reference strategy) peak RSS: %s\n", vmHWM())
}

func measure(n int, l, fl scale.Latency, refs []string, bin, dir string, conc, createConc int) []result {
	fmt.Fprintf(os.Stderr, "== %d users\n", n)
	e := scale.Start(n, fl)
	e.MM.SetRateLimit(rateLimit)
	defer func() { e.Close() }()
	channelEnv = e.MapChannels(channels)
	cert := filepath.Join(dir, "graph-ca.pem")
	check(os.WriteFile(cert, e.Graph.CertPEM(), 0o600))

	var out []result
	if profile.Name != "" {
		e.MM.SetProfile(profile)
	}
	first := product(e, "sync: first", n, bin, dir, cert, conc, createConc)
	if fl != l && profile.Name == "" {
		first.note = strings.TrimPrefix(fmt.Sprintf("%s; first sync at latency Graph %v, Mattermost %v + %v/create", first.note, fl.Graph, fl.Request, fl.Create), "; ")
	}
	if profile.Name != "" {
		first.note = strings.TrimPrefix(first.note+"; "+paceNote(first), "; ")
		e.MM.SetCPU(fakemm.CPU{})
	}
	out = append(out, first)
	e.SetLatency(l)
	out = append(out, product(e, "sync: no-op resync", n, bin, dir, cert, conc, createConc))
	if slices.Contains(refs, "noop") {
		out = append(out, reference(e, "reference: resync", n))
	}
	if slices.Contains(refs, "first") {
		e.Close()
		e = scale.Start(n, l)
		e.MM.SetRateLimit(rateLimit)
		out = append(out, reference(e, "reference: first", n))
	}
	return out
}

func parseLatency(s string, def scale.Latency) (scale.Latency, error) {
	if s == "" {
		return def, nil
	}
	parts := strings.Split(s, ",")
	if len(parts) != 3 {
		return def, fmt.Errorf("latency %q: want graph,request,create (e.g. 20ms,3ms,30ms)", s)
	}
	var ds [3]time.Duration
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if p == "0" {
			continue
		}
		d, err := time.ParseDuration(p)
		if err != nil {
			return def, err
		}
		ds[i] = d
	}
	return scale.Latency{Graph: ds[0], Request: ds[1], Create: ds[2]}, nil
}

func round(d time.Duration) string {
	switch {
	case d == 0:
		return "—"
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	default:
		return d.Round(10 * time.Millisecond).String()
	}
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(1)
	}
}
