//go:build !unix

package planfile

import "os"

// giveToDirOwner is a no-op where files have no Unix owner.
func giveToDirOwner(*os.File, string) error { return nil }

// mkdirGiven makes dir and its missing parents, mode 0700.
func mkdirGiven(dir string) error { return os.MkdirAll(dir, 0o700) }
