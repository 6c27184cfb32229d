package sync

import "strings"

// resignChange is the change an action shows when it re-signs the sync's
// marks: an older link-key signed them (or the unnamed instance, handed
// over by claim-unnamed-links), and the newest key signs them now.
var resignChange = Change{Field: "link", Old: "older link-key", New: "newest link-key"}

// resignReason explains a props-only update that re-signs marks.
const resignReason = "re-sign the sync's marks with the newest link-key (one patch; afterwards the older key can be dropped)"

// resignRest plans one props patch for every account this instance owns
// whose marks only an older key verifies (or which claim-unnamed-links hands
// over), when no other action of the plan already writes its props: the
// deactivated accounts of leavers, accounts skipped for now, and linked
// accounts whose user is out of scope. After one run every mark verifies
// under the newest key alone. Protected and foreign accounts are not
// touched.
func (p *planner) resignRest() {
	if len(p.r.linker.keys) < 2 && !p.r.linker.claimUnnamed && !p.anyInstanceProp() {
		return // nothing can be stale: one key, one instance name
	}
	written := make(map[string]bool, len(p.updates)+len(p.reacts)+len(p.deacts))
	for _, list := range [][]Action{p.updates, p.reacts, p.deacts, p.releases} {
		for i := range list {
			written[list[i].AccountID] = true
		}
	}
	for i := range p.acc.all {
		a := &p.acc.all[i]
		owner := p.acc.owner[i]
		if owner == "" || p.acc.protected[i] != "" || written[a.ID] {
			continue
		}
		set, drop := p.r.linker.Resign(a, owner)
		if set == nil {
			continue
		}
		props := withProps(a.Props, set, drop...)
		if props == nil {
			continue
		}
		p.updates = append(p.updates, Action{
			Kind: KindUpdate, EntraID: owner, DisplayName: a.Nickname, Email: strings.ToLower(a.Email), Username: a.Username,
			AccountID: a.ID, Patch: Patch{Props: props}, Changes: []Change{resignChange}, Reason: resignReason,
			Observed: p.precondition(i),
		})
	}
}

func (p *planner) anyInstanceProp() bool { return anyInstanceProp(p.acc.all) }

// releaseProps are the props of a released account: the pending-email
// record goes (the address it waited for is given up), and marks only an
// older key verifies are re-signed in the same patch, so that the leaver's
// account stays the sync's once the older key is dropped.
func releaseProps(l Linker, acct *Account, owner string) map[string]string {
	set, drop := l.Resign(acct, owner)
	delete(set, PropPendingEmail)
	return withProps(acct.Props, set, append(drop, PropPendingEmail)...)
}
