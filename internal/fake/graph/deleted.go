package fakegraph

import (
	"maps"
	"net/http"
	"strings"
	"time"
)

// Deleted users, as Graph keeps them for 30 days after a deletion
// (GET /v1.0/directory/deletedItems/microsoft.graph.user). Graph renames a
// deleted user's userPrincipalName so that the name is free again: it puts
// the object id, without its dashes, in front of it, e.g. user
// 0d2f6c1e-…-a1 with jane@contoso.com is listed as 0d2f6c1e…a1jane@contoso.com
// (to find a deleted user by its old UPN, Microsoft's examples filter with
// endsWith(userPrincipalName,'…'), not startsWith). mail is kept, and
// deletedDateTime is set.

// DeletedUPN is the userPrincipalName Graph gives a deleted user: the object
// id without dashes followed by the UPN it had.
func DeletedUPN(id, upn string) string {
	return strings.ReplaceAll(id, "-", "") + upn
}

// deletedCopy returns u as Graph lists it once deleted at t.
func deletedCopy(u User, t time.Time) User {
	d := maps.Clone(u)
	if upn, ok := u["userPrincipalName"].(string); ok && upn != "" {
		d["userPrincipalName"] = DeletedUPN(u.ID(), upn)
	}
	d["deletedDateTime"] = t.UTC().Format(time.RFC3339)
	return d
}

// DeleteUser moves the user with that id from the users to the deleted
// items, as a deletion in Entra ID does: it disappears from /users and from
// group memberships, and is listed under deleted items with its UPN
// prefixed. It reports whether the user existed.
func (s *Server) DeleteUser(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, u := range s.users {
		if strings.EqualFold(u.ID(), id) {
			s.users = append(s.users[:i:i], s.users[i+1:]...)
			s.deleted = append(s.deleted, deletedCopy(u, time.Now()))
			return true
		}
	}
	return false
}

// DeletedUsers returns the deleted items' users as the fake serves them.
func (s *Server) DeletedUsers() []User {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]User(nil), s.deleted...)
}

// SetForbiddenDeletedUsers switches the 403 fault of the deleted users
// listing, which answers as Graph does when the app lacks the permission.
func (s *Server) SetForbiddenDeletedUsers(v bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forbiddenDeleted = v
}

// SetUserProperty sets one property of a user (nil serves it as null, as
// Graph does for "accountEnabled": null) and reports whether the user exists.
func (s *Server) SetUserProperty(id, prop string, value any) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, u := range s.users {
		if strings.EqualFold(u.ID(), id) {
			c := maps.Clone(u)
			c[prop] = value
			s.users[i] = c
			return true
		}
	}
	return false
}

// deletedItems answers /directory/deletedItems[/{cast}]. Graph requires the
// cast: without it (or with another type than user) this fake refuses.
func (s *Server) deletedItems(w http.ResponseWriter, r *http.Request, segs []string) {
	if len(segs) != 4 || !strings.EqualFold(segs[3], "microsoft.graph.user") {
		writeODataError(w, http.StatusBadRequest, "Request_BadRequest",
			"This fake serves only /directory/deletedItems/microsoft.graph.user; Graph requires the OData cast.")
		return
	}
	s.mu.Lock()
	items := make([]map[string]any, len(s.deleted))
	for i, u := range s.deleted {
		items[i] = u
	}
	s.mu.Unlock()
	s.list(w, r, "directoryObjects", items, defaultUserProps)
}
