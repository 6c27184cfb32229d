package sync

import (
	"cmp"
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

	// Profile is the full profile of an account to create.
	Profile Profile `json:"-"`
	// Patch is the update to send; only the fields in Changes are set.
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

	usernames *UsernameAllocator
	opts      Options
}

// Options are the administrator's choices that shape a plan.
type Options struct {
	// ManageAdmins lets the sync update system admins; by default they are
	// left exactly as they are.
	ManageAdmins bool
	// Ignore lists emails or usernames the sync never touches (lower case).
	Ignore []string
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

// desired is a directory user with the values derived from it once.
type desired struct {
	u     *DirectoryUser
	email string
}

// BuildPlan compares the directory with Mattermost and returns the changes.
// It is pure: the same inputs give the same plan, in the same order, so a
// dry-run shows exactly what a real run will do.
func BuildPlan(directory []DirectoryUser, observed Observed, opts Options) *Plan {
	plan := &Plan{opts: opts}
	ignore := make(map[string]bool, len(opts.Ignore))
	for _, s := range opts.Ignore {
		ignore[strings.ToLower(strings.TrimSpace(s))] = true
	}

	taken := make([]string, 0, len(observed.Accounts))
	byEmail := make(map[string]*Account, len(observed.Accounts))
	for i := range observed.Accounts {
		a := &observed.Accounts[i]
		taken = append(taken, a.Username)
		if a.Email != "" {
			byEmail[strings.ToLower(a.Email)] = a
		}
	}
	plan.usernames = NewUsernameAllocator(taken)

	// Derive addresses first so that two directory users claiming one
	// address are caught before either is acted on.
	want := make([]desired, 0, len(directory))
	for i := range directory {
		u := &directory[i]
		email, reason, ok := Email(*u)
		if !ok {
			plan.Skipped = append(plan.Skipped, Skip{EntraID: u.ID, DisplayName: u.DisplayName, Reason: reason})
			continue
		}
		want = append(want, desired{u: u, email: email})
	}
	owners := addressOwners(want)
	// Username allocation depends on order; sorting by address makes it
	// independent of the order Graph happens to return users in.
	slices.SortFunc(want, func(a, b desired) int {
		return cmp.Or(cmp.Compare(a.email, b.email), cmp.Compare(a.u.ID, b.u.ID))
	})

	creates := make([]Action, 0, len(want))
	var updates []Action
	for i := range want {
		d := &want[i]
		u := d.u
		skip := func(reason string, acct *Account) {
			s := Skip{EntraID: u.ID, DisplayName: u.DisplayName, Email: d.email, Reason: reason}
			if acct != nil {
				s.AccountID, s.Username = acct.ID, acct.Username
			}
			plan.Skipped = append(plan.Skipped, s)
		}
		if owner, contested := owners[d.email]; contested && owner != u {
			if owner == nil {
				skip("the address is shared by several Entra ID users; the sync cannot tell which one owns the account", byEmail[d.email])
			} else {
				skip("the address is "+owner.DisplayName+"'s ("+owner.ID+"); this user has no mail of its own", byEmail[d.email])
			}
			continue
		}
		acct := byEmail[d.email]
		if ignore[d.email] || acct != nil && ignore[strings.ToLower(acct.Username)] {
			skip("listed in ignore-users", acct)
			continue
		}
		if !u.AccountEnabled {
			skip("account disabled in Entra ID", acct)
			continue
		}
		profile := DesiredProfile(*u)
		if acct == nil {
			base := NormalizeUsername(LocalPart(d.email))
			if base == "" {
				skip("no username can be derived from "+quote(LocalPart(d.email)), nil)
				continue
			}
			creates = append(creates, Action{
				Kind: KindCreate, EntraID: u.ID, DisplayName: u.DisplayName, Email: d.email,
				Username: plan.usernames.Allocate(base), Profile: profile, usernameBase: base,
				Reason: "in Entra ID, no Mattermost account with this address",
			})
			continue
		}
		if reason, ok := plan.manageable(acct, observed.SelfID); !ok {
			skip(reason, acct)
			continue
		}
		if !acct.Active() {
			skip("the Mattermost account is deactivated; the sync does not reactivate accounts it has not linked", acct)
			continue
		}
		patch, changes := diffProfile(accountProfile(acct), profile)
		if len(changes) == 0 {
			plan.Unchanged++
			continue
		}
		updates = append(updates, Action{
			Kind: KindUpdate, EntraID: u.ID, DisplayName: u.DisplayName, Email: d.email,
			Username: acct.Username, AccountID: acct.ID, Patch: patch, Changes: changes,
			Reason: "profile differs from Entra ID",
		})
	}
	plan.Actions = make([]Action, 0, len(creates)+len(updates))
	plan.Actions = append(plan.Actions, creates...)
	plan.Actions = append(plan.Actions, updates...)
	return plan
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
				if u.AccountEnabled {
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

// manageable reports whether the sync may change acct, and if not, why.
// Bots, shared-channel (remote) users and the token owner are never the sync's
// to change; system admins only when the administrator opted in.
func (p *Plan) manageable(acct *Account, selfID string) (string, bool) {
	switch {
	case acct.IsBot:
		return "the address belongs to a Mattermost bot", false
	case acct.RemoteID != "":
		return "the address belongs to a shared-channel (remote) user", false
	case selfID != "" && acct.ID == selfID:
		return "the address belongs to the owner of mattermost-token", false
	case !p.opts.ManageAdmins && hasRole(acct.Roles, "system_admin"):
		return "system admin: left alone (set manage-admins to change that)", false
	}
	return "", true
}

func hasRole(roles, role string) bool {
	for _, r := range strings.Fields(roles) {
		if r == role {
			return true
		}
	}
	return false
}

func accountProfile(a *Account) Profile {
	return Profile{Nickname: a.Nickname, FirstName: a.FirstName, LastName: a.LastName, Position: a.Position}
}
