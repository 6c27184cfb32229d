package config

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParseLinkKeys(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr string
	}{
		{"", nil, ""},
		{"one-key-of-16-chars\n", []string{"one-key-of-16-chars\n"}, ""}, // one key: as given, as before
		{"new-key-of-16-chars, old-key-of-16-chars", []string{"new-key-of-16-chars", "old-key-of-16-chars"}, ""},
		{"new-key-of-16-chars\nDerived", []string{"new-key-of-16-chars", DerivedKeyEntry}, ""},
		{"derived", []string{DerivedKeyEntry}, ""},
		{"derived,DERIVED", nil, "key 2 of 2 repeats an earlier key"},
		{"new-key-of-16-chars\nshort", nil, "key 2 of 2 is shorter than 16 characters"},
		{"new-key-of-16-chars,new-key-of-16-chars", nil, "key 2 of 2 repeats an earlier key"},
	}
	for _, tt := range tests {
		got, err := ParseLinkKeys(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%q: err %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("%q: %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestInstanceInputs(t *testing.T) {
	c, err := load(t, nil, with(map[string]string{"INPUT_INSTANCE": "hr-eu.1", "INPUT_CLAIM-UNNAMED-LINKS": "true",
		"INPUT_LINK-KEY": "new-key-of-16-chars\nold-key-of-16-chars"}))
	if err != nil || c.Instance != "hr-eu.1" || !c.ClaimUnnamedLinks || !slices.Equal(c.LinkKeyEntries, []string{"new-key-of-16-chars", "old-key-of-16-chars"}) {
		t.Fatalf("%v %+v", err, c)
	}
	for _, over := range []map[string]string{
		{"INPUT_INSTANCE": "hr eu"},
		{"INPUT_INSTANCE": strings.Repeat("x", 41)},
		{"INPUT_CLAIM-UNNAMED-LINKS": "true"}, // without an instance
	} {
		_, err := load(t, nil, with(over))
		var errs Errors
		if !errors.As(err, &errs) || len(errs) != 1 {
			t.Errorf("%v: %v", over, err)
		}
	}
	vals := map[string]string{"link-key": "new-key-of-16-chars\nold-key-of-16-chars\nderived"}
	masked := strings.Join(Secrets(vals), "|")
	if !strings.Contains(masked, "|new-key-of-16-chars|old-key-of-16-chars") || strings.Contains(masked, "|derived") {
		t.Errorf("each key must be masked on its own, and the word derived not: %q", masked)
	}
}
