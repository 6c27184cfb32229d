package sync

import (
	"slices"
	"strings"
)

// planner holds the state of one planning pass.
type planner struct {
	plan  *Plan
	r     *rules
	opts  Options
	acc   *accounts
	want  []desired
	byID  map[string]*desired // directory users in scope, by object id; see user
	addrs *addressBook
	// usernames hands out the creates' usernames (seeded with every name
	// taken); the plan keeps the names, not the allocator.
	usernames *UsernameAllocator
	// accountIndex maps an account id to its index, built when first
	// needed (observedAll).
	accountIndex map[string]int
	// deleted maps an address to the deleted directory user that held it,
	// when no user read (in scope or not) claims it now.
	deleted map[string]*DeletedUser
	// outsideDisabled maps an address to the disabled, out-of-scope user
	// that holds it, when no other user read claims it.
	outsideDisabled map[string]*DirectoryUser
	// noDestructive plans as if no deactivation or release were allowed:
	// the second pass after the threshold withheld them.
	noDestructive bool

	handled []bool // a directory user accounted for the account
	members []member
	// deactivating marks accounts this plan deactivates (a release may follow).
	deactivating []bool

	deacts, releases, reacts, creates, updates, teams, channels []Action

	// frozen are the teams and channels broken mappings name, and whether
	// the scope is unknown; deps the departures still to be confirmed.
	frozen    frozen
	deps      departures
	confirmed *Confirmations
	// awaitingRead maps an account to the first team or channel ("team
	// eng") it would leave once a direct read confirms it left the groups.
	awaitingRead map[string]string
	// outside indexes the users read but out of scope, deletedIDs the
	// deleted users, by lower-case object id: a leaver read as disabled or
	// deleted needs no confirmation.
	outside    map[string]*DirectoryUser
	deletedIDs map[string]bool
	// onboards are the onboard actions (onboard.go), run last.
	onboards []Action
}

// member is a managed account that will be active after the run, for team
// and channel planning. accountID is empty for an account still to be created.
type member struct {
	u         *DirectoryUser
	email     string
	accountID string
	username  string
}

func newPlanner(dir Directory, observed Observed, r *rules, noDestructive bool) *planner {
	acc := indexAccounts(observed.Accounts, r)
	p := &planner{
		plan:          &Plan{},
		r:             r,
		opts:          r.opts,
		acc:           acc,
		noDestructive: noDestructive,
		handled:       make([]bool, len(acc.all)),
		deactivating:  make([]bool, len(acc.all)),
	}
	taken := make([]string, len(acc.all))
	for i := range acc.all {
		taken[i] = acc.all[i].Username
		if acc.managed(i) && acc.all[i].Active() {
			p.plan.Managed++
		}
	}
	// A name in ignore-users is never given out: the account would be one
	// the sync must not touch from the moment it exists.
	for name := range r.ignore {
		taken = append(taken, name)
	}
	p.usernames = NewUsernameAllocator(taken)
	// One order for everything that follows, whatever order Graph used:
	// by address, then object id. Small keys are sorted, not the desired
	// accounts themselves, which are then built once, in order.
	type key struct {
		email string
		i     int32
	}
	keys := make([]key, len(dir.Users))
	for i := range dir.Users {
		email, _, _ := Email(dir.Users[i])
		keys[i] = key{email: email, i: int32(i)}
	}
	slices.SortFunc(keys, func(a, b key) int {
		if c := strings.Compare(a.email, b.email); c != 0 {
			return c
		}
		return strings.Compare(dir.Users[a.i].ID, dir.Users[b.i].ID)
	})
	p.want = make([]desired, len(keys))
	for j, k := range keys {
		u := &dir.Users[k.i]
		d := desired{u: u, email: k.email, profile: r.opts.Attributes.Profile(u)}
		if d.email == "" {
			_, d.noEmail, _ = Email(*u)
		}
		p.want[j] = d
	}
	p.frozen, p.deps, p.confirmed = newFrozen(r.opts.Broken), departures{}, dir.Confirmed
	p.outside = make(map[string]*DirectoryUser, len(dir.OutOfScope))
	for i := range dir.OutOfScope {
		p.outside[strings.ToLower(dir.OutOfScope[i].ID)] = &dir.OutOfScope[i]
	}
	p.deletedIDs = make(map[string]bool, len(dir.Deleted))
	for _, d := range dir.Deleted {
		p.deletedIDs[strings.ToLower(d.ID)] = true
	}
	p.addrs = newAddressBook(p)
	claimed := readAddresses(p.want, dir.OutOfScope)
	p.deleted = deletedAddresses(dir.Deleted, claimed)
	p.outsideDisabled = outsideDisabled(dir.OutOfScope, claimed)
	return p
}

// user returns the directory user in scope with that object id, or nil. The
// index is built on first use: only address releases ask.
func (p *planner) user(objectID string) *desired {
	if p.byID == nil {
		p.byID = make(map[string]*desired, len(p.want))
		for i := range p.want {
			p.byID[p.want[i].u.ID] = &p.want[i]
		}
	}
	return p.byID[objectID]
}

func (p *planner) run() {
	for i := range p.want {
		p.decide(&p.want[i])
	}
	p.leavers()
	p.addrs.resolve()
	p.resignRest()
}

func (p *planner) skip(u *DirectoryUser, email string, ai int, reason string) {
	s := Skip{Email: email, Reason: reason}
	if u != nil {
		s.EntraID, s.DisplayName = u.ID, u.DisplayName
	}
	if ai >= 0 {
		a := &p.acc.all[ai]
		s.AccountID, s.Username = a.ID, a.Username
		if s.Email == "" {
			s.Email = strings.ToLower(a.Email)
		}
	}
	p.plan.Skipped = append(p.plan.Skipped, s)
}

// attention is a skip an administrator must look at: a warning annotation.
func (p *planner) attention(u *DirectoryUser, ai int, reason string) {
	p.skip(u, "", ai, reason)
	p.plan.Skipped[len(p.plan.Skipped)-1].Attention = true
}

// decide settles one directory user: the account it has (linked, or holding
// its address) and what that account needs.
func (p *planner) decide(d *desired) {
	u := d.u
	if first, owned := p.acc.owned(u.ID); len(owned) > 1 {
		if u.AccountEnabled == BoolFalse {
			// Which account is the real one does not matter for a leaver:
			// none stays active.
			for _, j := range owned {
				p.handled[j] = true
				p.linkedUser(d, j)
			}
			return
		}
		names := make([]string, len(owned))
		for i, j := range owned {
			names[i] = p.acc.all[j].Username
			p.handled[j] = true
		}
		slices.Sort(names)
		p.skip(u, d.email, -1, "conflict: accounts "+strings.Join(names, ", ")+" are all linked to this Entra ID user; left alone until an admin removes the extra links")
		return
	} else if first >= 0 {
		p.handled[first] = true
		p.linkedUser(d, first)
		return
	}
	p.unlinkedUser(d)
}

// unknownEnabled is the skip for a user whose accountEnabled Graph served as
// null: unknown is not false, so nothing about the account changes.
func (p *planner) unknownEnabled(d *desired, ai int) {
	s := Skip{EntraID: d.u.ID, DisplayName: d.u.DisplayName, Email: d.email, Attention: true,
		Reason: "accountEnabled is null in Entra ID (object " + d.u.ID + "): the account is left as it is until Entra ID says whether the user is enabled"}
	if ai >= 0 {
		s.AccountID, s.Username = p.acc.all[ai].ID, p.acc.all[ai].Username
	}
	p.plan.Skipped = append(p.plan.Skipped, s)
}

// linkedUser handles a directory user whose account is already the sync's.
func (p *planner) linkedUser(d *desired, ai int) {
	u, acct := d.u, &p.acc.all[ai]
	if d.email != "" && p.r.ignore[d.email] {
		if u.AccountEnabled == BoolFalse && acct.Active() {
			// README, Scope: a protected leaver's account is a warning
			// every run, however ignore-users names it.
			p.attention(u, ai, "account disabled in Entra ID, but the account stays active: listed in ignore-users")
		} else {
			p.skip(u, d.email, ai, "listed in ignore-users")
		}
		return
	}
	if reason := p.acc.protected[ai]; reason != "" {
		if u.AccountEnabled == BoolFalse && acct.Active() {
			// A leaver who keeps an active account is the riskiest case:
			// an administrator must see it.
			p.attention(u, ai, "account disabled in Entra ID, but the account stays active: "+reason)
		} else {
			p.skip(u, d.email, ai, reason)
		}
		if u.AccountEnabled == BoolFalse {
			p.otherHolder(d, ai)
		}
		return
	}
	switch u.AccountEnabled {
	case BoolUnknown:
		p.unknownEnabled(d, ai)
		return
	case BoolFalse:
		switch {
		case !acct.Active():
			p.plan.Unchanged++
		case !p.opts.Deactivate:
			p.skip(u, d.email, ai, "account disabled in Entra ID; deactivate is off")
		default:
			p.deactivate(ai, u.ID, u.DisplayName, "account disabled in Entra ID")
		}
		p.otherHolder(d, ai)
		return
	}
	if !acct.Active() {
		if reason, ok := p.mayReactivate(acct, u.ID); !ok {
			p.skip(u, d.email, ai, reason)
			return
		}
	}
	patch, changes := diffProfile(acct, d.profile)
	a := Action{
		EntraID: u.ID, DisplayName: u.DisplayName, Email: strings.ToLower(acct.Email), Username: acct.Username,
		AccountID: acct.ID,
	}
	var set map[string]string // allocated only when a mark is written: most users need none
	var drop []string
	if p.acc.viaMark[ai] {
		set, drop = p.r.linker.linkSet(acct.ID, u.ID)
		changes = append(changes, Change{Field: "link", Old: "", New: u.ID})
	}
	if rs, rd := p.r.linker.Resign(acct, u.ID); rs != nil {
		if set == nil {
			set = map[string]string{}
		}
		for k, v := range rs {
			if _, linking := set[k]; !linking {
				set[k] = v
			}
		}
		drop = append(drop, rd...)
		changes = append(changes, resignChange)
	}
	if !acct.Active() {
		drop = append(drop, PropDeactivated)
	}
	claim := p.emailWanted(d, ai)
	if claim != "" {
		if pending, ok := p.r.linker.PendingEmail(acct); ok && pending == claim {
			p.skip(u, claim, ai, "email change to "+claim+" waits for the user to verify it (EmailSettings.RequireEmailVerification): Mattermost mailed a link to the new address")
			claim = ""
		}
	} else if _, ok := acct.Props[PropPendingEmail]; ok && d.email == strings.ToLower(acct.Email) {
		drop = append(drop, PropPendingEmail) // verified since: the record has done its job
	}
	patch.Props = withProps(acct.Props, set, drop...)
	a.Patch, a.Changes = patch, changes
	if acct.Active() {
		p.onboardLinked(d, acct)
	}
	switch {
	case !acct.Active():
		a.Kind, a.Reason = KindReactivate, p.reactivateReason(acct, u.ID)
	case len(changes) == 1 && changes[0] == resignChange && claim == "":
		a.Kind, a.Reason = KindUpdate, resignReason
	case len(changes) > 0 || claim != "" || patch.Props != nil:
		a.Kind, a.Reason = KindUpdate, "profile differs from Entra ID"
	default:
		p.plan.Unchanged++
		p.addMember(member{u: u, email: a.Email, accountID: acct.ID, username: acct.Username})
		return
	}
	a.Observed = p.precondition(ai)
	p.addMember(member{u: u, email: a.Email, accountID: acct.ID, username: acct.Username})
	p.addrs.want(claimOf(a, ai, claim, d))
}

// otherHolder applies the address rule to an unlinked account other than
// the user's own (ai) that holds a disabled user's address.
func (p *planner) otherHolder(d *desired, ai int) {
	h := p.acc.holder(d.email)
	if d.email == "" || h < 0 || h == ai || p.acc.owner[h] != "" || p.addrs.notOwner(d) != "" {
		return
	}
	p.handled[h] = true
	if p.acc.protected[h] == "" {
		p.disabledAddress(d, h)
	} else if p.acc.all[h].Active() {
		p.attention(d.u, h, "account disabled in Entra ID, but an account with its address stays active: "+p.acc.protected[h])
	}
}

// emailWanted returns the address a linked account should move to, or "".
// A user whose address another directory user owns keeps the account's
// address, and the plan says why.
func (p *planner) emailWanted(d *desired, ai int) string {
	acct := &p.acc.all[ai]
	if d.email == "" || d.email == strings.ToLower(acct.Email) || !emailChangeable(acct) {
		return ""
	}
	if reason := p.addrs.notOwner(d); reason != "" {
		p.plan.Conflicts = append(p.plan.Conflicts, Conflict{EntraID: d.u.ID, DisplayName: d.u.DisplayName, AccountID: acct.ID,
			Username: acct.Username, Field: "email", Value: d.email, Reason: reason + "; the account keeps " + strings.ToLower(acct.Email)})
		return ""
	}
	return d.email
}

// mayReactivate applies the reactivate policy to a deactivated account whose
// user is enabled.
func (p *planner) mayReactivate(acct *Account, objectID string) (string, bool) {
	switch p.opts.Reactivate {
	case ReactivateAny:
		return "", true
	case ReactivateNever:
		return "deactivated in Mattermost and enabled in Entra ID; reactivate is never, so it stays deactivated (reactivate it in Mattermost to hand it back)", false
	}
	if p.r.linker.DeactivatedBySync(acct, objectID) {
		return "", true
	}
	return "deactivated in Mattermost, not by this sync (an administrator's deactivation stands); reactivate it in Mattermost to hand it back to the sync, or set reactivate: any", false
}

func (p *planner) reactivateReason(acct *Account, objectID string) string {
	if p.r.linker.DeactivatedBySync(acct, objectID) {
		return "enabled in Entra ID again (this sync had deactivated it)"
	}
	return "enabled in Entra ID again (reactivate: any)"
}

// unlinkedUser handles a directory user no account belongs to yet.
func (p *planner) unlinkedUser(d *desired) {
	u := d.u
	if d.email == "" {
		p.skip(u, "", -1, d.noEmail)
		return
	}
	if reason := p.addrs.notOwner(d); reason != "" {
		p.skip(u, d.email, p.acc.holder(d.email), reason)
		return
	}
	h := p.acc.holder(d.email)
	if h >= 0 {
		p.handled[h] = p.handled[h] || p.acc.owner[h] == ""
	}
	if p.r.ignore[d.email] {
		p.skip(u, d.email, h, "listed in ignore-users")
		return
	}
	if h >= 0 && p.acc.protected[h] != "" {
		if u.AccountEnabled == BoolFalse && p.acc.all[h].Active() {
			p.attention(u, h, "account disabled in Entra ID, but the account with its address stays active: "+p.acc.protected[h])
		} else {
			p.skip(u, d.email, h, p.acc.protected[h])
		}
		return
	}
	switch u.AccountEnabled {
	case BoolUnknown:
		p.unknownEnabled(d, h)
		return
	case BoolFalse:
		p.disabledAddress(d, h)
		return
	}
	if h >= 0 && p.acc.isForeign(h) {
		// The other instance manages this person's account: not created
		// twice, not adopted, not changed.
		p.skip(u, d.email, h, p.acc.foreignReason(h))
		return
	}
	if f, ok := p.acc.foreignObject[u.ID]; ok && (h < 0 || p.acc.owner[h] != "") {
		// Another instance's account names this object id under another
		// address (it maps the address from another attribute): the same
		// person is not created twice. The skip names the account, so that
		// a user who wrote a new hire's id into their own props is seen.
		p.skip(u, d.email, f, p.acc.foreignReason(f)+"; it names this Entra ID user's object id, so no second account is created")
		return
	}
	if p.frozen.scopeUnknown != "" {
		p.skip(u, d.email, h, "not created or adopted in this run: the scope is unknown, because "+p.frozen.scopeUnknown+" did not resolve or read empty")
		return
	}
	if h < 0 {
		p.create(d, "in Entra ID, no Mattermost account with this address")
		return
	}
	if p.acc.owner[h] != "" {
		// The address is held by another Entra object's account: the new
		// user gets a new account once that address is free (the holder
		// moves away, or is a leaver whose address is released).
		p.create(d, "in Entra ID; the address is held by "+p.acc.all[h].Username+", which belongs to another Entra ID user")
		return
	}
	ok, reason, unverified := p.r.adoption(u.ID, &p.acc.all[h])
	if !ok && unverified {
		// Possibly someone else wearing this user's address: a conflict an
		// administrator resolves, never a silent skip.
		holder := &p.acc.all[h]
		p.plan.Conflicts = append(p.plan.Conflicts, Conflict{EntraID: u.ID, DisplayName: u.DisplayName, Field: "email", Value: d.email,
			HolderID: holder.ID, HolderUsername: holder.Username, Reason: reason})
		return
	}
	if !ok {
		p.skip(u, d.email, h, reason)
		return
	}
	acct := &p.acc.all[h]
	p.plan.Managed++ // managed from this run on: part of max-deactivations' base
	patch, changes := diffProfile(acct, d.profile)
	patch.Props = p.r.linker.linkProps(acct, acct.ID, u.ID)
	changes = append(changes, Change{Field: "link", Old: acct.Props[PropEntraID], New: u.ID})
	if p.onboardAdopted(d, acct) {
		patch.Props[PropOnboardPending] = p.r.linker.OnboardPendingMark(u.ID)
	}
	p.updates = append(p.updates, Action{
		Kind: KindUpdate, EntraID: u.ID, DisplayName: u.DisplayName, Email: d.email,
		Username: acct.Username, AccountID: acct.ID, Patch: patch, Changes: changes, Reason: reason,
		Observed: p.precondition(h), Unverified: unverified,
	})
	p.addMember(member{u: u, email: d.email, accountID: acct.ID, username: acct.Username})
}

// disabledAddress: the address belongs to a disabled directory user. An
// account holding it that no Entra object owns (its link removed, or never
// made) must not stay active: removing one's own link must not escape
// offboarding.
func (p *planner) disabledAddress(d *desired, h int) {
	u := d.u
	switch {
	case h < 0:
		p.skip(u, d.email, -1, "account disabled in Entra ID")
	case p.acc.owner[h] != "":
		p.skip(u, d.email, h, "account disabled in Entra ID; the account with this address belongs to another Entra ID user ("+p.acc.owner[h]+")")
	case !p.acc.all[h].Active():
		p.skip(u, d.email, h, "account disabled in Entra ID; the unlinked account with this address is already deactivated")
	case !p.opts.Deactivate:
		p.skip(u, d.email, h, "account disabled in Entra ID; an unlinked account has its address and stays active because deactivate is off")
	case p.acc.isForeign(h):
		// The address rule holds whatever instance an account claims: an
		// instance name is a prop its user can write.
		p.deactivate(h, u.ID, u.DisplayName, "account disabled in Entra ID; the account holding its address says another sync manages it ("+InstanceLabel(p.acc.foreignName[h])+"), but a disabled user's address never keeps an active account")
	default:
		p.deactivate(h, u.ID, u.DisplayName, "account disabled in Entra ID; the account holding its address was not linked (link removed, or never made)")
	}
}

// create plans a new account for d.
func (p *planner) create(d *desired, reason string) {
	base, why := d.usernameBase(p.opts.UsernameFrom)
	if base == "" {
		p.skip(d.u, d.email, -1, why)
		return
	}
	a := Action{
		Kind: KindCreate, EntraID: d.u.ID, DisplayName: d.u.DisplayName, Email: d.email,
		Profile: d.profile, UsernameBase: base, Reason: reason,
	}
	p.addrs.want(claimOf(a, -1, d.email, d))
}

// leavers finds the sync's active accounts whose directory user is gone
// (deleted, or out of scope), and unlinked active accounts whose address
// belonged to a user deleted from the tenant.
func (p *planner) leavers() {
	var gone []int
	for i := range p.acc.all {
		a := &p.acc.all[i]
		if p.handled[i] || !a.Active() {
			continue
		}
		email := strings.ToLower(a.Email)
		if p.acc.isForeign(i) {
			// Another instance's account: only the address rule reaches
			// it. The instance name is a prop its user can write, so it
			// never switches the rule off: a disabled user's address
			// reaches it, and so does a deleted user's (deletedReaches).
			if p.outsideDisabled[email] != nil || p.deletedReaches(email) {
				gone = append(gone, i)
			}
			continue
		}
		if p.acc.owner[i] != "" || p.deleted[email] != nil || p.outsideDisabled[email] != nil {
			gone = append(gone, i)
		}
	}
	slices.SortFunc(gone, func(a, b int) int { return strings.Compare(p.acc.all[a].Username, p.acc.all[b].Username) })
	for _, i := range gone {
		a := &p.acc.all[i]
		owner, reason := p.acc.owner[i], "gone from Entra ID (deleted, or out of the sync's scope)"
		if owner == "" {
			if del := p.deleted[strings.ToLower(a.Email)]; del != nil {
				owner, reason = del.ID, "the address belongs to an Entra ID user deleted from the tenant ("+del.ID+"); the account was not linked"
				if p.acc.isForeign(i) {
					reason = "the address belongs to an Entra ID user deleted from the tenant (" + del.ID + "); the account says another sync manages it (" +
						InstanceLabel(p.acc.foreignName[i]) + "), but this sync has no account of its own for that user, and a deleted user's address never keeps an active account"
				}
			} else {
				u := p.outsideDisabled[strings.ToLower(a.Email)]
				owner, reason = u.ID, "the address belongs to an Entra ID user who is disabled (and out of the sync's scope); the account was not linked"
				if p.acc.isForeign(i) {
					reason = "the address belongs to an Entra ID user who is disabled (and out of the sync's scope); the account says another sync manages it (" +
						InstanceLabel(p.acc.foreignName[i]) + "), but a disabled user's address never keeps an active account"
				}
			}
		}
		switch {
		case p.acc.protected[i] != "":
			p.attention(nil, i, "gone from or disabled in Entra ID, but the account stays active: "+p.acc.protected[i])
		case !p.opts.Deactivate:
			p.skip(nil, "", i, "gone from Entra ID; deactivate is off")
		default:
			if p.acc.owner[i] != "" {
				how, wait := p.departed(owner)
				if wait != "" {
					p.skip(nil, "", i, wait)
					p.plan.Skipped[len(p.plan.Skipped)-1].EntraID = owner
					p.plan.Skipped[len(p.plan.Skipped)-1].Attention = p.frozen.scopeUnknown == ""
					continue
				}
				if how != "" {
					reason = "gone from Entra ID (" + how + ", confirmed by a direct read)"
				}
			}
			p.deactivate(i, owner, a.Nickname, reason)
		}
	}
}

// deletedReaches says whether the address rule for deleted users reaches an
// account that names another instance and holds email. It does unless this
// sync still has its own account linked to that deleted user: then the
// person's account here is that one (deactivated, its address released),
// and the address now belongs to someone the other instance manages, as
// after a merger that moved the person to the other tenant. A link of this
// sync is signed, so no user can make one up; a user who writes another
// instance's name into their own props (and drops their link) leaves this
// sync no account of its own for them, and is reached.
func (p *planner) deletedReaches(email string) bool {
	del := p.deleted[email]
	if del == nil {
		return false
	}
	first, _ := p.acc.owned(del.ID)
	return first < 0
}

// deactivate plans a deactivation of account i for objectID. The account is
// also linked to objectID (it may have lost its link) and Apply records that
// the sync deactivated it, so that reactivate: deactivated-by-sync can hand
// it back when the user returns.
func (p *planner) deactivate(i int, objectID, displayName, reason string) {
	if p.noDestructive {
		return
	}
	a := &p.acc.all[i]
	act := Action{Kind: KindDeactivate, EntraID: objectID, Email: strings.ToLower(a.Email), Username: a.Username,
		AccountID: a.ID, Reason: reason, DisplayName: displayName, Observed: p.precondition(i)}
	if id, v := p.r.linker.linkVerdict(a); !p.acc.isForeign(i) && (v != fresh || id != objectID) {
		act.Patch.Props = p.r.linker.linkProps(a, a.ID, objectID)
	}
	p.deacts = append(p.deacts, act)
	p.deactivating[i] = true
}

func (p *planner) precondition(i int) *Precondition {
	a := &p.acc.all[i]
	return &Precondition{Email: strings.ToLower(a.Email), DeleteAt: a.DeleteAt, Owner: p.acc.owner[i]}
}

// addMember records an account for team and channel planning, when either
// is managed.
func (p *planner) addMember(m member) {
	if p.opts.Teams != nil || p.opts.Channels != nil {
		p.members = append(p.members, m)
	}
}

// destructive returns the deactivations and releases planned.
func (p *planner) destructive() []Action {
	return append(append([]Action(nil), p.deacts...), p.releases...)
}

// departed decides whether the linked account of objectID, missing from the
// scope's listings, is a leaver. wait is why not in this run (""
// when it is one); how is how a direct read confirmed it ("" when the
// listings themselves read the user as disabled or deleted, or no
// confirmation is asked for). A user read as disabled or deleted leaves
// whatever the scope; one merely absent needs a direct read
// (ConfirmDepartures), and never leaves while the scope is unknown.
func (p *planner) departed(objectID string) (how, wait string) {
	key := strings.ToLower(objectID)
	if p.deletedIDs[key] {
		return "", ""
	}
	if o := p.outside[key]; o != nil && o.AccountEnabled == BoolFalse {
		return "", ""
	}
	left := p.confirmed.leftScope(objectID)
	if p.frozen.scopeUnknown != "" {
		switch {
		case left == LeftDeleted || left == LeftDisabled:
			return left, ""
		case !p.opts.ConfirmDepartures && p.outside[key] == nil:
			return "", "" // not read at all: deleted, as the listing says
		case p.opts.ConfirmDepartures && p.outside[key] == nil && left == "":
			p.deps.add(nil, objectID, true, nil) // a direct read may find them deleted
		}
		return "", "out of the scope read in this run, but the scope is unknown (" + p.frozen.scopeUnknown + " did not resolve or read empty): not treated as a leaver"
	}
	if !p.opts.ConfirmDepartures || left != "" {
		return left, ""
	}
	p.deps.add(p.outside[key], objectID, true, nil)
	return "", "missing from the scope's listing (" + objectID + "), but no direct read confirmed the departure: the user may be enabled and in scope while the listing lags, so the account stays active in this run"
}

// removalConfirmed decides whether a membership removal of m that depends
// on group listings (groups: the object ids of the lines naming the team or
// channel) may go ahead; wait says why not. A removal that waits for a
// read is recorded in awaitingRead: a returner is not reactivated while
// one of its removals is unsettled (holdReactivations).
func (p *planner) removalConfirmed(m member, groups []string, where string) (wait string) {
	if !p.opts.ConfirmDepartures || len(groups) == 0 {
		return ""
	}
	switch p.confirmed.stillMember(m.u.ID, groups) {
	case "":
		return ""
	case "member":
		return "still a member of a group mapped to " + where + " by a direct read (the group's member list lags): stays in " + where
	}
	p.deps.add(m.u, m.u.ID, false, groups)
	if p.awaitingRead == nil {
		p.awaitingRead = map[string]string{}
	}
	if p.awaitingRead[m.accountID] == "" {
		p.awaitingRead[m.accountID] = where
	}
	return "missing from the member lists of the groups mapped to " + where + ", but no direct read confirmed it: stays in " + where + " in this run"
}
