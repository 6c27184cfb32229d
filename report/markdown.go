package report

import (
	"fmt"
	"strings"

	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
)

// Row caps keep the job summary far below GitHub's 1 MiB limit; the JSON
// report always has everything.
const (
	// MaxChangeRows is how many changes a table of the summary shows; a
	// saved plan's note in the summary (plan-out) names the figure too.
	MaxChangeRows = 200
	maxSkipRows   = 100
	maxFailRows   = 100
)

// Markdown renders the job summary.
func (r *Report) Markdown() string {
	var b strings.Builder
	title := "Entra ID → Mattermost sync"
	switch r.Status {
	case string(mmsync.RunDryRun):
		title += ": dry run (nothing was changed)"
	case string(mmsync.RunFailure):
		title += ": finished with failures"
	default:
		title += ": done"
		if n := r.Attention(); n > 0 {
			title += fmt.Sprintf(", %d need attention", n)
		}
	}
	fmt.Fprintf(&b, "## %s\n\n", title)
	if r.Error != "" {
		fmt.Fprintf(&b, "> **Error:** %s\n\n", cell(r.Error))
	}
	if len(r.Broken) > 0 {
		b.WriteString("**Mappings that did not resolve or read empty** (their memberships are frozen until fixed; everything else ran):\n\n")
		for _, m := range r.Broken {
			fmt.Fprintf(&b, "- %s (`%s`): %s\n", m.Where(), cell(m.Entry), cell(m.Error))
		}
		b.WriteString("\n")
	}
	if len(r.ResolvedGroups) > 0 {
		b.WriteString("Groups named by display name resolved to: ")
		for i, g := range r.ResolvedGroups {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s → `%s`", cell(g.Name), g.ObjectID)
		}
		b.WriteString(" (object ids are safer: a name can move to another group).\n\n")
	}
	c := r.Counts
	// A dry run's counts are the plan's: what the run would do.
	would, were, added, removed := "", "were", "added", "removed"
	if r.Status == string(mmsync.RunDryRun) {
		would, were, added, removed = "would ", "would be", "to add", "to remove"
	}
	if would != "" {
		b.WriteString("| would create | would update | would deactivate | would reactivate | unchanged | skipped | failed | conflicts |\n|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	} else {
		b.WriteString("| created | updated | deactivated | reactivated | unchanged | skipped | failed | conflicts |\n|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	}
	fmt.Fprintf(&b, "| %d | %d | %d | %d | %d | %d | %d | %d |\n\n", c.Created, c.Updated, c.Deactivated, c.Reactivated, c.Unchanged, c.Skipped, c.Failed+c.NotAttempted, c.Conflicts)
	if c.NotAttempted > 0 {
		fmt.Fprintf(&b, "%d changes were not attempted (Mattermost stopped answering, or the run was cancelled); the next run makes them.\n\n", c.NotAttempted)
	}
	r.approvalMarkdown(&b)
	if c.Released > 0 {
		fmt.Fprintf(&b, "%d leavers' addresses %s released to placeholders.\n\n", c.Released, were)
	}
	if c.Onboarded > 0 {
		fmt.Fprintf(&b, "%d people %s onboarded (told how to sign in).\n\n", c.Onboarded, were)
	}
	if c.TeamAdded+c.TeamRemoved > 0 {
		fmt.Fprintf(&b, "Team memberships: %d %s, %d %s.\n\n", c.TeamAdded, added, c.TeamRemoved, removed)
	}
	if c.ChannelAdded+c.ChannelRemoved > 0 {
		fmt.Fprintf(&b, "Channel memberships: %d %s, %d %s.\n\n", c.ChannelAdded, added, c.ChannelRemoved, removed)
	}
	fmt.Fprintf(&b, "%d Entra ID users read (%d out of scope), %d Mattermost accounts seen", r.DirectorySize, r.OutOfScope, r.AccountsSeen)
	if r.ServerVersion != "" {
		fmt.Fprintf(&b, " (Mattermost %s)", cell(r.ServerVersion))
	}
	if !r.StartedAt.IsZero() && !r.FinishedAt.IsZero() {
		fmt.Fprintf(&b, ", in %s", r.FinishedAt.Sub(r.StartedAt).Round(100_000_000))
	}
	b.WriteString(".\n\n")

	if fails := r.Failures(); len(fails) > 0 {
		fmt.Fprintf(&b, "### Failures (%d)\n\n| action | user | error id | error |\n|---|---|---|---|\n", len(fails))
		for i, f := range fails {
			if i == maxFailRows {
				fmt.Fprintf(&b, "\n…and %d more failures in the JSON report.\n", len(fails)-maxFailRows)
				break
			}
			msg := f.Error
			if f.Retryable || f.Status == mmsync.StatusNotAttempted {
				msg += " (the next run tries again by itself)"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", f.Kind, cell(who(f.Action)), code(f.ErrorID), cell(msg))
		}
		b.WriteString("\n")
	}

	for _, sec := range []struct {
		title string
		list  []mmsync.Action
	}{
		{"Deactivations and releases withheld by max-deactivations", r.Withheld},
		{"Membership removals withheld by max-removals", r.WithheldRemovals},
		{"Not attempted: the server's user limit", r.Blocked},
	} {
		if len(sec.list) == 0 {
			continue
		}
		fmt.Fprintf(&b, "### %s (%d)\n\n| action | user | username |\n|---|---|---|\n", sec.title, len(sec.list))
		for i, a := range sec.list {
			if i == maxFailRows {
				fmt.Fprintf(&b, "\n…and %d more in the JSON report.\n", len(sec.list)-maxFailRows)
				break
			}
			action := string(a.Kind)
			if where := place(a); where != "" {
				action += " " + where
			}
			fmt.Fprintf(&b, "| %s | %s | %s |\n", cell(action), cell(who(a)), code(a.Username))
		}
		b.WriteString("\n")
	}

	if len(r.Conflicts) > 0 {
		fmt.Fprintf(&b, "### Conflicts (%d)\n\n| user | field | wanted | held by | why and the fix |\n|---|---|---|---|---|\n", len(r.Conflicts))
		for i, k := range r.Conflicts {
			if i == maxFailRows {
				fmt.Fprintf(&b, "\n…and %d more in the JSON report.\n", len(r.Conflicts)-maxFailRows)
				break
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", cell(k.DisplayName+" ("+k.EntraID+")"), k.Field, cell(k.Value), code(k.HolderUsername), cell(k.Reason))
		}
		b.WriteString("\n")
	}

	var review []mmsync.Result
	for _, res := range r.Results {
		if res.Unverified {
			review = append(review, res)
		}
	}
	if len(review) > 0 {
		// adopt-existing: any. Listed in full before the changes table,
		// which may be cut: an administrator checks each one.
		fmt.Fprintf(&b, "### Adoptions to review (%d)\n\nMattermost reports these accounts' addresses unverified (anyone can type an address into their own profile); "+
			"adopt-existing: any links them anyway. Check that each account is its person's.\n\n| user | account | address |\n|---|---|---|\n", len(review))
		for i, res := range review {
			if i == maxFailRows {
				fmt.Fprintf(&b, "\n…and %d more in the JSON report (unverified_address).\n", len(review)-maxFailRows)
				break
			}
			fmt.Fprintf(&b, "| %s | %s | %s |\n", cell(who(res.Action)), code(res.Username), cell(res.Email))
		}
		b.WriteString("\n")
	}

	changes := 0
	for _, res := range r.Results {
		if res.Status != mmsync.StatusFailed && res.Status != mmsync.StatusNotAttempted {
			changes++
		}
	}
	if changes > 0 {
		heading := "Changes"
		if r.DryRun {
			heading = "Planned changes"
		}
		fmt.Fprintf(&b, "### %s (%d)\n\n| action | user | username | details |\n|---|---|---|---|\n", heading, changes)
		n := 0
		for _, res := range r.Results {
			if res.Status == mmsync.StatusFailed || res.Status == mmsync.StatusNotAttempted {
				continue
			}
			if n == MaxChangeRows {
				fmt.Fprintf(&b, "\n…and %d more changes in the JSON report.\n", changes-MaxChangeRows)
				break
			}
			n++
			action := string(res.Kind)
			if res.Status == mmsync.StatusAdopted {
				action = "adopt"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", action, cell(who(res.Action)), code(res.Username), cell(describe(res)))
		}
		b.WriteString("\n")
	}

	if len(r.Skipped) > 0 {
		fmt.Fprintf(&b, "### Skipped (%d)\n\n", len(r.Skipped))
		b.WriteString("| reason | users |\n|---|---:|\n")
		for _, rc := range SkipReasons(r.Skipped) {
			fmt.Fprintf(&b, "| %s | %d |\n", cell(rc.Reason), rc.Count)
		}
		b.WriteString("\n<details><summary>Skipped users</summary>\n\n| user | reason |\n|---|---|\n")
		for i, s := range r.Skipped {
			if i == maxSkipRows {
				fmt.Fprintf(&b, "\n…and %d more in the JSON report.\n", len(r.Skipped)-maxSkipRows)
				break
			}
			fmt.Fprintf(&b, "| %s | %s |\n", cell(whoSkip(s)), cell(s.Reason))
		}
		b.WriteString("\n</details>\n")
	}
	return b.String()
}

func who(a mmsync.Action) string {
	if a.DisplayName != "" && a.Email != "" {
		return a.DisplayName + " <" + a.Email + ">"
	}
	if a.Email != "" {
		return a.Email
	}
	return a.DisplayName
}

func whoSkip(s mmsync.Skip) string {
	switch {
	case s.DisplayName != "" && s.Email != "":
		return s.DisplayName + " <" + s.Email + ">"
	case s.Email != "":
		return s.Email
	case s.DisplayName != "":
		return s.DisplayName + " (" + s.EntraID + ")"
	}
	return s.EntraID
}

// cell makes text safe inside a Markdown table cell: directory data can hold
// pipes, backticks, HTML and newlines, none of which may escape the cell.
func cell(s string) string {
	if len(s) > 300 {
		s = truncateRunes(s, 300) + "…"
	}
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '|':
			b.WriteString("\\|")
		case '\n', '\r', '\t':
			b.WriteByte(' ')
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '`', '*', '_', '[', ']', '\\', '#', '~':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			if r < 0x20 || r == 0x7f {
				continue
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}

// code renders an identifier in a code span; identifiers never contain
// backticks, but directory data might, so those are dropped.
func code(s string) string {
	if s == "" {
		return ""
	}
	s = strings.NewReplacer("`", "", "|", "", "\n", " ", "\r", " ").Replace(s)
	return "`" + s + "`"
}

func truncateRunes(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}
