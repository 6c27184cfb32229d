// Package report turns a plan and its results into what people and machines
// read: counts, the job summary, the terminal rendering and the JSON report.
package report

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
)

// Counts are the step outputs and the team and channel membership changes. Every field
// is always present. The JSON names are a contract twice over: the JSON
// report's and the webhook payload's "counts" (webhook.Payload); receivers
// such as n8n workflows read them by name.
type Counts struct {
	Created     int `json:"created"`
	Updated     int `json:"updated"`
	Deactivated int `json:"deactivated"`
	Reactivated int `json:"reactivated"`
	Unchanged   int `json:"unchanged"`
	Skipped     int `json:"skipped"`
	Failed      int `json:"failed"`
	// Conflicts are changes another account's address blocks (a step output).
	Conflicts int `json:"conflicts"`
	// NotAttempted are writes never sent (Mattermost unavailable, run cancelled).
	NotAttempted int `json:"not_attempted"`
	// Released are deactivated leavers' addresses moved to a placeholder.
	Released int `json:"released"`
	// Team membership changes are reported, not step outputs.
	TeamAdded   int `json:"team_added"`
	TeamRemoved int `json:"team_removed"`
	// Channel membership changes, likewise.
	ChannelAdded   int `json:"channel_added"`
	ChannelRemoved int `json:"channel_removed"`
	// Onboarded are people told how to sign in (onboarding input): a step
	// output.
	Onboarded int `json:"onboarded"`
	// ChangedSincePlan and NotInApprovedPlan are, with apply-plan, the
	// changes left out (sync.LeftChanged, sync.LeftNotApproved): step
	// outputs.
	ChangedSincePlan  int `json:"changed_since_plan"`
	NotInApprovedPlan int `json:"not_in_approved_plan"`
}

// FormatVersion is the JSON report's "format" member, its first: the version
// of its shape, described by docs/report.schema.json. It changes only when a
// member is renamed, removed or changes meaning (a major release); members
// added to the report's lists' elements do not change it, so readers ignore
// members they do not know.
const FormatVersion = 1

// Report is one run: what was planned, what happened, and the context an
// administrator needs to read it later. Its JSON form (MarshalJSON,
// EncodeJSON) starts with "format" (FormatVersion) and never holds null for
// a list: an empty list is [] or, for the optional ones, absent.
type Report struct {
	Status        string            `json:"status"` // success, failure, dry-run
	DryRun        bool              `json:"dry_run"`
	StartedAt     time.Time         `json:"started_at"`
	FinishedAt    time.Time         `json:"finished_at"`
	ServerVersion string            `json:"mattermost_version,omitempty"`
	DirectorySize int               `json:"directory_users"`
	AccountsSeen  int               `json:"mattermost_accounts"`
	Counts        Counts            `json:"counts"`
	Managed       int               `json:"managed_accounts"`
	OutOfScope    int               `json:"out_of_scope"`
	Results       []mmsync.Result   `json:"changes"`
	Skipped       []mmsync.Skip     `json:"skipped"`
	Conflicts     []mmsync.Conflict `json:"conflicts"`
	// Withheld are deactivations and releases the threshold stopped,
	// WithheldRemovals the membership removals max-removals stopped, Blocked
	// the creates and reactivations beyond the server's user limit; none was
	// tried.
	Withheld         []mmsync.Action `json:"withheld_deactivations,omitempty"`
	WithheldRemovals []mmsync.Action `json:"withheld_removals,omitempty"`
	Blocked          []mmsync.Action `json:"blocked_by_user_limit,omitempty"`
	Error            string          `json:"error,omitempty"`
	// Broken are the mapping lines that did not resolve (frozen in this
	// run); ResolvedGroups the groups named by display name, with the
	// object id each resolved to.
	Broken         []mmsync.BrokenMapping `json:"broken_mappings,omitempty"`
	ResolvedGroups []mmsync.ResolvedGroup `json:"resolved_groups,omitempty"`
	// ScopeInputs are the scope inputs in effect, as the terminal names
	// them after the out-of-scope count ("groups", "include-guests: false").
	ScopeInputs []string `json:"-"`
	// ApprovedPlan is set when the run applied a saved plan (apply-plan).
	ApprovedPlan *ApprovedPlan `json:"approved_plan,omitempty"`
}

// MarshalJSON encodes the report as EncodeJSON does: "format" first, and an
// empty list as [] rather than null.
func (r *Report) MarshalJSON() ([]byte, error) {
	type plain Report // Report's fields without this method
	p := plain(*r)
	p.Results, p.Skipped, p.Conflicts = orEmpty(p.Results), orEmpty(p.Skipped), orEmpty(p.Conflicts)
	return json.Marshal(struct {
		Format int `json:"format"`
		plain
	}{FormatVersion, p})
}

// orEmpty returns list, or an empty list for nil: the report's lists are
// never null.
func orEmpty[T any](list []T) []T {
	if list == nil {
		return []T{}
	}
	return list
}

// New builds a report from a plan and, unless dry-run, the results of
// applying it. In a dry-run the counts are what would happen.
func New(plan *mmsync.Plan, results []mmsync.Result, dryRun bool) *Report {
	r := &Report{DryRun: dryRun, Skipped: plan.Skipped, Conflicts: plan.Conflicts, Withheld: plan.Withheld,
		WithheldRemovals: plan.WithheldRemovals, Blocked: plan.Blocked, Managed: plan.Managed,
		Broken: plan.Broken, ResolvedGroups: plan.ResolvedGroups}
	if r.Skipped == nil {
		r.Skipped = []mmsync.Skip{}
	}
	if r.Conflicts == nil {
		r.Conflicts = []mmsync.Conflict{}
	}
	var errs []string
	for _, e := range []string{plan.StopError, plan.ThresholdError, plan.RemovalError, plan.CapacityError} {
		if e != "" {
			errs = append(errs, e)
		}
	}
	if n := len(plan.Broken); n > 0 {
		errs = append(errs, fmt.Sprintf("%d mapping entries or lines did not resolve or read empty; their memberships were left as they are (see broken_mappings).", n))
	}
	if plan.ScopeUnknown != "" {
		errs = append(errs, "The scope is unknown ("+plan.ScopeUnknown+" did not resolve or read empty): nobody was created or treated as having left the scope.")
	}
	r.Error = strings.Join(errs, " ")
	r.Counts.Skipped = len(plan.Skipped)
	r.Counts.Conflicts = len(plan.Conflicts)
	r.Counts.Unchanged = plan.Unchanged
	applied := results
	if dryRun {
		results = make([]mmsync.Result, len(plan.Actions))
		for i, a := range plan.Actions {
			results[i] = mmsync.Result{Action: a, Status: "planned"}
		}
	}
	r.Results = results
	byKind := r.Counts.byKind()
	for _, res := range results {
		switch res.Status {
		case mmsync.StatusFailed:
			r.Counts.Failed++
			continue
		case mmsync.StatusNotAttempted:
			r.Counts.NotAttempted++
			continue
		}
		switch {
		case res.Pending && len(res.Changes) == 1:
			// Only the address was asked for, and Mattermost waits for the
			// user to verify it: nothing changed yet.
			r.Counts.Skipped++
		case res.Status == mmsync.StatusAdopted:
			r.Counts.Updated++
		default:
			if n := byKind[res.Kind]; n != nil {
				*n++
			}
		}
	}
	// Users the plan could not serve count as failed: the admin must act.
	r.Counts.Failed += len(plan.Blocked)
	// The status is the planner's verdict (mmsync.Outcome), the exit
	// code's too: a dry run's planned results are not its results.
	status, _ := mmsync.Outcome(plan, applied, dryRun)
	r.Status = string(status)
	return r
}

// byKind maps each kind of action to the count a done (or, in a dry run,
// planned) action of that kind adds to.
func (c *Counts) byKind() map[mmsync.Kind]*int {
	return map[mmsync.Kind]*int{
		mmsync.KindCreate: &c.Created, mmsync.KindUpdate: &c.Updated,
		mmsync.KindDeactivate: &c.Deactivated, mmsync.KindRelease: &c.Released,
		mmsync.KindReactivate: &c.Reactivated, mmsync.KindOnboard: &c.Onboarded,
		mmsync.KindTeamAdd: &c.TeamAdded, mmsync.KindTeamRemove: &c.TeamRemoved,
		mmsync.KindChannelAdd: &c.ChannelAdded, mmsync.KindChannelRemove: &c.ChannelRemoved,
	}
}

// Attention is how many conflicts and skips an administrator must look at
// (each is also a warning annotation): a run with any is not a silent
// success, though it did what it could.
func (r *Report) Attention() int {
	n := len(r.Conflicts)
	for _, s := range r.Skipped {
		if s.Attention {
			n++
		}
	}
	if a := r.ApprovedPlan; a != nil {
		// Changes left out of an approved plan wait for a new approval.
		n += len(a.ChangedSincePlan) + len(a.NotInApprovedPlan)
	}
	return n
}

// Failures returns the failed results, and those never attempted.
func (r *Report) Failures() []mmsync.Result {
	var out []mmsync.Result
	for _, res := range r.Results {
		if res.Status == mmsync.StatusFailed || res.Status == mmsync.StatusNotAttempted {
			out = append(out, res)
		}
	}
	return out
}

// Outputs returns the step outputs by name.
func (r *Report) Outputs() map[string]string {
	c := r.Counts
	return map[string]string{
		"created": fmt.Sprint(c.Created), "updated": fmt.Sprint(c.Updated),
		"deactivated": fmt.Sprint(c.Deactivated), "reactivated": fmt.Sprint(c.Reactivated),
		"unchanged": fmt.Sprint(c.Unchanged), "skipped": fmt.Sprint(c.Skipped), "failed": fmt.Sprint(c.Failed + c.NotAttempted),
		"conflicts": fmt.Sprint(c.Conflicts), "onboarded": fmt.Sprint(c.Onboarded),
		"changed-since-plan": fmt.Sprint(c.ChangedSincePlan), "not-in-approved-plan": fmt.Sprint(c.NotInApprovedPlan),
	}
}

// OutputNames lists the step outputs in a stable order (action.yml's):
// the counts Outputs returns, then "report" and "plan", paths the caller sets.
func OutputNames() []string {
	return []string{"created", "updated", "deactivated", "reactivated", "unchanged", "skipped", "failed", "conflicts", "onboarded",
		"changed-since-plan", "not-in-approved-plan", "report", "plan"}
}

// SkipReasons groups skips by reason, most frequent first.
func SkipReasons(skips []mmsync.Skip) []ReasonCount {
	m := map[string]int{}
	for _, s := range skips {
		m[s.Reason]++
	}
	out := make([]ReasonCount, 0, len(m))
	for r, n := range m {
		out = append(out, ReasonCount{Reason: r, Count: n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Reason < out[j].Reason
	})
	return out
}

// ReasonCount is how many skips share one reason.
type ReasonCount struct {
	Reason string
	Count  int
}

func describe(res mmsync.Result) string {
	switch res.Kind {
	case mmsync.KindCreate:
		return fmt.Sprintf("new account %s", res.Username)
	case mmsync.KindUpdate:
		parts := make([]string, len(res.Changes))
		for i, c := range res.Changes {
			parts[i] = fmt.Sprintf("%s: %q → %q", c.Field, c.Old, c.New)
		}
		return strings.Join(parts, "; ")
	case mmsync.KindTeamAdd:
		return "join team " + res.Team
	case mmsync.KindTeamRemove:
		return "leave team " + res.Team
	case mmsync.KindChannelAdd:
		return "join channel " + place(res.Action) + " (" + res.Reason + ")"
	case mmsync.KindChannelRemove:
		return "leave channel " + place(res.Action) + " (" + res.Reason + ")"
	default:
		return res.Reason
	}
}

// place names where a membership change happens: "eng/on-call" for a
// channel (team/channel, the inputs' form), "team eng" for a team, "" for
// anything else.
func place(a mmsync.Action) string {
	switch {
	case a.Channel != "":
		return a.Team + "/" + a.Channel
	case a.Team != "":
		return "team " + a.Team
	}
	return ""
}
