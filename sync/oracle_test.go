package sync

import (
	"cmp"
	"slices"
	"strings"
)

// The property tests' oracles, written from the README for the small worlds
// the properties draw, not from the planner's code: a property that asked
// the planner's own rules what is protected or managed could not catch the
// planner getting it wrong. They share with the code under test only the
// Linker (whether a link or mark verifies is data, not a decision) and the
// Threshold arithmetic of the rails.

// oracleProtected: bots, shared-channel users, the token's owner, accounts
// in ignore-users and system admins unless manage-admins are left alone
// (README, What one run does). ignore-users names an account nobody owns by
// its username or email, and one the sync manages by its Entra ID user's
// mail or userPrincipalName as read (its verified email when the user was
// not read at all): never by what its user can change (README, Identity
// and links).
func oracleProtected(o Options, dir Directory, selfID string, a *Account) bool {
	names := map[string]bool{}
	if owner := strings.ToLower(oracleOwner(o, a)); owner == "" {
		names[strings.ToLower(a.Username)], names[strings.ToLower(a.Email)] = true, true
	} else {
		read := false
		for _, u := range append(slices.Clone(dir.Users), dir.OutOfScope...) {
			if strings.ToLower(u.ID) == owner {
				read = true
				names[strings.ToLower(u.Mail)], names[strings.ToLower(u.UserPrincipalName)] = true, true
			}
		}
		for _, d := range dir.Deleted {
			if strings.ToLower(d.ID) == owner {
				read = true
				names[strings.ToLower(d.Mail)], names[strings.ToLower(d.UserPrincipalName)] = true, true
			}
		}
		if !read && a.EmailVerified {
			names[strings.ToLower(a.Email)] = true
		}
	}
	for _, s := range o.Ignore {
		if s = strings.ToLower(strings.TrimSpace(s)); s != "" && names[s] {
			return true
		}
	}
	return a.IsBot || a.RemoteID != "" || a.ID == selfID ||
		!o.ManageAdmins && slices.Contains(strings.Fields(a.Roles), "system_admin")
}

// oracleOwner is the object id a valid link or creation mark names, or "".
func oracleOwner(o Options, a *Account) string {
	if id, ok := o.Linker.Linked(a); ok {
		return id
	}
	id, _ := o.Linker.CreatedBy(a)
	return id
}

// oracleManaged: the sync's own account, not protected.
func oracleManaged(o Options, dir Directory, selfID string, a *Account) bool {
	return oracleOwner(o, a) != "" && !oracleProtected(o, dir, selfID, a)
}

// oracleAddress is a directory user's address: mail, or else the
// userPrincipalName unless it is a guest's #EXT# name (README, Matching).
// The drawn worlds hold only well-formed addresses.
func oracleAddress(mail, upn string) string {
	if m := strings.TrimSpace(mail); m != "" {
		return strings.ToLower(m)
	}
	if upn = strings.TrimSpace(upn); upn == "" || strings.Contains(strings.ToUpper(upn), "#EXT#") || !strings.Contains(upn, "@") {
		return ""
	}
	return strings.ToLower(upn)
}

// oracleMayAdopt says whether an account with no link and no mark of
// anyone's may be adopted (README, Adoption): with adopt-existing, while
// active, not protected, and verified unless adopt-existing is any.
func oracleMayAdopt(o Options, dir Directory, selfID string, a *Account) bool {
	return o.AdoptExisting && a.Active() && !oracleProtected(o, dir, selfID, a) && (a.EmailVerified || o.AdoptUnverified)
}

// oracleFrozen reads the broken mappings as the README says they act: the
// teams and channels they name are frozen, a broken groups entry makes the
// scope unknown.
func oracleFrozen(broken []BrokenMapping) (teams map[string]bool, channels map[ChannelRef]bool, scopeUnknown bool) {
	teams, channels = map[string]bool{}, map[ChannelRef]bool{}
	for _, b := range broken {
		for _, t := range b.Teams {
			teams[t] = true
		}
		for _, c := range b.Channels {
			channels[c] = true
		}
		scopeUnknown = scopeUnknown || b.Input == "groups"
	}
	return teams, channels, scopeUnknown
}

// oracleConfirmedGone is how a direct read confirmed the user gone ("" if
// none did).
func oracleConfirmedGone(c *Confirmations, objectID string) string {
	if c == nil {
		return ""
	}
	return c.Left[strings.ToLower(objectID)]
}

// oracleGroupsNaming are the groups (object id, or the name as written when
// unresolved; lower case) whose mapping line names the team or channel a
// membership action is about.
func oracleGroupsNaming(o Options, a Action) []string {
	var out []string
	if a.Kind == KindTeamRemove && o.Teams != nil {
		for _, g := range o.Teams.ByGroup {
			if slices.Contains(g.Teams, a.Team) {
				out = append(out, strings.ToLower(cmp.Or(g.ID, g.Group)))
			}
		}
	}
	if a.Kind == KindChannelRemove && o.Channels != nil {
		for _, g := range o.Channels.ByGroup {
			if slices.Contains(g.Channels, ChannelRef{a.Team, a.Channel}) {
				out = append(out, strings.ToLower(cmp.Or(g.ID, g.Group)))
			}
		}
	}
	return out
}

// oracleReadMember says whether a direct read answered that the user is
// still a member of one of groups.
func oracleReadMember(c *Confirmations, objectID string, groups []string) bool {
	if c == nil {
		return false
	}
	in := c.MemberOf[strings.ToLower(objectID)]
	return slices.ContainsFunc(groups, func(g string) bool { return in[g] })
}
