package world

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	fakemm "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/mattermost"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/mattermost"
	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
)

// Views of the fake Mattermost, and requests as its users would make them.

// Account returns the Mattermost account with this address, or fails the
// test.
func (w *World) Account(email string) fakemm.User {
	w.T.Helper()
	u, ok := w.MM.UserByEmail(email)
	if !ok {
		w.T.Fatalf("no Mattermost account %s", email)
	}
	return u
}

// TeamMemberIDs returns, sorted, the user ids with an active membership of
// team teamID.
func (w *World) TeamMemberIDs(teamID string) []string {
	var out []string
	for _, m := range w.MM.TeamMembers(teamID) {
		if m.DeleteAt == 0 {
			out = append(out, m.UserID)
		}
	}
	slices.Sort(out)
	return out
}

// Batches counts the Graph $batch requests (JSON batching: the direct reads
// that confirm a departure) the fake Graph answered since its counters were
// last reset (Noop, w.Graph.ResetCounters).
func (w *World) Batches() int {
	return w.Graph.Requests()["POST /v1.0/$batch"]
}

// AsUser sends a request to the API path (relative to /api/v4, e.g.
// "/users/me/patch") with body as JSON and the session token of a signed-in
// user (SignIn), as the web app does for them; it returns the status code
// and the decoded answer (nil unless it is a JSON object).
func (w *World) AsUser(token, method, path string, body any) (int, map[string]any) {
	w.T.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, w.MM.URL()+"/api/v4"+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := w.MM.Client().Do(req)
	if err != nil {
		w.T.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// ChannelEmails lists, sorted and lower-cased, the addresses of the members
// of channel channelID, the token owner left out.
func (w *World) ChannelEmails(channelID string) []string {
	var out []string
	for _, m := range w.MM.ChannelMembers(channelID) {
		if m.UserID == w.MM.AdminID() {
			continue
		}
		u, _ := w.MM.User(m.UserID)
		out = append(out, strings.ToLower(u.Email))
	}
	slices.Sort(out)
	return out
}

// GroupAccounts lists, sorted and lower-cased, the addresses of the active
// accounts linked to members of group groupID: ExpectedMembers, less the
// members the plan skipped (in tenant-2000 a few users' only address is
// another user's mail).
func (w *World) GroupAccounts(groupID string) []string {
	in := map[string]bool{}
	for _, g := range w.Groups {
		if g.ID == groupID {
			for _, id := range g.Members {
				in[id] = true
			}
		}
	}
	var out []string
	for _, u := range w.MM.Users() {
		if u.DeleteAt == 0 && in[u.Props["entra_object_id"]] {
			out = append(out, strings.ToLower(u.Email))
		}
	}
	slices.Sort(out)
	return out
}

// AccountEmails lists, sorted, every active account's address except the
// token owner's.
func (w *World) AccountEmails() []string {
	var out []string
	for _, u := range w.MM.Users() {
		if u.ID != w.MM.AdminID() && u.DeleteAt == 0 {
			out = append(out, u.Email)
		}
	}
	slices.Sort(out)
	return out
}

// Admin returns a Mattermost client with the token owner's (a system
// admin's) token, to change Mattermost between runs as an administrator
// would.
func (w *World) Admin() *mattermost.Client {
	w.T.Helper()
	c, err := mattermost.New(w.MM.URL(), w.MM.AdminToken(), mattermost.Options{})
	if err != nil {
		w.T.Fatal(err)
	}
	return c
}

// SignIn logs the account with this address in, as the web app does (with
// a password of its own, which it sets), and returns its id and session
// token for AsUser and OwnPatch.
func (w *World) SignIn(mail string) (id, token string) {
	w.T.Helper()
	a := w.Account(mail)
	return a.ID, w.MM.LogIn(a.ID, "own-password-"+a.ID[:6])
}

// OwnPatch sends a patch of one's own account and fails unless it succeeds.
func (w *World) OwnPatch(token string, body map[string]any) {
	w.T.Helper()
	if code, got := w.AsUser(token, "PUT", "/users/me/patch", body); code != 200 {
		w.T.Fatalf("own patch %v: %d %v", body, code, got)
	}
}

// AllOnboarded fails t for every linked account of a directory user with a
// mail that l does not find onboarded, or that still waits for its mail.
func (w *World) AllOnboarded(t *testing.T, l mmsync.Linker) {
	t.Helper()
	for _, u := range w.MM.Users() {
		a := mmsync.Account{ID: u.ID, Props: u.Props}
		oid := u.Props[mmsync.PropEntraID]
		if oid == "" {
			continue
		}
		if !l.Onboarded(&a, oid) || u.Props[mmsync.PropOnboardPending] != "" {
			if _, hasMail := w.DirectoryMails()[strings.ToLower(u.Email)]; hasMail {
				t.Errorf("%s is not recorded as onboarded: %v", u.Username, u.Props)
			}
		}
	}
}
