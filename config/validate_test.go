package config

import (
	"testing"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/internal/redact"
)

// TestSafeURLIsBareURL: config's copy of redact.BareURL (config is a leaf
// and cannot import it) answers the same.
func TestSafeURLIsBareURL(t *testing.T) {
	for _, in := range []string{
		"https://user:pw@hooks.example.com/x/y?token=abc#frag",
		"  http://hooks.example.com  ",
		"ftp://files.example.com/a",
		"hooks.example.com/x",
		"/relative?sig=1",
		"http://[::1",
		"",
	} {
		if got, want := safeURL(in), redact.BareURL(in); got != want {
			t.Errorf("safeURL(%q) = %q, redact.BareURL = %q", in, got, want)
		}
	}
}
