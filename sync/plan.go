package sync

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Kind names what an action does to a Mattermost account.
type Kind string

// The kinds of action, in the order Apply runs them: deactivations free seats
// under Mattermost's user cap before reactivations and creates take them.
const (
	KindDeactivate Kind = "deactivate"
	KindReactivate Kind = "reactivate"
	KindCreate     Kind = "create"
	KindUpdate     Kind = "update"
	// Team membership changes run last, once created accounts have ids.
	KindTeamAdd    Kind = "team-add"
	KindTeamRemove Kind = "team-remove"
)

// Action is one change the plan makes. Plans are values: dry-run prints them,
// Apply executes them, the report records their results.
type Action struct {
	Kind        Kind     `json:"action"`
	EntraID     string   `json:"entra_id,omitempty"`
	DisplayName string   `json:"display_name,omitempty"`
	Email       string   `json:"email"`
	Username    string   `json:"username"`
	AccountID   string   `json:"mattermost_id,omitempty"`
	Changes     []Change `json:"changes,omitempty"`
	Reason      string   `json:"reason,omitempty"`
	Team        string   `json:"team,omitempty"`
	TeamID      string   `json:"team_id,omitempty"`

	// Profile is the full profile of an account to create.
	Profile Profile `json:"-"`
	// Patch is the update to send (for a reactivation, after it); only the
	// fields in Changes are set.
	Patch Patch `json:"-"`
	// usernameBase is the normalised name a created username derives from,
	// kept so that a username clash at apply time gets the next suffix.
	usernameBase string
}

// Skip is a directory user or account the plan deliberately leaves alone, with
// the reason an administrator reads in the summary.
type Skip struct {
	EntraID     string `json:"entra_id,omitempty"`
	DisplayName string `json:"display_name,omitempty"`
	Email       string `json:"email,omitempty"`
	Username    string `json:"username,omitempty"`
	AccountID   string `json:"mattermost_id,omitempty"`
	Reason      string `json:"reason"`
}

// Plan is the complete set of changes that would bring Mattermost in line
// with the directory.
type Plan struct {
	Actions   []Action `json:"actions"`
	Skipped   []Skip   `json:"skipped"`
	Unchanged int      `json:"unchanged"`
	// Managed is how many accounts carry a valid link to the directory.
	Managed int `json:"managed"`

	// Withheld are deactivations the threshold stopped; ThresholdError says
	// why. None of them is applied, and the run fails.
	Withheld       []Action `json:"withheld_deactivations,omitempty"`
	ThresholdError string   `json:"threshold_error,omitempty"`
	// Blocked are creates and reactivations beyond the server's user limit;
	// CapacityError names the limit. They are not attempted.
	Blocked       []Action `json:"blocked_by_user_limit,omitempty"`
	CapacityError string   `json:"capacity_error,omitempty"`

	usernames *UsernameAllocator
	opts      Options
}

// Options are the administrator's choices that shape a plan.
type Options struct {
	// ManageAdmins lets the sync change system admins; by default they are
	// left exactly as they are.
	ManageAdmins bool
	// Ignore lists emails or usernames the sync never touches.
	Ignore []string
	// Linker signs and verifies the link from an account to its Entra object.
	Linker Linker
	// AdoptExisting lets the sync link an existing, unlinked account whose
	// email matches a directory user, instead of leaving it alone.
	AdoptExisting bool
	// Deactivate turns deprovisioning on: linked accounts of users disabled
	// in or gone from the directory are deactivated.
	Deactivate bool
	// MaxDeactivations caps deactivations per run.
	MaxDeactivations Threshold
	// Capacity is the server's active-user limit, if it has one.
	Capacity Capacity
	// Attributes maps directory attributes to profile fields; the zero
	// value means DefaultAttributeMap.
	Attributes AttributeMap
	// UsernameFrom is the attribute new usernames derive from ("" = mail).
	UsernameFrom Attribute
	// Teams is the team membership policy; nil manages no team.
	Teams *TeamPolicy
}

// TeamPolicy says which teams managed users belong in.
type TeamPolicy struct {
	// Everyone lists teams every managed user joins.
	Everyone []string
	// ByGroup maps group memberships (lower-case object ids) to teams.
	ByGroup []GroupMembership
	// Remove takes managed users out of mapped teams no mapping puts them in.
	Remove bool
}

// GroupMembership is one group-teams mapping with the group's members
// resolved.
type GroupMembership struct {
	Group   string
	Members map[string]bool
	Teams   []string
}

// TeamState is one mapped team as observed.
type TeamState struct {
	ID      string
	Name    string
	Members map[string]bool // account ids
}

// Capacity is what GET /limits/server reports. A zero HardLimit means none.
type Capacity struct {
	HardLimit int64
	Active    int64
}

// Count returns how many actions of kind k the plan holds.
func (p *Plan) Count(k Kind) int {
	n := 0
	for i := range p.Actions {
		if p.Actions[i].Kind == k {
			n++
		}
	}
	return n
}

// Failed reports whether the plan itself stopped part of the work, which
// fails the run even if everything applied succeeds.
func (p *Plan) Failed() bool { return p.ThresholdError != "" || p.CapacityError != "" }

// desired is a directory user with its address derived once.
type desired struct {
	u     *DirectoryUser
	email string
}

// planner holds the indexes one BuildPlan call works from.
type planner struct {
	plan   *Plan
	opts   Options
	selfID string
	ignore map[string]bool
	accts  []Account
	// Accounts are referred to by their index in accts, so that per-account
	// state lives in slices rather than maps keyed by pointer.
	byEmail map[string]int
	// linked maps an object id to the account whose link verifies; when
	// several do, all of them are in conflicts as well.
	linked    map[string]int
	conflicts map[string][]int
	linkOf    []string // verified object id, by account
	handled   []bool   // a directory user accounted for the account
	members   []member // managed accounts that are or will be active
	teams     []Action
	owners    map[string]*DirectoryUser
	creates   []Action
	updates   []Action
	reacts    []Action
	deacts    []Action
}

// member is a managed account that will be active after the run, for team
// planning. accountID is empty for an account still to be created.
type member struct {
	u         *DirectoryUser
	email     string
	accountID string
	username  string
}

// account returns the account with the given index, or nil for -1.
func (p *planner) account(i int) *Account {
	if i < 0 {
		return nil
	}
	return &p.accts[i]
}

// emailIndex returns the index of the account with that address, or -1.
func (p *planner) emailIndex(email string) int {
	if i, ok := p.byEmail[email]; ok {
		return i
	}
	return -1
}

// BuildPlan compares the directory with Mattermost and returns the changes.
// It is pure: the same inputs give the same plan, in the same order, so a
// dry-run shows exactly what a real run will do.
func BuildPlan(directory []DirectoryUser, observed Observed, opts Options) *Plan {
	if opts.Attributes == (AttributeMap{}) {
		opts.Attributes = DefaultAttributeMap
	}
	if opts.UsernameFrom == "" {
		opts.UsernameFrom = "mail"
	}
	n := len(observed.Accounts)
	p := &planner{
		plan:      &Plan{opts: opts},
		opts:      opts,
		selfID:    observed.SelfID,
		ignore:    make(map[string]bool, len(opts.Ignore)),
		accts:     observed.Accounts,
		byEmail:   make(map[string]int, n),
		linked:    make(map[string]int, n),
		conflicts: map[string][]int{},
		linkOf:    make([]string, n),
		handled:   make([]bool, n),
		creates:   make([]Action, 0, max(len(directory)-n, 16)),
	}
	for _, s := range opts.Ignore {
		p.ignore[strings.ToLower(strings.TrimSpace(s))] = true
	}
	taken := make([]string, 0, len(observed.Accounts))
	for i := range observed.Accounts {
		a := &observed.Accounts[i]
		taken = append(taken, a.Username)
		if a.Email != "" {
			p.byEmail[strings.ToLower(a.Email)] = i
		}
		if id, ok := opts.Linker.Linked(a); ok {
			if prev, dup := p.linked[id]; dup {
				if len(p.conflicts[id]) == 0 {
					p.conflicts[id] = []int{prev}
				}
				p.conflicts[id] = append(p.conflicts[id], i)
			}
			p.linked[id] = i
			p.linkOf[i] = id
			p.plan.Managed++
		}
	}
	p.plan.usernames = NewUsernameAllocator(taken)

	want := make([]desired, 0, len(directory))
	for i := range directory {
		u := &directory[i]
		email, reason, ok := Email(*u)
		if _, linked := p.linked[u.ID]; !ok && !linked {
			p.plan.Skipped = append(p.plan.Skipped, Skip{EntraID: u.ID, DisplayName: u.DisplayName, Reason: reason})
			continue
		}
		want = append(want, desired{u: u, email: email})
	}
	p.owners = addressOwners(want)
	// Username allocation depends on order; sorting by address makes it
	// independent of the order Graph happens to return users in.
	slices.SortFunc(want, func(a, b desired) int {
		return cmp.Or(cmp.Compare(a.email, b.email), cmp.Compare(a.u.ID, b.u.ID))
	})
	for i := range want {
		p.reconcile(want[i])
	}
	p.leavers()
	p.applyThreshold()
	p.applyCapacity()
	p.planTeams(observed.Teams)

	plan := p.plan
	plan.Actions = make([]Action, 0, len(p.deacts)+len(p.reacts)+len(p.creates)+len(p.updates))
	plan.Actions = append(plan.Actions, p.deacts...)
	plan.Actions = append(plan.Actions, p.reacts...)
	plan.Actions = append(plan.Actions, p.creates...)
	plan.Actions = append(plan.Actions, p.updates...)
	plan.Actions = append(plan.Actions, p.teams...)
	return plan
}

func (p *planner) skip(u *DirectoryUser, email string, acct *Account, reason string) {
	s := Skip{Email: email, Reason: reason}
	if u != nil {
		s.EntraID, s.DisplayName = u.ID, u.DisplayName
	}
	if acct != nil {
		s.AccountID, s.Username = acct.ID, acct.Username
		if s.Email == "" {
			s.Email = acct.Email
		}
	}
	p.plan.Skipped = append(p.plan.Skipped, s)
}

// reconcile decides what one directory user needs.
func (p *planner) reconcile(d desired) {
	u := d.u
	if idx := p.conflicts[u.ID]; len(idx) > 1 {
		names := make([]string, len(idx))
		for i, j := range idx {
			names[i] = p.accts[j].Username
			p.handled[j] = true
		}
		p.skip(u, d.email, nil, "conflict: accounts "+strings.Join(names, ", ")+" are all linked to this Entra ID user; left alone until an admin removes the extra links")
		return
	} else if i, ok := p.linked[u.ID]; ok {
		p.handled[i] = true
		p.linkedUser(d, i)
		return
	}

	if owner, contested := p.owners[d.email]; contested && owner != u {
		if owner == nil {
			p.skip(u, d.email, p.account(p.emailIndex(d.email)), "the address is shared by several Entra ID users; the sync cannot tell which one owns the account")
		} else {
			p.skip(u, d.email, p.account(p.emailIndex(d.email)), "the address is "+owner.DisplayName+"'s ("+owner.ID+"); this user has no mail of its own")
		}
		return
	}
	ai := p.emailIndex(d.email)
	acct := p.account(ai)
	if acct != nil {
		p.handled[ai] = true
	}
	if p.ignored(d.email, acct) {
		p.skip(u, d.email, acct, "listed in ignore-users")
		return
	}
	if u.AccountEnabled != BoolTrue {
		p.skip(u, d.email, acct, "account disabled in Entra ID")
		return
	}
	profile := p.opts.Attributes.Profile(u)
	if acct == nil {
		base, reason := p.usernameBase(u, d.email)
		if base == "" {
			p.skip(u, d.email, nil, reason)
			return
		}
		name := p.plan.usernames.Allocate(base)
		p.creates = append(p.creates, Action{
			Kind: KindCreate, EntraID: u.ID, DisplayName: u.DisplayName, Email: d.email,
			Username: name, Profile: profile, usernameBase: base,
			Reason: "in Entra ID, no Mattermost account with this address",
		})
		p.addMember(member{u: u, email: d.email, username: name})
		return
	}
	// An existing account with this address, not linked to this user.
	if other := p.linkOf[ai]; other != "" {
		p.skip(u, d.email, acct, "the account with this address is linked to another Entra ID user ("+other+")")
		return
	}
	if reason, ok := p.manageable(acct); !ok {
		p.skip(u, d.email, acct, reason)
		return
	}
	if !p.opts.AdoptExisting {
		p.skip(u, d.email, acct, "an unlinked account has this address, and adopt-existing is off")
		return
	}
	if !acct.Active() {
		p.skip(u, d.email, acct, "an unlinked, deactivated account has this address; reactivate it by hand to let the sync adopt it")
		return
	}
	patch, changes := diffProfile(acct, profile)
	patch.Props = p.opts.Linker.linkProps(acct, acct.ID, u.ID)
	changes = append(changes, Change{Field: "link", Old: acct.Props[PropEntraID], New: u.ID})
	p.updates = append(p.updates, Action{
		Kind: KindUpdate, EntraID: u.ID, DisplayName: u.DisplayName, Email: d.email,
		Username: acct.Username, AccountID: acct.ID, Patch: patch, Changes: changes,
		Reason: "adopt: an existing account with this address is linked to the Entra ID user",
	})
	p.addMember(member{u: u, email: d.email, accountID: acct.ID, username: acct.Username})
}

// linkedUser handles a directory user whose account is already linked.
func (p *planner) linkedUser(d desired, ai int) {
	u, acct := d.u, &p.accts[ai]
	if p.ignored(d.email, acct) {
		p.skip(u, d.email, acct, "listed in ignore-users")
		return
	}
	if reason, ok := p.manageable(acct); !ok {
		p.skip(u, d.email, acct, reason)
		return
	}
	if u.AccountEnabled != BoolTrue {
		switch {
		case !acct.Active():
			p.plan.Unchanged++
		case !p.opts.Deactivate:
			p.skip(u, d.email, acct, "account disabled in Entra ID; deactivate is off")
		default:
			p.deacts = append(p.deacts, p.deactivation(ai, u, "account disabled in Entra ID"))
		}
		return
	}
	patch, changes := diffProfile(acct, p.opts.Attributes.Profile(u))
	if d.email != "" && d.email != strings.ToLower(acct.Email) && p.emailChangeable(acct) {
		if oi := p.emailIndex(d.email); oi >= 0 && oi != ai {
			other := &p.accts[oi]
			p.skip(u, d.email, acct, "the new address "+d.email+" already belongs to the account "+other.Username+"; the address was not changed")
			return
		}
		e := d.email
		patch.Email = &e
		changes = append([]Change{{Field: "email", Old: acct.Email, New: d.email}}, changes...)
	}
	email := d.email
	if email == "" {
		email = acct.Email
	}
	a := Action{
		EntraID: u.ID, DisplayName: u.DisplayName, Email: email, Username: acct.Username,
		AccountID: acct.ID, Patch: patch, Changes: changes,
	}
	p.addMember(member{u: u, email: email, accountID: acct.ID, username: acct.Username})
	switch {
	case !acct.Active():
		a.Kind, a.Reason = KindReactivate, "enabled in Entra ID again"
		p.reacts = append(p.reacts, a)
	case len(changes) > 0:
		a.Kind, a.Reason = KindUpdate, "profile differs from Entra ID"
		p.updates = append(p.updates, a)
	default:
		p.plan.Unchanged++
	}
}

// addMember records an account for team planning, when teams are managed.
func (p *planner) addMember(m member) {
	if p.opts.Teams != nil {
		p.members = append(p.members, m)
	}
}

// usernameBase derives the normalised name a new account's username starts
// from, per username-from, or explains why there is none.
func (p *planner) usernameBase(u *DirectoryUser, email string) (string, string) {
	var src string
	switch p.opts.UsernameFrom {
	case "mail":
		src = LocalPart(email)
	case "userPrincipalName":
		src = LocalPart(u.UserPrincipalName)
	default:
		src = p.opts.UsernameFrom.Value(u)
	}
	if strings.TrimSpace(src) == "" {
		return "", "no " + string(p.opts.UsernameFrom) + " to derive a username from (username-from)"
	}
	if base := NormalizeUsername(src); base != "" {
		return base, ""
	}
	return "", "no username can be derived from " + quote(src)
}

// planTeams adds managed users to the teams their mappings name and, with
// Remove, takes them out of mapped teams no mapping puts them in. Accounts
// the sync does not manage, and leavers, keep their memberships.
func (p *planner) planTeams(observed map[string]TeamState) {
	pol := p.opts.Teams
	if pol == nil {
		return
	}
	blocked := make(map[string]bool, len(p.plan.Blocked))
	for _, a := range p.plan.Blocked {
		blocked[a.EntraID] = true
	}
	slices.SortFunc(p.members, func(a, b member) int { return cmp.Compare(a.email, b.email) })
	var adds, removes []Action
	for _, m := range p.members {
		if blocked[m.u.ID] {
			continue
		}
		want := map[string]bool{}
		for _, t := range pol.Everyone {
			want[t] = true
		}
		id := strings.ToLower(m.u.ID)
		for _, g := range pol.ByGroup {
			if g.Members[id] {
				for _, t := range g.Teams {
					want[t] = true
				}
			}
		}
		base := Action{EntraID: m.u.ID, DisplayName: m.u.DisplayName, Email: m.email, Username: m.username, AccountID: m.accountID}
		for _, name := range sortedKeys(want) {
			team, ok := observed[name]
			if !ok || m.accountID != "" && team.Members[m.accountID] {
				continue // unknown teams are refused before planning
			}
			a := base
			a.Kind, a.Team, a.TeamID = KindTeamAdd, name, team.ID
			a.Reason = "mapped to team " + name
			adds = append(adds, a)
		}
		if !pol.Remove || m.accountID == "" {
			continue
		}
		for _, name := range sortedKeys(observed) {
			team := observed[name]
			if want[name] || !team.Members[m.accountID] {
				continue
			}
			a := base
			a.Kind, a.Team, a.TeamID = KindTeamRemove, name, team.ID
			a.Reason = "no mapping puts this user in team " + name + " any more"
			removes = append(removes, a)
		}
	}
	p.teams = append(adds, removes...)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// leavers finds linked accounts whose directory user is gone.
func (p *planner) leavers() {
	var gone []int
	for i := range p.accts {
		id := p.linkOf[i]
		// A linked account whose user is in the directory was handled by
		// reconcile; what is left has no directory user.
		if id == "" || p.handled[i] || !p.accts[i].Active() {
			continue
		}
		gone = append(gone, i)
	}
	slices.SortFunc(gone, func(a, b int) int { return cmp.Compare(p.accts[a].Username, p.accts[b].Username) })
	for _, i := range gone {
		a := &p.accts[i]
		switch {
		case p.ignored(strings.ToLower(a.Email), a):
			p.skip(nil, "", a, "gone from Entra ID, but listed in ignore-users")
		case !p.opts.Deactivate:
			p.skip(nil, "", a, "gone from Entra ID; deactivate is off")
		default:
			if reason, ok := p.manageable(a); !ok {
				p.skip(nil, "", a, "gone from Entra ID, but "+reason)
				continue
			}
			p.deacts = append(p.deacts, p.deactivation(i, nil, "gone from Entra ID (deleted, or out of the sync's scope)"))
		}
	}
}

func (p *planner) deactivation(i int, u *DirectoryUser, reason string) Action {
	a := &p.accts[i]
	act := Action{Kind: KindDeactivate, EntraID: p.linkOf[i], Email: strings.ToLower(a.Email), Username: a.Username,
		AccountID: a.ID, Reason: reason, DisplayName: a.Nickname}
	if u != nil {
		act.DisplayName = u.DisplayName
	}
	return act
}

// applyThreshold withholds every deactivation when there are more than the
// administrator allowed: mass deprovisioning is far more often a broken
// source or a scoping mistake than a real exodus.
func (p *planner) applyThreshold() {
	limit := p.opts.MaxDeactivations.Limit(p.plan.Managed)
	if len(p.deacts) == 0 || len(p.deacts) <= limit {
		return
	}
	p.plan.ThresholdError = fmt.Sprintf("%d deactivations planned, more than max-deactivations allows (%s of %d managed accounts = %d); "+
		"nobody was deactivated. Check the directory and the scope; if this is intended, raise max-deactivations for one run",
		len(p.deacts), p.opts.MaxDeactivations, p.plan.Managed, limit)
	p.plan.Withheld, p.deacts = p.deacts, nil
}

// applyCapacity keeps creates and reactivations within the server's active
// user limit (Team Edition v11 refuses both at 250), reactivations first,
// counting the seats this run's deactivations free.
func (p *planner) applyCapacity() {
	c := p.opts.Capacity
	if c.HardLimit <= 0 {
		return
	}
	room := c.HardLimit - c.Active + int64(len(p.deacts))
	need := int64(len(p.reacts) + len(p.creates))
	if need <= room {
		return
	}
	room = max(room, 0)
	var blocked []Action
	if int64(len(p.reacts)) > room {
		blocked = append(blocked, p.reacts[room:]...)
		p.reacts = p.reacts[:room]
		room = 0
	} else {
		room -= int64(len(p.reacts))
	}
	blocked = append(blocked, p.creates[room:]...)
	p.creates = p.creates[:room]
	p.plan.Blocked = blocked
	p.plan.CapacityError = fmt.Sprintf("Mattermost allows %d active users and has %d; %d creates or reactivations do not fit and were not attempted. "+
		"Deactivate unused accounts, or license the server for more users", c.HardLimit, c.Active, len(blocked))
}

func (p *planner) ignored(email string, acct *Account) bool {
	if email != "" && p.ignore[email] {
		return true
	}
	return acct != nil && (p.ignore[strings.ToLower(acct.Username)] || p.ignore[strings.ToLower(acct.Email)])
}

// manageable reports whether the sync may change acct, and if not, why.
func (p *planner) manageable(acct *Account) (string, bool) {
	return manageable(acct, p.selfID, p.opts.ManageAdmins)
}

// manageable: bots, shared-channel (remote) users and the token owner are
// never the sync's to change; system admins only when the administrator
// opted in.
func manageable(acct *Account, selfID string, manageAdmins bool) (string, bool) {
	switch {
	case acct.IsBot:
		return "the address belongs to a Mattermost bot", false
	case acct.RemoteID != "":
		return "the address belongs to a shared-channel (remote) user", false
	case selfID != "" && acct.ID == selfID:
		return "the account is the owner of mattermost-token", false
	case !manageAdmins && hasRole(acct.Roles, "system_admin"):
		return "system admin: left alone (set manage-admins to change that)", false
	}
	return "", true
}

// emailChangeable: Mattermost silently keeps the old email of OAuth accounts
// and refuses changes for LDAP ones, so asking would repeat every run.
func (p *planner) emailChangeable(acct *Account) bool {
	return acct.AuthService == "" || acct.AuthService == "email"
}

// addressOwners resolves addresses that several directory users claim. A
// user's own mail attribute beats another user's UPN fallback, and among
// several mail claims the only enabled one wins (a guest invited twice whose
// first invitation was disabled). Anything else is left unresolved (nil): the
// sync will not guess who owns an account. Uncontested addresses are absent.
func addressOwners(want []desired) map[string]*DirectoryUser {
	first := make(map[string]*DirectoryUser, len(want))
	claims := map[string][]*DirectoryUser{}
	for _, d := range want {
		if d.email == "" {
			continue
		}
		if prev, seen := first[d.email]; !seen {
			first[d.email] = d.u
		} else if len(claims[d.email]) == 0 {
			claims[d.email] = []*DirectoryUser{prev, d.u}
		} else {
			claims[d.email] = append(claims[d.email], d.u)
		}
	}
	owners := make(map[string]*DirectoryUser, len(claims))
	for email, users := range claims {
		var byMail, enabled []*DirectoryUser
		for _, u := range users {
			if strings.EqualFold(strings.TrimSpace(u.Mail), email) {
				byMail = append(byMail, u)
				if u.AccountEnabled == BoolTrue {
					enabled = append(enabled, u)
				}
			}
		}
		switch {
		case len(byMail) == 1:
			owners[email] = byMail[0]
		case len(enabled) == 1:
			owners[email] = enabled[0]
		default:
			owners[email] = nil
		}
	}
	return owners
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
