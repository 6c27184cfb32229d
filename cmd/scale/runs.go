package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/tools/scale"
)

// One measured run each: the product as a child process (its own peak
// RSS, sampled from /proc) and the reference strategy in this process.

func product(e *scale.Env, name string, n int, bin, dir, cert string, conc, createConc int) result {
	fmt.Fprintf(os.Stderr, "   %s ...", name)
	e.ResetCounters()
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GITHUB_") && !strings.HasPrefix(kv, "INPUT_") {
			env = append(env, kv)
		}
	}
	for k, v := range e.Env(filepath.Join(dir, "report.json")) {
		env = append(env, k+"="+v)
	}
	for k, v := range channelEnv {
		env = append(env, k+"="+v)
	}
	env = append(env, "SSL_CERT_FILE="+cert)
	if childEnv != "" {
		env = append(env, strings.Split(childEnv, ",")...)
	}
	if conc > 0 {
		env = append(env, "SYNC_CONCURRENCY="+strconv.Itoa(conc))
	}
	if createConc > 0 {
		env = append(env, "SYNC_CREATE_CONCURRENCY="+strconv.Itoa(createConc))
	}
	log, err := os.Create(filepath.Join(dir, strings.NewReplacer(" ", "-", ":", "").Replace(name)+"-"+strconv.Itoa(n)+".log"))
	check(err)
	defer log.Close()

	cmd := exec.Command(bin)
	cmd.Env = env
	stdout, err := cmd.StdoutPipe()
	check(err)
	cmd.Stderr = log
	start := time.Now()
	check(cmd.Start())
	sampled := make(chan map[string]int64, 1) // VmHWM, RssAnon, RssFile in KiB
	go func() { sampled <- sampleStatus(cmd.Process.Pid) }()
	var readAt, applyAt time.Time
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case readAt.IsZero() && strings.HasPrefix(line, "Read ") && strings.Contains(line, "Entra ID users"):
			readAt = time.Now()
		case applyAt.IsZero() && strings.HasPrefix(line, "== Applying"):
			applyAt = time.Now()
		}
		fmt.Fprintln(log, line)
	}
	_, _ = io.Copy(log, stdout)
	err = cmd.Wait()
	end := time.Now()
	r := result{name: name, users: n, wall: end.Sub(start), reqs: e.Counts(), limited: e.MM.RateLimited()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.exit = ee.ExitCode()
	} else {
		check(err)
	}
	// getrusage's ru_maxrss is no use here: Linux carries the parent's
	// high-water mark into a child across fork and exec, so it reports this
	// process (the fakes) as much as the product. VmHWM of the child's own
	// address space, read until it exits, is the product's peak.
	if m := <-sampled; len(m) > 0 {
		r.rssKiB = m["VmHWM"]
		r.note = strings.TrimPrefix(fmt.Sprintf("%s; peak RssAnon %d MiB (heap), RssFile %d MiB (binary)", r.note, m["RssAnon"]>>10, m["RssFile"]>>10), "; ")
	}
	if !readAt.IsZero() {
		r.read = readAt.Sub(start)
		if applyAt.IsZero() {
			r.plan = end.Sub(readAt)
		} else {
			r.plan = applyAt.Sub(readAt)
			r.apply = end.Sub(applyAt)
		}
	}
	fmt.Fprintf(os.Stderr, " %v, exit %d\n", round(r.wall), r.exit)
	return r
}

// paceNote says how fast a first sync created accounts against the profile:
// creates (POST /users requests) per second of the apply phase, and that
// rate's share of the server's capacity.
func paceNote(r result) string {
	creates := r.reqs.MM["POST /api/v4/users"]
	if r.apply <= 0 || creates == 0 {
		return "no creates measured"
	}
	rate := float64(creates) / r.apply.Seconds()
	return fmt.Sprintf("%s profile: %d creates in %s, %.2f/s, %.1f %% of the server's %.1f/s", profile.Name, creates,
		round(r.apply), rate, 100*rate/profile.CPU.Capacity(), profile.CPU.Capacity())
}

func reference(e *scale.Env, name string, n int) result {
	fmt.Fprintf(os.Stderr, "   %s ...", name)
	e.ResetCounters()
	start := time.Now()
	res, err := scale.Reference(context.Background(), e, nil)
	check(err)
	r := result{name: name, users: n, wall: time.Since(start), reqs: e.Counts(), limited: e.MM.RateLimited(), read: res.Read,
		lookups: res.Lookups, writes: res.Writes, failures: res.Failed}
	r.apply = res.Lookups + res.Writes
	r.note = fmt.Sprintf("%d looked up (%v), %d patched + %d created (%v), %d failed", res.Looked, round(res.Lookups),
		res.Patched, res.Created, round(res.Writes), res.Failed)
	if res.Failed > 0 {
		r.exit = 1
		r.note += fmt.Sprintf(" (first: %v)", res.FirstError)
	}
	fmt.Fprintf(os.Stderr, " %v\n", round(r.wall))
	return r
}

// sampleStatus polls /proc/pid/status every 10 ms until the process exits and
// returns the largest VmHWM (the peak RSS, which the kernel tracks itself, so
// nothing between samples is missed but the last 10 ms), RssAnon (heap and
// other anonymous memory) and RssFile (the mapped binary), in KiB.
func sampleStatus(pid int) map[string]int64 {
	peak := map[string]int64{}
	path := fmt.Sprintf("/proc/%d/status", pid)
	for {
		b, err := os.ReadFile(path)
		if err != nil || strings.Contains(string(b), "State:\tZ") {
			return peak
		}
		for _, l := range strings.Split(string(b), "\n") {
			k, v, ok := strings.Cut(l, ":")
			if !ok || (k != "RssAnon" && k != "RssFile" && k != "VmHWM") {
				continue
			}
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			peak[k] = max(peak[k], n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// vmHWM is this process's peak resident set size.
func vmHWM() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
