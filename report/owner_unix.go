//go:build unix

package report

import (
	"os"
	"syscall"
)

// giveToDirOwner hands f (the JSON report) to the owner of the directory
// it is in, when this process runs as root and the directory is someone
// else's. A Docker action
// runs as root, and the runner mounts its temporary directory
// (runner.temp, /github/runner_temp in the container) owned by the runner's
// user: a root-owned 0600 file there is one the next step, upload-artifact
// running as that user, cannot read (EACCES; actions/runner#1282). The
// mode stays 0600: only the directory's owner reads the report. A copy of
// planfile's: both sit on one floor, and neither imports the other.
func giveToDirOwner(f *os.File, dir string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || st.Uid == 0 {
		return nil
	}
	return f.Chown(int(st.Uid), int(st.Gid))
}
