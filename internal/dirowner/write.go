package dirowner

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// WriteFile writes path whole or not at all, mode 0600 whatever the umask,
// and given to the owner of its directory (Give): write fills a temporary
// file in path's directory, which is synced and renamed over path, so a
// crash or a full disk never leaves half a file, nor replaces the last good
// one with one. path's directory must exist (MkdirAll). The errors are the
// file system's, for the caller to say what it was writing.
func WriteFile(path string, write func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	// os.CreateTemp opens with mode 0600, which the umask can only narrow.
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	if err := Give(f, dir); err != nil {
		return fmt.Errorf("give it to the owner of %s: %w", dir, err)
	}
	if err := write(f); err != nil {
		return err
	}
	// Sync before rename: otherwise a power loss can leave the new name
	// pointing at a file whose data never reached the disk.
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
