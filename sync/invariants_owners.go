package sync

import "strings"

// checkOwners is Check's part for whose account an action writes, from the
// README's Identity and links:
//   - every props key not starting with entra_ belongs to the user and is
//     never changed: a props write names the sync's own marks only (Apply
//     writes them onto the props as it reads them just before);
//   - a profile (address, names, position) is written only onto the
//     user's own account: linked to them or created for them, or linked to
//     them by this very action (an adoption, which checkAccount judges), so
//     that an account nobody linked gets none of a directory user's
//     profile;
//   - two accounts validly linked to one enabled Entra ID user are a
//     conflict and left alone: no action touches either;
//   - an address change Mattermost holds back until the user verifies it
//     (the signed entra_pending_email record) is not asked for again.
func (p *Plan) checkOwners(c *checkRules, bad func(string, ...any)) {
	owned := map[string]int{}
	for _, a := range c.byID {
		if id := c.owner(a); id != "" {
			owned[id]++
		}
	}
	for _, a := range p.Actions {
		acct := c.byID[a.AccountID]
		if a.AccountID == "" || acct == nil {
			continue
		}
		for k := range a.Patch.Props {
			if !strings.HasPrefix(k, SyncPropPrefix) {
				bad("%s %s writes the user's own props key %q", a.Kind, acct.Username, k)
			}
		}
		if pending, ok := c.opts.Linker.PendingEmail(acct); ok && a.Patch.Email != nil && !a.Temporary && strings.EqualFold(pending, *a.Patch.Email) {
			bad("%s %s asks again for the address change to %s, which waits for the user to verify it", a.Kind, acct.Username, pending)
		}
		owner := c.owner(acct)
		if (a.Kind == KindUpdate || a.Kind == KindReactivate) && changesProfile(a.Patch) && owner != a.EntraID && a.Patch.Props[PropLink] == "" {
			bad("%s %s writes the profile of %s onto an account that is not theirs (owner %q) and that this action does not link", a.Kind, acct.Username, a.EntraID, owner)
		}
		if u := c.users[owner]; owner != "" && owned[owner] > 1 && u != nil && u.AccountEnabled != BoolFalse {
			bad("%s %s touches one of %d accounts linked to %s, a conflict to be left alone", a.Kind, acct.Username, owned[owner], owner)
		}
	}
}
