package sync

import "strings"

// desired is one directory user turned, once, into the account it should
// have: its address, why it has none, and its cleaned profile. Every later
// stage (matching, address allocation, lifecycle, teams) works on these
// values and never goes back to the raw attributes.
type desired struct {
	u *DirectoryUser
	// email is the lower-cased address (mail, else a routable UPN); empty
	// when the user has none, and noEmail says why.
	email   string
	noEmail string
	profile Profile
}

// usernameBase derives the normalised name a new account's username starts
// from, per username-from, or explains why there is none.
func (d *desired) usernameBase(from Attribute) (string, string) {
	var src string
	switch from {
	case "mail":
		src = LocalPart(d.email)
	case "userPrincipalName":
		src = LocalPart(d.u.UserPrincipalName)
	default:
		src = from.Value(d.u)
	}
	if strings.TrimSpace(src) == "" {
		return "", "no " + string(from) + " to derive a username from (username-from)"
	}
	if base := NormalizeUsername(src); base != "" {
		return base, ""
	}
	return "", "no username can be derived from " + quote(src)
}
