//go:build unix

package report

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
)

// A Docker action runs as root and writes the report into runner.temp,
// which the runner's user owns: the report becomes that user's, still 0600,
// so that upload-artifact (run as that user) can read it.
func TestWriteJSONAsRootGivesTheReportToTheDirectoryOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, as a Docker action runs")
	}
	const runnerUID, runnerGID = 1001, 121 // GitHub's hosted runner: runner, docker
	dir := t.TempDir()
	if err := os.Chown(dir, runnerUID, runnerGID); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "entra-mattermost-sync-report.json")
	if err := New(&mmsync.Plan{}, nil, true).WriteJSON(path); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st := fi.Sys().(*syscall.Stat_t); st.Uid != runnerUID || st.Gid != runnerGID || fi.Mode().Perm() != 0o600 {
		t.Errorf("owner %d:%d mode %v, want %d:%d 0600", st.Uid, st.Gid, fi.Mode().Perm(), runnerUID, runnerGID)
	}
}
