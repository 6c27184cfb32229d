// Package sync reconciles Entra ID users (the desired state) into Mattermost
// accounts (the observed state). Plan is pure: it takes both states and returns
// a Plan value that dry-run renders and Apply executes against a Target.
package sync

import (
	"context"
	"errors"
)

// DirectoryUser is one Entra ID user, reduced to the attributes the sync reads.
// Empty strings stand for attributes that are null in Graph.
type DirectoryUser struct {
	ID                string // immutable object id: the anchor
	AccountEnabled    Bool   // null in Graph is BoolUnknown, never false
	UserType          string // "Member" or "Guest"
	DisplayName       string
	GivenName         string
	Surname           string
	JobTitle          string
	Department        string
	EmployeeID        string
	OfficeLocation    string
	Mail              string
	UserPrincipalName string
	MailNickname      string
}

// Bool is a directory boolean as Graph serves it: true, false or null. The
// zero value is BoolUnknown, so a value nobody read can never pass for false
// and drive a deactivation.
type Bool uint8

// The three values of a Graph boolean.
const (
	BoolUnknown Bool = iota
	BoolFalse
	BoolTrue
)

// BoolOf converts a Graph SDK *bool (nil for null or absent).
func BoolOf(p *bool) Bool {
	switch {
	case p == nil:
		return BoolUnknown
	case *p:
		return BoolTrue
	}
	return BoolFalse
}

func (b Bool) String() string {
	switch b {
	case BoolTrue:
		return "true"
	case BoolFalse:
		return "false"
	}
	return "null"
}

// DeletedUser is a user in Entra ID's deleted items (kept 30 days after a
// deletion, GET /directory/deletedItems/microsoft.graph.user). Its addresses
// are what it held when deleted.
type DeletedUser struct {
	ID                string
	Mail              string
	UserPrincipalName string
}

// Account is one Mattermost user as the target observed it.
type Account struct {
	ID          string
	Username    string
	Email       string
	Nickname    string
	FirstName   string
	LastName    string
	Position    string
	Roles       string // space separated system roles
	AuthService string
	RemoteID    string
	IsBot       bool
	DeleteAt    int64 // non-zero: deactivated
	Props       map[string]string
	// EmailVerified is the server's email_verified: true only when
	// Mattermost says so (its JSON omits false). The server resets it to
	// false whenever the address changes, also when a user types a new
	// address into their own profile (reference/mattermost-api.md §2.5,
	// §10), so an unverified address proves nothing about who owns it.
	EmailVerified bool
}

// Active reports whether the account is not deactivated.
func (a Account) Active() bool { return a.DeleteAt == 0 }

// Profile holds the profile fields the sync manages on an account.
type Profile struct {
	Nickname  string `json:"nickname,omitempty"`
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
	Position  string `json:"position,omitempty"`
}

// Observed is the Mattermost side of a run, read in full before planning.
type Observed struct {
	Accounts []Account
	// SelfID is the id of the token owner: never touched.
	SelfID string
	// Teams are the teams a team policy names, by name, with their members,
	// and the teams of the channels a channel policy names.
	Teams map[string]TeamState
	// Channels are the channels a channel policy names, with their members.
	Channels map[ChannelRef]ChannelState
	// TeamChannels are, for the team removals a plan must count under
	// max-removals, the ids of the team's channels (archived ones included)
	// the account is a member of: Mattermost removes those memberships with
	// the team's. Read only for planned team removals (Plan.NeedTeamChannels);
	// a pair that is absent was not read.
	TeamChannels map[TeamAccount][]string
}

// TeamAccount is one account's membership of one team, by ids.
type TeamAccount struct {
	TeamID    string `json:"team_id"`
	AccountID string `json:"mattermost_id"`
}

// NewUser is what Apply asks the Target to create: plain data. The target
// chooses the password: the plan never holds one.
type NewUser struct {
	Username string
	Email    string
	Profile
	Props map[string]string
	// KeepPassword asks the target for the password it chose, once the
	// account exists (graph-mail mails it); the target masks it first.
	// Without it the target returns none, and the password leaves nowhere.
	KeepPassword bool
}

// Patch lists the fields to change on an existing account; nil means leave
// alone. It mirrors mattermost.UserPatch, the wire form, on purpose: the
// planner's values do not depend on the client package. Props, when non-nil, are the sync's own keys (IsSyncProp) as
// the plan wants them, a key it lacks to be removed; a plan holds none of the user's keys. Mattermost replaces props
// wholesale, so Apply re-reads the account before sending it and writes these keys onto what the user has now
// (rebaseProps): what the user set meanwhile survives.
type Patch struct {
	Email     *string `json:"email,omitempty"`
	Nickname  *string `json:"nickname,omitempty"`
	FirstName *string `json:"first_name,omitempty"`
	LastName  *string `json:"last_name,omitempty"`
	Position  *string `json:"position,omitempty"`
	// Props: absent for nil (leave alone), {} for an empty map (write it).
	Props map[string]string `json:"props,omitzero"`
}

// Empty reports whether the patch changes nothing.
func (p Patch) Empty() bool {
	return p.Email == nil && p.Nickname == nil && p.FirstName == nil &&
		p.LastName == nil && p.Position == nil && p.Props == nil
}

// Target is the Mattermost side as Apply needs it. Implementations return
// errors that match ErrEmailExists / ErrUsernameExists with errors.Is when the
// server reports those conflicts, and errors that implement ErrorIDer when the
// server gave an error id.
type Target interface {
	// CreateUser returns the account, and the password the target chose
	// when u.KeepPassword asked for it (an empty Secret otherwise).
	CreateUser(ctx context.Context, u NewUser) (Account, Secret, error)
	PatchUser(ctx context.Context, id string, p Patch) (Account, error)
	SetActive(ctx context.Context, id string, active bool) error
	// GetUserByEmail returns ErrNotFound when no account has that email.
	GetUserByEmail(ctx context.Context, email string) (Account, error)
	// GetUser returns ErrNotFound when no account has that id.
	GetUser(ctx context.Context, id string) (Account, error)
}

// TeamTarget is the part of the target that team membership needs.
type TeamTarget interface {
	// AddTeamMembers adds accounts to a team, reporting per account: a nil
	// entry in the result means that account was added (or already was).
	AddTeamMembers(ctx context.Context, teamID string, accountIDs []string) (map[string]error, error)
	RemoveTeamMember(ctx context.Context, teamID, accountID string) error
}

// ChannelTarget is the part of the target that channel membership needs.
type ChannelTarget interface {
	// AddChannelMembers adds accounts to a channel, reporting per account: a
	// nil entry means that account was added (or already was a member).
	AddChannelMembers(ctx context.Context, channelID string, accountIDs []string) (map[string]error, error)
	RemoveChannelMember(ctx context.Context, channelID, accountID string) error
}

// Errors a Target reports and Apply branches on.
var (
	// ErrUnavailable: the target stopped answering (its circuit breaker is
	// open); the write was not sent.
	ErrUnavailable    = errors.New("not attempted: Mattermost unavailable")
	ErrEmailExists    = errors.New("an account with that email already exists")
	ErrUsernameExists = errors.New("an account with that username already exists")
	ErrNotFound       = errors.New("account not found")
)

// ErrorIDer is implemented by errors that carry the server's error id
// (Mattermost's AppError id, for example "app.user.save.email_exists.app_error").
type ErrorIDer interface {
	ErrorID() string
}
