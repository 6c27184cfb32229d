package fakemm

import (
	"net/mail"
	"regexp"
	"strings"
	"unicode/utf8"
)

// What the server checks of a new or patched user (model/user.go IsValid,
// the password policy), with its error ids.

// Mattermost's character classes (model/utils.go).
const (
	lowercaseLetters = "abcdefghijklmnopqrstuvwxyz"
	uppercaseLetters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	numbers          = "0123456789"
	symbols          = " !\"\\#$%&'()*+,-./:;<=>?@[]^_`|~"
)

var (
	validUsernameChars  = regexp.MustCompile(`^[a-z0-9\.\-_]+$`)
	restrictedUsernames = map[string]bool{"all": true, "channel": true, "matterbot": true, "system": true}
)

func isValidEmail(s string) bool {
	if s != strings.ToLower(s) {
		return false
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Address != s {
		return false
	}
	return strings.Count(s, "@") == 1
}

// passwordErrorID mirrors IsPasswordValidWithSettings (newest server).
func passwordErrorID(pw string, p PasswordPolicy) string {
	id := "model.user.is_valid.pwd"
	isErr, minMax := false, false
	if len(pw) < p.MinimumLength {
		isErr, minMax = true, true
		id += "_min_length"
	}
	if len(pw) > 72 {
		isErr, minMax = true, true
		id += "_max_length"
	}
	if !minMax {
		check := func(on bool, set, suffix string) {
			if on && !strings.ContainsAny(pw, set) {
				isErr = true
				id += suffix
			}
		}
		check(p.Lowercase, lowercaseLetters, "_lowercase")
		check(p.Uppercase, uppercaseLetters, "_uppercase")
		check(p.Number, numbers, "_number")
		check(p.Symbol, symbols, "_symbol")
	}
	if !isErr {
		return ""
	}
	return id + ".app_error"
}

// validateUser mirrors User.IsValid for the fields the fake cares about.
func validateUser(u User) string {
	if !u.remote() {
		if len(u.Username) < 1 || len(u.Username) > 64 || !validUsernameChars.MatchString(u.Username) || restrictedUsernames[u.Username] {
			return "model.user.is_valid.username.app_error"
		}
	}
	if len(u.Email) > 128 || u.Email == "" || (!u.remote() && !isValidEmail(u.Email)) {
		return "model.user.is_valid.email.app_error"
	}
	if utf8.RuneCountInString(u.Nickname) > 64 {
		return "model.user.is_valid.nickname.app_error"
	}
	if utf8.RuneCountInString(u.Position) > 128 {
		return "model.user.is_valid.position.app_error"
	}
	if utf8.RuneCountInString(u.FirstName) > 64 {
		return "model.user.is_valid.first_name.app_error"
	}
	if utf8.RuneCountInString(u.LastName) > 64 {
		return "model.user.is_valid.last_name.app_error"
	}
	if u.AuthData != nil && *u.AuthData != "" && u.AuthService == "" {
		return "model.user.is_valid.auth_data_type.app_error"
	}
	if u.Password != "" && u.AuthData != nil && *u.AuthData != "" {
		return "model.user.is_valid.auth_data_pwd.app_error"
	}
	return ""
}
