package sync

import (
	"slices"
	"strings"
)

// Listings can lag. user-filter is an advanced query, served from an index
// that trails the directory, and group member lists can trail too: a user
// missing from one may be enabled and still a member. So before anyone
// merely absent from a listing (not read as disabled or deleted) is
// deactivated or taken out of a team or channel, a direct read must
// confirm it. The planner stays pure: a first plan lists the departures it
// needs confirmed (Plan.Unconfirmed), the caller reads them (snapshot.Confirm)
// and plans again with the answers in Directory.Confirmed. A run whose
// listings show no departure makes no extra request.

// Departure is one user whose departure a direct read must confirm.
type Departure struct {
	EntraID     string `json:"entra_id"`
	DisplayName string `json:"display_name,omitempty"`
	// Scope: the user is missing from the scope's listings, and their
	// account would be deactivated as a leaver.
	Scope bool `json:"scope,omitempty"`
	// Groups are the object ids of the groups whose membership would keep
	// the user in a team or channel the plan removes them from.
	Groups []string `json:"groups,omitempty"`
}

// Confirmations are the answers of the direct reads, by lower-case object id.
type Confirmations struct {
	// Left maps a user whose departure from the scope a direct read
	// confirmed to how: LeftDeleted, LeftDisabled or LeftScope.
	Left map[string]string
	// MemberOf maps each user whose groups were read to the groups, among
	// those asked, that they are a transitive member of now. A user the
	// read failed for is missing.
	MemberOf map[string]map[string]bool
}

// How a direct read confirmed a departure from the scope.
const (
	LeftDeleted  = "deleted"  // GET /users/{id} answered 404
	LeftDisabled = "disabled" // accountEnabled false
	LeftScope    = "out of scope"
)

// leftScope says whether a departure from the scope is confirmed and how.
func (c *Confirmations) leftScope(objectID string) string {
	if c == nil {
		return ""
	}
	return c.Left[strings.ToLower(objectID)]
}

// stillMember says whether the user's membership read failed ("unread") or
// shows them in one of groups ("member"), or "" when confirmed gone from all.
func (c *Confirmations) stillMember(objectID string, groups []string) string {
	if c == nil {
		return "unread"
	}
	in, ok := c.MemberOf[strings.ToLower(objectID)]
	if !ok {
		return "unread"
	}
	for _, g := range groups {
		if in[strings.ToLower(g)] {
			return "member"
		}
	}
	return ""
}

// departures collects, per user, what needs confirming.
type departures map[string]*Departure

func (d departures) add(u *DirectoryUser, objectID string, scope bool, groups []string) {
	key := strings.ToLower(objectID)
	dep := d[key]
	if dep == nil {
		dep = &Departure{EntraID: objectID}
		d[key] = dep
	}
	if u != nil {
		dep.DisplayName = u.DisplayName
	}
	dep.Scope = dep.Scope || scope
	for _, g := range groups {
		if !slices.Contains(dep.Groups, g) {
			dep.Groups = append(dep.Groups, g)
		}
	}
}

func (d departures) list() []Departure {
	out := make([]Departure, 0, len(d))
	for _, k := range sortedKeys(d) {
		dep := *d[k]
		slices.Sort(dep.Groups)
		out = append(out, dep)
	}
	return out
}

// groupIDsForTeam returns the object ids of the resolved group lines that
// name a team (groupIDsForChannel: a channel): the groups whose listings a
// removal from it depends on.
func groupIDsForTeam(pol *TeamPolicy, team string) []string {
	if pol == nil {
		return nil
	}
	var out []string
	for _, g := range pol.ByGroup {
		if slices.Contains(g.Teams, team) {
			out = append(out, groupKey(g.ID, g.Group))
		}
	}
	return out
}

func groupIDsForChannel(pol *ChannelPolicy, ref ChannelRef) []string {
	if pol == nil {
		return nil
	}
	var out []string
	for _, g := range pol.ByGroup {
		if slices.Contains(g.Channels, ref) {
			out = append(out, groupKey(g.ID, g.Group))
		}
	}
	return out
}

// groupKey is a group's object id, or the reference as written when no id
// was resolved (a test policy; an object id reference is its own id).
func groupKey(id, ref string) string {
	if id != "" {
		return strings.ToLower(id)
	}
	return strings.ToLower(ref)
}
