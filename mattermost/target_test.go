package mattermost

import (
	"encoding/json"
	"testing"
)

// Mattermost omits email_verified when it is false (model.User's omitempty):
// absent must read as unverified, never as verified.
func TestToAccountEmailVerified(t *testing.T) {
	for body, want := range map[string]bool{
		`{"id":"u1","email":"a@x.example"}`:                        false,
		`{"id":"u1","email":"a@x.example","email_verified":true}`:  true,
		`{"id":"u1","email":"a@x.example","email_verified":false}`: false,
	} {
		var u User
		if err := json.Unmarshal([]byte(body), &u); err != nil {
			t.Fatal(err)
		}
		if got := ToAccount(u).EmailVerified; got != want {
			t.Errorf("%s: EmailVerified %v, want %v", body, got, want)
		}
	}
}
