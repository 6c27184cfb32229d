//go:build unix

package planfile

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// A Docker action runs as root and writes into runner.temp, which the
// runner's user owns: the plan becomes that user's, still 0600, so that
// upload-artifact (run as that user) can read it.
func TestWriteAsRootGivesThePlanToTheDirectoryOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, as a Docker action runs")
	}
	const runnerUID, runnerGID = 1001, 121 // GitHub's hosted runner: runner, docker
	dir := t.TempDir()
	if err := os.Chown(dir, runnerUID, runnerGID); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "sync-plan.json")
	if err := Write(path, sample(2), key); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if st.Uid != runnerUID || st.Gid != runnerGID || fi.Mode().Perm() != 0o600 {
		t.Errorf("owner %d:%d mode %v, want %d:%d 0600", st.Uid, st.Gid, fi.Mode().Perm(), runnerUID, runnerGID)
	}
	// A directory the plan needs is made the runner's too: a root-owned
	// 0700 one would hide the plan from it.
	deep := filepath.Join(dir, "plans", "nightly", "sync-plan.json")
	if err := Write(deep, sample(2), key); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(dir, "plans"), filepath.Dir(deep), deep} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st := fi.Sys().(*syscall.Stat_t); st.Uid != runnerUID || st.Gid != runnerGID {
			t.Errorf("%s is %d:%d, want the runner's %d:%d", p, st.Uid, st.Gid, runnerUID, runnerGID)
		}
	}
	// In a directory root owns, the plan stays root's.
	own := filepath.Join(t.TempDir(), "plan.json")
	if err := Write(own, sample(2), key); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(own); fi.Sys().(*syscall.Stat_t).Uid != 0 {
		t.Error("a plan in root's directory was given away")
	}
}
