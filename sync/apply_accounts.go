package sync

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
)

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
			nu.KeepPassword = x.r.opts.Onboarding == OnboardingGraphMail
		}
		acct, pw, err := x.t.CreateUser(ctx, nu)
		switch {
		case err == nil:
			if nu.KeepPassword {
				x.keepPassword(a.EntraID, pw)
			}
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
