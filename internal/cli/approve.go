package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/config"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/planfile"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/report"
	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
)

// Approve, then apply (issue 17): a run writes its plan with plan-out; a
// later run applies it with apply-plan. The decisions are sync's
// (sync.ApproveOnly, sync.CountRails); the file is planfile's; this file
// wires them into the run.

// planRun is what a run knows about saved plans before it reads anything.
type planRun struct {
	// inputs are the run's decision inputs (config.SavedInputs), for
	// plan-out.
	inputs map[string]string
	// approved is the saved plan apply-plan names, verified; nil without
	// apply-plan.
	approved *planfile.File
	// ignored are this run's decision inputs that differed from the saved
	// plan's.
	ignored []string
	// toolVersion is this program's version: a saved plan records it, and
	// apply-plan needs the same.
	toolVersion string
}

// loadApproved reads apply-plan and refuses it, before any network call,
// when its signature does not verify under link-key, it was made by
// another version, for another mattermost-url or tenant, or longer ago than
// plan-max-age, or when this run's max-deactivations or max-removals do
// not allow its counts. It then takes the decision inputs from the plan:
// the returned config is the one to run with.
func loadApproved(vals map[string]string, cfg *settings, now time.Time, version string) (*settings, *planRun, error) {
	pr := &planRun{inputs: config.SavedInputs(vals), toolVersion: version}
	if cfg.ApplyPlan == "" {
		return cfg, pr, nil
	}
	f, err := planfile.Read(cfg.ApplyPlan)
	if err != nil {
		return cfg, nil, fmt.Errorf("input apply-plan: %w", err)
	}
	if err := f.Verify(cfg.LinkKeys); err != nil {
		return cfg, nil, fmt.Errorf("input apply-plan: %s: %w", cfg.ApplyPlan, err)
	}
	if err := f.Check(planfile.Expect{ToolVersion: version, ServerURL: cfg.MattermostURL, TenantID: cfg.TenantID, Now: now, MaxAge: cfg.PlanMaxAge}); err != nil {
		return cfg, nil, fmt.Errorf("input apply-plan: %s: %w", cfg.ApplyPlan, err)
	}
	// The rails are this run's (the approver states the count): refused
	// here, before any request, like the plan itself.
	if err := checkApprovedRails(f, cfg); err != nil {
		return cfg, nil, err
	}
	pr.ignored = config.TakeDecisions(vals, f.Inputs)
	applied, err := loadSettings(vals)
	if err != nil {
		return cfg, nil, fmt.Errorf("input apply-plan: the inputs taken from the saved plan are not valid in this run "+
			"(an onboarding-template must be at the same path as in the run that made the plan): %w", err)
	}
	pr.approved, pr.inputs = f, config.SavedInputs(vals)
	return applied, pr, nil
}

// checkApprovedRails refuses to apply a saved plan whose counts this run's
// max-deactivations or max-removals do not allow: the approver states the
// number rather than lifting the rail.
func checkApprovedRails(f *planfile.File, cfg *settings) error {
	for _, r := range f.Rails {
		t := cfg.MaxDeactivations
		if r.Rail == mmsync.RailRemovals {
			t = cfg.MaxRemovals
		}
		if !r.AllowedBy(t) {
			return fmt.Errorf("input %s: the approved plan makes %d of the changes %s counts, and this run's %s is %s, which allows %d (of %d); "+
				"nothing was changed. To apply exactly the approved plan, state its count: `%s: %d` (see the README, Approve, then apply)",
				r.Rail, r.Planned, r.Rail, r.Rail, t, t.Limit(r.Base), r.Base, r.Rail, r.Planned)
		}
	}
	return nil
}

// savePlan writes plan-out: full is the plan made without the rails (the
// run's own plan when no rail stopped it), railed the run's plan (its
// withheld actions are listed for the reviewer), opts the options with the
// run's rails.
//
// It returns the rails the plan exceeds, for the run to tell the approver
// the count to state.
func savePlan(cfg *settings, pr *planRun, made time.Time, server planfile.Server, full, railed *mmsync.Plan, observed mmsync.Observed, opts mmsync.Options) ([]mmsync.RailCount, error) {
	f := &planfile.File{
		Format: planfile.FormatVersion, ToolVersion: pr.toolVersion, MadeAt: made, Mattermost: server, TenantID: cfg.TenantID,
		Inputs: pr.inputs, Rails: mmsync.CountRails(full, observed, opts),
		Actions: planfile.Record(full.Actions), Blocked: full.Blocked,
	}
	if w := append(append([]mmsync.Action{}, railed.Withheld...), railed.WithheldRemovals...); len(w) > 0 {
		f.Withheld = planfile.Record(w)
	}
	if err := planfile.Write(cfg.PlanOut, f, cfg.LinkKeys[0]); err != nil {
		return nil, fmt.Errorf("input plan-out: %w", err)
	}
	var exceeded []mmsync.RailCount
	for _, r := range f.Rails {
		if r.Exceeded {
			exceeded = append(exceeded, r)
		}
	}
	return exceeded, nil
}

// railHint points a run stopped by a rail to the way through it.
func railHint(cfg *settings) string {
	if cfg.ApplyPlan != "" {
		return ""
	}
	return " To make exactly these changes after a review, save the plan with plan-out (a dry run) and apply that file with apply-plan, " +
		"stating the count the plan shows (README: Approve, then apply)"
}

// approvalReport is the report's record of an applied saved plan.
func approvalReport(cfg *settings, pr *planRun, ap mmsync.Approval) *report.ApprovedPlan {
	return &report.ApprovedPlan{Path: cfg.ApplyPlan, MadeAt: pr.approved.MadeAt, Approved: ap.Approved,
		ChangedSincePlan: ap.Changed, NotInApprovedPlan: ap.NotApproved, IgnoredInputs: pr.ignored}
}

// savedPlanSummary is the job summary's note on a saved plan, for the
// person who approves it: what it holds and, past a rail, the count to
// state.
func savedPlanSummary(path string, changes int, exceeded []mmsync.RailCount) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### Saved plan\n\nThis run's plan (%d changes, the ones above", changes)
	if len(exceeded) > 0 {
		b.WriteString(" and those the rails withheld")
	}
	fmt.Fprintf(&b, ") is saved in `%s`, signed. Approving it and applying it with `apply-plan` makes exactly those changes that still hold then.\n\n", path)
	if changes > report.MaxChangeRows {
		// The tables above stop at report.MaxChangeRows rows: a reviewer must
		// know the rest is there, and where.
		fmt.Fprintf(&b, "The tables above show at most %d changes each; the plan file (the artifact the workflow keeps) and the JSON report list all %d: read them before approving.\n\n", report.MaxChangeRows, changes)
	}
	for _, r := range exceeded {
		fmt.Fprintf(&b, "- It makes %d changes that `%s` counts, more than this run's `%s` allows: apply it with `%s: %d`.\n", r.Planned, r.Rail, r.Threshold, r.Rail, r.Planned)
	}
	return b.String()
}
