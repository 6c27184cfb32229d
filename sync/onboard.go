package sync

import (
	"context"
	"errors"
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
