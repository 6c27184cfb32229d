package sync

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Onboarding says how a person the sync gives an account learns to sign in
// (the onboarding input).
type Onboarding string

// The onboarding input's values.
const (
	// OnboardingNone: as before this input existed (Mattermost's welcome
	// email when welcome-email is on; Forgot password).
	OnboardingNone Onboarding = "none"
	// OnboardingResetEmail: Mattermost sends its own password-reset email
	// (POST /users/password/reset/send); needs SMTP on the server.
	OnboardingResetEmail Onboarding = "reset-email"
	// OnboardingGraphMail: the sync mails username, a random first password
	// and the server's address through Microsoft Graph (sendMail).
	OnboardingGraphMail Onboarding = "graph-mail"
)

// OnboardScope says which accounts are onboarded (the onboard input).
type OnboardScope string

// The onboard input's values.
const (
	// OnboardNew: the accounts this sync creates.
	OnboardNew OnboardScope = "new"
	// OnboardNewAndAdopted: also the accounts it adopts in the same run (the
	// move from a script whose accounts share one password).
	OnboardNewAndAdopted OnboardScope = "new-and-adopted"
)

// KindOnboard tells a person how to sign in. It runs after every other
// change of the run, so that the person finds their teams and channels.
const KindOnboard Kind = "onboard"

// Props keys of onboarding. Both are signed with the link key, so nobody can
// forge them: an employee can edit their own props.
const (
	// PropOnboardPending says the account is due for onboarding: written
	// in the create request (onboarding on), or with the link of an account
	// adopted under onboard: new-and-adopted. An HMAC over the object id:
	// the account id does not exist yet when a create is sent. It is only
	// believed on an account that belongs to that object id, so copying one
	// onto another account does nothing.
	PropOnboardPending = "entra_onboard_pending"
	// PropOnboarded records onboarding that succeeded: an HMAC over
	// (account id, object id). Written, and the pending mark dropped, in one
	// patch once the mail went out.
	PropOnboarded = "entra_onboarded"
)

const (
	tagOnboardPending = "\x01onboard-pending"
	tagOnboarded      = "\x01onboarded"
)

// OnboardPendingMark is the PropOnboardPending value for objectID.
func (l Linker) OnboardPendingMark(objectID string) string {
	return l.markMAC(tagOnboardPending, objectID)
}

// OnboardPending reports whether a carries a valid pending mark for objectID.
func (l Linker) OnboardPending(a *Account, objectID string) bool {
	return l.verifyMark(a.Props[PropOnboardPending], tagOnboardPending, objectID)
}

// OnboardedMark is the PropOnboarded value for an account and its object.
func (l Linker) OnboardedMark(accountID, objectID string) string {
	return l.markMAC(tagOnboarded, accountID, objectID)
}

// Onboarded reports whether a carries a valid record that it was onboarded
// for objectID.
func (l Linker) Onboarded(a *Account, objectID string) bool {
	return l.verifyMark(a.Props[PropOnboarded], tagOnboarded, a.ID, objectID)
}

// Secret is a password on its way to the one mail that carries it. Its
// String, GoString and JSON forms are "********", so that a Secret that
// reaches a log, a report or an error by mistake shows nothing.
type Secret struct{ v string }

// NewSecret wraps s.
func NewSecret(s string) Secret { return Secret{v: s} }

// Reveal returns the password: call it only to put it where it must go.
func (s Secret) Reveal() string { return s.v }

// Empty reports whether there is no password.
func (s Secret) Empty() bool { return s.v == "" }

// SecretMask is how a Secret prints.
const SecretMask = "********"

func (s Secret) String() string   { return SecretMask }
func (s Secret) GoString() string { return SecretMask }

// MarshalJSON never writes the password.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + SecretMask + `"`), nil }

// Welcome is what an Onboarder needs to tell one person how to sign in.
type Welcome struct {
	EntraID     string
	DisplayName string
	Username    string
	// Email is the account's address in Mattermost (where reset-email's
	// mail goes); MailTo the directory user's mail (graph-mail's recipient).
	Email  string
	MailTo string
	// Password is the account's first password (graph-mail only).
	Password Secret
}

// Onboarder tells a person how to sign in: Mattermost's reset email, or a
// mail through Microsoft Graph. An error matching ErrOnboardingRefused
// means no further person can be onboarded this run (a missing
// permission): Apply stops onboarding, and every account stays due for the
// next run.
type Onboarder interface {
	Onboard(ctx context.Context, w Welcome) error
}

// ErrOnboardingRefused marks an Onboarder error that will repeat for every
// person (Graph's 403 for Mail.Send).
var ErrOnboardingRefused = errors.New("onboarding refused")

// PasswordTarget is the part of the target onboarding needs: set a fresh
// random password (generated to the server's policy) on an account and
// return it.
type PasswordTarget interface {
	SetPassword(ctx context.Context, accountID string) (Secret, error)
}

// onboarding reports whether the options onboard anyone.
func (o Options) onboarding() bool {
	return o.Onboarding != "" && o.Onboarding != OnboardingNone
}

// onboardCreates plans the onboarding of the accounts this plan creates:
// one onboard action after each create, or, for graph-mail and a person
// without a mail, a warning with the fix (the account is still created,
// with its pending mark, so that the run after the fix onboards it).
func (p *planner) onboardCreates() {
	if !p.opts.onboarding() {
		return
	}
	for i := range p.creates {
		c := &p.creates[i]
		c.Onboard = true
		var mail string
		if d := p.user(c.EntraID); d != nil {
			mail = d.u.Mail
		}
		p.planOnboard(c.EntraID, c.DisplayName, c.Email, c.Username, "", mail, "new account", false)
	}
}

// onboardLinked plans the retry of an onboarding that has not succeeded
// yet: the account is active, belongs to the user, carries a valid pending
// mark and no valid record of success. A removed or forged record never
// makes the sync mail anyone: without the pending mark nothing happens.
func (p *planner) onboardLinked(d *desired, acct *Account) {
	if !p.opts.onboarding() || !acct.Active() {
		return
	}
	l := p.r.linker
	if !l.OnboardPending(acct, d.u.ID) || l.Onboarded(acct, d.u.ID) {
		return
	}
	p.planOnboard(d.u.ID, d.u.DisplayName, strings.ToLower(acct.Email), acct.Username, acct.ID, d.u.Mail,
		"not onboarded yet (an earlier onboarding did not succeed)", true)
}

// onboardAdopted reports whether adopted accounts are onboarded.
func (o Options) onboardAdopted() bool {
	return o.onboarding() && o.Onboard == OnboardNewAndAdopted
}

// onboardAdopted reports whether an account this run adopts is onboarded
// (onboard: new-and-adopted), and plans it. The adoption's patch then
// carries the pending mark.
func (p *planner) onboardAdopted(d *desired, acct *Account) bool {
	if !p.opts.onboarding() || p.opts.Onboard != OnboardNewAndAdopted {
		return false
	}
	if p.r.linker.Onboarded(acct, d.u.ID) {
		// Onboarded for this person already; only its link went missing
		// (a user can delete their own link keys). Re-adopting it must not
		// replace a password its owner chose.
		return false
	}
	p.planOnboard(d.u.ID, d.u.DisplayName, d.email, acct.Username, acct.ID, d.u.Mail,
		"adopted (onboard: new-and-adopted): its password is replaced", true)
	return true
}

// planOnboard adds one onboard action, or the warning for a person
// graph-mail cannot reach. newPassword: the account gets a fresh random
// password first (a retry, or an adopted account's old password).
func (p *planner) planOnboard(objectID, displayName, email, username, accountID, mail, reason string, newPassword bool) {
	if p.opts.Onboarding == OnboardingGraphMail && strings.TrimSpace(mail) == "" {
		s := Skip{EntraID: objectID, DisplayName: displayName, Email: email, Username: username, AccountID: accountID, Attention: true,
			Reason: "cannot be onboarded by graph-mail: the Entra ID user has no mail; give the user a mailbox or set its mail attribute " +
				"(the next run then mails the first password), or tell the person their username and reset the password in the System Console"}
		p.plan.Skipped = append(p.plan.Skipped, s)
		return
	}
	a := Action{Kind: KindOnboard, EntraID: objectID, DisplayName: displayName, Email: email, Username: username,
		AccountID: accountID, Reason: reason, Method: p.opts.Onboarding, NewPassword: newPassword}
	if p.opts.Onboarding == OnboardingGraphMail {
		a.MailTo = strings.ToLower(strings.TrimSpace(mail))
	}
	p.onboards = append(p.onboards, a)
}

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

// checkOnboard is Plan.Check's part for onboarding: nobody is onboarded
// twice in a plan, or while a valid record says they were; an existing
// account is onboarded only while its pending mark verifies or when this
// plan adopts it under onboard: new-and-adopted, always with a fresh
// password first; a new account only after its create; nothing at all
// with onboarding none.
func (p *Plan) checkOnboard(opts Options, byID map[string]*Account) []error {
	l := opts.Linker
	onboarding := opts.Onboarding != "" && opts.Onboarding != OnboardingNone
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrPlanInvariant}, args...)...))
	}
	creates, adopts := map[string]bool{}, map[string]bool{}
	for i := range p.Actions {
		a := &p.Actions[i]
		switch {
		case a.Kind == KindCreate:
			creates[a.EntraID] = true
		case a.Kind == KindUpdate && a.Patch.Props != nil && a.Patch.Props[PropOnboardPending] != "" &&
			(byID[a.AccountID] == nil || !l.OnboardPending(byID[a.AccountID], a.EntraID)):
			// Only a pending mark this update brings makes it an adoption
			// to onboard: an update that writes props carries the account's
			// existing pending mark along (a re-sign, a reactivation).
			adopts[a.AccountID] = true
		}
	}
	seen := map[string]bool{}
	for i := range p.Actions {
		a := &p.Actions[i]
		if a.Kind != KindOnboard {
			continue
		}
		if !onboarding {
			bad("onboard %s although onboarding is none", a.Username)
		}
		if seen[a.EntraID] {
			bad("onboard %s twice", a.EntraID)
		}
		seen[a.EntraID] = true
		if a.AccountID == "" {
			if !creates[a.EntraID] {
				bad("onboard %s: no account, and the plan creates none", a.EntraID)
			}
			continue
		}
		acct := byID[a.AccountID]
		switch {
		case acct == nil:
			// reported by Check
		case !acct.Active():
			bad("onboard %s, which is deactivated", acct.Username)
		case l.Onboarded(acct, a.EntraID):
			bad("onboard %s, which was onboarded already", acct.Username)
		case !a.NewPassword:
			bad("onboard %s without a fresh password first", acct.Username)
		case adopts[a.AccountID]:
			if opts.Onboard != OnboardNewAndAdopted {
				bad("onboard the adopted account %s although onboard is %s", acct.Username, opts.Onboard)
			}
		case !l.OnboardPending(acct, a.EntraID):
			bad("onboard %s, which is not due (no valid pending mark)", acct.Username)
		}
	}
	return errs
}
