package sync

import (
	"net/mail"
	"strings"
	"unicode/utf8"
)

// Mattermost's limits (model/user.go), counted in runes except email.
const (
	maxEmailBytes     = 128
	maxNicknameRunes  = 64
	maxFirstNameRunes = 64
	maxLastNameRunes  = 64
	maxPositionRunes  = 128
)

// Email returns the address the user is known by in Mattermost: mail, else
// the UPN when it is a routable address. Guests' UPNs (#EXT#) never are. The
// result is lower-cased, as Mattermost stores it. ok is false, with a reason,
// when the user has no usable address.
func Email(u DirectoryUser) (email string, reason string, ok bool) {
	if m := strings.TrimSpace(u.Mail); m != "" {
		if e, ok := validAddress(m); ok {
			return e, "", true
		}
		return "", "mail " + quote(m) + " is not a valid address", false
	}
	upn := strings.TrimSpace(u.UserPrincipalName)
	switch {
	case upn == "":
		return "", "no mail and no userPrincipalName", false
	case strings.Contains(strings.ToUpper(upn), "#EXT#"):
		return "", "no mail, and the userPrincipalName is a guest (#EXT#) name, not an address", false
	}
	if e, ok := validAddress(upn); ok {
		return e, "", true
	}
	return "", "no mail, and the userPrincipalName " + quote(upn) + " is not a valid address", false
}

// validAddress accepts what Mattermost's IsValidEmail accepts once lower-cased:
// a bare addr-spec with one '@', at most 128 bytes.
func validAddress(s string) (string, bool) {
	s = strings.ToLower(s)
	if len(s) > maxEmailBytes || strings.Count(s, "@") != 1 {
		return "", false
	}
	if simpleAddress(s) {
		return s, true
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s {
		return "", false
	}
	local, domain, _ := strings.Cut(s, "@")
	if local == "" || domain == "" || !strings.Contains(domain, ".") {
		return "", false
	}
	return s, true
}

// simpleAddress recognises the plain dot-atom addresses nearly every
// directory holds without the cost of a full RFC 5322 parse; anything else
// goes through net/mail.
func simpleAddress(s string) bool {
	at := strings.IndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || s[0] == '.' || s[at-1] == '.' || s[at+1] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	dot := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-':
		case c == '.':
			dot = dot || i > at
		case c == '_' || c == '+':
			if i > at {
				return false
			}
		case c == '@':
		default:
			return false
		}
	}
	return dot
}

// LocalPart returns the part of an address before '@'.
func LocalPart(email string) string {
	local, _, _ := strings.Cut(email, "@")
	return local
}

// Profile maps u's attributes onto profile fields as m says, cleaned the way
// the server would store them, so that comparing the result with an observed
// account is stable: a value the server would alter on save would otherwise
// be patched again on every run.
func (m AttributeMap) Profile(u *DirectoryUser) Profile {
	return Profile{
		Nickname:  CleanField(m.Nickname.Value(u), maxNicknameRunes),
		FirstName: CleanField(m.FirstName.Value(u), maxFirstNameRunes),
		LastName:  CleanField(m.LastName.Value(u), maxLastNameRunes),
		Position:  CleanField(m.Position.Value(u), maxPositionRunes),
	}
}

// CleanField trims s, drops the characters Mattermost's SanitizeUnicode drops
// and control characters, and truncates to max runes.
func CleanField(s string, max int) string {
	s = strings.TrimSpace(strings.Map(sanitizeRune, strings.ToValidUTF8(s, "")))
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	n := 0
	for i := range s {
		if n == max {
			return strings.TrimSpace(s[:i])
		}
		n++
	}
	return s
}

// sanitizeRune mirrors Mattermost's model.SanitizeUnicode block list, plus
// C0/C1 controls (newlines in a display name break one-line renderings).
func sanitizeRune(r rune) rune {
	switch {
	case r < 0x20, r >= 0x7f && r < 0xa0:
		return -1
	case r == 0x0340, r == 0x0341, r == 0x17A3, r == 0x17D3, r == 0x2028, r == 0x2029,
		r >= 0x202A && r <= 0x202E, r >= 0x206A && r <= 0x206F,
		r >= 0xFFF9 && r <= 0xFFFC, r == 0xFEFF,
		r >= 0x1D173 && r <= 0x1D17A, r >= 0xE0000 && r <= 0xE007F:
		return -1
	}
	return r
}

// Change is one field that differs, old → new, as the report shows it.
type Change struct {
	Field string `json:"field"`
	Old   string `json:"old"`
	New   string `json:"new"`
}

// diffProfile returns the patch that turns the account's profile into want,
// and the changes it makes. An attribute that is empty in the directory leaves
// the field alone: a missing jobTitle must not wipe a position an admin typed
// in. OAuth accounts' names are the provider's, and Mattermost refuses to
// change them (409), so they are not asked for.
func diffProfile(acct *Account, want Profile) (Patch, []Change) {
	var p Patch
	var ch []Change
	set := func(field, old, new string, dst **string) {
		if new == "" || old == new {
			return
		}
		v := new
		*dst = &v
		ch = append(ch, Change{Field: field, Old: old, New: new})
	}
	set("nickname", acct.Nickname, want.Nickname, &p.Nickname)
	if !oauthService[acct.AuthService] {
		set("first_name", acct.FirstName, want.FirstName, &p.FirstName)
		set("last_name", acct.LastName, want.LastName, &p.LastName)
	}
	set("position", acct.Position, want.Position, &p.Position)
	return p, ch
}

var oauthService = map[string]bool{"gitlab": true, "google": true, "office365": true, "openid": true}

func quote(s string) string {
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return "\"" + s + "\""
}
