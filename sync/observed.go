package sync

import "strings"

// accounts indexes the observed Mattermost accounts once per plan. Accounts
// are referred to by their index in all, so per-account state lives in
// slices rather than maps keyed by pointer.
type accounts struct {
	all     []Account
	byEmail map[string]int
	// owner is the Entra object id an account belongs to: its verified link,
	// or, failing that, a verified creation mark (an account this sync
	// created whose link was never written). viaMark says it was the mark.
	owner   []string
	viaMark []bool
	// byOwner maps an object id to its account; the rare further accounts
	// of one object id are in moreOwned (a slice per account would cost an
	// allocation each at 100,000 accounts).
	byOwner   map[string]int
	moreOwned map[string][]int
	// protected says why the sync must never change an account ("" if it may).
	protected []string
	// foreign marks accounts another instance manages (Linker.Foreign);
	// foreignName is that instance's name. Only the address rule reaches them.
	foreign     []bool
	foreignName []string
	// foreignObject maps the object id another instance's account names
	// (its entra_object_id) to that account: the same person, in a tenant
	// both instances read, is not created twice.
	foreignObject map[string]int
}

func indexAccounts(all []Account, r *rules) *accounts {
	n := len(all)
	x := &accounts{
		all:       all,
		byEmail:   make(map[string]int, n),
		owner:     make([]string, n),
		viaMark:   make([]bool, n),
		byOwner:   make(map[string]int, n),
		protected: make([]string, n),
	}
	if r.linker.instance != "" || anyInstanceProp(all) {
		x.foreign, x.foreignName = make([]bool, n), make([]string, n)
	}
	for i := range all {
		a := &all[i]
		if a.Email != "" {
			x.byEmail[strings.ToLower(a.Email)] = i
		}
		id, ok := r.linker.Linked(a)
		if !ok {
			if id, ok = r.linker.CreatedBy(a); ok {
				x.viaMark[i] = true
			}
		}
		if ok {
			x.owner[i] = id
			if first, dup := x.byOwner[id]; !dup {
				x.byOwner[id] = i
			} else {
				if x.moreOwned == nil {
					x.moreOwned = map[string][]int{}
				}
				if len(x.moreOwned[id]) == 0 {
					x.moreOwned[id] = []int{first}
				}
				x.moreOwned[id] = append(x.moreOwned[id], i)
			}
		}
		x.protected[i] = r.protectionOf(a, x.owner[i])
		if !ok && x.foreign != nil {
			x.foreignName[i], x.foreign[i] = r.linker.Foreign(a)
			if id := a.Props[PropEntraID]; x.foreign[i] && id != "" {
				if x.foreignObject == nil {
					x.foreignObject = map[string]int{}
				}
				if _, dup := x.foreignObject[id]; !dup {
					x.foreignObject[id] = i
				}
			}
		}
	}
	return x
}

// anyInstanceProp reports whether some account names an instance: without
// one, and with this instance unnamed, no account can be foreign, and the
// index saves two slices.
func anyInstanceProp(all []Account) bool {
	for i := range all {
		if all[i].Props[PropInstance] != "" {
			return true
		}
	}
	return false
}

// isForeign reports whether account i is another instance's.
func (x *accounts) isForeign(i int) bool { return x.foreign != nil && x.foreign[i] }

// foreignReason is the skip reason for an account another instance manages.
func (x *accounts) foreignReason(i int) string {
	return "managed by another sync (" + InstanceLabel(x.foreignName[i]) + "); left alone"
}

// owned returns the accounts that belong to objectID: none, one (in first,
// with more nil) or several (all of them in more).
func (x *accounts) owned(objectID string) (first int, more []int) {
	if more = x.moreOwned[objectID]; more != nil {
		return more[0], more
	}
	if i, ok := x.byOwner[objectID]; ok {
		return i, nil
	}
	return -1, nil
}

// holder returns the index of the account holding email, or -1.
func (x *accounts) holder(email string) int {
	if i, ok := x.byEmail[email]; ok {
		return i
	}
	return -1
}

// managed reports whether account i is the sync's: it belongs to an Entra
// object and is not protected.
func (x *accounts) managed(i int) bool { return x.owner[i] != "" && x.protected[i] == "" }

// rules are the administrator's choices and the facts every decision about
// one account needs. The planner uses them to plan, and Apply asks the same
// rules when the server contradicts the plan: there is one rule set.
type rules struct {
	opts   Options
	linker Linker
	selfID string
	ignore map[string]bool
	// dirAddrs maps a directory user's lower-case object id to their
	// addresses as read (mail, userPrincipalName; lower case), in scope,
	// out of scope or deleted: what names an account the sync manages in
	// ignore-users (ignored).
	dirAddrs map[string][]string
}

// withDirectory records the directory users' addresses (dirAddrs).
func (r *rules) withDirectory(dir Directory) *rules {
	r.dirAddrs = make(map[string][]string, len(dir.Users)+len(dir.OutOfScope)+len(dir.Deleted))
	add := func(id, mail, upn string) {
		key := strings.ToLower(id)
		for _, a := range []string{mail, upn} {
			if a = strings.ToLower(strings.TrimSpace(a)); a != "" {
				r.dirAddrs[key] = append(r.dirAddrs[key], a)
			}
		}
	}
	for _, list := range [][]DirectoryUser{dir.Users, dir.OutOfScope} {
		for i := range list {
			add(list[i].ID, list[i].Mail, list[i].UserPrincipalName)
		}
	}
	for _, d := range dir.Deleted {
		add(d.ID, d.Mail, d.UserPrincipalName)
	}
	return r
}

// ignored reports whether an ignore-users entry names acct, whose owner
// (its verified link or creation mark) is owner, or "" for none. An account
// nobody owns is named by its username or address. An account the sync
// manages is named only by its Entra ID user's addresses as the directory
// reads them (its verified address when the user was not read): its
// username, and an address typed into its own profile, are
// its user's to change, and an employee who renames themselves to an
// ignore-users entry (a service account since removed) must not stop their
// own offboarding or keep rooms their groups no longer give them.
func (r *rules) ignored(acct *Account, owner string) bool {
	if owner == "" {
		return r.ignore[strings.ToLower(acct.Username)] || r.ignore[strings.ToLower(acct.Email)]
	}
	addrs, read := r.dirAddrs[strings.ToLower(owner)]
	if !read && acct.EmailVerified {
		// The user was not read at all (gone from the tenant's listings):
		// its address counts while Mattermost reports it verified, which
		// an address typed into one's own profile is not.
		return r.ignore[strings.ToLower(acct.Email)]
	}
	for _, a := range addrs {
		if r.ignore[a] {
			return true
		}
	}
	return false
}

func newRules(opts Options, selfID string) *rules {
	r := &rules{opts: opts, linker: opts.Linker, selfID: selfID, ignore: make(map[string]bool, len(opts.Ignore))}
	for _, s := range opts.Ignore {
		if s = strings.ToLower(strings.TrimSpace(s)); s != "" {
			r.ignore[s] = true
		}
	}
	return r
}

// protection says why the sync must never change acct, or "" when it may:
// bots, shared-channel (remote) users, the token owner, accounts in
// ignore-users, and system admins unless manage-admins is on.
func (r *rules) protection(acct *Account) string { return r.protectionOf(acct, "") }

// protectionOf is protection for an account whose owner is known (its
// verified link or creation mark; "" for none): see ignored.
func (r *rules) protectionOf(acct *Account, owner string) string {
	switch {
	case acct.IsBot:
		return "the address belongs to a Mattermost bot"
	case acct.RemoteID != "":
		return "the address belongs to a shared-channel (remote) user"
	case r.selfID != "" && acct.ID == r.selfID:
		return "the account is the owner of mattermost-token"
	case r.ignored(acct, owner):
		return "listed in ignore-users"
	case !r.opts.ManageAdmins && hasRole(acct.Roles, "system_admin"):
		return "system admin: left alone (set manage-admins to change that)"
	}
	return ""
}

// adoption decides whether an existing account that holds a directory user's
// address, and belongs to no other Entra object, becomes that user's
// account. An account this sync created for the user (its creation mark
// verifies) is always the user's; any other only with adopt-existing, only
// while active (a deactivated account may be a security response), and
// only when Mattermost reports its address verified unless adopt-existing
// is any: any user can type any address into their own profile, and the
// server then reports it unverified (reference/mattermost-api.md §10).
// unverified is set when the account's address is not verified, whether
// that refused the adoption (a conflict) or adopt-existing: any allowed it
// (an adoption to review).
func (r *rules) adoption(objectID string, acct *Account) (ok bool, reason string, unverified bool) {
	if p := r.protection(acct); p != "" {
		return false, p, false
	}
	if id, linked := r.linker.Linked(acct); linked && id != objectID {
		return false, "the account with this address is linked to another Entra ID user (" + id + ")", false
	}
	if name, foreign := r.linker.Foreign(acct); foreign {
		return false, "the account with this address is managed by another sync (" + InstanceLabel(name) + ")", false
	}
	if id, mine := r.linker.CreatedBy(acct); mine {
		if id == objectID {
			return true, "this sync created the account for this Entra ID user", false
		}
		return false, "the account with this address was created for another Entra ID user (" + id + ")", false
	}
	if !r.opts.AdoptExisting {
		return false, "an unlinked account has this address, and adopt-existing is off", false
	}
	if acct.DeleteAt != 0 {
		return false, "an unlinked, deactivated account has this address; reactivate it by hand to let the sync adopt it", false
	}
	if !acct.EmailVerified {
		if !r.opts.AdoptUnverified {
			return false, "the address is held by " + acct.Username + ", an unlinked account whose address Mattermost reports unverified " +
				"(anyone can type an address into their own profile), so it is not adopted and gets no team or channel; " +
				"if " + acct.Username + " is this person, verify the address in Mattermost (mmctl user verify " + acct.Username +
				") or run once with adopt-existing: any", true
		}
		return true, "adopt: an existing account with this address is linked to the Entra ID user; REVIEW: Mattermost reports its address unverified (adopt-existing: any)", true
	}
	return true, "adopt: an existing account with this address is linked to the Entra ID user", false
}

// emailChangeable: Mattermost silently keeps the old email of OAuth accounts
// and refuses changes for LDAP ones, so asking would repeat every run.
func emailChangeable(acct *Account) bool {
	return acct.AuthService == "" || acct.AuthService == "email"
}

func hasRole(roles, role string) bool {
	for roles != "" {
		var r string
		r, roles, _ = strings.Cut(strings.TrimLeft(roles, " "), " ")
		if r == role {
			return true
		}
	}
	return false
}
