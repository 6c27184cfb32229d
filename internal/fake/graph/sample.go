package fakegraph

import _ "embed"

// sampleTenant is a synthetic 60-user tenant with the quirks real
// directories have: numeric mailboxes, diacritics, guests, accounts without
// mail (the same file the package's own tests read).
//
//go:embed testdata/tenant-60.json
var sampleTenant []byte

// SampleTenant returns the JSON of the demo's 60-user tenant, in the shape
// ParseTenant reads; the caller owns the copy.
func SampleTenant() []byte { return append([]byte(nil), sampleTenant...) }
