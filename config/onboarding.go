package config

import (
	"os"
	"strings"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/onboard"
	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
)

// maxTemplateBytes bounds the onboarding-template file: a mail, not a book.
const maxTemplateBytes = 64 << 10

// parseOnboarding validates onboarding, onboarding-sender,
// onboarding-template and onboard into c, reporting each problem with bad.
func parseOnboarding(c *Config, vals map[string]string, bad func(name, format string, args ...any)) {
	switch o := mmsync.Onboarding(strings.ToLower(vals["onboarding"])); o {
	case mmsync.OnboardingNone, mmsync.OnboardingResetEmail, mmsync.OnboardingGraphMail:
		c.Onboarding = o
	default:
		bad("onboarding", "%q is not one of none, reset-email, graph-mail", vals["onboarding"])
	}
	switch s := mmsync.OnboardScope(strings.ToLower(vals["onboard"])); s {
	case mmsync.OnboardNew, mmsync.OnboardNewAndAdopted:
		c.Onboard = s
		if s == mmsync.OnboardNewAndAdopted && c.Onboarding == mmsync.OnboardingNone {
			bad("onboard", "new-and-adopted needs onboarding set to reset-email or graph-mail: with onboarding none the adopted accounts would keep their old (shared) passwords")
		}
	default:
		bad("onboard", "%q is not one of new, new-and-adopted", vals["onboard"])
	}
	c.OnboardingSender = vals["onboarding-sender"]
	switch sender := c.OnboardingSender; {
	case c.Onboarding == mmsync.OnboardingGraphMail && sender == "":
		bad("onboarding-sender", "is required with onboarding: graph-mail; name the mailbox the mail comes from, e.g. it-helpdesk@contoso.com")
	case sender != "" && !IsObjectID(sender) && (!strings.Contains(sender, "@") || strings.ContainsAny(sender, " \t/?#")):
		bad("onboarding-sender", "%q is neither a userPrincipalName (name@domain) nor an object id", sender)
	}
	path := vals["onboarding-template"]
	switch {
	case path != "" && c.Onboarding != mmsync.OnboardingGraphMail:
		bad("onboarding-template", "is only used with onboarding: graph-mail (reset-email sends Mattermost's own mail)")
	case path != "":
		fi, err := os.Stat(path)
		if err != nil {
			bad("onboarding-template", "cannot read %q: %v", path, err)
			return
		}
		if fi.Size() > maxTemplateBytes {
			bad("onboarding-template", "%q is %d bytes; a mail template is at most %d", path, fi.Size(), maxTemplateBytes)
			return
		}
		text, err := os.ReadFile(path)
		if err != nil {
			bad("onboarding-template", "cannot read %q: %v", path, err)
			return
		}
		if c.OnboardingMail, err = onboard.Parse(string(text), true); err != nil {
			bad("onboarding-template", "%s: %v", path, err)
		}
	case c.Onboarding == mmsync.OnboardingGraphMail:
		c.OnboardingMail = onboard.Default()
	}
}
