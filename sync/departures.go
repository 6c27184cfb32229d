package sync

import (
	"maps"
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
	// MemberOf maps each user whose groups were read to the groups asked
	// about (lower-case object ids): true when they are a transitive member
	// now, false when not. A group not asked about, and a user the read
	// failed for, are missing: an answer about one group says nothing about
	// another.
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

// stillMember says whether a read shows the user in one of groups
// ("member"), whether some group was not read for them ("unread": the read
// failed, or did not ask about it), or "" when a read confirmed them gone
// from every one.
func (c *Confirmations) stillMember(objectID string, groups []string) string {
	if c == nil {
		return "unread"
	}
	in, ok := c.MemberOf[strings.ToLower(objectID)]
	if !ok {
		return "unread"
	}
	unread := false
	for _, g := range groups {
		member, asked := in[strings.ToLower(g)]
		if member {
			return "member"
		}
		unread = unread || !asked
	}
	if unread {
		return "unread"
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
	if u != nil && u.DisplayName != "" {
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
// removal from it depends on. The two are one walk over two policy types
// (GroupMembership's Teams, ChannelMembership's Channels); a generic walk
// would need an accessor for each and be no shorter.
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

// unconfirmed returns the departures this plan waits for, and those that
// would be needed once they are confirmed: a departure can make room for
// another change (a leaver's deactivation frees a seat or an address a
// returner needs), and that change can bring departures of its own (the
// returner's old rooms). The caller reads them all in one round, so the
// second plan does what the listings say wherever the reads agree. Each
// round assumes the departures listed so far confirmed and plans again,
// until no new one shows: every round assumes one more answer, so it ends.
func (p *planner) unconfirmed(dir Directory, observed Observed) []Departure {
	deps := p.deps.list()
	if len(deps) == 0 || !p.opts.ConfirmDepartures {
		return deps
	}
	assumed, added := assumeConfirmed(dir.Confirmed, deps)
	if !added {
		return deps // nothing left to assume: a dep read already answered
	}
	dir.Confirmed = assumed
	more := BuildPlan(dir, observed, p.opts).Unconfirmed
	if len(more) == 0 {
		return deps
	}
	all := departures{}
	for _, list := range [][]Departure{deps, more} {
		for _, d := range list {
			all.add(&DirectoryUser{DisplayName: d.DisplayName}, d.EntraID, d.Scope, d.Groups)
		}
	}
	return all.list()
}

// assumeConfirmed returns c (not changed) with every departure in deps
// taken as confirmed where c has no answer: gone from the scope (as
// deleted) and from the groups asked about; added says whether any answer
// was new. Only planning uses it, to find what a direct read must settle;
// no plan that is applied is built on it.
func assumeConfirmed(c *Confirmations, deps []Departure) (assumed *Confirmations, added bool) {
	out := &Confirmations{Left: map[string]string{}, MemberOf: map[string]map[string]bool{}}
	if c != nil {
		maps.Copy(out.Left, c.Left)
		for id, in := range c.MemberOf {
			out.MemberOf[id] = maps.Clone(in)
		}
	}
	for _, d := range deps {
		id := strings.ToLower(d.EntraID)
		if d.Scope && out.Left[id] == "" {
			out.Left[id], added = LeftDeleted, true
		}
		for _, g := range d.Groups {
			if out.MemberOf[id] == nil {
				out.MemberOf[id] = map[string]bool{}
			}
			if _, asked := out.MemberOf[id][strings.ToLower(g)]; !asked {
				out.MemberOf[id][strings.ToLower(g)], added = false, true
			}
		}
	}
	return out, added
}
