package report

import (
	"fmt"
	"io"
	"strings"
	"time"

	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
)

// ApprovedPlan is what a run that applied a saved plan (apply-plan) did with
// it: how many of its actions it held, and the actions left out, each list
// with its reason (sync.LeftChanged, sync.LeftNotApproved).
type ApprovedPlan struct {
	Path     string    `json:"path"`
	MadeAt   time.Time `json:"made_at"`
	Approved int       `json:"approved"`
	// ChangedSincePlan are approved actions not applied, as approved.
	ChangedSincePlan []mmsync.Action `json:"changed_since_plan"`
	// NotInApprovedPlan are actions this run planned that the saved plan
	// does not hold, as this run planned them.
	NotInApprovedPlan []mmsync.Action `json:"not_in_approved_plan"`
	// IgnoredInputs are this run's inputs that differed from the saved
	// plan's and were ignored (the plan's were used).
	IgnoredInputs []string `json:"ignored_inputs,omitempty"`
}

// SetApproval records what applying a saved plan left out, in the report
// and its counts.
func (r *Report) SetApproval(a *ApprovedPlan) {
	if a.ChangedSincePlan == nil {
		a.ChangedSincePlan = []mmsync.Action{}
	}
	if a.NotInApprovedPlan == nil {
		a.NotInApprovedPlan = []mmsync.Action{}
	}
	r.ApprovedPlan = a
	r.Counts.ChangedSincePlan = len(a.ChangedSincePlan)
	r.Counts.NotInApprovedPlan = len(a.NotInApprovedPlan)
}

// approvalMarkdown is the summary's paragraph on an applied saved plan.
func (r *Report) approvalMarkdown(b *strings.Builder) {
	a := r.ApprovedPlan
	if a == nil {
		return
	}
	fmt.Fprintf(b, "**Approved plan** made %s: %d approved changes; %d %s, %d %s (neither was made).\n\n",
		a.MadeAt.UTC().Format(time.RFC3339), a.Approved, len(a.ChangedSincePlan), mmsync.LeftChanged, len(a.NotInApprovedPlan), mmsync.LeftNotApproved)
	for _, l := range []struct {
		what    string
		actions []mmsync.Action
	}{{mmsync.LeftChanged, a.ChangedSincePlan}, {mmsync.LeftNotApproved, a.NotInApprovedPlan}} {
		if len(l.actions) == 0 {
			continue
		}
		fmt.Fprintf(b, "<details><summary>%d %s</summary>\n\n| change | user | account |\n|---|---|---|\n", len(l.actions), l.what)
		for i, act := range l.actions {
			if i == MaxChangeRows {
				fmt.Fprintf(b, "| … %d more in the JSON report | | |\n", len(l.actions)-i)
				break
			}
			fmt.Fprintf(b, "| %s | %s | %s |\n", cell(string(act.Kind)+" "+place(act)), cell(act.Email), cell(act.Username))
		}
		b.WriteString("\n</details>\n\n")
	}
	if len(a.IgnoredInputs) > 0 {
		fmt.Fprintf(b, "Inputs taken from the saved plan instead of this run's: %s.\n\n", strings.Join(a.IgnoredInputs, ", "))
	}
}

// approvalText is the terminal's line on an applied saved plan.
func (r *Report) approvalText(w io.Writer) {
	if a := r.ApprovedPlan; a != nil {
		fmt.Fprintf(w, "Approved plan (%d changes): %d %s, %d %s; neither was made.\n",
			a.Approved, len(a.ChangedSincePlan), mmsync.LeftChanged, len(a.NotInApprovedPlan), mmsync.LeftNotApproved)
	}
}
