package config

import (
	"io"
	"strings"
)

// UsageError is a command line the flags cannot read: an unknown flag, a
// flag without its value, an argument that is no flag. Msg is the flag
// package's one line ("flag provided but not defined: -x"); the caller adds
// the hint to run --help rather than printing every option.
type UsageError struct {
	Msg string
}

func (e *UsageError) Error() string { return e.Msg }

// helpGroup is one heading of --help and the options under it, in the order
// shown. Every option belongs to exactly one group (TestHelpGroupsEveryOption);
// one missing from all of them is still shown, under "Other".
type helpGroup struct {
	title string
	names []string
}

// helpGroups orders --help by what an administrator sets up together: where
// to connect, who is in scope, how accounts are recognised and retired, the
// teams and channels, onboarding, the rails, reporting and speed.
func helpGroups() []helpGroup {
	return []helpGroup{
		{"Connection", []string{"azure-tenant-id", "azure-client-id", "azure-client-secret", "mattermost-url", "mattermost-token",
			"azure-audience", "azure-cloud", "azure-authority-host", "graph-url"}},
		{"Scope", []string{"groups", "user-filter", "include-guests", "only-users", "ignore-users", "manage-admins"}},
		{"Identity", []string{"link-key", "adopt-existing", "instance", "claim-unnamed-links", "username-from", "attribute-map"}},
		{"Lifecycle", []string{"deactivate", "reactivate", "release-addresses"}},
		{"Mappings (teams and channels)", []string{"teams", "group-teams", "remove-from-teams", "channels", "group-channels", "remove-from-channels"}},
		{"Onboarding", []string{"onboarding", "onboarding-sender", "onboarding-template", "onboard", "welcome-email"}},
		{"Rails", []string{"dry-run", "max-deactivations", "max-removals"}},
		{"Saved plans (approve, then apply)", []string{"plan-out", "apply-plan", "plan-max-age"}},
		{"Reporting", []string{"report-path", "report-webhook-url", "report-webhook-secret"}},
		{"Performance", []string{"concurrency", "create-concurrency"}},
	}
}

// WriteOptions writes every option for --help, grouped under headings: the
// flag with "(required)" when it must be set, its environment variable and
// default, then its description wrapped to about 80 columns.
func WriteOptions(w io.Writer) error {
	byName := make(map[string]Option, len(options))
	for _, o := range options {
		byName[o.Name] = o
	}
	groups := helpGroups()
	shown := map[string]bool{}
	for _, g := range groups {
		for _, n := range g.names {
			shown[n] = true
		}
	}
	var other []string
	for _, o := range options {
		if !shown[o.Name] {
			other = append(other, o.Name)
		}
	}
	if len(other) > 0 {
		groups = append(groups, helpGroup{"Other", other})
	}
	var b strings.Builder
	for i, g := range groups {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(g.title + ":\n")
		for _, n := range g.names {
			o, ok := byName[n]
			if !ok {
				continue
			}
			b.WriteString("  --" + o.Name)
			if !isBool(o) {
				b.WriteString(" VALUE")
			}
			if o.Required {
				b.WriteString("  (required)")
			}
			b.WriteString("  [env " + o.Env)
			if o.Default != "" {
				b.WriteString(", default " + o.Default)
			}
			b.WriteString("]\n")
			for _, line := range wrap(o.Description, 72) {
				b.WriteString("      " + line + "\n")
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// isBool reports whether an option is a switch (--dry-run, --dry-run=false).
func isBool(o Option) bool { return o.Default == "true" || o.Default == "false" }

// wrap breaks text into lines of at most width columns at spaces (a longer
// word gets a line of its own).
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(text) {
		switch {
		case line == "":
			line = word
		case len([]rune(line))+1+len([]rune(word)) <= width:
			line += " " + word
		default:
			lines = append(lines, line)
			line = word
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}
