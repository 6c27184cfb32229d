//go:build unix

// Package dirowner writes files and directories that belong to the owner
// of the directory they are in, when this process runs as root: a Docker
// action runs as root, and the runner mounts its temporary directory
// (runner.temp, /github/runner_temp in the container) owned by the runner's
// user, so a root-owned 0600 file there is one the next step
// (upload-artifact, run as that user) cannot read (EACCES;
// actions/runner#1282). The JSON report and the saved plan use it, and
// its WriteFile, which writes a file whole or not at all.
package dirowner

import (
	"os"
	"path/filepath"
	"syscall"
)

// Give hands f to the owner of dir, the directory it is in, when this
// process runs as root and dir is someone else's. f's mode stays as it is
// (0600: only the directory's owner reads it).
func Give(f *os.File, dir string) error {
	uid, gid, ok, err := otherOwner(dir)
	if !ok {
		return err
	}
	return f.Chown(uid, gid)
}

// otherOwner is the user and group owning dir when this process runs as
// root and dir is not root's; ok is false when there is nobody to hand
// anything to (or err says why dir could not be read).
func otherOwner(dir string) (uid, gid int, ok bool, err error) {
	if os.Geteuid() != 0 {
		return 0, 0, false, nil
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return 0, 0, false, err
	}
	st, isUnix := fi.Sys().(*syscall.Stat_t)
	if !isUnix || st.Uid == 0 {
		return 0, 0, false, nil
	}
	return int(st.Uid), int(st.Gid), true, nil
}

// MkdirAll makes dir (mode 0700) and the parents it lacks, each the
// owner's of the nearest directory that exists, when this process runs as
// root and that directory is someone else's: a root-owned 0700 directory
// under runner.temp is one the runner's user cannot enter, whoever owns the
// file inside.
func MkdirAll(dir string) error {
	var made []string
	top := dir
	for {
		if _, err := os.Stat(top); err == nil {
			break
		}
		parent := filepath.Dir(top)
		if parent == top {
			break
		}
		made, top = append(made, top), parent
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if len(made) == 0 {
		return nil
	}
	uid, gid, ok, err := otherOwner(top)
	if !ok {
		return err
	}
	for _, d := range made {
		if err := os.Chown(d, uid, gid); err != nil {
			return err
		}
	}
	return nil
}
