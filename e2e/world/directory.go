package world

import (
	"maps"
	"slices"
	"strings"

	fakegraph "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/graph"
)

// Changes to the fake directory between runs, and what a test expects of it.

// Subset keeps the first n users of the world's tenant.
func (w *World) Subset(n int) {
	w.SetUsers(w.Users[:n])
}

// SetUsers replaces the tenant with users, each a copy.
func (w *World) SetUsers(users []fakegraph.User) {
	w.Users = make([]fakegraph.User, len(users))
	for i, u := range users {
		w.Users[i] = maps.Clone(u)
	}
	w.Graph.SetUsers(w.Users)
}

// Edit changes one tenant user, found by mail.
func (w *World) Edit(mail string, f func(u fakegraph.User)) {
	w.T.Helper()
	for _, u := range w.Users {
		if m, _ := u["mail"].(string); strings.EqualFold(m, mail) {
			f(u)
			w.Graph.SetUsers(w.Users)
			return
		}
	}
	w.T.Fatalf("no tenant user with mail %s", mail)
}

// Remove takes the tenant users for which drop is true out of the
// directory without a trace in its deleted items (out of scope, or deleted
// more than 30 days ago); w.Graph.DeleteUser deletes a user into the
// deleted items.
func (w *World) Remove(drop func(u fakegraph.User) bool) {
	var kept []fakegraph.User
	for _, u := range w.Users {
		if !drop(u) {
			kept = append(kept, u)
		}
	}
	w.Users = kept
	w.Graph.SetUsers(kept)
}

// WithoutGroupMembers removes the object ids drop from the group groupID.
func (w *World) WithoutGroupMembers(groupID string, drop map[string]bool) {
	w.SetGroups(withoutMembers(w.Groups, groupID, func(id string) bool { return drop[id] }))
}

// GroupMembersWithMail returns the object ids and the mails, lower-cased, of
// the enabled, non-guest members of group groupID that have a mail, in the
// group's order.
func (w *World) GroupMembersWithMail(groupID string) (ids, mails []string) {
	return w.groupMembers(groupID, false)
}

// groupMembers returns the object ids and the addresses, lower-cased, of
// the enabled, non-guest members of group groupID that have one, in the
// group's order: the address is the mail, else, with upn, the
// userPrincipalName.
func (w *World) groupMembers(groupID string, upn bool) (ids, addrs []string) {
	byID := map[string]fakegraph.User{}
	for _, u := range w.Users {
		byID[u.ID()] = u
	}
	for _, g := range w.Groups {
		if g.ID != groupID {
			continue
		}
		for _, id := range g.Members {
			u := byID[id]
			addr, _ := u["mail"].(string)
			if addr == "" && upn {
				addr, _ = u["userPrincipalName"].(string)
			}
			if u["accountEnabled"] == true && u["userType"] != "Guest" && addr != "" {
				ids, addrs = append(ids, id), append(addrs, strings.ToLower(addr))
			}
		}
	}
	return ids, addrs
}

// WithoutMember returns the groups with id dropped from group groupID.
func WithoutMember(groups []fakegraph.Group, groupID, id string) []fakegraph.Group {
	return withoutMembers(groups, groupID, func(m string) bool { return m == id })
}

// withoutMembers returns a copy of groups whose group groupID no longer
// lists the members drop is true for.
func withoutMembers(groups []fakegraph.Group, groupID string, drop func(id string) bool) []fakegraph.Group {
	out := slices.Clone(groups)
	for i, g := range out {
		if g.ID == groupID {
			out[i].Members = slices.DeleteFunc(slices.Clone(g.Members), drop)
		}
	}
	return out
}

// The object ids of two groups of tenant-60, which tests map to teams and
// channels.
const (
	Group0ID = "4b80b828-e3ab-4283-82ae-35d243d87a97" // mm-team-0 in tenant-60
	Group1ID = "f52b2549-55c0-474d-85b6-69f75cebe213" // mm-team-1
)

// ExpectedMembers lists, sorted and lower-cased, the addresses (mail, else
// userPrincipalName) of the enabled, non-guest members of group groupID.
func (w *World) ExpectedMembers(groupID string) []string {
	_, addrs := w.groupMembers(groupID, true)
	slices.Sort(addrs)
	return addrs
}

// SetGroups replaces the directory's groups.
func (w *World) SetGroups(groups []fakegraph.Group) {
	w.Groups = groups
	w.Graph.SetGroups(groups)
}

// UserByMail returns the directory user with this mail, or fails the test.
func (w *World) UserByMail(mail string) fakegraph.User {
	w.T.Helper()
	for _, u := range w.Users {
		if m, _ := u["mail"].(string); strings.EqualFold(m, mail) {
			return u
		}
	}
	w.T.Fatalf("no tenant user with mail %s", mail)
	return nil
}

// DirectoryMails maps each directory user's mail, lower-cased as Mattermost
// keeps an address, to the mail as the directory holds it.
func (w *World) DirectoryMails() map[string]string {
	out := map[string]string{}
	for _, u := range w.Users {
		if m, _ := u["mail"].(string); m != "" {
			out[strings.ToLower(m)] = m
		}
	}
	return out
}
