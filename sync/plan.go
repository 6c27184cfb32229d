package sync

import (
	"cmp"
	"slices"
	"strings"
)

// Kind names what an action does to a Mattermost account.
type Kind string

// The kinds of action, in the order Apply runs them: deactivations free seats
// under Mattermost's user cap, releases free addresses, and only then do
// reactivations, creates and updates take them.
const (
	KindDeactivate Kind = "deactivate"
	// KindRelease moves a deactivated leaver's address to a placeholder
	// (ReleasedAddress) so that a new person can have it.
	KindRelease    Kind = "release-address"
	KindReactivate Kind = "reactivate"
	KindCreate     Kind = "create"
	KindUpdate     Kind = "update"
	// Team membership changes run last, once created accounts have ids.
	KindTeamAdd    Kind = "team-add"
	KindTeamRemove Kind = "team-remove"
	// Channel membership changes run after the team changes: joining a
	// channel needs the team.
	KindChannelAdd    Kind = "channel-add"
	KindChannelRemove Kind = "channel-remove"
)

// Destructive reports whether the kind takes something away from a person
// (max-deactivations counts these).
func (k Kind) Destructive() bool { return k == KindDeactivate || k == KindRelease }

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
	// Channel and ChannelID name the channel of a channel-add or
	// channel-remove (its URL name; Team is its team's).
	Channel   string `json:"channel,omitempty"`
	ChannelID string `json:"channel_id,omitempty"`
	// Observed is the account as read when the plan was made: the
	// precondition of the write, for the report and for Apply's checks.
	Observed *Precondition `json:"observed,omitempty"`
	// Wave orders an address change after the change that frees the address
	// (another account moving away from it in this plan): Apply runs wave n
	// of creates and updates after wave n-1 has finished.
	Wave int `json:"wave,omitempty"`
	// Unverified marks an adoption of an account whose address Mattermost
	// has not verified (adopt-existing: any): the dry run lists it for an
	// administrator to review.
	Unverified bool `json:"unverified_address,omitempty"`
	// Temporary marks the extra write that parks an account on a
	// placeholder address (TemporaryAddress) so that a cycle of address
	// moves (a swap) can complete; the account moves on later in the run.
	Temporary bool `json:"temporary_address,omitempty"`

	// Profile is the full profile of an account to create.
	Profile Profile `json:"-"`
	// Patch is the update to send (for a reactivation, after it; for a
	// deactivation, after it, with the record of who deactivated it).
	Patch Patch `json:"-"`
	// usernameBase is the normalised name a created username derives from,
	// kept so that a username clash at apply time gets the next suffix.
	usernameBase string

	// Onboard (a create) writes the pending onboarding mark with the
	// account: an onboard action follows, now or in a later run.
	Onboard bool `json:"onboard,omitempty"`
	// Method is an onboard action's onboarding (reset-email, graph-mail).
	Method Onboarding `json:"onboarding,omitempty"`
	// MailTo is where graph-mail sends (the directory user's mail).
	MailTo string `json:"mail_to,omitempty"`
	// NewPassword: an onboard action sets a fresh random password first.
	NewPassword bool `json:"new_password,omitempty"`
	// mailTo is the directory user's mail, kept on a create for its onboard
	// action.
	mailTo string
}

// Precondition is what the plan saw of an account.
type Precondition struct {
	Email    string `json:"email"`
	DeleteAt int64  `json:"delete_at"`
	// Owner is the Entra object id the account belonged to ("" if none).
	Owner string `json:"entra_id,omitempty"`
}

// Skip is a directory user or account the plan deliberately leaves alone, with
// the reason an administrator reads in the summary. Attention marks skips
// an administrator must look at (they become warning annotations).
type Skip struct {
	EntraID     string `json:"entra_id,omitempty"`
	DisplayName string `json:"display_name,omitempty"`
	Email       string `json:"email,omitempty"`
	Username    string `json:"username,omitempty"`
	AccountID   string `json:"mattermost_id,omitempty"`
	Reason      string `json:"reason"`
	Attention   bool   `json:"needs_attention,omitempty"`
}

// Conflict is a change the plan cannot make because another account holds
// the value (today: an address). The user's other changes still go ahead.
type Conflict struct {
	EntraID        string `json:"entra_id"`
	DisplayName    string `json:"display_name,omitempty"`
	AccountID      string `json:"mattermost_id,omitempty"` // "" for a user who has no account yet
	Username       string `json:"username,omitempty"`
	Field          string `json:"field"`
	Value          string `json:"value"`
	HolderID       string `json:"holder_mattermost_id,omitempty"`
	HolderUsername string `json:"holder_username,omitempty"`
	// Reason says why the holder keeps the value, and the fix.
	Reason string `json:"reason"`
}

// Plan is the complete set of changes that would bring Mattermost in line
// with the directory.
type Plan struct {
	Actions   []Action   `json:"actions"`
	Skipped   []Skip     `json:"skipped"`
	Conflicts []Conflict `json:"conflicts,omitempty"`
	Unchanged int        `json:"unchanged"`
	// Managed is how many active accounts the sync manages, counting those
	// this run links (adopts): the base of max-deactivations. A first run
	// after a hand-made script adopts everyone, and may still deactivate
	// its one leaver.
	Managed int `json:"managed"`

	// StopError, when set, means the plan refused to change anything (an
	// empty directory or group read); Actions is empty and the run fails.
	StopError string `json:"stop_error,omitempty"`
	// Withheld are destructive changes (deactivations, address releases)
	// the threshold stopped; ThresholdError says why. None of them is
	// applied, and the run fails.
	Withheld       []Action `json:"withheld_deactivations,omitempty"`
	ThresholdError string   `json:"threshold_error,omitempty"`
	// WithheldRemovals are membership removals max-removals stopped.
	WithheldRemovals []Action `json:"withheld_removals,omitempty"`
	RemovalError     string   `json:"removal_error,omitempty"`
	// NeedTeamChannels are the planned team removals whose channel
	// memberships Observed.TeamChannels lacks: max-removals cannot count
	// them, so every removal is withheld. The caller reads them and plans
	// again.
	NeedTeamChannels []TeamAccount `json:"-"`
	// Blocked are creates and reactivations beyond the server's user limit;
	// CapacityError names the limit. They are not attempted.
	Blocked       []Action `json:"blocked_by_user_limit,omitempty"`
	CapacityError string   `json:"capacity_error,omitempty"`
	// Broken are the mapping lines that did not resolve (see BrokenMapping):
	// their memberships are frozen, the rest of the plan stands, and the
	// run fails. ScopeUnknown names the groups entry that makes the scope
	// unknown ("" when it is known).
	Broken       []BrokenMapping `json:"broken_mappings,omitempty"`
	ScopeUnknown string          `json:"scope_unknown,omitempty"`
	// ResolvedGroups are the groups the mappings name by display name, with
	// the object id each resolved to in this run.
	ResolvedGroups []ResolvedGroup `json:"resolved_groups,omitempty"`
	// Unconfirmed are departures (see Departure) no direct read confirmed:
	// each is skipped, with a warning. With Options.ConfirmDepartures, a
	// plan made before any read lists here what to read.
	Unconfirmed []Departure `json:"unconfirmed_departures,omitempty"`

	rules     *rules
	usernames *UsernameAllocator
}

// ReactivatePolicy says which deactivated, linked accounts the sync may
// reactivate when their Entra ID user is enabled.
type ReactivatePolicy string

// The reactivate input's values.
const (
	// ReactivateBySync (the default): only accounts this sync deactivated,
	// as its unforgeable record (PropDeactivated) shows. An administrator's
	// own deactivation may be a security response and stands.
	ReactivateBySync ReactivatePolicy = "deactivated-by-sync"
	ReactivateAny    ReactivatePolicy = "any"
	ReactivateNever  ReactivatePolicy = "never"
)

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
	// email matches a directory user, instead of leaving it alone: by
	// default only when Mattermost reports the address verified
	// (adopt-existing: verified).
	AdoptExisting bool
	// AdoptUnverified lets adoption take accounts whose address is not
	// verified too (adopt-existing: any): the one-time move from a script
	// whose accounts are unverified. Anyone can type any address into their
	// own profile, so this is for a reviewed first run only.
	AdoptUnverified bool
	// Deactivate turns deprovisioning on.
	Deactivate bool
	// Reactivate says which deactivated accounts may be reactivated ("" =
	// ReactivateBySync).
	Reactivate ReactivatePolicy
	// ReleaseAddresses lets the sync move a deactivated leaver's address to
	// a placeholder when a new person holds it in Entra ID.
	ReleaseAddresses bool
	// MaxDeactivations caps deactivations and address releases per run, as
	// a count or a share of the active managed accounts.
	MaxDeactivations Threshold
	// MaxRemovals caps team and channel membership removals per run, as a
	// count or a share of the managed members of the mapped teams and
	// channels.
	MaxRemovals Threshold
	// Capacity is the server's active-user limit, if it has one.
	Capacity Capacity
	// Attributes maps directory attributes to profile fields; the zero
	// value means DefaultAttributeMap.
	Attributes AttributeMap
	// UsernameFrom is the attribute new usernames derive from ("" = mail).
	UsernameFrom Attribute
	// Teams is the team membership policy; nil manages no team.
	Teams *TeamPolicy
	// Channels is the channel membership policy; nil manages no channel.
	// A channel it names also puts the channel's users in its team.
	Channels *ChannelPolicy
	// Broken are the mapping lines that did not resolve in this run.
	Broken []BrokenMapping
	// ResolvedGroups are passed through to the plan, for the summary.
	ResolvedGroups []ResolvedGroup
	// ConfirmDepartures: nobody merely absent from a listing is deactivated
	// or removed from a team or channel unless Directory.Confirmed says a
	// direct read confirmed it (see Departure).
	ConfirmDepartures bool
	// Onboarding says how a person given an account learns to sign in
	// ("" = OnboardingNone); Onboard which accounts ("" = OnboardNew).
	Onboarding Onboarding
	Onboard    OnboardScope
}

func (o Options) withDefaults() Options {
	if o.Attributes == (AttributeMap{}) {
		o.Attributes = DefaultAttributeMap()
	}
	if o.UsernameFrom == "" {
		o.UsernameFrom = "mail"
	}
	if o.Reactivate == "" {
		o.Reactivate = ReactivateBySync
	}
	return o
}

// Directory is the Entra ID side of a run, read in full before planning.
type Directory struct {
	// Users are the users in scope.
	Users []DirectoryUser
	// OutOfScope are the users read but left out of scope (groups,
	// only-users, guests). The planner manages none of them, but their
	// addresses still count: one that belongs to a disabled user never keeps
	// an active unlinked account, and one that belongs to a live user is
	// never treated as a deleted user's.
	OutOfScope []DirectoryUser
	// Deleted are users deleted from the tenant in the last 30 days (all of
	// them, not only those in scope); nil when they could not be read.
	Deleted []DeletedUser
	// ScopeGroups is how many members each group of the groups input read.
	ScopeGroups map[string]int
	// Confirmed are the answers of the direct reads that confirm
	// departures (nil: none read yet).
	Confirmed *Confirmations
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
	Group string
	// ID is the group's object id, as the name resolved ("" if unknown).
	ID      string
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
func (p *Plan) Failed() bool {
	return p.StopError != "" || p.ThresholdError != "" || p.CapacityError != "" || p.RemovalError != "" || len(p.Broken) > 0
}

// BuildPlan compares the directory with Mattermost and returns the changes.
// It is pure: the same inputs give the same plan, in the same order, whatever
// order Graph returned users in, so a dry-run shows exactly what a real run
// will do. The stages run over values: desired accounts, matching, address
// allocation, lifecycle, then the rails.
func BuildPlan(dir Directory, observed Observed, opts Options) *Plan {
	opts = opts.withDefaults()
	opts.Broken = emptyGroups(dir, opts)
	r := newRules(opts, observed.SelfID)
	if msg := stopRead(dir, opts); msg != "" {
		return &Plan{StopError: msg, rules: r, usernames: NewUsernameAllocator(nil)}
	}
	p := newPlanner(dir, observed, r, false)
	p.run()
	if msg := p.overThreshold(); msg != "" {
		withheld := p.destructive()
		p = newPlanner(dir, observed, r, true)
		p.run()
		p.plan.Withheld, p.plan.ThresholdError = withheld, msg
	}
	p.planTeams(observed.Teams)
	p.planChannels(observed.Channels)
	p.applyRemovalCap(observed)
	p.holdReactivations()
	p.onboardCreates()
	p.plan.Broken, p.plan.ResolvedGroups, p.plan.ScopeUnknown = opts.Broken, opts.ResolvedGroups, p.frozen.scopeUnknown
	p.plan.Unconfirmed = p.unconfirmed(dir, observed)
	return p.assemble()
}

// assemble orders the actions as Apply runs them, each kind sorted so that
// the plan reads the same whatever order the inputs came in.
func (p *planner) assemble() *Plan {
	plan := p.plan
	for _, list := range [][]Action{p.deacts, p.releases, p.reacts, p.creates, p.updates, plan.Withheld, p.onboards} {
		slices.SortFunc(list, func(a, b Action) int { return compareAction(&a, &b) })
	}
	plan.Actions = make([]Action, 0, len(p.deacts)+len(p.releases)+len(p.reacts)+len(p.creates)+len(p.updates)+len(p.teams)+len(p.channels)+len(p.onboards))
	for _, list := range [][]Action{p.deacts, p.releases, p.reacts, p.creates, p.updates, p.teams, p.channels, p.onboards} {
		plan.Actions = append(plan.Actions, list...)
	}
	slices.SortFunc(plan.Skipped, func(a, b Skip) int {
		return compareStrings(a.EntraID, b.EntraID, a.AccountID, b.AccountID, a.Reason, b.Reason)
	})
	slices.SortFunc(plan.Conflicts, func(a, b Conflict) int {
		return compareStrings(a.EntraID, b.EntraID, a.Field, b.Field)
	})
	return plan
}

// compareAction orders actions of one kind: by wave, then address, username
// and account id.
func compareAction(a, b *Action) int {
	if c := cmp.Compare(a.Wave, b.Wave); c != 0 {
		return c
	}
	return compareStrings(a.Email, b.Email, a.Username, b.Username, a.AccountID, b.AccountID)
}

// compareStrings compares pairs (a1, b1, a2, b2, …) in turn, stopping at the
// first that differs: cmp.Or would compare every pair, which at 100,000
// users is a measurable share of planning.
func compareStrings(pairs ...string) int {
	for i := 0; i+1 < len(pairs); i += 2 {
		if c := strings.Compare(pairs[i], pairs[i+1]); c != 0 {
			return c
		}
	}
	return 0
}
