package world

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	fakegraph "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/graph"
)

// Fixtures and the rules, written apart from package sync, for who gets an
// account.

// fixture returns the contents of the tenant file testdata/name in the
// module's root, wherever the test runs from.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(moduleRoot(t), "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// moduleRoot is the folder of go.mod, the first found upwards from the
// working directory (go test runs a test in its package's folder). Not
// runtime.Caller's file name: under -trimpath it is an import path.
func moduleRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("world: no go.mod above the working directory: run the tests with go test")
		}
		dir = parent
	}
}

// ExpectedCreates is how many accounts a first sync of the tenant file
// testdata/name creates, by rules written independently of package sync: an
// enabled member (guests are out of scope by default) with an address (mail, else
// a UPN that is not a guest's #EXT# name), unless another directory user
// claims the same address, where a user's own mail beats another user's UPN
// fallback and, among several mails, only a sole enabled claimant wins.
func ExpectedCreates(t *testing.T, name string) int {
	t.Helper()
	return expectedCreatesIn(t, fixture(t, name))
}

// expectedCreatesIn is ExpectedCreates for a tenant file's contents.
func expectedCreatesIn(t *testing.T, b []byte) int {
	t.Helper()
	var f struct {
		Users []struct {
			AccountEnabled bool    `json:"accountEnabled"`
			UserType       string  `json:"userType"`
			Mail           *string `json:"mail"`
			UPN            string  `json:"userPrincipalName"`
		} `json:"users"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	type claim struct{ enabled, byMail bool }
	claims := map[string][]claim{}
	for _, u := range f.Users {
		switch {
		case u.UserType == "Guest": // out of scope unless include-guests
		case u.Mail != nil && *u.Mail != "":
			claims[strings.ToLower(*u.Mail)] = append(claims[strings.ToLower(*u.Mail)], claim{u.AccountEnabled, true})
		case !strings.Contains(u.UPN, "#EXT#"):
			claims[strings.ToLower(u.UPN)] = append(claims[strings.ToLower(u.UPN)], claim{u.AccountEnabled, false})
		}
	}
	n := 0
	for _, cs := range claims {
		var mails, enabledMails int
		var winner *claim
		for i, c := range cs {
			if c.byMail {
				mails++
				if c.enabled {
					enabledMails++
				}
			}
			if len(cs) == 1 {
				winner = &cs[i]
			}
		}
		for i, c := range cs {
			if len(cs) > 1 && c.byMail && (mails == 1 || c.enabled && enabledMails == 1) {
				winner = &cs[i]
			}
		}
		if winner != nil && winner.enabled {
			n++
		}
	}
	return n
}

// Guests counts the guests of the tenant file testdata/name.
func Guests(t *testing.T, name string) int {
	t.Helper()
	return strings.Count(string(fixture(t, name)), `"userType": "Guest"`)
}

// ExpectedCreatesOf is ExpectedCreates for a tenant held in memory.
func ExpectedCreatesOf(t *testing.T, users []fakegraph.User) int {
	t.Helper()
	b, err := json.Marshal(map[string]any{"users": users})
	if err != nil {
		t.Fatal(err)
	}
	return expectedCreatesIn(t, b)
}
