package report

import (
	"os"
	"path/filepath"
)

// DefaultFileName is the report's file name when report-path is empty.
const DefaultFileName = "entra-mattermost-sync-report.json"

// DefaultPath is where the report goes when report-path is empty:
// DefaultFileName in the job's temporary directory, RUNNER_TEMP, when that
// is set and is a directory here, else in the working directory.
//
// Why RUNNER_TEMP: the runner empties it at the start and end of every job,
// whereas the working directory of an action is the workspace, often a
// checked-out repository, where a file naming people can be committed or
// swept into an artifact. In a Docker action RUNNER_TEMP is /github/runner_temp,
// the runner's temporary directory mounted into the container (actions/runner
// pull request 4011, always on since pull request 4163, 2025-12). On older
// runners RUNNER_TEMP names the host's directory, which the container does not
// have; writing there would put the report in the container's own file system,
// gone with the container, so the working directory is used instead.
func DefaultPath(getenv func(string) string) string {
	if dir := getenv("RUNNER_TEMP"); dir != "" {
		if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
			return filepath.Join(dir, DefaultFileName)
		}
	}
	return DefaultFileName
}
