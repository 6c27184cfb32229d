package sync

import "testing"

func TestOutcome(t *testing.T) {
	done := Result{Status: StatusDone}
	for _, tt := range []struct {
		name    string
		plan    Plan
		results []Result
		dryRun  bool
		status  RunStatus
		failed  bool
	}{
		{"nothing to do", Plan{}, nil, false, RunSuccess, false},
		{"all done", Plan{}, []Result{done, {Status: StatusAdopted}}, false, RunSuccess, false},
		{"one failed", Plan{}, []Result{done, {Status: StatusFailed}}, false, RunFailure, true},
		{"one not attempted", Plan{}, []Result{{Status: StatusNotAttempted}, done}, false, RunFailure, true},
		{"blocked by the user limit", Plan{Blocked: []Action{{Kind: KindCreate}}}, []Result{done}, false, RunFailure, true},
		{"a rail stopped", Plan{ThresholdError: "too many"}, nil, false, RunFailure, true},
		{"a broken mapping", Plan{Broken: []BrokenMapping{{Input: InputTeams}}}, []Result{done}, false, RunFailure, true},
		{"dry run", Plan{}, nil, true, RunDryRun, false},
		{"dry run a rail would stop", Plan{RemovalError: "too many"}, nil, true, RunDryRun, true},
		{"dry run with blocked", Plan{Blocked: []Action{{Kind: KindReactivate}}}, nil, true, RunDryRun, true},
	} {
		status, failed := Outcome(&tt.plan, tt.results, tt.dryRun)
		if status != tt.status || failed != tt.failed {
			t.Errorf("%s: %s %v, want %s %v", tt.name, status, failed, tt.status, tt.failed)
		}
	}
}
