//go:build !unix

package report

import "os"

// giveToDirOwner is a no-op where files have no Unix owner.
func giveToDirOwner(*os.File, string) error { return nil }
