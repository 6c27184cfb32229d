package sync

import "fmt"

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
