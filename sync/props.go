package sync

import "strings"

// SyncPropPrefix starts every props key the sync writes (its marks: the
// link, the creation, deactivation and pending-email records). Every other
// key belongs to the user or their client (customStatus, recent emojis, …),
// and the sync never changes one.
const SyncPropPrefix = "entra_"

// IsSyncProp reports whether a props key is one of the sync's own.
func IsSyncProp(key string) bool { return strings.HasPrefix(key, SyncPropPrefix) }

// syncProps returns the sync's own keys of props (IsSyncProp), as a new
// map; nil stays nil.
func syncProps(props map[string]string) map[string]string {
	if props == nil {
		return nil
	}
	own := make(map[string]string, len(props))
	for k, v := range props {
		if IsSyncProp(k) {
			own[k] = v
		}
	}
	return own
}

// rebaseProps returns the props map to store: the account's props as read
// just now, with the sync's own keys as the plan wants them (a key the plan
// does not have is removed) and every other key as it is now. Mattermost
// replaces props whole on patch (reference/mattermost-api.md §4.1), so
// sending the map read when the run started would undo what the user set in
// between. It returns nil when the result equals now: nothing to write.
func rebaseProps(now, want map[string]string) map[string]string {
	changed := false
	out := make(map[string]string, len(now)+len(want))
	for k, v := range now {
		if !IsSyncProp(k) {
			out[k] = v
			continue
		}
		if w, ok := want[k]; ok {
			out[k] = w
			changed = changed || w != v
		} else {
			changed = true
		}
	}
	for k, v := range want {
		if _, ok := now[k]; IsSyncProp(k) && !ok {
			out[k] = v
			changed = true
		}
	}
	if !changed {
		return nil
	}
	return out
}
