package mattermost

import (
	"context"
	"fmt"
	"maps"

	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
)

// TargetOptions tune how the Target creates users.
type TargetOptions struct {
	// DisableWelcomeEmail sends disable_welcome_email: true on create.
	DisableWelcomeEmail bool
	// EmailVerified sends email_verified: true on create.
	EmailVerified bool
	// Mask, when set, is called with every password that leaves the
	// process (returned for NewUser.KeepPassword, or set by SetPassword) the
	// moment it exists: the Actions console masks it (::add-mask::).
	Mask func(secret string)
}

// Target adapts a Client to sync.Target.
type Target struct {
	c      *Client
	policy PasswordPolicy
	opts   TargetOptions
}

var _ mmsync.Target = (*Target)(nil)

// NewTarget wraps c. policy is the server's password policy (see
// Client.PasswordPolicy); passwords for new users are generated to meet it.
//
// Every error the Target returns comes from the Client (see errors.go):
// transport errors and 429/5xx answers (not 501) say Transient() true, so
// the applier can report them; nothing here retries, the Client already did.
func NewTarget(c *Client, policy PasswordPolicy, opts TargetOptions) *Target {
	return &Target{c: c, policy: policy, opts: opts}
}

// CreateUser creates an email/password account with a fresh random
// password, returned only when nu.KeepPassword asks for it.
func (t *Target) CreateUser(ctx context.Context, nu mmsync.NewUser) (mmsync.Account, mmsync.Secret, error) {
	pw, err := GeneratePassword(t.policy)
	if err != nil {
		return mmsync.Account{}, mmsync.Secret{}, fmt.Errorf("create user %s: %w", nu.Username, err)
	}
	if nu.KeepPassword && t.opts.Mask != nil {
		t.opts.Mask(pw) // it will be mailed: hidden from the log from now on
	}
	u := User{
		Username:            nu.Username,
		Email:               nu.Email,
		Nickname:            nu.Nickname,
		FirstName:           nu.FirstName,
		LastName:            nu.LastName,
		Position:            nu.Position,
		Props:               maps.Clone(nu.Props),
		Password:            pw,
		EmailVerified:       t.opts.EmailVerified,
		DisableWelcomeEmail: t.opts.DisableWelcomeEmail,
	}
	out, err := t.c.CreateUser(ctx, u)
	if err != nil {
		return mmsync.Account{}, mmsync.Secret{}, err
	}
	if !nu.KeepPassword {
		return ToAccount(out), mmsync.Secret{}, nil
	}
	return ToAccount(out), mmsync.NewSecret(pw), nil
}

// PatchUser applies p and returns the account as stored.
func (t *Target) PatchUser(ctx context.Context, id string, p mmsync.Patch) (mmsync.Account, error) {
	out, err := t.c.PatchUser(ctx, id, UserPatch{
		Email:     p.Email,
		Nickname:  p.Nickname,
		FirstName: p.FirstName,
		LastName:  p.LastName,
		Position:  p.Position,
		Props:     maps.Clone(p.Props),
	})
	if err != nil {
		return mmsync.Account{}, err
	}
	return ToAccount(out), nil
}

// SetActive activates or deactivates an account.
func (t *Target) SetActive(ctx context.Context, id string, active bool) error {
	return t.c.UpdateActive(ctx, id, active)
}

// GetUser returns the account with that id, or an error matching
// sync.ErrNotFound when there is none.
func (t *Target) GetUser(ctx context.Context, id string) (mmsync.Account, error) {
	u, err := t.c.GetUser(ctx, id)
	if err != nil {
		return mmsync.Account{}, err
	}
	return ToAccount(u), nil
}

// GetUserByEmail returns the account with that email, or an error matching
// sync.ErrNotFound.
func (t *Target) GetUserByEmail(ctx context.Context, email string) (mmsync.Account, error) {
	u, err := t.c.GetUserByEmail(ctx, email)
	if err != nil {
		return mmsync.Account{}, err
	}
	return ToAccount(u), nil
}

// ToAccount converts an API user into the sync's Account.
func ToAccount(u User) mmsync.Account { return toAccount(&u, true) }

// toAccount converts u; the Props map is shared with u unless clone is set.
func toAccount(u *User, clone bool) mmsync.Account {
	props := u.Props
	if clone {
		props = maps.Clone(props)
	}
	a := mmsync.Account{
		ID:          u.ID,
		Username:    u.Username,
		Email:       u.Email,
		Nickname:    u.Nickname,
		FirstName:   u.FirstName,
		LastName:    u.LastName,
		Position:    u.Position,
		Roles:       u.Roles,
		AuthService: u.AuthService,
		IsBot:       u.IsBot,
		DeleteAt:    u.DeleteAt,
		Props:       props,
		// Absent from the server's JSON when false (omitempty there).
		EmailVerified: u.EmailVerified,
	}
	if u.RemoteID != nil {
		a.RemoteID = *u.RemoteID
	}
	return a
}

// AddTeamMembers implements mmsync.TeamTarget with graceful batch adds: one
// account's refusal (a full team, a domain restriction) fails that account
// only.
func (t *Target) AddTeamMembers(ctx context.Context, teamID string, accountIDs []string) (map[string]error, error) {
	res, err := t.c.AddTeamMembersGracefully(ctx, teamID, accountIDs)
	if err != nil {
		return nil, err
	}
	out := make(map[string]error, len(res))
	for _, r := range res {
		if r.Error == nil {
			out[r.UserID] = nil
			continue
		}
		switch r.Error.ID {
		case IDTeamMaxAccounts, IDTeamMaxAccountsNew:
			out[r.UserID] = fmt.Errorf("the team is full: TeamSettings.MaxUsersPerTeam (50 unless changed) is reached; "+
				"raise Max Users Per Team in System Console > Site Configuration > Users and Teams: %w", r.Error)
		default:
			out[r.UserID] = r.Error
		}
	}
	for _, id := range accountIDs {
		if _, ok := out[id]; !ok {
			out[id] = fmt.Errorf("the server did not report on this account")
		}
	}
	return out, nil
}

// RemoveTeamMember implements mmsync.TeamTarget.
func (t *Target) RemoveTeamMember(ctx context.Context, teamID, accountID string) error {
	return t.c.RemoveTeamMember(ctx, teamID, accountID)
}
