package sync

import (
	"context"
	"errors"
	"fmt"
	"slices"
	gosync "sync"
	"time"
)

// Status is the outcome of one action.
type Status string

// Outcomes. Adopted means a create found the account already there (a retried
// request that had succeeded, or another writer) and took it over.
const (
	StatusDone    Status = "done"
	StatusAdopted Status = "adopted"
	StatusFailed  Status = "failed"
)

// Result is what happened to one planned action.
type Result struct {
	Action
	Status    Status `json:"status"`
	Error     string `json:"error,omitempty"`
	ErrorID   string `json:"error_id,omitempty"`
	AccountID string `json:"result_mattermost_id,omitempty"`
	Note      string `json:"note,omitempty"`
}

// ApplyOptions bound the work Apply does at once.
type ApplyOptions struct {
	// Workers is how many updates, deactivations and reactivations run at
	// once (default 8).
	Workers int
	// CreateWorkers is how many creates run at once (default 3): each one
	// makes the server hash a password (PBKDF2, 600,000 rounds on v11).
	CreateWorkers int
	// OnResult, when set, is called after each action finishes, from the
	// worker goroutine.
	OnResult func(Result)
}

// Writes that fail transiently (a 502 from a proxy, a dropped connection)
// are tried again here, not in the HTTP client: only the applier knows that a
// repeated create is safe, because a create that had in fact succeeded comes
// back as email_exists and is adopted.
const maxWriteAttempts = 5

// writeBackoff is the pause before the n-th retry of a write; a variable so
// that tests need not wait.
var writeBackoff = func(n int) time.Duration { return time.Duration(n) * 500 * time.Millisecond }

// IsTransient reports whether a Target error may succeed if tried again.
func IsTransient(err error) bool {
	var t interface{ Transient() bool }
	return errors.As(err, &t) && t.Transient()
}

// retry runs op until it succeeds, fails for good, or has been tried
// maxWriteAttempts times.
func retry(ctx context.Context, op func() error) error {
	for attempt := 1; ; attempt++ {
		err := op()
		if err == nil || attempt == maxWriteAttempts || !IsTransient(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(writeBackoff(attempt)):
		}
	}
}

// maxUsernameAttempts bounds the retries when the server refuses a username
// the user list did not show as taken (a user group's name, or a race).
const maxUsernameAttempts = 5

// Apply executes the plan against t and returns one result per action, in
// plan order. A failed action never stops the others.
func Apply(ctx context.Context, plan *Plan, t Target, opts ApplyOptions) []Result {
	if opts.Workers <= 0 {
		opts.Workers = 8
	}
	if opts.CreateWorkers <= 0 {
		opts.CreateWorkers = 3
	}
	results := make([]Result, len(plan.Actions))
	run := func(kinds []Kind, workers int) {
		var idx []int
		for i := range plan.Actions {
			if slices.Contains(kinds, plan.Actions[i].Kind) {
				idx = append(idx, i)
			}
		}
		jobs := make(chan int)
		var wg gosync.WaitGroup
		for w := 0; w < min(workers, len(idx)); w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range jobs {
					r := applyOne(ctx, plan, t, plan.Actions[i])
					results[i] = r
					if opts.OnResult != nil {
						opts.OnResult(r)
					}
				}
			}()
		}
		for _, i := range idx {
			jobs <- i
		}
		close(jobs)
		wg.Wait()
	}
	// Seats first: a deactivation frees one under the server's user cap.
	run([]Kind{KindDeactivate}, opts.Workers)
	run([]Kind{KindReactivate}, opts.Workers)
	var wg gosync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); run([]Kind{KindCreate}, opts.CreateWorkers) }()
	go func() { defer wg.Done(); run([]Kind{KindUpdate}, opts.Workers) }()
	wg.Wait()
	applyTeams(ctx, plan, t, results, opts)
	return results
}

// teamBatch is Mattermost's limit for one batch add (MaxAddMembersBatch).
const teamBatch = 256

// applyTeams runs the membership changes once every account has an id:
// adds in batches per team, removals one by one.
func applyTeams(ctx context.Context, plan *Plan, t Target, results []Result, opts ApplyOptions) {
	created := map[string]string{} // object id → account id of a create
	for _, r := range results {
		if r.Kind == KindCreate && r.Status != StatusFailed && r.AccountID != "" {
			created[r.EntraID] = r.AccountID
		}
	}
	byTeam := map[string][]int{}
	var order []string
	for i, a := range plan.Actions {
		if a.Kind == KindTeamAdd {
			if _, seen := byTeam[a.TeamID]; !seen {
				order = append(order, a.TeamID)
			}
			byTeam[a.TeamID] = append(byTeam[a.TeamID], i)
		}
	}
	finish := func(i int, r Result) {
		results[i] = r
		if opts.OnResult != nil {
			opts.OnResult(r)
		}
	}
	tt, ok := t.(TeamTarget)
	for i, a := range plan.Actions {
		if (a.Kind == KindTeamAdd || a.Kind == KindTeamRemove) && !ok {
			finish(i, failed(Result{Action: a}, errors.New("this target cannot manage teams")))
		}
	}
	if !ok {
		return
	}
	for _, teamID := range order {
		var ids []string
		var idx []int
		for _, i := range byTeam[teamID] {
			a := plan.Actions[i]
			if a.AccountID == "" {
				a.AccountID = created[a.EntraID]
			}
			if a.AccountID == "" {
				finish(i, failed(Result{Action: a}, fmt.Errorf("add %s to team %s: the account was not created", a.Email, a.Team)))
				continue
			}
			ids, idx = append(ids, a.AccountID), append(idx, i)
		}
		for start := 0; start < len(ids); start += teamBatch {
			end := min(start+teamBatch, len(ids))
			var perUser map[string]error
			err := ctx.Err()
			if err == nil {
				err = retry(ctx, func() error {
					var err error
					perUser, err = tt.AddTeamMembers(ctx, teamID, ids[start:end])
					return err
				})
			}
			for k, i := range idx[start:end] {
				a := plan.Actions[i]
				r := Result{Action: a, Status: StatusDone, AccountID: ids[start+k]}
				if err != nil {
					r = failed(r, fmt.Errorf("add %s to team %s: %w", a.Username, a.Team, err))
				} else if e := perUser[ids[start+k]]; e != nil {
					r = failed(r, fmt.Errorf("add %s to team %s: %w", a.Username, a.Team, e))
				}
				finish(i, r)
			}
		}
	}
	for i, a := range plan.Actions {
		if a.Kind != KindTeamRemove {
			continue
		}
		r := Result{Action: a, Status: StatusDone, AccountID: a.AccountID}
		err := ctx.Err()
		if err == nil {
			err = retry(ctx, func() error { return tt.RemoveTeamMember(ctx, a.TeamID, a.AccountID) })
		}
		if err != nil {
			r = failed(r, fmt.Errorf("remove %s from team %s: %w", a.Username, a.Team, err))
		}
		finish(i, r)
	}
}

func applyOne(ctx context.Context, plan *Plan, t Target, a Action) Result {
	r := Result{Action: a}
	if err := ctx.Err(); err != nil {
		return failed(r, fmt.Errorf("not attempted: %w", err))
	}
	switch a.Kind {
	case KindCreate:
		return create(ctx, plan, t, r)
	case KindUpdate:
		if err := patch(ctx, t, a.AccountID, a.Patch); err != nil {
			return failed(r, fmt.Errorf("update %s: %w", a.Username, err))
		}
		r.Status, r.AccountID = StatusDone, a.AccountID
	case KindDeactivate:
		if err := retry(ctx, func() error { return t.SetActive(ctx, a.AccountID, false) }); err != nil {
			return failed(r, fmt.Errorf("deactivate %s: %w", a.Username, err))
		}
		r.Status, r.AccountID = StatusDone, a.AccountID
	case KindReactivate:
		if err := retry(ctx, func() error { return t.SetActive(ctx, a.AccountID, true) }); err != nil {
			return failed(r, fmt.Errorf("reactivate %s: %w", a.Username, err))
		}
		r.Status, r.AccountID = StatusDone, a.AccountID
		if !a.Patch.Empty() {
			if err := patch(ctx, t, a.AccountID, a.Patch); err != nil {
				return failed(r, fmt.Errorf("reactivated %s, but the profile update failed: %w", a.Username, err))
			}
		}
	default:
		return failed(r, fmt.Errorf("unknown action %q", a.Kind))
	}
	return r
}

// patch is PatchUser with transient failures retried: a patch is idempotent.
func patch(ctx context.Context, t Target, id string, p Patch) error {
	return retry(ctx, func() error {
		_, err := t.PatchUser(ctx, id, p)
		return err
	})
}

func create(ctx context.Context, plan *Plan, t Target, r Result) Result {
	a := r.Action
	username := a.Username
	for attempt := 1; ; attempt++ {
		var acct Account
		err := retry(ctx, func() error {
			var err error
			acct, err = t.CreateUser(ctx, NewUser{Username: username, Email: a.Email, Profile: a.Profile})
			return err
		})
		switch {
		case err == nil:
			r.Status, r.AccountID, r.Username = StatusDone, acct.ID, acct.Username
			if username != a.Username {
				r.Note = fmt.Sprintf("username %s was taken on the server; used %s", a.Username, username)
			}
			return link(ctx, plan, t, r, &acct)
		case errors.Is(err, ErrUsernameExists) && attempt < maxUsernameAttempts && a.usernameBase != "":
			username = plan.usernames.Next(a.usernameBase, username)
		case errors.Is(err, ErrEmailExists):
			return adopt(ctx, plan, t, r)
		default:
			return failed(r, fmt.Errorf("create %s <%s>: %w", username, a.Email, err))
		}
	}
}

// link writes the signed link onto a freshly created account. The server
// assigns the id the signature covers, so this is a second write. If it
// fails, the account exists unlinked and the next run adopts it by email.
func link(ctx context.Context, plan *Plan, t Target, r Result, acct *Account) Result {
	props := plan.opts.Linker.linkProps(acct, acct.ID, r.EntraID)
	if err := patch(ctx, t, acct.ID, Patch{Props: props}); err != nil {
		return failed(r, fmt.Errorf("created %s, but writing its link failed (the next run adopts it by email): %w", acct.Username, err))
	}
	return r
}

// adopt takes over an account that a create found already there: typically
// our own earlier request that succeeded before its response was lost.
func adopt(ctx context.Context, plan *Plan, t Target, r Result) Result {
	a := r.Action
	var acct Account
	err := retry(ctx, func() error {
		var err error
		acct, err = t.GetUserByEmail(ctx, a.Email)
		return err
	})
	if err != nil {
		return failed(r, fmt.Errorf("create %s: the address is taken, and looking it up failed: %w", a.Email, err))
	}
	if reason, ok := manageable(&acct, "", plan.opts.ManageAdmins); !ok {
		return failed(r, fmt.Errorf("create %s: the address is taken by an account the sync does not manage (%s)", a.Email, reason))
	}
	if other, ok := plan.opts.Linker.Linked(&acct); ok && other != a.EntraID {
		return failed(r, fmt.Errorf("create %s: the address is taken by an account linked to another Entra ID user (%s)", a.Email, other))
	}
	if !plan.opts.AdoptExisting {
		return failed(r, fmt.Errorf("create %s: an account with this address appeared since the plan was made, and adopt-existing is off", a.Email))
	}
	r.Status, r.AccountID, r.Username = StatusAdopted, acct.ID, acct.Username
	r.Note = "the account already existed (a concurrent writer, or a retried request); adopted it"
	p, changes := diffProfile(&acct, a.Profile)
	p.Props = plan.opts.Linker.linkProps(&acct, acct.ID, a.EntraID)
	if err := patch(ctx, t, acct.ID, p); err != nil {
		return failed(r, fmt.Errorf("adopt %s: %w", acct.Username, err))
	}
	r.Changes = changes
	return r
}

func failed(r Result, err error) Result {
	r.Status = StatusFailed
	r.Error = err.Error()
	var id ErrorIDer
	if errors.As(err, &id) {
		r.ErrorID = id.ErrorID()
	}
	return r
}
