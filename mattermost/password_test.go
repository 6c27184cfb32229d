package mattermost

import (
	"strings"
	"testing"
)

func TestGeneratePassword(t *testing.T) {
	cases := []struct {
		p       PasswordPolicy
		wantLen int
		wantErr bool
	}{
		{PasswordPolicy{}, 24, false},
		{PasswordPolicy{MinimumLength: 8}, 24, false},
		{PasswordPolicy{MinimumLength: 5, Lowercase: true, Uppercase: true, Number: true, Symbol: true}, 24, false},
		{PasswordPolicy{MinimumLength: 40, Symbol: true}, 40, false},
		{PasswordPolicy{MinimumLength: 72, Lowercase: true, Uppercase: true, Number: true, Symbol: true}, 72, false},
		{PasswordPolicy{MinimumLength: 73}, 0, true},
	}
	for _, tc := range cases {
		pw, err := GeneratePassword(tc.p)
		if tc.wantErr {
			if err == nil {
				t.Errorf("%+v: want error", tc.p)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%+v: %v", tc.p, err)
		}
		if len(pw) != tc.wantLen {
			t.Errorf("%+v: len %d, want %d", tc.p, len(pw), tc.wantLen)
		}
	}
}

// Property: every generated password has each class, only allowed bytes,
// no space, and is unique.
func TestGeneratePasswordProperties(t *testing.T) {
	allowed := LowercaseLetters + UppercaseLetters + Digits + Symbols
	seen := map[string]bool{}
	firstClass := map[byte]int{}
	for i := 0; i < 2000; i++ {
		pw, err := GeneratePassword(PasswordPolicy{MinimumLength: 5 + i%68})
		if err != nil {
			t.Fatal(err)
		}
		if len(pw) < 24 || len(pw) > PasswordMaxLength {
			t.Fatalf("length %d", len(pw))
		}
		for _, set := range []string{LowercaseLetters, UppercaseLetters, Digits, Symbols} {
			if !strings.ContainsAny(pw, set) {
				t.Fatalf("%q lacks one of %q", pw, set)
			}
		}
		for j := 0; j < len(pw); j++ {
			if !strings.ContainsRune(allowed, rune(pw[j])) || pw[j] == ' ' {
				t.Fatalf("bad byte %q", pw[j])
			}
		}
		if seen[pw] {
			t.Fatal("duplicate password")
		}
		seen[pw] = true
		// classify the first character: it must not always be lowercase
		switch c := pw[0]; {
		case strings.IndexByte(LowercaseLetters, c) >= 0:
			firstClass['l']++
		case strings.IndexByte(UppercaseLetters, c) >= 0:
			firstClass['u']++
		case strings.IndexByte(Digits, c) >= 0:
			firstClass['d']++
		default:
			firstClass['s']++
		}
	}
	if len(firstClass) != 4 {
		t.Fatalf("shuffle looks biased: %v", firstClass)
	}
	// Mattermost's symbol set minus the space.
	if Symbols != strings.TrimPrefix(" !\"\\#$%&'()*+,-./:;<=>?@[]^_`|~", " ") {
		t.Fatal("symbol set drifted")
	}
}

func TestUserStringHidesPassword(t *testing.T) {
	u := User{Username: "a", Password: "hunter2hunter2"}
	for _, s := range []string{u.String(), u.GoString()} {
		if strings.Contains(s, "hunter2") {
			t.Fatal("password printed")
		}
	}
}
