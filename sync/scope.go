package sync

import (
	"fmt"
	"strings"
)

// Scope says which directory users the sync manages. Users outside it are
// treated as gone: their linked accounts are leavers.
type Scope struct {
	// IncludeGuests keeps userType=Guest users in scope.
	IncludeGuests bool
	// Members, when non-nil, limits the scope to these object ids (the
	// transitive members of the configured groups).
	Members map[string]bool
	// Only, when non-empty, is a pilot allow-list: emails, object ids, or
	// display-name substrings (case-insensitive).
	Only []string
}

// InScope returns the users within s, and how many were left out. It is
// pure, so what it keeps is what the plan shows.
func (s Scope) InScope(users []DirectoryUser) (in []DirectoryUser, out int) {
	in, rest := s.Split(users)
	return in, len(rest)
}

// Split returns the users within s and the users left out (the planner
// still needs their addresses: see Directory.OutOfScope).
func (s Scope) Split(users []DirectoryUser) (in, out []DirectoryUser) {
	only := make([]string, 0, len(s.Only))
	for _, o := range s.Only {
		if o = strings.ToLower(strings.TrimSpace(o)); o != "" {
			only = append(only, o)
		}
	}
	in = make([]DirectoryUser, 0, len(users))
	for _, u := range users {
		if s.keep(&u, only) {
			in = append(in, u)
		} else {
			out = append(out, u)
		}
	}
	return in, out
}

func (s Scope) keep(u *DirectoryUser, only []string) bool {
	if !s.IncludeGuests && strings.EqualFold(u.UserType, "Guest") {
		return false
	}
	if s.Members != nil && !s.Members[strings.ToLower(u.ID)] {
		return false
	}
	if len(only) == 0 {
		return true
	}
	id, mail, upn, name := strings.ToLower(u.ID), strings.ToLower(u.Mail), strings.ToLower(u.UserPrincipalName), strings.ToLower(u.DisplayName)
	for _, o := range only {
		if o == id || o == mail || o == upn || (name != "" && strings.Contains(name, o)) {
			return true
		}
	}
	return false
}

// Attribute names a directory attribute a Mattermost field can come from.
type Attribute string

// The attributes attribute-map and username-from accept.
var attributes = map[string]Attribute{
	"displayname": "displayName", "givenname": "givenName", "surname": "surname", "jobtitle": "jobTitle",
	"department": "department", "employeeid": "employeeId", "officelocation": "officeLocation",
	"mail": "mail", "userprincipalname": "userPrincipalName", "upn": "userPrincipalName", "mailnickname": "mailNickname",
	"none": "none",
}

// Value returns the attribute of u ("" for none or a null attribute).
func (a Attribute) Value(u *DirectoryUser) string {
	switch a {
	case "displayName":
		return u.DisplayName
	case "givenName":
		return u.GivenName
	case "surname":
		return u.Surname
	case "jobTitle":
		return u.JobTitle
	case "department":
		return u.Department
	case "employeeId":
		return u.EmployeeID
	case "officeLocation":
		return u.OfficeLocation
	case "mail":
		return u.Mail
	case "userPrincipalName":
		return u.UserPrincipalName
	case "mailNickname":
		return u.MailNickname
	}
	return ""
}

// AttributeMap says where each managed profile field comes from. "none"
// leaves a field alone.
type AttributeMap struct {
	Nickname, FirstName, LastName, Position Attribute
}

// DefaultAttributeMap is the mapping without attribute-map.
func DefaultAttributeMap() AttributeMap {
	return AttributeMap{Nickname: "displayName", FirstName: "givenName", LastName: "surname", Position: "jobTitle"}
}

var profileSources = map[Attribute]bool{"displayName": true, "givenName": true, "surname": true, "jobTitle": true,
	"department": true, "employeeId": true, "officeLocation": true, "none": true}

// ParseAttributeMap reads attribute-map: one `mattermost_field: entra_attribute`
// a line, overriding DefaultAttributeMap. Errors name the line.
func ParseAttributeMap(text string) (AttributeMap, error) {
	m := DefaultAttributeMap()
	seen := map[string]int{}
	for n, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		line = strings.TrimSpace(stripComment(line))
		if line == "" {
			continue
		}
		field, src, ok := strings.Cut(line, ":")
		if !ok {
			return m, fmt.Errorf("line %d %q: want `mattermost_field: entra_attribute`", n+1, line)
		}
		field = strings.ToLower(strings.TrimSpace(field))
		if prev, dup := seen[field]; dup {
			return m, fmt.Errorf("line %d: %s is already mapped on line %d; map each field once", n+1, field, prev)
		}
		seen[field] = n + 1
		attr, known := attributes[strings.ToLower(strings.TrimSpace(src))]
		if !known || !profileSources[attr] {
			return m, fmt.Errorf("line %d: unknown Entra ID attribute %q (use displayName, givenName, surname, jobTitle, department, employeeId, officeLocation or none)", n+1, strings.TrimSpace(src))
		}
		switch field {
		case "nickname":
			m.Nickname = attr
		case "first_name":
			m.FirstName = attr
		case "last_name":
			m.LastName = attr
		case "position":
			m.Position = attr
		default:
			return m, fmt.Errorf("line %d: unknown Mattermost field %q (use nickname, first_name, last_name or position)", n+1, field)
		}
	}
	return m, nil
}

// ParseUsernameFrom reads username-from: mail, upn, mailNickname or employeeId.
func ParseUsernameFrom(s string) (Attribute, error) {
	switch a := attributes[strings.ToLower(strings.TrimSpace(s))]; a {
	case "mail", "userPrincipalName", "mailNickname", "employeeId":
		return a, nil
	}
	return "", fmt.Errorf("%q is not one of mail, upn, mailNickname, employeeId", s)
}

// GroupTeams maps one Entra ID group (id or display name) to teams. It has
// GroupChannels' shape (channelmap.go), kept as two types as TeamPolicy and
// ChannelPolicy are: the lists hold team names here, ChannelRefs there.
type GroupTeams struct {
	Group string
	Teams []string
	// Line is the line's number in group-teams (from 1), for messages.
	Line int
}

// ParseGroupTeams reads group-teams: one `GROUP: team[, team]` a line. The
// last colon splits, since a group's display name may hold one and a team
// name cannot.
func ParseGroupTeams(text string) ([]GroupTeams, error) {
	var out []GroupTeams
	err := groupMappings(text, "GROUP: team[, team]", "team", func(n int, group string, items []string) error {
		var teams []string
		for _, t := range items {
			t = strings.ToLower(t)
			if !ValidTeamName(t) {
				return fmt.Errorf("line %d: %q is not a team name (the team's URL name: lower-case letters, digits and -)", n, t)
			}
			teams = append(teams, t)
		}
		out = append(out, GroupTeams{Group: group, Teams: teams, Line: n})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// groupMappings walks an input of `GROUP: item[, item]` lines (group-teams,
// group-channels): fn gets each line's 1-based number, its group and its
// non-empty, trimmed items. Whole lines starting with # are comments. The
// last colon splits, since a group's display name may hold one and no item
// can. form is the line's shape and item the item's name, for errors.
func groupMappings(text, form, item string, fn func(line int, group string, items []string) error) error {
	for n, line := range inputLines(text) {
		line = strings.TrimSpace(stripComment(line))
		if line == "" {
			continue
		}
		i := strings.LastIndex(line, ":")
		if i < 0 {
			return fmt.Errorf("line %d %q: want `%s`", n+1, line, form)
		}
		group := strings.TrimSpace(line[:i])
		if group == "" {
			return fmt.Errorf("line %d %q: no group before the colon", n+1, line)
		}
		var items []string
		for _, it := range strings.Split(line[i+1:], ",") {
			if it = strings.TrimSpace(it); it != "" {
				items = append(items, it)
			}
		}
		if len(items) == 0 {
			return fmt.Errorf("line %d %q: no %s after the colon", n+1, line, item)
		}
		if err := fn(n+1, group, items); err != nil {
			return err
		}
	}
	return nil
}

// ValidTeamName reports whether s can be a Mattermost team name (its URL
// name): 2–64 of [a-z0-9-_], not starting or ending with punctuation.
func ValidTeamName(s string) bool {
	if len(s) < 2 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return s[0] != '-' && s[0] != '_' && s[len(s)-1] != '-' && s[len(s)-1] != '_'
}

// stripComment blanks a line that starts with #. Only whole lines: group
// names such as "Team #1" exist.
func stripComment(line string) string {
	if strings.HasPrefix(strings.TrimSpace(line), "#") {
		return ""
	}
	return line
}
