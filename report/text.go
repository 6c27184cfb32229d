package report

import (
	"fmt"
	"io"
	"strings"

	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
)

// WritePlan renders a plan the way Terraform does: one line per change, a
// sign for its kind, and old → new for every changed field. Dry-run prints
// exactly this.
func WritePlan(w io.Writer, plan *mmsync.Plan) {
	for _, g := range plan.ResolvedGroups {
		fmt.Fprintf(w, "Group %q resolved to object id %s.\n", g.Name, g.ObjectID)
	}
	for _, b := range plan.Broken {
		fmt.Fprintf(w, "Frozen: %s (%s) did not resolve or read empty; its memberships are left as they are.\n", b.Where(), b.Entry)
	}
	held := len(plan.Withheld) + len(plan.WithheldRemovals) + len(plan.Blocked)
	switch {
	case plan.StopError != "":
		fmt.Fprintln(w, "No plan: the read was refused (see the error below); nothing is changed.")
		return
	case len(plan.Actions) == 0 && held == 0 && len(plan.Conflicts) == 0:
		fmt.Fprintf(w, "No changes. Mattermost matches Entra ID (%d unchanged, %d skipped).\n", plan.Unchanged, len(plan.Skipped))
		return
	}
	fmt.Fprintf(w, "Plan: %d to create, %d to update, %d to deactivate, %d to reactivate, %d addresses to release (%d unchanged, %d skipped, %d conflicts)",
		plan.Count(mmsync.KindCreate), plan.Count(mmsync.KindUpdate), plan.Count(mmsync.KindDeactivate),
		plan.Count(mmsync.KindReactivate), plan.Count(mmsync.KindRelease), plan.Unchanged, len(plan.Skipped), len(plan.Conflicts))
	if add, rm := plan.Count(mmsync.KindTeamAdd), plan.Count(mmsync.KindTeamRemove); add+rm > 0 {
		fmt.Fprintf(w, "; %d team memberships to add, %d to remove", add, rm)
	}
	if add, rm := plan.Count(mmsync.KindChannelAdd), plan.Count(mmsync.KindChannelRemove); add+rm > 0 {
		fmt.Fprintf(w, "; %d channel memberships to add, %d to remove", add, rm)
	}
	if n := plan.Count(mmsync.KindOnboard); n > 0 {
		fmt.Fprintf(w, "; %d to onboard", n)
	}
	fmt.Fprint(w, ".\n")
	if held > 0 {
		fmt.Fprintf(w, "Held back by the rails (not applied): %d deactivations or releases (max-deactivations), %d removals (max-removals), %d creates or reactivations (user limit).\n",
			len(plan.Withheld), len(plan.WithheldRemovals), len(plan.Blocked))
	}
	if n := unverifiedAdoptions(plan); n > 0 {
		fmt.Fprintf(w, "Review: %d adoptions take accounts whose address Mattermost reports unverified (adopt-existing: any); anyone can type an address into their own profile, so check that each account marked ? is its person's.\n", n)
	}
	fmt.Fprintln(w)
	for _, a := range plan.Actions {
		writeAction(w, a)
	}
	for _, c := range plan.Conflicts {
		fmt.Fprintf(w, "  ! conflict        %-22s %s %s: %s\n", c.Username, c.Field, c.Value, oneLine(c.Reason))
	}
}

func writeAction(w io.Writer, a mmsync.Action) {
	sign := map[mmsync.Kind]string{mmsync.KindCreate: "+", mmsync.KindUpdate: "~", mmsync.KindDeactivate: "-",
		mmsync.KindReactivate: "^", mmsync.KindRelease: "-", mmsync.KindTeamAdd: "+", mmsync.KindTeamRemove: "-",
		mmsync.KindChannelAdd: "+", mmsync.KindChannelRemove: "-"}[a.Kind]
	if a.Kind == mmsync.KindTeamAdd || a.Kind == mmsync.KindTeamRemove {
		fmt.Fprintf(w, "  %s %-15s %-22s team %s\n", sign, a.Kind, a.Username, a.Team)
		return
	}
	if a.Kind == mmsync.KindOnboard {
		// "+ onboard  ann  <ann@contoso.com>  by graph-mail": who learns
		// how to sign in, and how.
		fmt.Fprintf(w, "  + %-15s %-22s <%s>  by %s\n", a.Kind, a.Username, a.Email, a.Method)
		if a.Reason != "" {
			fmt.Fprintf(w, "        because %s\n", oneLine(a.Reason))
		}
		return
	}
	if a.Kind == mmsync.KindChannelAdd || a.Kind == mmsync.KindChannelRemove {
		// The mapping line that caused it, as the plan shows it.
		fmt.Fprintf(w, "  %s %-15s %-22s %s (%s)\n", sign, a.Kind, a.Username, place(a), oneLine(a.Reason))
		return
	}
	if a.Unverified {
		sign = "?"
	}
	fmt.Fprintf(w, "  %s %-15s %-22s %s\n", sign, a.Kind, a.Username, oneLine(who(a)))
	if a.Unverified || a.Temporary {
		fmt.Fprintf(w, "        because %s\n", oneLine(a.Reason))
	}
	switch a.Kind {
	case mmsync.KindCreate:
		p := a.Profile
		for _, f := range [][2]string{{"nickname", p.Nickname}, {"first_name", p.FirstName}, {"last_name", p.LastName}, {"position", p.Position}} {
			if f[1] != "" {
				fmt.Fprintf(w, "        %-11s = %q\n", f[0], f[1])
			}
		}
	case mmsync.KindUpdate, mmsync.KindReactivate, mmsync.KindRelease:
		if a.Kind != mmsync.KindUpdate && a.Reason != "" {
			fmt.Fprintf(w, "        because %s\n", a.Reason)
		}
		for _, c := range a.Changes {
			fmt.Fprintf(w, "        %-11s %q → %q\n", c.Field, c.Old, c.New)
		}
	default:
		if a.Reason != "" {
			fmt.Fprintf(w, "        because %s\n", a.Reason)
		}
	}
}

// WriteText renders the report for a terminal. A dry run's line says what
// the run would do ("would create 3"): nothing was changed.
func (r *Report) WriteText(w io.Writer) {
	c := r.Counts
	if r.Status == string(mmsync.RunDryRun) {
		r.writeDryRunText(w)
		return
	}
	if r.Status == string(mmsync.RunFailure) && c == (Counts{}) && len(r.Results) == 0 {
		// A run stopped before it synced anyone (bad input, a failed
		// sign-in or read): a line of zero counts would read as a sync.
		fmt.Fprintln(w, "Stopped before syncing: see above.")
		r.approvalText(w)
		r.writeDetails(w)
		return
	}
	label := map[mmsync.RunStatus]string{mmsync.RunFailure: "Finished with failures", mmsync.RunSuccess: "Done"}[mmsync.RunStatus(r.Status)]
	if n := r.Attention(); n > 0 && r.Status == string(mmsync.RunSuccess) {
		label = fmt.Sprintf("Done (%d need attention, see the warnings)", n)
	}
	fmt.Fprintf(w, "%s: %d created, %d updated, %d deactivated, %d reactivated, %d unchanged, %d skipped, %d failed, %d conflicts",
		label, c.Created, c.Updated, c.Deactivated, c.Reactivated, c.Unchanged, c.Skipped, c.Failed, c.Conflicts)
	if c.NotAttempted > 0 {
		fmt.Fprintf(w, ", %d not attempted", c.NotAttempted)
	}
	if c.Released > 0 {
		fmt.Fprintf(w, ", %d addresses released", c.Released)
	}
	if c.Onboarded > 0 {
		fmt.Fprintf(w, ", %d onboarded", c.Onboarded)
	}
	if c.TeamAdded+c.TeamRemoved > 0 {
		fmt.Fprintf(w, "; %d team memberships added, %d removed", c.TeamAdded, c.TeamRemoved)
	}
	if c.ChannelAdded+c.ChannelRemoved > 0 {
		fmt.Fprintf(w, "; %d channel memberships added, %d removed", c.ChannelAdded, c.ChannelRemoved)
	}
	fmt.Fprintln(w, ".")
	r.approvalText(w)
	r.writeDetails(w)
}

// writeDryRunText is WriteText's summary line for a dry run: the counts are
// the plan's. It repeats the done line's walk over the counts in its own
// sentence ("would create 52", not "52 created"; issue 16): one template
// for both would need a verb table longer than the pair.
func (r *Report) writeDryRunText(w io.Writer) {
	c := r.Counts
	fmt.Fprintf(w, "Dry run: nothing was changed. The run would create %d, update %d, deactivate %d, reactivate %d",
		c.Created, c.Updated, c.Deactivated, c.Reactivated)
	if c.Released > 0 {
		fmt.Fprintf(w, ", release %d addresses", c.Released)
	}
	if c.Onboarded > 0 {
		fmt.Fprintf(w, ", onboard %d", c.Onboarded)
	}
	if c.TeamAdded+c.TeamRemoved > 0 {
		fmt.Fprintf(w, "; add %d team memberships and remove %d", c.TeamAdded, c.TeamRemoved)
	}
	if c.ChannelAdded+c.ChannelRemoved > 0 {
		fmt.Fprintf(w, "; add %d channel memberships and remove %d", c.ChannelAdded, c.ChannelRemoved)
	}
	fmt.Fprintf(w, " (%d unchanged, %d skipped, %d conflicts", c.Unchanged, c.Skipped, c.Conflicts)
	if c.Failed > 0 {
		fmt.Fprintf(w, ", %d it could not serve", c.Failed)
	}
	fmt.Fprintln(w, ").")
	r.writeDetails(w)
}

// writeDetails follows the summary line: who is out of scope and by which
// inputs, the skips by reason, the failures.
func (r *Report) writeDetails(w io.Writer) {
	if r.OutOfScope > 0 {
		fmt.Fprintf(w, "%d directory users are out of scope", r.OutOfScope)
		if len(r.ScopeInputs) > 0 {
			fmt.Fprintf(w, " (in effect: %s)", strings.Join(r.ScopeInputs, ", "))
		}
		fmt.Fprintln(w, ".")
	}
	if reasons := SkipReasons(r.Skipped); len(reasons) > 0 {
		fmt.Fprintln(w, "Skipped:")
		for _, rc := range reasons {
			fmt.Fprintf(w, "  %4d  %s\n", rc.Count, rc.Reason)
		}
	}
	if fails := r.Failures(); len(fails) > 0 {
		fmt.Fprintln(w, "Failures:")
		for i, f := range fails {
			if i == 50 {
				fmt.Fprintf(w, "  …and %d more in the JSON report\n", len(fails)-50)
				break
			}
			fmt.Fprintf(w, "  %s %s: %s\n", f.Kind, oneLine(who(f.Action)), oneLine(f.Error))
		}
	}
}

func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

// unverifiedAdoptions counts the plan's adoptions of accounts whose address
// is not verified, for the review line.
func unverifiedAdoptions(plan *mmsync.Plan) int {
	n := 0
	for i := range plan.Actions {
		if plan.Actions[i].Unverified {
			n++
		}
	}
	return n
}
