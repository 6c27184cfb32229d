package fakegraph

import (
	"maps"
	"net/http"
	"strings"
)

// What a test changes and reads past the API: the tenant's users and
// groups, lagging listings, permissions, throttling and page faults, and
// the request log.

// SetUsers replaces the directory's users.
func (s *Server) SetUsers(users []User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users = append([]User(nil), users...)
}

// SetGroups replaces the directory's groups.
func (s *Server) SetGroups(groups []Group) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groups = append([]Group(nil), groups...)
}

// AddGroup adds a group, as any user may create one (a Microsoft 365
// group can share a display name with another).
func (s *Server) AddGroup(g Group) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groups = append(s.groups, g)
}

// RenameGroup changes a group's display name, as its owner may, and
// reports whether it exists.
func (s *Server) RenameGroup(id, displayName string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.groups {
		if strings.EqualFold(s.groups[i].ID, id) {
			s.groups[i].DisplayName = displayName
			return true
		}
	}
	return false
}

// DeleteGroup removes a group: its id then answers 404
// Request_ResourceNotFound. It reports whether it existed.
func (s *Server) DeleteGroup(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.groups {
		if strings.EqualFold(s.groups[i].ID, id) {
			s.groups = append(s.groups[:i:i], s.groups[i+1:]...)
			return true
		}
	}
	return false
}

// SetLagging makes listings that can lag behind the directory leave these
// users out while they are still enabled and members: advanced queries on
// /users (ConsistencyLevel: eventual, served from an index; Microsoft's
// aad-advanced-queries page) and group member lists. Direct reads (GET
// /users/{id}, checkMemberGroups, plain /users) still see them. No ids
// ends the lag.
func (s *Server) SetLagging(ids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lagging = map[string]bool{}
	for _, id := range ids {
		s.lagging[strings.ToLower(id)] = true
	}
}

// SetForbidden switches the 403 fault of /users on or off.
func (s *Server) SetForbidden(v bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forbidden = v
}

// SetForbiddenGroups switches the 403 fault of the /groups endpoints.
func (s *Server) SetForbiddenGroups(v bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forbiddenGroups = v
}

// Throttle makes the next n Graph requests answer 429 TooManyRequests with
// "Retry-After: retryAfterSeconds" (no header when retryAfterSeconds < 0).
func (s *Server) Throttle(n, retryAfterSeconds int) {
	s.ThrottleWithStatus(n, http.StatusTooManyRequests, retryAfterSeconds)
}

// ThrottleWithStatus is Throttle with another status (503 or 504, say).
func (s *Server) ThrottleWithStatus(n, status, retryAfterSeconds int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttleN, s.throttleStatus, s.throttleAfter = n, status, retryAfterSeconds
}

// FailPage makes every request for page number page (1-based) of any paged
// Graph listing answer status, persistently, with "Retry-After:
// retryAfterSeconds" (no header when < 0). Use ClearFaults to undo.
func (s *Server) FailPage(page, status, retryAfterSeconds int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pageFaults[page] = pageFault{status: status, retryAfter: retryAfterSeconds}
}

// ClearFaults removes page faults, pending throttling and 403 faults.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pageFaults = map[int]pageFault{}
	s.throttleN = 0
	s.forbidden, s.forbiddenGroups, s.forbiddenDeleted = false, false, false
	s.opts.ThrottleRate = 0
}

// Requests returns request counts keyed like "GET /v1.0/users", "POST /token",
// "GET /openid-configuration", "GET /v1.0/groups",
// "GET /v1.0/groups/{id}/transitiveMembers", "GET /v1.0/groups/{id}/members",
// "GET /v1.0/users/{id}", "GET /v1.0/groups/{id}",
// "GET /v1.0/directory/deletedItems/microsoft.graph.user". Unknown routes count under
// their method and path.
func (s *Server) Requests() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.counts)
}

// Log returns every request answered since the last ResetCounters.
func (s *Server) Log() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.log...)
}

// ResetCounters clears the counters and the request log.
func (s *Server) ResetCounters() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts = map[string]int{}
	s.log = nil
	s.chaosCounts = map[string]int{}
}
