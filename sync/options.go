package sync

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
