package fakemm

import (
	"fmt"
	"sort"
	"strings"
)

// What a test seeds and inspects directly, past the API: accounts,
// passwords, sessions, teams and their members.

// AddUser seeds a user without API validation (bots: IsBot; remote users:
// RemoteID; deactivated: DeleteAt > 0; admins: Roles "system_admin
// system_user"). Username and email are lower-cased; an empty ID is
// generated, a non-empty ID must be 26 lower-case alphanumerics. Empty Roles
// become "system_user". It panics on a duplicate email, username or id.
func (s *Server) AddUser(u User) User {
	s.mu.Lock()
	defer s.mu.Unlock()
	u = u.clone()
	if u.ID == "" {
		u.ID = s.newID()
	} else if !isValidID(u.ID) {
		panic(fmt.Sprintf("fakemm: AddUser: invalid id %q", u.ID))
	}
	if _, ok := s.users[u.ID]; ok {
		panic(fmt.Sprintf("fakemm: AddUser: duplicate id %q", u.ID))
	}
	u.Username = strings.ToLower(u.Username)
	u.Email = strings.ToLower(strings.TrimSpace(u.Email))
	if _, ok := s.byUsername[u.Username]; ok {
		panic(fmt.Sprintf("fakemm: AddUser: duplicate username %q", u.Username))
	}
	if _, ok := s.byEmail[u.Email]; ok {
		panic(fmt.Sprintf("fakemm: AddUser: duplicate email %q", u.Email))
	}
	if u.Roles == "" {
		u.Roles = "system_user"
	}
	now := s.now()
	if u.CreateAt == 0 {
		u.CreateAt = now
	}
	if u.UpdateAt == 0 {
		u.UpdateAt = now
	}
	if u.Locale == "" {
		u.Locale = "en"
	}
	rec := &record{u: u, pwHash: hashPassword(u.Password)}
	rec.u.Password = ""
	s.users[u.ID] = rec
	s.byEmail[u.Email] = u.ID
	s.byUsername[u.Username] = u.ID
	s.sorted = nil
	return rec.u.clone()
}

// Users returns copies of all users sorted by username (no passwords).
func (s *Server) Users() []User {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sortedUsers()
}

func (s *Server) sortedUsers() []User {
	out := make([]User, 0, len(s.users))
	for _, r := range s.users {
		out = append(out, r.u.sanitized())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Username < out[j].Username })
	return out
}

// User returns a copy of one user by id.
func (s *Server) User(id string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.users[id]
	if !ok {
		return User{}, false
	}
	return r.u.sanitized(), true
}

// UserByEmail returns a copy of one user by email (case-insensitive).
func (s *Server) UserByEmail(email string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.byEmail[strings.ToLower(strings.TrimSpace(email))]
	if !ok {
		return User{}, false
	}
	return s.users[id].u.sanitized(), true
}

// UserByUsername returns a copy of one user by username.
func (s *Server) UserByUsername(username string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.byUsername[strings.ToLower(username)]
	if !ok {
		return User{}, false
	}
	return s.users[id].u.sanitized(), true
}

// PasswordHashes returns user id → SHA-256 (hex) of the password the user
// was created with, for users that have one. Passwords themselves are not
// kept: compare hashes to check uniqueness, or use CheckPassword.
func (s *Server) PasswordHashes() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]string{}
	for id, r := range s.users {
		if r.pwHash != "" {
			out[id] = r.pwHash
		}
	}
	return out
}

// CheckPassword reports whether pw is the user's password.
func (s *Server) CheckPassword(id, pw string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.users[id]
	return ok && r.pwHash != "" && r.pwHash == hashPassword(pw)
}

// LogIn gives user id a session as if they had signed in with their
// password (which it sets), and returns the session's token: a test then
// acts as that user would, through the API (PUT /users/me/patch and the
// like), with the rights of a non-admin unless the user is a system admin.
func (s *Server) LogIn(id, password string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.users[id]
	if !ok {
		panic(fmt.Sprintf("fakemm: LogIn: no user %q", id))
	}
	r.pwHash = hashPassword(password)
	if s.sessions == nil {
		s.sessions = map[string]string{}
	}
	tok := s.newID()
	s.sessions[tok] = id
	return tok
}

// ActiveUserCount counts active, non-bot, non-remote users (as the server's
// user limit does).
func (s *Server) ActiveUserCount() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.activeCount()
}

func (s *Server) activeCount() int64 {
	var n int64
	for _, r := range s.users {
		if r.u.countable() {
			n++
		}
	}
	return n
}

// AddTeam seeds a team (ID generated when empty; Type defaults to "O").
func (s *Server) AddTeam(t Team) Team {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t.ID == "" {
		t.ID = s.newID()
	}
	// AddChannel's defaults look the same but are its own: a team's "O" is
	// open to invitations, a channel's "O" is public.
	if t.Type == "" {
		t.Type = "O"
	}
	if t.DisplayName == "" {
		t.DisplayName = t.Name
	}
	now := s.now()
	if t.CreateAt == 0 {
		t.CreateAt, t.UpdateAt = now, now
	}
	tc := t
	s.teams[t.ID] = &tc
	s.teamByName[t.Name] = t.ID
	s.members[t.ID] = map[string]*TeamMember{}
	return t
}

// AddTeamMember seeds a membership (no limits applied).
func (s *Server) AddTeamMember(teamID, userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.members[teamID]
	if m == nil {
		panic("fakemm: AddTeamMember: unknown team " + teamID)
	}
	m[userID] = newMember(teamID, userID)
}

// TeamMembers returns the active memberships of a team, by user id.
func (s *Server) TeamMembers(teamID string) []TeamMember {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.activeMembers(teamID)
}

func (s *Server) activeMembers(teamID string) []TeamMember {
	var out []TeamMember
	for _, m := range s.members[teamID] {
		if m.DeleteAt == 0 {
			out = append(out, *m)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].UserID < out[j].UserID })
	return out
}

func newMember(teamID, userID string) *TeamMember {
	return &TeamMember{TeamID: teamID, UserID: userID, Roles: "team_user", SchemeUser: true}
}
