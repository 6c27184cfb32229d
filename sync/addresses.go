package sync

import (
	"fmt"
	"slices"
	"strings"
)

// addressBook allocates addresses over the whole plan: every account, linked
// user and new user together. Each address ends the run with at most one
// account, whatever order the directory came in; an address that cannot be
// had is a Conflict, never a second claim.
type addressBook struct {
	p *planner
	// owners resolves addresses several directory users claim: a user's own
	// mail beats another user's UPN fallback, and among several mail claims
	// the only enabled one wins. nil means unresolved; uncontested addresses
	// are absent.
	owners map[string]*DirectoryUser
	claims []claim
	// moving maps an account to its claim of a new address.
	moving   map[int]int
	released map[int]bool
	// parks are the extra writes that break cycles of address moves: each
	// moves one account of a cycle to its TemporaryAddress in wave 0.
	parks []Action
}

// claim is an action that needs an address (a create, or an email change)
// waiting for allocation. addr is "" for an update that keeps its address.
type claim struct {
	act   Action
	acct  int // index of the account moving, -1 for a create
	addr  string
	d     *desired
	state claimState
	why   string // refusal reason
	by    int    // the account holding addr, when refused
}

type claimState uint8

const (
	claimOpen claimState = iota
	claimVisiting
	claimGranted
	claimRefused
	// claimBlocked: beyond the server's user limit, so neither made nor
	// holding or freeing any address.
	claimBlocked
)

func claimOf(a Action, acct int, addr string, d *desired) claim {
	return claim{act: a, acct: acct, addr: addr, d: d, by: -1}
}

func newAddressBook(p *planner) *addressBook {
	// A claim is ~400 bytes: size for the creates a first sync makes (users
	// without an account), so that 100,000 of them are not regrown, while a
	// no-op resync, which claims almost nothing, allocates little.
	b := &addressBook{p: p, moving: map[int]int{}, released: map[int]bool{},
		claims: make([]claim, 0, max(len(p.want)-len(p.acc.all), 0)+256)}
	// The directory users are sorted by address: claims of one address are
	// neighbours.
	contested := map[string][]*DirectoryUser{}
	for i := 1; i < len(p.want); i++ {
		d, prev := &p.want[i], &p.want[i-1]
		if d.email == "" || d.email != prev.email {
			continue
		}
		if len(contested[d.email]) == 0 {
			contested[d.email] = []*DirectoryUser{prev.u}
		}
		contested[d.email] = append(contested[d.email], d.u)
	}
	b.owners = make(map[string]*DirectoryUser, len(contested))
	for email, users := range contested {
		var byMail, enabled []*DirectoryUser
		allDisabled := true
		for _, u := range users {
			allDisabled = allDisabled && u.AccountEnabled == BoolFalse
			if strings.EqualFold(strings.TrimSpace(u.Mail), email) {
				byMail = append(byMail, u)
				if u.AccountEnabled == BoolTrue {
					enabled = append(enabled, u)
				}
			}
		}
		switch {
		case len(byMail) == 1:
			b.owners[email] = byMail[0]
		case len(enabled) == 1:
			b.owners[email] = enabled[0]
		case allDisabled:
			// Whoever owns it, the address is a disabled user's: the first
			// by object id stands for all, so that the address rule holds.
			b.owners[email] = users[0]
		default:
			b.owners[email] = nil
		}
	}
	return b
}

// notOwner says why d does not own its address, or "" when it does.
func (b *addressBook) notOwner(d *desired) string {
	owner, contested := b.owners[d.email]
	switch {
	case !contested || owner == d.u:
		return ""
	case owner == nil:
		return "the address " + d.email + " is shared by several Entra ID users; the sync cannot tell which one owns it"
	}
	return "the address " + d.email + " is " + owner.DisplayName + "'s (" + owner.ID + "); this user has no mail of its own"
}

// readAddresses maps every address a user read holds (in scope or not) to
// whether one of them is enabled or unknown, that is: may be a live person.
func readAddresses(in []desired, out []DirectoryUser) map[string]bool {
	live := make(map[string]bool, len(in)+len(out))
	for i := range in {
		if in[i].email != "" {
			live[in[i].email] = live[in[i].email] || in[i].u.AccountEnabled != BoolFalse
		}
	}
	for i := range out {
		if email, _, ok := Email(out[i]); ok {
			live[email] = live[email] || out[i].AccountEnabled != BoolFalse
		}
	}
	return live
}

// deletedAddresses maps the addresses of deleted directory users that no
// user read (in scope or not) holds now.
func deletedAddresses(deleted []DeletedUser, claimed map[string]bool) map[string]*DeletedUser {
	if len(deleted) == 0 {
		return nil
	}
	out := make(map[string]*DeletedUser, len(deleted))
	for i := range deleted {
		du := &deleted[i]
		email, _, ok := Email(DirectoryUser{Mail: du.Mail, UserPrincipalName: du.UserPrincipalName})
		if _, held := claimed[email]; ok && !held {
			if _, seen := out[email]; !seen || du.ID < out[email].ID {
				out[email] = du
			}
		}
	}
	return out
}

// outsideDisabled maps the addresses of disabled users out of scope that no
// live user read holds and no user in scope holds at all (those are the
// in-scope planning's).
func outsideDisabled(out []DirectoryUser, claimed map[string]bool) map[string]*DirectoryUser {
	var m map[string]*DirectoryUser
	for i := range out {
		u := &out[i]
		if u.AccountEnabled != BoolFalse {
			continue
		}
		email, _, ok := Email(*u)
		if !ok || claimed[email] {
			continue
		}
		if m == nil {
			m = map[string]*DirectoryUser{}
		}
		if prev, seen := m[email]; !seen || u.ID < prev.ID {
			m[email] = u
		}
	}
	return m
}

func (b *addressBook) want(c claim) {
	if c.acct >= 0 && c.addr != "" {
		b.moving[c.acct] = len(b.claims)
	}
	b.claims = append(b.claims, c)
}

// applyCapacity keeps creates and reactivations within the server's active
// user limit (Team Edition v11 refuses both at 250), reactivations first,
// counting the seats this run's deactivations free. It runs before any
// address is granted: a blocked claim takes no address and frees none (its
// account does not move), so a change that depended on it becomes a
// conflict rather than a write the server would refuse.
func (b *addressBook) applyCapacity() {
	p := b.p
	c := p.opts.Capacity
	if c.HardLimit <= 0 {
		return
	}
	var reacts, creates []int
	for i := range b.claims {
		switch b.claims[i].act.Kind {
		case KindReactivate:
			reacts = append(reacts, i)
		case KindCreate:
			creates = append(creates, i)
		}
	}
	room := c.HardLimit - c.Active + int64(len(p.deacts))
	if int64(len(reacts)+len(creates)) <= room {
		return
	}
	// The order the plan shows, so that what is blocked is predictable.
	byAction := func(i, j int) int { return compareAction(&b.claims[i].act, &b.claims[j].act) }
	slices.SortFunc(reacts, byAction)
	slices.SortFunc(creates, byAction)
	blocked := 0
	for k, i := range append(reacts, creates...) {
		if int64(k) >= max(room, 0) {
			b.claims[i].state = claimBlocked
			b.claims[i].why = "it does not fit under the server's user limit"
			blocked++
		}
	}
	p.plan.CapacityError = fmt.Sprintf("Mattermost allows %d active users and has %d; %d creates or reactivations do not fit and were not attempted. "+
		"Deactivate unused accounts, or license the server for more users", c.HardLimit, c.Active, blocked)
}

// resolve grants or refuses every claim, then hands the actions to the plan.
func (b *addressBook) resolve() {
	b.applyCapacity()
	for i := range b.claims {
		b.grant(i)
	}
	p := b.p
	var n [3]int
	for i := range b.claims {
		switch b.claims[i].act.Kind {
		case KindCreate:
			n[0]++
		case KindReactivate:
			n[1]++
		default:
			n[2]++
		}
	}
	p.creates = slices.Grow(p.creates, n[0])
	p.reacts = slices.Grow(p.reacts, n[1])
	p.updates = slices.Grow(p.updates, n[2])
	for i := range b.claims {
		c := &b.claims[i]
		a := c.act
		if c.state == claimBlocked {
			p.plan.Blocked = append(p.plan.Blocked, a)
			continue
		}
		if c.state == claimRefused {
			p.plan.Conflicts = append(p.plan.Conflicts, b.conflict(c))
			if a.Kind == KindCreate {
				continue
			}
			if a.Kind == KindUpdate && len(a.Changes) == 0 && a.Patch.Props == nil {
				p.plan.Unchanged++
				continue
			}
		} else if c.addr != "" {
			if a.Kind != KindCreate {
				e := c.addr
				a.Patch.Email = &e
				a.Changes = append([]Change{{Field: "email", Old: a.Email, New: c.addr}}, a.Changes...)
			}
			a.Email = c.addr
		}
		switch a.Kind {
		case KindCreate:
			a.Username = p.usernames.Allocate(a.UsernameBase)
			p.creates = append(p.creates, a)
			p.addMember(member{u: c.d.u, email: a.Email, username: a.Username})
		case KindReactivate:
			p.reacts = append(p.reacts, a)
		default:
			p.updates = append(p.updates, a)
		}
	}
	p.updates = append(p.updates, b.parks...)
}

// grant decides claim i: the address is free, held by the claimant, held by
// an account that moves away in this plan (the claim then runs a wave
// later), or held by a deactivated leaver whose address can be released.
func (b *addressBook) grant(i int) bool {
	c := &b.claims[i]
	switch c.state {
	case claimGranted:
		return true
	case claimRefused, claimBlocked:
		return false
	case claimVisiting:
		// A cycle: accounts swapping addresses (a mix-up corrected in the
		// directory), each waiting for the next to move. This claim's
		// account steps aside first, to a placeholder: one extra write
		// frees its address for the claim that waits on it, and the cycle
		// completes in this run.
		return b.park(i)
	}
	if c.addr == "" {
		c.state = claimGranted
		return true
	}
	c.state = claimVisiting
	h := b.p.acc.holder(c.addr)
	switch {
	case h < 0 || h == c.acct:
		c.state = claimGranted
	case b.movesAway(h):
		hc := &b.claims[b.moving[h]]
		if b.grant(b.moving[h]) {
			c.state, c.act.Wave = claimGranted, hc.act.Wave+1
		} else {
			c.state, c.by = claimRefused, h
			c.why = "the address is held by " + b.p.acc.all[h].Username + ", which keeps it in this run (" + firstNonEmpty(hc.why, "the two accounts swap addresses") + ")"
		}
	default:
		if why := b.release(h, c); why != "" {
			c.state, c.by, c.why = claimRefused, h, why
		} else {
			c.state = claimGranted
		}
	}
	return c.state == claimGranted
}

// park breaks a cycle at claim i: its account moves to TemporaryAddress in
// wave 0 (before any claim of the cycle runs), so its address is free from
// wave 1 on; the claim itself is granted when the recursion returns to it,
// a wave after the account it waits on has moved.
func (b *addressBook) park(i int) bool {
	c := &b.claims[i]
	if c.acct < 0 {
		return false // only accounts hold addresses: a create cannot close a cycle
	}
	p := b.p
	acct := &p.acc.all[c.acct]
	from, to := strings.ToLower(acct.Email), TemporaryAddress(acct)
	next := "another account"
	if h := p.acc.holder(c.addr); h >= 0 {
		next = p.acc.all[h].Username
	}
	b.parks = append(b.parks, Action{
		Kind: KindUpdate, EntraID: c.d.u.ID, DisplayName: c.d.u.DisplayName, Email: from, Username: acct.Username,
		AccountID: acct.ID, Observed: p.precondition(c.acct), Temporary: true,
		Changes: []Change{{Field: "email", Old: from, New: to}},
		Patch:   Patch{Email: &to},
		Reason: "temporary address: accounts swap addresses in this run; " + acct.Username + " steps aside so that " + from +
			" is free, and moves on to " + c.addr + " once " + next + " has left it",
	})
	return true
}

// TemporaryAddress is where an account waits while a cycle of address moves
// completes: unique (it holds the account id), a valid Mattermost address,
// and never a mailbox (.invalid is reserved by RFC 2606).
func TemporaryAddress(acct *Account) string { return placeholderAddress(acct, "moving.invalid") }

func (b *addressBook) movesAway(h int) bool {
	ci, ok := b.moving[h]
	return ok && b.claims[ci].addr != ""
}

// release frees the address held by account h for claim c, or says why it
// cannot: only a leaver's account (its Entra ID user disabled, deleted or
// out of scope) that is deactivated, or deactivated by this plan, gives up
// its address, and only with release-addresses.
func (b *addressBook) release(h int, c *claim) string {
	p := b.p
	acct := &p.acc.all[h]
	owner := p.acc.owner[h]
	switch {
	case p.acc.protected[h] != "":
		return "the address is held by " + acct.Username + ", which the sync does not change (" + p.acc.protected[h] + ")"
	case p.acc.isForeign(h):
		return "the address is held by " + acct.Username + ", which another sync manages (" + InstanceLabel(p.acc.foreignName[h]) + "); that sync, or an administrator, must free it"
	case owner == "" && acct.Active():
		return "the address is held by " + acct.Username + ", an active account not linked to Entra ID; if it is the same person, link it by giving it this user's address only (or remove the duplicate account in System Console > Users)"
	case owner == "":
		return "the address is held by the deactivated account " + acct.Username + ", which is not linked to Entra ID, so the sync does not change it; change its address or delete it in System Console > Users"
	}
	if d := p.user(owner); d != nil && d.u.AccountEnabled != BoolFalse {
		return "the address is held by " + acct.Username + ", which belongs to another Entra ID user (" + owner + ") who is still enabled; fix the address in Entra ID"
	}
	if acct.Active() && !p.deactivating[h] {
		return "the address is held by " + acct.Username + ", the account of a leaver (" + owner + ") that is still active; it is released once deactivated"
	}
	if !p.opts.ReleaseAddresses {
		return "the address is held by " + acct.Username + ", the deactivated account of a leaver (" + owner + "); set release-addresses: true to move its address to a placeholder, or change it by hand"
	}
	if p.noDestructive {
		return "the address is held by " + acct.Username + ", the account of a leaver (" + owner + "); releasing it was withheld by max-deactivations"
	}
	if !b.released[h] {
		b.released[h] = true
		placeholder := ReleasedAddress(acct)
		e := placeholder
		p.releases = append(p.releases, Action{
			Kind: KindRelease, EntraID: owner, Email: strings.ToLower(acct.Email), Username: acct.Username, AccountID: acct.ID,
			DisplayName: acct.Nickname, Observed: p.precondition(h),
			Changes: []Change{{Field: "email", Old: strings.ToLower(acct.Email), New: placeholder}},
			Patch:   Patch{Email: &e, Props: releaseProps(p.r.linker, acct, owner)},
			Reason:  "the address now belongs to " + c.d.u.DisplayName + " (" + c.d.u.ID + "); the deactivated account keeps its username, posts and history",
		})
	}
	return ""
}

func (b *addressBook) conflict(c *claim) Conflict {
	k := Conflict{EntraID: c.d.u.ID, DisplayName: c.d.u.DisplayName, Field: "email", Value: c.addr, Reason: c.why}
	if c.acct >= 0 {
		k.AccountID, k.Username = b.p.acc.all[c.acct].ID, b.p.acc.all[c.acct].Username
	}
	if c.by >= 0 {
		k.HolderID, k.HolderUsername = b.p.acc.all[c.by].ID, b.p.acc.all[c.by].Username
	}
	return k
}

// ReleasedAddress is the placeholder a released account's address moves to:
// it names the account, is unique (it holds the account id), is a valid
// Mattermost address, and can never receive mail (.invalid is reserved by
// RFC 2606).
func ReleasedAddress(acct *Account) string { return placeholderAddress(acct, "released.invalid") }

// placeholderAddress is name.id@domain for an account: the id makes it
// unique, the name lets an admin see whose it is.
func placeholderAddress(acct *Account, domain string) string {
	name := NormalizeUsername(acct.Username)
	if name == "" {
		name = "user"
	}
	return name + "." + strings.ToLower(acct.ID) + "@" + domain
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}
