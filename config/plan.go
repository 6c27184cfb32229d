package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// The saved-plan inputs (issue 17, "Approve, then apply"): plan-out,
// apply-plan, plan-max-age.

// DefaultPlanMaxAge is plan-max-age's default.
const DefaultPlanMaxAge = "24h"

// DecisionInputs are the inputs that change what a run decides: a saved
// plan records them, and a run that applies it takes them from the plan,
// not from its own inputs. The rails (max-deactivations, max-removals) are
// not among them: the applying run states them (see sync.RailCount). Never a
// secret. onboarding-template is a path: the file is read by the applying
// run, from the same path.
func DecisionInputs() []string {
	return []string{"deactivate", "reactivate", "release-addresses", "adopt-existing", "instance", "claim-unnamed-links",
		"groups", "user-filter", "include-guests", "only-users", "username-from", "attribute-map",
		"teams", "group-teams", "remove-from-teams", "channels", "group-channels", "remove-from-channels",
		"manage-admins", "ignore-users", "onboarding", "onboard",
		// What a create and an onboarding send, and from which mailbox: an
		// apply job that names none (README) must not fail on a graph-mail
		// plan, nor mail from another mailbox than the approved one.
		"onboarding-sender", "onboarding-template", "welcome-email"}
}

// SavedInputs returns the decision inputs' raw values, for a saved plan.
func SavedInputs(vals map[string]string) map[string]string {
	out := make(map[string]string, len(DecisionInputs()))
	for _, name := range DecisionInputs() {
		out[name] = vals[name]
	}
	return out
}

// TakeDecisions sets the decision inputs in vals to a saved plan's values
// and returns the names of those this run gave otherwise (sorted), so that
// the run can say which of its inputs it ignored. An input the plan does
// not record keeps its default.
//
// An input this run leaves empty or at its default is not "given
// otherwise": the apply job of the README passes none of them, and the
// Actions runner passes action.yml's default for every input not named, so
// a run that merely did not repeat them would be warned of every one.
func TakeDecisions(vals, saved map[string]string) (ignored []string) {
	for _, name := range DecisionInputs() {
		def := defaultOf(name)
		v, ok := saved[name]
		if !ok {
			v = def
		}
		if run := normalize(vals[name]); run != normalize(v) && run != normalize(def) {
			ignored = append(ignored, name)
		}
		vals[name] = v
	}
	slices.Sort(ignored)
	return ignored
}

// normalize makes two spellings of one value compare equal: line endings
// and surrounding blanks.
func normalize(s string) string {
	return strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
}

// parsePlanInputs validates plan-out, apply-plan and plan-max-age.
func parsePlanInputs(c *Config, vals map[string]string, bad func(name, format string, args ...any)) {
	c.PlanOut, c.ApplyPlan = vals["plan-out"], vals["apply-plan"]
	if err := checkReportPath(c.PlanOut); err != nil {
		bad("plan-out", "%v", err)
	}
	if c.ApplyPlan != "" {
		if fi, err := os.Stat(c.ApplyPlan); err != nil {
			bad("apply-plan", "cannot read the saved plan: %v; give the path of the file a run with plan-out wrote (in a workflow, download its artifact first)", err)
		} else if fi.IsDir() {
			bad("apply-plan", "%q is a directory; give the saved plan's file, e.g. %s", c.ApplyPlan, filepath.Join(c.ApplyPlan, "plan.json"))
		}
		if c.PlanOut != "" && filepath.Clean(c.PlanOut) == filepath.Clean(c.ApplyPlan) {
			bad("plan-out", "is the same file as apply-plan; the approved plan must stay as it was approved, so write this run's plan elsewhere")
		}
	}
	d, err := time.ParseDuration(strings.TrimSpace(vals["plan-max-age"]))
	switch {
	case err != nil:
		bad("plan-max-age", "%q is not a duration such as 24h, 90m or 168h", vals["plan-max-age"])
	case d <= 0:
		bad("plan-max-age", "%q must be longer than zero", vals["plan-max-age"])
	}
	c.PlanMaxAge = d
}
