package cli

import (
	"strings"
	"testing"

	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
)

// The reviewer of a plan longer than the summary's tables is told that the
// rest is in the plan file, and the count to state past a rail.
func TestSavedPlanSummaryForTheReviewer(t *testing.T) {
	s := savedPlanSummary("/github/runner_temp/sync-plan.json", 250, []mmsync.RailCount{{Rail: mmsync.RailDeactivations, Planned: 37, Threshold: "10%", Exceeded: true}})
	for _, want := range []string{"250 changes", "list all 250", "`max-deactivations: 37`", "/github/runner_temp/sync-plan.json"} {
		if !strings.Contains(s, want) {
			t.Errorf("the summary lacks %q:\n%s", want, s)
		}
	}
	if s := savedPlanSummary("p.json", 12, nil); strings.Contains(s, "list all") {
		t.Errorf("a short plan is said to be longer than the summary:\n%s", s)
	}
}
