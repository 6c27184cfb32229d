//go:build !unix

package planfile

import "os"

// giveToDirOwner is a no-op where files have no Unix owner.
func giveToDirOwner(*os.File, string) error { return nil }
