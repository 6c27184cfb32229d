package sync

import (
	"slices"
	"strings"
)

// checkWrites is Check's part for what the account writes set, from the
// README's Matching, Fields and Reused addresses: an address a create or an
// update gives is the directory user's own (mail or userPrincipalName), a
// placeholder (.invalid, RFC 2606) only for a release or the parking step of
// an address cycle; an empty attribute never empties a field.
func (p *Plan) checkWrites(c *checkRules, bad func(string, ...any)) {
	own := func(objectID, addr string) bool {
		u := c.users[objectID]
		return u != nil && slices.Contains(addressesOf(u.Mail, u.UserPrincipalName), strings.ToLower(addr))
	}
	placeholder := func(addr string) bool { return strings.HasSuffix(strings.ToLower(addr), ".invalid") }
	for _, a := range p.Actions {
		switch {
		case a.Kind == KindCreate && !own(a.EntraID, a.Email):
			bad("create %s with %s, which is not the address of %s", a.Username, a.Email, a.EntraID)
		case a.Patch.Email == nil:
		case a.Kind == KindRelease || a.Temporary:
			if !placeholder(*a.Patch.Email) {
				bad("%s %s moves it to %s, which is not a placeholder", a.Kind, a.Username, *a.Patch.Email)
			}
		case !own(a.EntraID, *a.Patch.Email):
			bad("%s %s gives it %s, which is not the address of %s", a.Kind, a.Username, *a.Patch.Email, a.EntraID)
		}
		for field, v := range map[string]*string{"nickname": a.Patch.Nickname, "first_name": a.Patch.FirstName, "last_name": a.Patch.LastName, "position": a.Patch.Position} {
			if v != nil && *v == "" {
				bad("%s %s empties its %s", a.Kind, a.Username, field)
			}
		}
	}
}

// checkReported: whatever a rail holds back is reported with the rail's
// error, so that the run fails and an administrator sees it; nothing held
// back ends as a silent success.
func (p *Plan) checkReported(bad func(string, ...any)) {
	switch {
	case len(p.Withheld) > 0 && p.ThresholdError == "":
		bad("%d changes withheld without the max-deactivations error", len(p.Withheld))
	case len(p.WithheldRemovals) > 0 && p.RemovalError == "":
		bad("%d removals withheld without the max-removals error", len(p.WithheldRemovals))
	case len(p.Blocked) > 0 && p.CapacityError == "":
		bad("%d changes blocked without the user-limit error", len(p.Blocked))
	case p.StopError != "" && len(p.Actions) > 0:
		bad("%d actions in a plan that stopped (%s)", len(p.Actions), p.StopError)
	}
}
