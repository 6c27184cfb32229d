package sync

import (
	"cmp"
	"slices"
	"strings"
)

// checkRules are Plan.Check's own facts and rules, written from the
// README's promises (What one run does, Identity and links, Leavers and
// returners, When a mapping breaks, Listings that lag, Safety rails), not
// from the planner's code: Check calls none of the planner's rules or
// helpers, so that a mistake in them is caught here instead of repeated.
// What it shares with the planner is data verification (Linker: does a
// link or mark verify) and the rails' arithmetic (Threshold).
type checkRules struct {
	opts   Options
	selfID string
	ignore map[string]bool // ignore-users entries, lower case
	byID   map[string]*Account
	// users are the directory users in scope, by object id.
	users map[string]*DirectoryUser
	// enabled is accountEnabled as read, in scope or not, by lower-case
	// object id; deleted the users deleted from the tenant.
	enabled map[string]Bool
	deleted map[string]bool
	// disabledAddr and deletedAddr map an address (a user's mail or
	// userPrincipalName, lower case) to the object ids of the users read
	// as disabled, or deleted, who have it.
	disabledAddr map[string][]string
	deletedAddr  map[string][]string
	// addrs are every read user's addresses (in scope, out of scope,
	// deleted) by lower-case object id: what names a managed account in
	// ignore-users.
	addrs map[string][]string
	// The broken mappings' teams and channels, and whether a groups entry
	// broke (the scope is unknown).
	frozenTeams    map[string]bool
	frozenChannels map[ChannelRef]bool
	scopeUnknown   bool
}

func newCheckRules(dir Directory, obs Observed, opts Options) *checkRules {
	c := &checkRules{opts: opts, selfID: obs.SelfID, ignore: map[string]bool{}, byID: make(map[string]*Account, len(obs.Accounts)),
		users: make(map[string]*DirectoryUser, len(dir.Users)), enabled: map[string]Bool{}, deleted: map[string]bool{},
		disabledAddr: map[string][]string{}, deletedAddr: map[string][]string{}, addrs: map[string][]string{},
		frozenTeams: map[string]bool{}, frozenChannels: map[ChannelRef]bool{}}
	for _, s := range opts.Ignore {
		if s = strings.ToLower(strings.TrimSpace(s)); s != "" {
			c.ignore[s] = true
		}
	}
	for i := range obs.Accounts {
		c.byID[obs.Accounts[i].ID] = &obs.Accounts[i]
	}
	for i := range dir.Users {
		c.users[dir.Users[i].ID] = &dir.Users[i]
	}
	for _, list := range [][]DirectoryUser{dir.OutOfScope, dir.Users} {
		for _, u := range list {
			c.enabled[strings.ToLower(u.ID)] = u.AccountEnabled
			c.addrs[strings.ToLower(u.ID)] = addressesOf(u.Mail, u.UserPrincipalName)
			if u.AccountEnabled == BoolFalse {
				for _, a := range addressesOf(u.Mail, u.UserPrincipalName) {
					c.disabledAddr[a] = append(c.disabledAddr[a], strings.ToLower(u.ID))
				}
			}
		}
	}
	for _, d := range dir.Deleted {
		c.deleted[strings.ToLower(d.ID)] = true
		c.addrs[strings.ToLower(d.ID)] = append(c.addrs[strings.ToLower(d.ID)], addressesOf(d.Mail, d.UserPrincipalName)...)
		for _, a := range addressesOf(d.Mail, d.UserPrincipalName) {
			c.deletedAddr[a] = append(c.deletedAddr[a], strings.ToLower(d.ID))
		}
	}
	// A mapped group that reads empty is a broken line too (README, Safety
	// rails: fail closed), unless the matching cap is 100%: a groups entry
	// makes the scope unknown, a group-teams or group-channels line with
	// removals on freezes its rooms.
	if !opts.MaxDeactivations.All() {
		for _, n := range dir.ScopeGroups {
			c.scopeUnknown = c.scopeUnknown || n == 0
		}
	}
	if pol := opts.Teams; pol != nil && pol.Remove && !opts.MaxRemovals.All() {
		for _, g := range pol.ByGroup {
			if len(g.Members) == 0 {
				for _, t := range g.Teams {
					c.frozenTeams[t] = true
				}
			}
		}
	}
	if pol := opts.Channels; pol != nil && pol.Remove && !opts.MaxRemovals.All() {
		for _, g := range pol.ByGroup {
			if len(g.Members) == 0 {
				for _, ref := range g.Channels {
					c.frozenChannels[ref] = true
				}
			}
		}
	}
	for _, b := range opts.Broken {
		for _, t := range b.Teams {
			c.frozenTeams[t] = true
		}
		for _, ref := range b.Channels {
			c.frozenChannels[ref] = true
		}
		if b.Input == InputGroups {
			c.scopeUnknown = true
		}
	}
	return c
}

// addressesOf returns the addresses a user may have in Mattermost: the
// mail and the userPrincipalName, lower case. Check takes both (the
// planner picks one), so its address rules can only be looser than the
// planner's, never stricter.
func addressesOf(mail, upn string) []string {
	var out []string
	for _, s := range []string{mail, upn} {
		if s = strings.ToLower(strings.TrimSpace(s)); s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// protected says why the README promises to leave acct alone, or "": bots,
// shared-channel (remote) users, the token's owner, accounts in
// ignore-users (by username or email), and system admins unless
// manage-admins. The planner's rules.protection states the same promise:
// written twice on purpose, so that Check does not trust the planner's.
func (c *checkRules) protected(acct *Account) string {
	switch {
	case acct.IsBot:
		return "a bot"
	case acct.RemoteID != "":
		return "a shared-channel (remote) user"
	case c.selfID != "" && acct.ID == c.selfID:
		return "the token's owner"
	case c.ignored(acct):
		return "in ignore-users"
	case !c.opts.ManageAdmins && slices.Contains(strings.Fields(acct.Roles), "system_admin"):
		return "a system admin, and manage-admins is off"
	}
	return ""
}

// ignored: an ignore-users entry names the account (README, Inputs and
// Identity and links): one nobody owns by its username or address, one the
// sync manages only by its Entra ID user's mail or userPrincipalName as
// read (its verified address when the user was not read), never by what
// its user can change (username, an unverified profile address). It says
// again what the planner's rules.ignored (observed.go) says, on purpose:
// Check shares no rule with the planner, so that a mistake there is caught
// here and not repeated.
func (c *checkRules) ignored(acct *Account) bool {
	owner := c.owner(acct)
	if owner == "" {
		return c.ignore[strings.ToLower(acct.Username)] || c.ignore[strings.ToLower(acct.Email)]
	}
	addrs, read := c.addrs[strings.ToLower(owner)]
	if !read && acct.EmailVerified {
		return c.ignore[strings.ToLower(acct.Email)]
	}
	for _, a := range addrs {
		if c.ignore[a] {
			return true
		}
	}
	return false
}

// owner is the object id the account belongs to by a link or a creation
// mark that verifies, or "".
func (c *checkRules) owner(acct *Account) string {
	if id, ok := c.opts.Linker.Linked(acct); ok {
		return id
	}
	if id, ok := c.opts.Linker.CreatedBy(acct); ok {
		return id
	}
	return ""
}

// managed: the account belongs to an object of this instance and is not
// protected.
func (c *checkRules) managed(acct *Account) bool {
	return c.owner(acct) != "" && c.protected(acct) == ""
}

// adoptable says why an account may not become objectID's (README,
// Adoption): never a protected one, one linked to another user or managed
// by another sync, one this sync created for someone else; without the
// sync's own creation mark only under adopt-existing, only while active,
// and only with a verified address unless adopt-existing is any.
func (c *checkRules) adoptable(objectID string, acct *Account) string {
	l := c.opts.Linker
	if why := c.protected(acct); why != "" {
		return why
	}
	if id, ok := l.Linked(acct); ok && id != objectID {
		return "it is linked to " + id
	}
	if _, foreign := l.Foreign(acct); foreign {
		return "another sync manages it"
	}
	if id, ok := l.CreatedBy(acct); ok {
		if id != objectID {
			return "this sync created it for " + id
		}
		return ""
	}
	switch {
	case !c.opts.AdoptExisting:
		return "adopt-existing is off"
	case !acct.Active():
		return "it is deactivated"
	case !acct.EmailVerified && !c.opts.AdoptUnverified:
		return "its address is unverified and adopt-existing is verified"
	}
	return ""
}

// leaving reports whether the README allows deactivating acct for
// objectID: its owner is objectID and that user is not enabled in scope
// (disabled, deleted or gone from the scope), or the account holds the
// address of objectID, a user read as disabled or deleted from the tenant
// (the address rule).
func (c *checkRules) leaving(acct *Account, objectID string) bool {
	key, addr := strings.ToLower(objectID), strings.ToLower(acct.Email)
	if slices.Contains(c.disabledAddr[addr], key) || slices.Contains(c.deletedAddr[addr], key) {
		return true
	}
	if owner := c.owner(acct); owner != objectID {
		return false
	}
	u := c.users[objectID]
	return u == nil || u.AccountEnabled == BoolFalse
}

// leaverAddress reports whether the address is a disabled or deleted
// user's: the one thing that reaches an account another sync manages
// (README, Several syncs on one server: the address rule still holds).
func (c *checkRules) leaverAddress(email string) bool {
	addr := strings.ToLower(email)
	return len(c.disabledAddr[addr]) > 0 || len(c.deletedAddr[addr]) > 0
}

// managedBase is max-deactivations' base (README, Deactivation threshold):
// the active managed accounts, counting those this plan adopts (an update
// that links an account no Entra object owns yet).
func (c *checkRules) managedBase(p *Plan) int {
	n := 0
	for _, a := range c.byID {
		if a.Active() && c.managed(a) {
			n++
		}
	}
	adopted := map[string]bool{}
	for _, a := range p.Actions {
		if acct := c.byID[a.AccountID]; a.Kind == KindUpdate && a.Patch.Props[PropLink] != "" && acct != nil &&
			acct.Active() && c.owner(acct) == "" && c.protected(acct) == "" {
			adopted[a.AccountID] = true
		}
	}
	return n + len(adopted)
}

// groupsOfTeam and groupsOfChannel are the lower-case object ids (or
// names, when unresolved) of the groups whose mapping names the team or
// channel.
func (c *checkRules) groupsOfTeam(team string) []string {
	if c.opts.Teams == nil {
		return nil
	}
	return groupsNaming(c.opts.Teams.ByGroup, func(g GroupMembership) (string, bool) {
		return cmp.Or(g.ID, g.Group), slices.Contains(g.Teams, team)
	})
}

func (c *checkRules) groupsOfChannel(ref ChannelRef) []string {
	if c.opts.Channels == nil {
		return nil
	}
	return groupsNaming(c.opts.Channels.ByGroup, func(g ChannelMembership) (string, bool) {
		return cmp.Or(g.ID, g.Group), slices.Contains(g.Channels, ref)
	})
}

// groupsNaming returns, lower case, the group of each mapping line that
// names the room (names says the line's group, and whether it does).
func groupsNaming[G any](lines []G, names func(G) (string, bool)) []string {
	var out []string
	for _, g := range lines {
		if id, ok := names(g); ok {
			out = append(out, strings.ToLower(id))
		}
	}
	return out
}

// confirmedLeft says whether a direct read confirmed objectID gone from
// every one of groups (README, Listings that lag): each was asked about, and
// none answered member.
func confirmedLeft(conf *Confirmations, objectID string, groups []string) bool {
	if conf == nil {
		return false
	}
	in := conf.MemberOf[strings.ToLower(objectID)]
	for _, g := range groups {
		if member, asked := in[g]; member || !asked {
			return false
		}
	}
	return in != nil
}

// confirmedGone is how a direct read confirmed objectID gone from the
// scope ("" when none did).
func confirmedGone(conf *Confirmations, objectID string) string {
	if conf == nil {
		return ""
	}
	return conf.Left[strings.ToLower(objectID)]
}

// mappedChannels are the channels a mapping names.
func (c *checkRules) mappedChannels() map[ChannelRef]bool {
	if c.opts.Channels == nil {
		return map[ChannelRef]bool{}
	}
	return roomsNamed(c.opts.Channels.Everyone, c.opts.Channels.ByGroup, func(g ChannelMembership) []ChannelRef { return g.Channels })
}

// mappedTeamNames are the teams a team mapping (teams, group-teams) names.
func (c *checkRules) mappedTeamNames() map[string]bool {
	if c.opts.Teams == nil {
		return map[string]bool{}
	}
	return roomsNamed(c.opts.Teams.Everyone, c.opts.Teams.ByGroup, func(g GroupMembership) []string { return g.Teams })
}

// roomsNamed is the set of rooms (teams or channels) that everyone joins or
// a mapping line names (of returns a line's rooms).
func roomsNamed[R comparable, G any](everyone []R, lines []G, of func(G) []R) map[R]bool {
	out := map[R]bool{}
	for _, r := range everyone {
		out[r] = true
	}
	for _, g := range lines {
		for _, r := range of(g) {
			out[r] = true
		}
	}
	return out
}

// mappedTeams are the teams whose memberships max-removals counts: those a
// team mapping names, and observed teams that only a channel mapping does
// not account for.
func (c *checkRules) mappedTeams(obs Observed) []string {
	named, viaChannel := c.mappedTeamNames(), map[string]bool{}
	for ref := range c.mappedChannels() {
		viaChannel[ref.Team] = true
	}
	var out []string
	for name := range obs.Teams {
		if named[name] || !viaChannel[name] {
			out = append(out, name)
		}
	}
	return out
}

// removalBase is max-removals' base (README, Removal cap): the memberships
// of managed, active accounts in the mapped teams and channels, plus the
// channel memberships read for planned team removals in channels no
// mapping names.
func (c *checkRules) removalBase(obs Observed) int {
	managed := map[string]bool{}
	for id, a := range c.byID {
		if a.Active() && c.managed(a) {
			managed[id] = true
		}
	}
	n := 0
	for _, name := range c.mappedTeams(obs) {
		for id, in := range obs.Teams[name].Members {
			if in && managed[id] {
				n++
			}
		}
	}
	mappedIDs := map[string]bool{}
	for ref := range c.mappedChannels() {
		for id, in := range obs.Channels[ref].Members {
			if in && managed[id] {
				n++
			}
		}
		if ch, ok := obs.Channels[ref]; ok {
			mappedIDs[ch.ID] = true
		}
	}
	for ta, chans := range obs.TeamChannels {
		if managed[ta.AccountID] {
			for _, id := range chans {
				if !mappedIDs[id] {
					n++
				}
			}
		}
	}
	return n
}
