package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/config"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/entra"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/internal/redact"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/mattermost"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/onboard"
	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
)

// checkOnboardingMail is the preflight of onboarding: reset-email: the
// Mattermost server must be able to send mail, or every reset mail would
// fail after its account was created. The run stops before any change.
func checkOnboardingMail(ctx context.Context, cfg *settings, mm *mattermost.Client) error {
	if cfg.Onboarding != config.OnboardingResetEmail {
		return nil
	}
	err := mm.CheckMail(ctx)
	var me *mattermost.MailError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &me):
		return fmt.Errorf("input onboarding: reset-email needs the Mattermost server to send mail, and its own mail test failed (SMTP %s: %v). "+
			"Set up SMTP in the System Console > Environment > SMTP (SMTP Server, SMTP Server Port, and the connection security and credentials "+
			"your mail server needs) until its Test Connection succeeds; Notifications > Enable Email Notifications is not needed for reset mails. "+
			"Or use onboarding: graph-mail, which needs no SMTP on Mattermost", me.Server, me.Err)
	}
	return fmt.Errorf("input onboarding: reset-email: could not check that the Mattermost server can send mail: %w", err)
}

// onboarder returns what tells new people how to sign in, or nil for
// onboarding: none.
func onboarder(cfg *settings, src *entra.Source, mm *mattermost.Client) mmsync.Onboarder {
	switch cfg.Onboarding {
	case config.OnboardingResetEmail:
		return mattermost.ResetMailer{C: mm}
	case config.OnboardingGraphMail:
		base := strings.TrimSuffix(strings.TrimRight(cfg.MattermostURL, "/"), "/api/v4")
		return &graphMailer{src: src, sender: cfg.OnboardingSender, mail: cfg.OnboardingMail, serverURL: base}
	}
	return nil
}

// graphMailer onboards by a mail through Microsoft Graph (onboarding:
// graph-mail) from the onboarding-sender mailbox.
type graphMailer struct {
	src       *entra.Source
	sender    string
	mail      *onboard.Template
	serverURL string
}

// Onboard implements mmsync.Onboarder. The password is revealed only into
// the mail's body; any error is redacted of it.
func (g *graphMailer) Onboard(ctx context.Context, w mmsync.Welcome) error {
	pw := w.Password.Reveal()
	if pw == "" {
		return errors.New("no password to mail")
	}
	subject, body, err := g.mail.Render(onboard.Fields{DisplayName: w.DisplayName, Username: w.Username, Email: w.Email,
		Password: pw, ServerURL: g.serverURL, SignInURL: g.serverURL + "/login"})
	if err != nil {
		return redact.Error(fmt.Errorf("onboarding-template: %w", err), pw)
	}
	err = g.src.SendMail(ctx, g.sender, w.MailTo, subject, body, pw)
	if errors.Is(err, entra.ErrMailForbidden) {
		// Every further mail would be refused as well.
		return fmt.Errorf("%w: %w", mmsync.ErrOnboardingRefused, err)
	}
	return err
}
