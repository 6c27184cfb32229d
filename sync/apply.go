package sync

import (
	"context"
	"errors"
	"fmt"
	"slices"
	gosync "sync"
)

// Status is the outcome of one action.
type Status string

// Outcomes. Adopted means a create found the account already there (its own
// earlier request whose answer was lost, or another writer) and the plan's
// rules said it is this user's. NotAttempted means the write was never sent
// (the run was cancelled, or Mattermost stopped answering); the next run
// plans it again.
const (
	StatusDone         Status = "done"
	StatusAdopted      Status = "adopted"
	StatusFailed       Status = "failed"
	StatusNotAttempted Status = "not_attempted"
)

// Result is what happened to one planned action.
type Result struct {
	Action
	Status    Status `json:"status"`
	Error     string `json:"error,omitempty"`
	ErrorID   string `json:"error_id,omitempty"`
	AccountID string `json:"result_mattermost_id,omitempty"`
	Note      string `json:"note,omitempty"`
	// Pending is set when Mattermost held an email change back for the
	// user to verify (EmailSettings.RequireEmailVerification).
	Pending bool `json:"email_pending_verification,omitempty"`
	// Retryable marks a failure that may not recur (the target's retries
	// ran out on a 429, a 5xx or a dropped connection): the next run tries
	// again on its own; anything else needs an administrator.
	Retryable bool `json:"retryable,omitempty"`
}

// ApplyOptions are what Apply needs besides the plan: the options the plan
// was made with, and bounds on the work it does at once.
type ApplyOptions struct {
	// Options are the options the plan was made with. Apply asks the same
	// rules as the planner (adoption, protection) when the server
	// contradicts the plan, and signs links and marks with Options.Linker;
	// the plan itself holds no rules.
	Options Options
	// SelfID is the token owner's account id (Observed.SelfID): an account
	// Apply never adopts.
	SelfID string
	// Workers is how many updates, deactivations and reactivations run at
	// once (default 8).
	Workers int
	// CreateWorkers is how many creates run at once (default
	// DefaultCreateWorkers): each one makes the server hash a password.
	CreateWorkers int
	// OnResult, when set, is called after each action finishes, from the
	// worker goroutine.
	OnResult func(Result)
	// Onboarder runs the plan's onboard actions (nil: they are not
	// attempted). The target must implement PasswordTarget for them.
	Onboarder Onboarder
}

// DefaultCreateWorkers is how many creates run at once unless
// ApplyOptions.CreateWorkers says otherwise. A first sync is bound by the
// server hashing each new password on its cores (bcrypt on 5.36, PBKDF2 with
// 600,000 iterations on 11.x); creates beyond its cores only queue there.
// Measured on real 2-core servers (reference/mattermost-api.md §10), 4
// creates in flight reached the servers' capacity (30/s on 5.36, 10.7/s on
// 11.4, twice the sequential rate) without an error. 4 is also what keeps
// both cores busy while a worker is elsewhere: between two hashes each
// worker spends a round trip on the create's answer and one on the link
// patch, so with 3 workers and a 30 ms round trip a 5.36 server's cores sat
// idle a quarter of the time (76.5 % of capacity against the fake's 5.36
// profile, 98.3 % with 4; BENCHMARKS.md, "First sync at the server's
// pace"). A server with more cores, or a runner further away (beyond about
// 40 ms on 5.36), needs create-concurrency raised.
const DefaultCreateWorkers = 4

// IsTransient reports whether a Target error may succeed if tried again
// later (the target's own retries ran out on a 429, a 5xx or a dropped
// connection). Apply does not retry: the target's client is the one retry
// layer; the next run re-plans.
func IsTransient(err error) bool {
	if errors.Is(err, ErrUnavailable) {
		return true
	}
	var t interface{ Transient() bool }
	return errors.As(err, &t) && t.Transient()
}

// maxUsernameAttempts bounds the retries when the server refuses a username
// the user list did not show as taken (a user group's name, or a race).
const maxUsernameAttempts = 5

// Apply executes the plan against t and returns one result per action, in
// plan order. It decides nothing: where the server contradicts the plan (an
// address taken since the read), it re-reads that one account and asks the
// planner's rules, rebuilt from opts.Options and opts.SelfID, or fails the
// action for the next run to re-plan. A failed action never stops the
// others. A username the server refuses gets the next free suffix from an
// allocator seeded with plan.TakenUsernames. Apply does not change plan.
func Apply(ctx context.Context, plan *Plan, t Target, opts ApplyOptions) []Result {
	if opts.Workers <= 0 {
		opts.Workers = 8
	}
	if opts.CreateWorkers <= 0 {
		opts.CreateWorkers = DefaultCreateWorkers
	}
	x := &applier{plan: plan, t: t, r: newRules(opts.Options.withDefaults(), opts.SelfID), results: make([]Result, len(plan.Actions)),
		onResult: opts.OnResult, returnBlocked: map[string]string{}, onboarder: opts.Onboarder}
	if plan.Count(KindCreate) > 0 {
		taken := slices.Clone(plan.TakenUsernames)
		for i := range plan.Actions {
			if plan.Actions[i].Kind == KindCreate {
				taken = append(taken, plan.Actions[i].Username)
			}
		}
		x.usernames = NewUsernameAllocator(taken)
	}
	phase := func(match func(*Action) bool) []int {
		var idx []int
		for i := range plan.Actions {
			if match(&plan.Actions[i]) {
				idx = append(idx, i)
			}
		}
		return idx
	}
	is := func(k Kind) func(*Action) bool { return func(a *Action) bool { return a.Kind == k } }
	// Seats and addresses first: a deactivation frees a seat under the
	// server's user cap, a release frees an address for a new person.
	x.run(ctx, phase(is(KindDeactivate)), opts.Workers)
	x.run(ctx, phase(is(KindRelease)), opts.Workers)
	// A returner loses the memberships it must lose while still
	// deactivated, and is reactivated only if that worked.
	x.returnerRemovals(ctx)
	// Then wave by wave (an address change runs after the change that
	// frees its address): reactivations first within a wave, so that their
	// seats are taken before creates take the rest.
	waves := 0
	for i := range plan.Actions {
		waves = max(waves, plan.Actions[i].Wave)
	}
	for w := 0; w <= waves; w++ {
		x.run(ctx, phase(func(a *Action) bool { return a.Kind == KindReactivate && a.Wave == w }), opts.Workers)
		var wg gosync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			x.run(ctx, phase(func(a *Action) bool { return a.Kind == KindCreate && a.Wave == w }), opts.CreateWorkers)
		}()
		go func() {
			defer wg.Done()
			x.run(ctx, phase(func(a *Action) bool { return a.Kind == KindUpdate && a.Wave == w }), opts.Workers)
		}()
		wg.Wait()
	}
	x.teams(ctx)
	x.channels(ctx, opts.Workers)
	x.onboardAll(ctx)
	return x.results
}

type applier struct {
	plan      *Plan
	usernames *UsernameAllocator // seeded from plan.TakenUsernames
	t         Target
	r         *rules
	results   []Result
	onResult  func(Result)
	// returnBlocked maps a returner's account id to the removal that did
	// not go through before its reactivation (set before reactivations
	// run, read-only after).
	returnBlocked map[string]string

	// Onboarding (onboard.go): mu guards passwords (kept from creates for
	// their onboard actions) and stopped (a refusal ended onboarding).
	onboarder Onboarder
	mu        gosync.Mutex
	passwords map[string]Secret
	stopped   bool
}

func (x *applier) finish(i int, r Result) {
	x.results[i] = r
	if x.onResult != nil {
		x.onResult(r)
	}
}

func (x *applier) run(ctx context.Context, idx []int, workers int) {
	jobs := make(chan int)
	var wg gosync.WaitGroup
	for w := 0; w < min(workers, len(idx)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				x.finish(i, x.one(ctx, x.plan.Actions[i]))
			}
		}()
	}
	for _, i := range idx {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
}

func (x *applier) one(ctx context.Context, a Action) Result {
	r := Result{Action: a}
	if err := ctx.Err(); err != nil {
		return notAttempted(r, err)
	}
	switch a.Kind {
	case KindCreate:
		return x.create(ctx, r)
	case KindUpdate:
		return x.update(ctx, r, a.Patch, false)
	case KindDeactivate:
		return x.deactivate(ctx, r)
	case KindRelease:
		acct, err := x.t.GetUser(ctx, a.AccountID)
		if err == nil {
			err = changedSince(a, &acct)
		}
		if err == nil && acct.DeleteAt == 0 {
			err = errors.New("it was reactivated since the plan was made; a live account keeps its address")
		}
		if err != nil {
			return failed(r, fmt.Errorf("release the address of %s: %w", a.Username, err))
		}
		p := a.Patch
		if p.Props != nil {
			p.Props = rebaseProps(acct.Props, p.Props) // acct was read just now
		}
		if _, err := x.t.PatchUser(ctx, a.AccountID, p); err != nil {
			return failed(r, fmt.Errorf("release the address of %s: %w", a.Username, err))
		}
		r.Status, r.AccountID = StatusDone, a.AccountID
		return r
	case KindReactivate:
		if what := x.returnBlocked[a.AccountID]; what != "" {
			return notReactivated(r, what)
		}
		if err := x.t.SetActive(ctx, a.AccountID, true); err != nil {
			return failed(r, fmt.Errorf("reactivate %s: %w", a.Username, err))
		}
		if a.Patch.Empty() {
			r.Status, r.AccountID = StatusDone, a.AccountID
			return r
		}
		return x.update(ctx, r, a.Patch, true)
	}
	return failed(r, fmt.Errorf("unknown action %q", a.Kind))
}

// failed reports an action that changed nothing: when the target was
// unavailable it was not attempted, and the next run makes it.
func failed(r Result, err error) Result {
	if errors.Is(err, ErrUnavailable) {
		return notAttempted(r, err)
	}
	return failedAfterWrite(r, err)
}

// failedAfterWrite reports an action that failed part-way, after one of its
// writes took effect (a create whose link could not be written): it keeps
// its context, and is never "not attempted".
func failedAfterWrite(r Result, err error) Result {
	r.Status = StatusFailed
	r.Retryable = IsTransient(err)
	r.Error = err.Error()
	var id ErrorIDer
	if errors.As(err, &id) {
		r.ErrorID = id.ErrorID()
	}
	return r
}

func notAttempted(r Result, cause error) Result {
	r.Status = StatusNotAttempted
	switch {
	case errors.Is(cause, ErrUnavailable):
		r.Error = "not attempted: Mattermost unavailable"
	default:
		r.Error = "not attempted: " + cause.Error()
	}
	return r
}
