package sync

// RunStatus is how a run ends, as the report, the job summary and the
// webhook say it.
type RunStatus string

// The run statuses.
const (
	RunSuccess RunStatus = "success"
	RunFailure RunStatus = "failure"
	RunDryRun  RunStatus = "dry-run"
)

// Outcome is how a run with plan p and the applied results ends. Failed
// (exit code 1) when an action failed or was not attempted, a person was
// blocked by the server's user limit, or the plan itself stopped part of
// the work (Plan.Failed): each needs an administrator, and a run that does
// never ends as a silent success. A dry run has no results and fails
// exactly when the real run's plan would; its status is RunDryRun.
func Outcome(p *Plan, results []Result, dryRun bool) (status RunStatus, failed bool) {
	failed = len(p.Blocked) > 0 || p.Failed()
	for _, r := range results {
		if r.Status == StatusFailed || r.Status == StatusNotAttempted {
			failed = true
		}
	}
	switch {
	case dryRun:
		return RunDryRun, failed
	case failed:
		return RunFailure, true
	}
	return RunSuccess, false
}
