package entra

import "regexp"

// objectIDRE is an Entra ID object id: a GUID.
var objectIDRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// IsObjectID reports whether s has the form of an Entra ID object id (a
// GUID), as opposed to a display name. config checks the same form with
// its own expression, being a leaf.
func IsObjectID(s string) bool { return objectIDRE.MatchString(s) }
