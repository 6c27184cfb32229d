package config

import (
	"os"
	"strings"
)

// maxTemplateBytes bounds the onboarding-template file: a mail, not a book.
const maxTemplateBytes = 64 << 10

// parseOnboarding validates onboarding, onboarding-sender,
// onboarding-template and onboard into c, reporting each problem with bad.
// The template's text is read here; its grammar is onboard's, checked by
// the glue.
func parseOnboarding(c *Config, vals map[string]string, bad func(name, format string, args ...any)) {
	switch o := Onboarding(strings.ToLower(vals["onboarding"])); o {
	case OnboardingNone, OnboardingResetEmail, OnboardingGraphMail:
		c.Onboarding = o
	default:
		bad("onboarding", "%q is not one of none, reset-email, graph-mail", vals["onboarding"])
	}
	switch s := OnboardScope(strings.ToLower(vals["onboard"])); s {
	case OnboardNew, OnboardNewAndAdopted:
		c.Onboard = s
		if s == OnboardNewAndAdopted && c.Onboarding == OnboardingNone {
			bad("onboard", "new-and-adopted needs onboarding set to reset-email or graph-mail: with onboarding none the adopted accounts would keep their old (shared) passwords")
		}
	default:
		bad("onboard", "%q is not one of new, new-and-adopted", vals["onboard"])
	}
	c.OnboardingSender = vals["onboarding-sender"]
	switch sender := c.OnboardingSender; {
	case c.Onboarding == OnboardingGraphMail && sender == "":
		bad("onboarding-sender", "is required with onboarding: graph-mail; name the mailbox the mail comes from, e.g. it-helpdesk@contoso.com")
	case sender != "" && !isObjectID(sender) && (!strings.Contains(sender, "@") || strings.ContainsAny(sender, " \t/?#")):
		bad("onboarding-sender", "%q is neither a userPrincipalName (name@domain) nor an object id", sender)
	}
	path := vals["onboarding-template"]
	switch {
	case path != "" && c.Onboarding != OnboardingGraphMail:
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
		c.OnboardingTemplate = string(text)
	}
}
