package fakemm

import (
	"github.com/entra-mattermost-sync/entra-mattermost-sync/internal/clock"

	"context"
	"time"
)

// CPU is the server's password hashing, the cost that bounds a first sync: a
// create that carries a password holds one of Cores for Hash, and a create
// that finds every core busy waits for one. So with any number of creates in
// flight the server creates at most Cores/Hash accounts a second, and the
// creates beyond Cores only wait longer; the zero CPU hashes for free.
type CPU struct {
	Cores int
	Hash  time.Duration
}

// Capacity is the most creates a second the CPU can hash (every core busy);
// 0 for the zero CPU.
func (c CPU) Capacity() float64 {
	if c.Cores <= 0 || c.Hash <= 0 {
		return 0
	}
	return float64(c.Cores) / c.Hash.Seconds()
}

// Profile is a real server as measured: its CPU and the latency of every
// request.
type Profile struct {
	Name    string
	CPU     CPU
	Latency time.Duration
}

// Measured on real 2-core servers (reference/mattermost-api.md §10, a
// 12-character password): 5.36.1 (bcrypt) created about 15 accounts/s one at
// a time and 30/s with 4 in parallel; 11.4.0 (PBKDF2, 600,000 iterations)
// 5.5/s and 10.7/s.
//
// How the profiles are derived: Cores is the machines' 2, which the figures
// confirm (4 in parallel gave 2.0 and 1.95 times the sequential rate: bound
// by 2 cores, not by the 4 requests). Hash is Cores divided by the parallel
// rate, so that Capacity is the measured capacity the first sync is judged
// against: 2/30 s = 66.7 ms and 2/10.7 s = 186.9 ms. The sequential rate
// then leaves no time for the rest of a request (1/15 s = 66.7 ms; on 11.4,
// 1/5.5 s = 181.8 ms is even 5 ms less than Hash: with 4 in flight the real
// server lost about 3 % to contention), so Latency is a LAN round trip,
// 1 ms, and the model's sequential rates, 1/(Hash+Latency), are 14.8/s and
// 5.32/s: within 1.5 % and 3.3 % of the measurements (cpu_test.go checks
// all four figures).
var (
	profile536 = Profile{Name: "5.36", CPU: cpuFor(2, 30), Latency: time.Millisecond}
	profile114 = Profile{Name: "11.4", CPU: cpuFor(2, 10.7), Latency: time.Millisecond}
)

// cpuFor is the CPU of n cores that hashes perSecond passwords a second.
func cpuFor(n int, perSecond float64) CPU {
	return CPU{Cores: n, Hash: time.Duration(float64(n) * float64(time.Second) / perSecond)}
}

// Profiles returns the measured servers, by Name (a new map each call).
func Profiles() map[string]Profile {
	return map[string]Profile{profile536.Name: profile536, profile114.Name: profile114}
}

// cores is a CPU in use: a slot per core.
type cores struct {
	slots chan struct{}
	hash  time.Duration
}

// newCores returns nil for the zero CPU (no hashing cost).
func newCores(c CPU) *cores {
	if c.Cores <= 0 || c.Hash <= 0 {
		return nil
	}
	return &cores{slots: make(chan struct{}, c.Cores), hash: c.Hash}
}

// hashPassword waits for a free core and holds it for the hashing time,
// sleeping with sleep. It returns ctx's error if the request goes away
// first (the core is freed: the real server would finish the hash, but
// nobody waits for its answer and the test is about the client).
func (c *cores) hashPassword(ctx context.Context, sleep Sleeper) error {
	if c == nil {
		return nil
	}
	select {
	case c.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-c.slots }()
	return sleep(ctx, c.hash)
}

// Sleeper waits d, or returns ctx's error as soon as ctx is done. The fake's
// waits (latency, hashing) go through one, real time unless SetSleeper
// gives another.
type Sleeper func(ctx context.Context, d time.Duration) error

// realSleep is the wall clock's Sleeper.
var realSleep Sleeper = clock.Sleep

// SetCPU changes the server's password hashing (the zero CPU: free).
// Creates already waiting for a core keep the old CPU.
func (s *Server) SetCPU(c CPU) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.CPU = c
	s.cores = newCores(c)
}

// SetProfile makes the server behave as a measured one: its CPU and its
// latency per request (and no CreateLatency: the CPU is the create's cost).
func (s *Server) SetProfile(p Profile) {
	s.SetCPU(p.CPU)
	s.SetLatency(p.Latency, 0)
}

// SetSleeper makes every wait of the fake (Latency, CreateLatency, CPU)
// go through sleep, a test's fake clock; nil restores real time.
func (s *Server) SetSleeper(sleep Sleeper) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sleep = sleep
}

// sleeper is the server's Sleeper. Caller holds mu.
func (s *Server) sleeper() Sleeper {
	if s.sleep == nil {
		return realSleep
	}
	return s.sleep
}
