package fakegraph

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// User is one Microsoft Graph user object as JSON properties. A property that
// is absent or nil is reported as null, as Graph does.
type User map[string]any

// ID returns the user's "id" property ("" when missing).
func (u User) ID() string {
	s, _ := u["id"].(string)
	return s
}

// Group is one Entra group. Members holds object ids: user ids, or the ids of
// other groups (nested groups, resolved by transitiveMembers).
type Group struct {
	ID           string   `json:"id"`
	DisplayName  string   `json:"displayName"`
	MailNickname string   `json:"mailNickname"`
	Members      []string `json:"members"`
}

// Tenant is the fixture format:
// {"users":[graph user objects], "groups":[{"id","displayName","mailNickname","members":[ids]}]}.
type Tenant struct {
	Users  []User  `json:"users"`
	Groups []Group `json:"groups"`
}

// ParseTenant decodes a fixture. Every user must have a string "id".
func ParseTenant(data []byte) (Tenant, error) {
	return LoadTenant(bytes.NewReader(data))
}

// LoadTenant decodes a fixture from r. Every user must have a string "id".
func LoadTenant(r io.Reader) (Tenant, error) {
	var t Tenant
	dec := json.NewDecoder(r)
	dec.UseNumber()
	if err := dec.Decode(&t); err != nil {
		return Tenant{}, fmt.Errorf("fakegraph: decode tenant: %w", err)
	}
	for i, u := range t.Users {
		if u.ID() == "" {
			return Tenant{}, fmt.Errorf("fakegraph: tenant user #%d has no id", i)
		}
	}
	for i, g := range t.Groups {
		if g.ID == "" {
			return Tenant{}, fmt.Errorf("fakegraph: tenant group #%d has no id", i)
		}
	}
	return t, nil
}

// GenerateUsers returns n deterministic synthetic member users
// (ids 00000000-0000-4000-8000-<n>, user0001@contoso.example, ...). Every
// fifth user has a null department and every tenth is disabled.
func GenerateUsers(n int) []User {
	users := make([]User, 0, n)
	for i := 1; i <= n; i++ {
		local := fmt.Sprintf("user%04d", i)
		u := User{
			"id":                fmt.Sprintf("00000000-0000-4000-8000-%012d", i),
			"accountEnabled":    i%10 != 0,
			"userType":          "Member",
			"displayName":       fmt.Sprintf("User %04d", i),
			"givenName":         "User",
			"surname":           fmt.Sprintf("%04d", i),
			"jobTitle":          "Engineer",
			"department":        "Engineering",
			"employeeId":        fmt.Sprintf("E%06d", i),
			"officeLocation":    "Building 1",
			"mail":              local + "@contoso.example",
			"userPrincipalName": local + "@contoso.example",
			"mailNickname":      local,
		}
		if i%5 == 0 {
			u["department"] = nil
		}
		users = append(users, u)
	}
	return users
}
