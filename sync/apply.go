package sync

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
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

// update sends the patch. If the server says the new address is taken (it was
// free when planned), the address change is dropped, the rest is sent, and
// the action fails so that the run says so; the next run re-plans it as a
// conflict. If Mattermost keeps the old address (it waits for the user to
// verify the new one), the request is recorded so it is not repeated.
//
// afterWrite says this action already changed the account (a reactivation's
// update): a failure then is a failure, never "not attempted".
func (x *applier) update(ctx context.Context, r Result, p Patch, afterWrite bool) Result {
	a := r.Action
	fail := failed
	if afterWrite {
		fail = failedAfterWrite
	}
	got, err := x.patch(ctx, a.AccountID, p)
	if errors.Is(err, ErrEmailExists) && p.Email != nil {
		wanted := *p.Email
		p.Email = nil
		if !p.Empty() {
			if _, err2 := x.patch(ctx, a.AccountID, p); err2 != nil {
				return fail(r, fmt.Errorf("update %s: %w", a.Username, err2))
			}
		}
		r.AccountID = a.AccountID
		return failed(r, fmt.Errorf("update %s: %s was taken by another account after the plan was made; the address was not changed (its other changes were), and the next run reports the conflict: %w", a.Username, wanted, err))
	}
	if err != nil {
		return fail(r, fmt.Errorf("%s %s: %w", a.Kind, a.Username, err))
	}
	r.Status, r.AccountID = StatusDone, a.AccountID
	if a.Temporary && p.Email != nil && !strings.EqualFold(got.Email, *p.Email) && got.ID != "" {
		// The server holds address changes for verification, and nobody
		// can verify a placeholder: the swap cannot go this way.
		return failedAfterWrite(r, fmt.Errorf("update %s: Mattermost kept %s instead of moving it to a temporary address (EmailSettings.RequireEmailVerification holds address changes until the user verifies them), "+
			"so the address swap it belongs to cannot complete and the moves waiting for it fail; swap the addresses in System Console > Users, or turn verification off for one run", a.Username, got.Email))
	}
	if p.Email != nil && !strings.EqualFold(got.Email, *p.Email) && got.ID != "" {
		r.Pending = true
		r.Note = "Mattermost keeps " + got.Email + " until the user verifies " + *p.Email + " (a verification mail was sent); the change is not asked for again"
		if err := x.setMarks(ctx, a.AccountID, map[string]string{PropPendingEmail: x.r.linker.PendingMark(a.AccountID, *p.Email)}); err != nil {
			r.Note += "; recording the request failed, so the next run asks again: " + err.Error()
		}
	}
	return r
}

// patch sends p. When it writes props it first re-reads the account and
// changes only the sync's own keys (rebaseProps): what the user set since
// the run read the account (a custom status) survives. The API has no
// conditional write, so a change in the one round trip between the read
// and the write can still be lost; before, it was the whole run.
func (x *applier) patch(ctx context.Context, id string, p Patch) (Account, error) {
	if p.Props != nil {
		now, err := x.t.GetUser(ctx, id)
		if err != nil {
			return Account{}, fmt.Errorf("read the account before writing its props: %w", err)
		}
		if p.Props = rebaseProps(now.Props, p.Props); p.Empty() {
			return now, nil
		}
	}
	return x.t.PatchUser(ctx, id, p)
}

// setMarks sets the sync's own props keys on an account, re-read just
// before, leaving every other key as it is; no write when they are set.
func (x *applier) setMarks(ctx context.Context, id string, set map[string]string) error {
	now, err := x.t.GetUser(ctx, id)
	if err != nil {
		return err
	}
	if props := withProps(now.Props, set); props != nil {
		_, err = x.t.PatchUser(ctx, id, Patch{Props: props})
	}
	return err
}

// deactivate deactivates the account, then records that this sync did it
// (with the delete_at the server set), so that only this deactivation can be
// undone by reactivate: deactivated-by-sync.
func (x *applier) deactivate(ctx context.Context, r Result) Result {
	a := r.Action
	// A destructive write goes ahead only on the account the plan saw.
	before, err := x.t.GetUser(ctx, a.AccountID)
	if err == nil {
		err = changedSince(a, &before)
	}
	if err != nil {
		return failed(r, fmt.Errorf("deactivate %s: %w", a.Username, err))
	}
	if before.DeleteAt != 0 {
		r.Status, r.AccountID = StatusDone, a.AccountID
		r.Note = "already deactivated since the plan was made (by someone else): left as it is"
		return r
	}
	if err := x.t.SetActive(ctx, a.AccountID, false); err != nil {
		return failed(r, fmt.Errorf("deactivate %s: %w", a.Username, err))
	}
	r.Status, r.AccountID = StatusDone, a.AccountID
	acct, err := x.t.GetUser(ctx, a.AccountID)
	if _, foreign := x.r.linker.Foreign(&acct); err == nil && foreign {
		// Another instance's account, deactivated under the address rule:
		// its props stay as that instance wrote them.
		return r
	}
	if err == nil {
		set := map[string]string{PropDeactivated: x.r.linker.DeactivatedMark(acct.ID, a.EntraID, acct.DeleteAt)}
		var drop []string
		if a.Patch.Props != nil {
			var link map[string]string
			link, drop = x.r.linker.linkSet(acct.ID, a.EntraID)
			maps.Copy(set, link)
		}
		if props := withProps(acct.Props, set, drop...); props != nil {
			_, err = x.t.PatchUser(ctx, a.AccountID, Patch{Props: props})
		}
	}
	if err != nil {
		r.Note = "deactivated, but recording that this sync did it failed, so reactivate: deactivated-by-sync will not hand it back by itself (reactivate it in Mattermost if the user returns): " + err.Error()
	}
	return r
}

// changedSince reports an account whose address is no longer the one the
// plan saw: the plan's reasons no longer hold, and the next run re-plans.
func changedSince(a Action, now *Account) error {
	if a.Observed != nil && !strings.EqualFold(now.Email, a.Observed.Email) {
		return fmt.Errorf("its address changed from %s to %s since the plan was made; not changed now, the next run re-plans", a.Observed.Email, now.Email)
	}
	return nil
}

func (x *applier) create(ctx context.Context, r Result) Result {
	a := r.Action
	username := a.Username
	for attempt := 1; ; attempt++ {
		props := x.r.linker.createProps(a.EntraID, a.Email, username)
		nu := NewUser{Username: username, Email: a.Email, Profile: a.Profile, Props: props}
		if a.Onboard {
			props[PropOnboardPending] = x.r.linker.OnboardPendingMark(a.EntraID)
			if x.r.opts.Onboarding == OnboardingGraphMail {
				nu.OnPassword = func(s Secret) { x.keepPassword(a.EntraID, s) }
			}
		}
		acct, err := x.t.CreateUser(ctx, nu)
		switch {
		case err == nil:
			r.Status, r.AccountID, r.Username = StatusDone, acct.ID, acct.Username
			if username != a.Username {
				r.Note = fmt.Sprintf("username %s was taken on the server; used %s", a.Username, username)
			}
			return x.link(ctx, r, &acct)
		case errors.Is(err, ErrUsernameExists) && attempt < maxUsernameAttempts && a.UsernameBase != "":
			username = x.usernames.Next(a.UsernameBase, username)
		case errors.Is(err, ErrEmailExists):
			return x.adopt(ctx, r)
		default:
			return failed(r, fmt.Errorf("create %s <%s>: %w", username, a.Email, err))
		}
	}
}

// link writes the signed link onto a freshly created account. The server
// assigns the id the signature covers, so this is a second write. If it
// fails, the creation mark still makes the account this user's next run.
// Its props are the create answer's, not re-read: the account did not exist
// before this request, and nobody knows its random password, so nobody but
// the sync has written to it (and a re-read would cost a round trip per
// create, which a first sync of 100,000 users pays in minutes).
func (x *applier) link(ctx context.Context, r Result, acct *Account) Result {
	props := x.r.linker.linkProps(acct, acct.ID, r.EntraID)
	if _, err := x.t.PatchUser(ctx, acct.ID, Patch{Props: props}); err != nil {
		return failedAfterWrite(r, fmt.Errorf("created %s, but writing its link failed (the next run links it): %w", acct.Username, err))
	}
	return r
}

// adopt handles a create that found its address taken: the account is
// re-read and the plan's adoption rule decides, exactly as if the planner
// had seen it.
func (x *applier) adopt(ctx context.Context, r Result) Result {
	a := r.Action
	acct, err := x.t.GetUserByEmail(ctx, a.Email)
	if err != nil {
		return failed(r, fmt.Errorf("create %s: the address is taken, and looking it up failed: %w", a.Email, err))
	}
	if ok, reason, _ := x.r.adoption(a.EntraID, &acct); !ok {
		return failed(r, fmt.Errorf("create %s: an account the plan did not see holds the address (%s); the next run re-plans", a.Email, reason))
	}
	r.Status, r.AccountID, r.Username = StatusAdopted, acct.ID, acct.Username
	r.Note = "the account already existed (this sync's own create whose answer was lost, or a concurrent writer); linked it"
	p, changes := diffProfile(&acct, a.Profile)
	p.Props = x.r.linker.linkProps(&acct, acct.ID, a.EntraID)
	if _, err := x.t.PatchUser(ctx, acct.ID, p); err != nil {
		return failedAfterWrite(r, fmt.Errorf("adopt %s: %w", acct.Username, err))
	}
	r.Changes = changes
	return r
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
