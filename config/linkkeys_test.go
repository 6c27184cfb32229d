package config

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
)

func TestParseLinkKeys(t *testing.T) {
	const token = "mmtoken-0123456789"
	derived := mmsync.DeriveLinkKey(token)
	tests := []struct {
		in      string
		want    [][]byte
		wantErr string
	}{
		{"", [][]byte{derived}, ""},
		{"one-key-of-16-chars\n", [][]byte{[]byte("one-key-of-16-chars\n")}, ""}, // one key: as given, as before
		{"new-key-of-16-chars, old-key-of-16-chars", [][]byte{[]byte("new-key-of-16-chars"), []byte("old-key-of-16-chars")}, ""},
		{"new-key-of-16-chars\nderived", [][]byte{[]byte("new-key-of-16-chars"), derived}, ""},
		{"derived", [][]byte{derived}, ""},
		{"new-key-of-16-chars\nshort", nil, "key 2 of 2 is shorter than 16 characters"},
		{"new-key-of-16-chars,new-key-of-16-chars", nil, "key 2 of 2 repeats an earlier key"},
	}
	for _, tt := range tests {
		got, err := ParseLinkKeys(tt.in, token)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%q: err %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || len(got) != len(tt.want) {
			t.Errorf("%q: %d keys, %v", tt.in, len(got), err)
			continue
		}
		for i := range got {
			if !bytes.Equal(got[i], tt.want[i]) {
				t.Errorf("%q: key %d differs", tt.in, i)
			}
		}
	}
}

func TestInstanceInputs(t *testing.T) {
	c, err := load(t, nil, with(map[string]string{"INPUT_INSTANCE": "hr-eu.1", "INPUT_CLAIM-UNNAMED-LINKS": "true",
		"INPUT_LINK-KEY": "new-key-of-16-chars\nold-key-of-16-chars"}))
	if err != nil || c.Instance != "hr-eu.1" || !c.ClaimUnnamedLinks || len(c.LinkKeys) != 2 || string(c.LinkKey) != "new-key-of-16-chars" {
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
