package sync

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

// Membership reports whether the kind adds or removes a team or channel
// membership.
func (k Kind) Membership() bool {
	return k == KindTeamAdd || k == KindTeamRemove || k == KindChannelAdd || k == KindChannelRemove
}

// Action is one change the plan makes. Plans are values: dry-run prints them,
// Apply executes them, the report records their results. An action holds
// everything Apply needs to make it (nothing is hidden: it marshals to JSON
// and back to an equal value), and what it was planned from (Observed).
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
	// Every action on an existing account carries it; a create has none
	// (its precondition is that no account holds its address).
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

	// Profile is the full profile of an account to create (and of one a
	// create finds already there and adopts).
	Profile Profile `json:"profile,omitzero"`
	// Patch is the update to send (for a reactivation, after it; for a
	// deactivation, after it, with the record of who deactivated it).
	Patch Patch `json:"patch,omitzero"`
	// UsernameBase is the normalised name a created username derives from
	// (NormalizeUsername), kept so that a username clash at apply time gets
	// the next suffix (UsernameAllocator.Next).
	UsernameBase string `json:"username_base,omitempty"`

	// Onboard (a create) writes the pending onboarding mark with the
	// account: an onboard action follows, now or in a later run.
	Onboard bool `json:"onboard,omitempty"`
	// Method is an onboard action's onboarding (reset-email, graph-mail).
	Method Onboarding `json:"onboarding,omitempty"`
	// MailTo is where graph-mail sends (the directory user's mail).
	MailTo string `json:"mail_to,omitempty"`
	// NewPassword: an onboard action sets a fresh random password first.
	NewPassword bool `json:"new_password,omitempty"`
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
// with the directory. It is plain data: no rules, no allocator, no function
// fields. It marshals to JSON and back to an equal value (plan_json.go), so
// it can be saved, shown elsewhere and applied later; Check, the report's
// rendering and Apply take it, with the options they need, as input.
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
	NeedTeamChannels []TeamAccount `json:"need_team_channels,omitempty"`
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
	// TakenUsernames are the usernames a create must not take (lower
	// case, sorted): every account's as observed, the names in
	// ignore-users, and the ones this plan's creates take. Apply seeds its
	// UsernameAllocator with them when the server refuses a username the
	// read did not show taken. Empty when the plan creates nobody.
	TakenUsernames []string `json:"taken_usernames,omitempty"`
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
