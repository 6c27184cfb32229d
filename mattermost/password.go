package mattermost

import (
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
)

// Character classes, as Mattermost defines them (model/utils.go). The space
// in Mattermost's symbol set is left out on purpose.
const (
	LowercaseLetters = "abcdefghijklmnopqrstuvwxyz"
	UppercaseLetters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	Digits           = "0123456789"
	Symbols          = "!\"\\#$%&'()*+,-./:;<=>?@[]^_`|~"
	// PasswordMaxLength is Mattermost's limit in bytes.
	PasswordMaxLength = 72
	// GeneratedPasswordMinLength is the floor for generated passwords.
	GeneratedPasswordMinLength = 24
)

// GeneratePassword returns a random password that satisfies p and any
// stricter policy: it always contains a lower-case letter, an upper-case
// letter, a digit and a symbol, and is max(p.MinimumLength, 24) bytes long.
func GeneratePassword(p PasswordPolicy) (string, error) {
	n := max(p.MinimumLength, GeneratedPasswordMinLength)
	if n > PasswordMaxLength {
		return "", fmt.Errorf("password policy minimum length %d exceeds Mattermost's maximum of %d", p.MinimumLength, PasswordMaxLength)
	}
	all := LowercaseLetters + UppercaseLetters + Digits + Symbols
	buf := make([]byte, 0, n)
	for _, set := range []string{LowercaseLetters, UppercaseLetters, Digits, Symbols} {
		c, err := pick(set)
		if err != nil {
			return "", err
		}
		buf = append(buf, c)
	}
	for len(buf) < n {
		c, err := pick(all)
		if err != nil {
			return "", err
		}
		buf = append(buf, c)
	}
	// Fisher-Yates shuffle so the guaranteed characters are not in front.
	for i := len(buf) - 1; i > 0; i-- {
		j, err := randInt(i + 1)
		if err != nil {
			return "", err
		}
		buf[i], buf[j] = buf[j], buf[i]
	}
	return string(buf), nil
}

func pick(set string) (byte, error) {
	i, err := randInt(len(set))
	if err != nil {
		return 0, err
	}
	return set[i], nil
}

func randInt(n int) (int, error) {
	if n <= 0 {
		return 0, errors.New("randInt: bad bound")
	}
	v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		return 0, fmt.Errorf("generate password: %w", err)
	}
	return int(v.Int64()), nil
}
