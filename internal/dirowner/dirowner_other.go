//go:build !unix

package dirowner

import "os"

// Give is a no-op where files have no Unix owner.
func Give(*os.File, string) error { return nil }

// MkdirAll makes dir and its missing parents, mode 0700.
func MkdirAll(dir string) error { return os.MkdirAll(dir, 0o700) }
