package sync

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// onboard runs one onboard action: resolve the account (created earlier in
// this run, if it was a create), set a fresh password where one is due,
// hand the Welcome to the Onboarder, then record success on the account.
func (x *applier) onboard(ctx context.Context, i int, created map[string]string) {
	a := x.plan.Actions[i]
	r := Result{Action: a}
	if a.AccountID == "" {
		a.AccountID = created[a.EntraID]
		r.Action = a
		if a.AccountID == "" {
			x.finish(i, failed(r, fmt.Errorf("onboard %s: the account was not created", a.Email)))
			return
		}
	}
	if err := ctx.Err(); err != nil {
		x.finish(i, notAttempted(r, err))
		return
	}
	if x.onboardStopped() {
		r.Status = StatusNotAttempted
		r.Error = "not attempted: onboarding stopped at the first refusal (the failure above names the cause); the account stays due for the next run"
		x.finish(i, r)
		return
	}
	if why := x.accountFailed(a.AccountID); why != "" {
		x.finish(i, notAttempted(r, errors.New(why)))
		return
	}
	if x.onboarder == nil {
		x.finish(i, notAttempted(r, errors.New("no onboarder configured")))
		return
	}
	// The account as it is now: this run's update may have moved its
	// address (reset-email mails the address Mattermost holds), a create
	// may have taken another username, and the record below must keep the
	// props the account has (Mattermost replaces them wholesale).
	acct, err := x.t.GetUser(ctx, a.AccountID)
	if err != nil {
		x.finish(i, failed(r, fmt.Errorf("onboard %s: read the account: %w", a.Username, err)))
		return
	}
	if !acct.Active() {
		x.finish(i, notAttempted(r, errors.New("the account was deactivated since the plan was made")))
		return
	}
	r.Email, r.Username = strings.ToLower(acct.Email), acct.Username
	if x.createAdopted(a.EntraID) && !x.r.opts.onboardAdopted() {
		if id, mine := x.r.linker.CreatedBy(&acct); !mine || id != a.EntraID {
			// The create found someone's existing account (made between
			// plan and apply) and adopted it: under onboard: new its
			// password is its owner's, never replaced.
			x.finish(i, notAttempted(r, errors.New("the create found an existing account and adopted it; onboard: new leaves its password as it is")))
			return
		}
	}
	pw, madeHere := x.createdPassword(a.EntraID)
	need := a.NewPassword || x.createAdopted(a.EntraID)
	if !need && a.Method == OnboardingGraphMail {
		need = !madeHere
	}
	if need {
		// A retry (the failed mail's password was never seen), an adopted
		// account (its old password may be known to many), or a create that
		// found its account already there: a fresh password first.
		pt, ok := x.t.(PasswordTarget)
		if !ok {
			x.finish(i, failed(r, fmt.Errorf("onboard %s: the target cannot set passwords", a.Username)))
			return
		}
		if pw, err = pt.SetPassword(ctx, a.AccountID); err != nil {
			x.finish(i, failed(r, fmt.Errorf("onboard %s: set a fresh password: %w", a.Username, err)))
			return
		}
		r.Note = "password replaced"
	}
	w := Welcome{EntraID: a.EntraID, DisplayName: a.DisplayName, Username: r.Username, Email: r.Email, MailTo: a.MailTo}
	if a.Method == OnboardingGraphMail {
		w.Password = pw
	}
	if err := x.onboarder.Onboard(ctx, w); err != nil {
		if errors.Is(err, ErrOnboardingRefused) {
			x.stopOnboarding()
		}
		x.finish(i, failedAfterWrite(r, fmt.Errorf("onboard %s by %s: %w", a.Username, a.Method, err)))
		return
	}
	r.Status, r.AccountID = StatusDone, a.AccountID
	// Record success, and drop the pending mark, in one write.
	if props := withProps(acct.Props, map[string]string{PropOnboarded: x.r.linker.OnboardedMark(a.AccountID, a.EntraID)}, PropOnboardPending); props != nil {
		_, err = x.t.PatchUser(ctx, a.AccountID, Patch{Props: props})
	}
	if err != nil {
		r.Note = strings.TrimPrefix(r.Note+"; ", "; ") + "onboarded, but recording it failed, so the next run onboards again with a fresh password: " + err.Error()
	}
	x.finish(i, r)
}

// onboardAll runs the onboard actions one after another: a mail per person
// is cheap, and a refusal (a missing permission) must stop the rest before
// more passwords are replaced.
func (x *applier) onboardAll(ctx context.Context) {
	var created map[string]string
	for i := range x.plan.Actions {
		if x.plan.Actions[i].Kind != KindOnboard {
			continue
		}
		if created == nil {
			created = x.createdAccounts()
		}
		x.onboard(ctx, i, created)
	}
}

func (x *applier) onboardStopped() bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.stopped
}

func (x *applier) stopOnboarding() {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.stopped = true
}

// accountFailed says why an account's onboarding must wait: this run's
// write to the account (the adoption that links it) failed, so the
// account is not the sync's yet.
func (x *applier) accountFailed(accountID string) string {
	for _, r := range x.results {
		if r.Action.AccountID == accountID && (r.Kind == KindUpdate || r.Kind == KindReactivate) &&
			(r.Status == StatusFailed || r.Status == StatusNotAttempted) {
			return "the account's " + string(r.Kind) + " failed in this run; the next run onboards it"
		}
	}
	return ""
}

// createAdopted reports whether this run's create for objectID found the
// account already there: its password is not one this run set.
func (x *applier) createAdopted(objectID string) bool {
	for _, r := range x.results {
		if r.Kind == KindCreate && r.EntraID == objectID {
			return r.Status == StatusAdopted
		}
	}
	return false
}

// keepPassword remembers the password a create set, for its onboard action
// (graph-mail): the only place it is kept, until the run ends.
func (x *applier) keepPassword(objectID string, pw Secret) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.passwords == nil {
		x.passwords = map[string]Secret{}
	}
	x.passwords[objectID] = pw
}

// createdPassword returns the password this run's create set for objectID,
// if the create made the account (not when it found one already there).
func (x *applier) createdPassword(objectID string) (Secret, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	pw, ok := x.passwords[objectID]
	if !ok {
		return Secret{}, false
	}
	for _, r := range x.results {
		if r.Kind == KindCreate && r.EntraID == objectID {
			return pw, r.Status == StatusDone
		}
	}
	return Secret{}, false
}
