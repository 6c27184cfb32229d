package mattermost

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
)

// Error ids of the mail and password endpoints (reference/mattermost-api.md
// §4.5 and §10 "Mail, measured").
const (
	// IDResetSend: POST /users/password/reset/send could not send (SMTP).
	IDResetSend = "api.user.send_password_reset.send.app_error"
	// IDResetSSO: the account signs in through SSO; it has no password.
	IDResetSSO = "api.user.send_password_reset.sso.app_error"
	// IDTestEmailFailure: POST /email/test could not reach the SMTP server.
	IDTestEmailFailure = "app.admin.test_email.failure"
)

// UpdatePassword sets a user's password as an admin (PUT
// /users/{id}/password, body {"new_password"}; no current password is
// needed). The server checks its password policy and, when SMTP works,
// mails the user that the password changed. The password never appears in
// an error.
func (c *Client) UpdatePassword(ctx context.Context, id, password string) error {
	_, err := c.do(ctx, http.MethodPut, "/users/"+url.PathEscape(id)+"/password", nil,
		map[string]string{"new_password": password}, nil, password)
	return err
}

// SendPasswordReset asks Mattermost to mail its password-reset link to the
// account with that address (POST /users/password/reset/send). The server
// answers 200 for an address no account has (no enumeration), 500
// IDResetSend when its SMTP fails, 400 IDResetSSO for an SSO account.
// EmailSettings.SendEmailNotifications does not gate this mail.
func (c *Client) SendPasswordReset(ctx context.Context, email string) error {
	_, err := c.do(ctx, http.MethodPost, "/users/password/reset/send", nil, map[string]string{"email": email}, nil)
	return err
}

// GetConfig returns the server's full configuration as GET /config sends
// it (system admin), undecoded: TestEmail sends it back as it is.
func (c *Client) GetConfig(ctx context.Context) (json.RawMessage, error) {
	var raw json.RawMessage
	_, err := c.do(ctx, http.MethodGet, "/config", nil, nil, &raw)
	return raw, err
}

// TestEmail is the System Console's "Test Connection": POST /email/test
// with a full configuration (as GetConfig returns it). The server connects
// to the SMTP server of that configuration and mails the calling admin;
// 500 IDTestEmailFailure when it cannot. (5.36 drops the connection for a
// body of {}: the configuration must be complete.)
func (c *Client) TestEmail(ctx context.Context, config json.RawMessage) error {
	_, err := c.do(ctx, http.MethodPost, "/email/test", nil, config, nil)
	return err
}

// CheckMail proves the server can send mail, for onboarding: reset-email,
// before anything changes. An empty SMTP server is saved as localhost:10025
// (where nothing listens on a fresh server), so the configuration alone
// cannot tell: the server's own test decides.
func (c *Client) CheckMail(ctx context.Context) error {
	cfg, err := c.GetConfig(ctx)
	if err != nil {
		return fmt.Errorf("read the server's configuration (GET /api/v4/config) to test its mail: %w", err)
	}
	var s struct {
		EmailSettings struct {
			SMTPServer string
			SMTPPort   string
		}
	}
	_ = json.Unmarshal(cfg, &s)
	where := strings.Trim(s.EmailSettings.SMTPServer+":"+s.EmailSettings.SMTPPort, ":")
	if err := c.TestEmail(ctx, cfg); err != nil {
		var ae *AppError
		if errors.As(err, &ae) && ae.ID == IDTestEmailFailure {
			return &MailError{Server: where, Err: err}
		}
		return fmt.Errorf("test the server's mail (POST /api/v4/email/test): %w", err)
	}
	return nil
}

// MailError says the Mattermost server cannot send mail.
type MailError struct {
	Server string // SMTPServer:SMTPPort as configured
	Err    error
}

func (e *MailError) Error() string {
	return fmt.Sprintf("Mattermost cannot send mail: its SMTP test to %s failed (%v)", e.Server, e.Err)
}

func (e *MailError) Unwrap() error { return e.Err }

// SetPassword implements sync.PasswordTarget: a fresh random password to
// the server's policy (GeneratePassword), masked before it is sent, then
// set with UpdatePassword.
func (t *Target) SetPassword(ctx context.Context, id string) (mmsync.Secret, error) {
	pw, err := GeneratePassword(t.policy)
	if err != nil {
		return mmsync.Secret{}, fmt.Errorf("set the password of %s: %w", id, err)
	}
	if t.opts.Mask != nil {
		t.opts.Mask(pw)
	}
	if err := t.c.UpdatePassword(ctx, id, pw); err != nil {
		return mmsync.Secret{}, err
	}
	return mmsync.NewSecret(pw), nil
}

// ResetMailer onboards by Mattermost's own password-reset email
// (onboarding: reset-email): the person chooses a password, none leaves
// the sync.
type ResetMailer struct{ C *Client }

// Onboard implements sync.Onboarder.
func (m ResetMailer) Onboard(ctx context.Context, w mmsync.Welcome) error {
	return m.C.SendPasswordReset(ctx, w.Email)
}
