package mattermost

import "strings"

// ServerVersion extracts the release from an X-Version-Id header, which
// Mattermost fills as "<version>.<build number>.<config hash>.<licensed>"
// (server/channels/web/handlers.go): the version is always three numbers,
// the build number may be empty or hold dots itself. Seen on real servers
// (reference/mattermost-api.md §10):
//
//	5.36.1.5.36.1.94a77aa8d1f6a406c9fabb558a941d5a.false → 5.36.1
//	11.4.0..<hash>.false                                 → 11.4.0
//
// ok is false when the header does not start with three dot-separated
// numbers (a proxy's header, an empty one).
func ServerVersion(xVersionID string) (version string, ok bool) {
	parts := strings.SplitN(strings.TrimSpace(xVersionID), ".", 4)
	if len(parts) < 3 {
		return "", false
	}
	for _, p := range parts[:3] {
		if !isNumber(p) {
			return "", false
		}
	}
	return strings.Join(parts[:3], "."), true
}

// isNumber: 1 to 9 ASCII digits (no sign, no space; a version field).
// sync's decimal checks digits the same way with its own bound: a version
// field and a percentage are two grammars, and the planner imports no client.
func isNumber(s string) bool {
	if s == "" || len(s) > 9 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
