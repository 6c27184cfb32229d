package entra

import (
	"errors"
	"strings"
	"testing"

	fakegraph "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/graph"
	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
)

const deletedKey = "GET /v1.0/directory/deletedItems/microsoft.graph.user"

// D deleted users cost max(1, ceil(D/999)) Graph requests and one token.
func TestListDeletedUsersRequestCount(t *testing.T) {
	for _, d := range []int{0, 1, 998, 999, 1000, 2500} {
		deleted := fakegraph.GenerateUsers(d)
		e := setup(t, fakegraph.Options{DeletedUsers: deleted}, nil)
		got, err := e.src.ListDeletedUsers(ctx(t))
		if err != nil {
			t.Fatalf("D=%d: %v", d, err)
		}
		if len(got) != d {
			t.Fatalf("D=%d: %d deleted users", d, len(got))
		}
		pages := max(1, (d+PageSize-1)/PageSize)
		if r := e.fake.Requests(); r[deletedKey] != pages || r["POST /token"] != 1 {
			t.Errorf("D=%d: requests %v, want %d pages and 1 token", d, r, pages)
		}
		for i, u := range got {
			want := mmsync.DeletedUser{ID: deleted[i].ID(), Mail: deleted[i]["mail"].(string),
				UserPrincipalName: deleted[i]["userPrincipalName"].(string)}
			if u != want {
				t.Fatalf("D=%d: got %+v, want %+v", d, u, want)
			}
		}
		for _, r := range e.fake.Log() {
			if r.Key == deletedKey && (strings.Join(r.Query["$select"], "") != "id,mail,userPrincipalName" || r.Query["$top"][0] != "999") {
				t.Fatalf("query %v", r.Query)
			}
		}
	}
}

// A user deleted in Entra ID is listed with the addresses it held, not
// with the UPN Graph renames it to.
func TestListDeletedUsersUndoesTheRename(t *testing.T) {
	users := fakegraph.GenerateUsers(3)
	e := setup(t, fakegraph.Options{Users: users}, nil)
	e.fake.DeleteUser(users[2].ID())
	if served := e.fake.DeletedUsers()[0]["userPrincipalName"]; served != "00000000000040008000000000000003user0003@contoso.example" {
		t.Fatalf("the fake serves %v", served)
	}
	got, err := e.src.ListDeletedUsers(ctx(t))
	want := []mmsync.DeletedUser{{ID: users[2].ID(), Mail: "user0003@contoso.example", UserPrincipalName: "user0003@contoso.example"}}
	if err != nil || len(got) != 1 || got[0] != want[0] {
		t.Fatalf("%+v %v", got, err)
	}
	live, err := e.src.ListUsers(ctx(t))
	if err != nil || len(live) != 2 {
		t.Fatalf("%d users, %v", len(live), err)
	}
}

func TestListDeletedUsersErrors(t *testing.T) {
	t.Run("missing permission", func(t *testing.T) {
		e := setup(t, fakegraph.Options{DeletedUsers: fakegraph.GenerateUsers(3), ForbiddenDeletedUsers: true}, nil)
		got, err := e.src.ListDeletedUsers(ctx(t))
		var pe *PermissionError
		if got != nil || !errors.As(err, &pe) {
			t.Fatalf("%v %T %v", got, err, err)
		}
		if pe.Permission != "User.Read.All" || pe.Code != "Authorization_RequestDenied" || pe.What != "deleted users" {
			t.Fatalf("%+v", pe)
		}
		var ie *IncompleteReadError
		if errors.As(err, &ie) {
			t.Fatal("a missing permission must not look like a failed read")
		}
		msg := err.Error()
		t.Log(msg)
		for _, s := range []string{"User.Read.All", "Grant admin consent", "deleted users", "403"} {
			if !strings.Contains(msg, s) {
				t.Errorf("message lacks %q", s)
			}
		}
		if n := e.fake.Requests()[deletedKey]; n != 1 {
			t.Errorf("a 403 was tried %d times", n)
		}
	})
	t.Run("failure on a later page", func(t *testing.T) {
		e := setup(t, fakegraph.Options{DeletedUsers: fakegraph.GenerateUsers(1500)}, func(c *Config) { c.Clock = &fakeClock{} })
		e.fake.FailPage(2, 503, 0)
		got, err := e.src.ListDeletedUsers(ctx(t))
		var ie *IncompleteReadError
		if got != nil || !errors.As(err, &ie) || ie.Pages != 1 || ie.Users != 999 || ie.What != "deleted users" {
			t.Fatalf("%v %T %v", got, err, err)
		}
		var pe *PermissionError
		if errors.As(err, &pe) {
			t.Fatal("a 503 is no missing permission")
		}
	})
	t.Run("wrong secret", func(t *testing.T) {
		e := setup(t, fakegraph.Options{}, func(c *Config) { c.ClientSecret = "wrong-" + secret })
		_, err := e.src.ListDeletedUsers(ctx(t))
		var ie *IncompleteReadError
		var ae *AuthError
		if !errors.As(err, &ie) || !errors.As(err, &ae) || ae.Code != "AADSTS7000215" {
			t.Fatalf("%T %v", err, err)
		}
	})
}

// Task: a user served with "accountEnabled": null reads as BoolUnknown,
// never as false.
func TestAccountEnabledNullIsUnknown(t *testing.T) {
	users := fakegraph.GenerateUsers(10) // user0010 is disabled
	users[0]["accountEnabled"] = nil
	delete(users[1], "accountEnabled") // absent: Graph serves null too
	e := setup(t, fakegraph.Options{Users: users}, nil)
	e.fake.SetUserProperty(users[2].ID(), "accountEnabled", nil)
	got, err := e.src.ListUsers(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]mmsync.Bool{users[0].ID(): mmsync.BoolUnknown, users[1].ID(): mmsync.BoolUnknown,
		users[2].ID(): mmsync.BoolUnknown, users[3].ID(): mmsync.BoolTrue, users[9].ID(): mmsync.BoolFalse}
	for _, u := range got {
		if w, ok := want[u.ID]; ok && u.AccountEnabled != w {
			t.Errorf("%s: accountEnabled %v, want %v", u.ID, u.AccountEnabled, w)
		}
	}
}

func TestOriginalUPN(t *testing.T) {
	const id = "0d2f6c1e-8b7a-4c3d-9e2f-a1b2c3d4e5f6"
	tests := []struct{ upn, want string }{
		{"0d2f6c1e8b7a4c3d9e2fa1b2c3d4e5f6jane@contoso.com", "jane@contoso.com"},
		{"0D2F6C1E8B7A4C3D9E2FA1B2C3D4E5F6jane@contoso.com", "jane@contoso.com"},
		{"jane@contoso.com", "jane@contoso.com"},                                 // not renamed
		{"0d2f6c1e8b7a4c3d9e2fa1b2c3d4e5f6", "0d2f6c1e8b7a4c3d9e2fa1b2c3d4e5f6"}, // nothing after the prefix
		{"", ""},
		{"0d2f6c1e8b7a4c3d9e2fa1b2c3d4e5f6jane_contoso.com#EXT#@contoso.onmicrosoft.com", "jane_contoso.com#EXT#@contoso.onmicrosoft.com"},
	}
	for _, tt := range tests {
		if got := originalUPN(id, tt.upn); got != tt.want {
			t.Errorf("originalUPN(%q) = %q, want %q", tt.upn, got, tt.want)
		}
	}
}

func FuzzOriginalUPN(f *testing.F) {
	f.Add("0d2f6c1e-8b7a-4c3d-9e2f-a1b2c3d4e5f6", "jane@contoso.com")
	f.Add("", "x")
	f.Add("a-b", "ab")
	f.Fuzz(func(t *testing.T, id, upn string) {
		// Graph's rename is undone exactly.
		if got := originalUPN(id, fakegraph.DeletedUPN(id, upn)); upn != "" && got != upn {
			t.Fatalf("originalUPN(%q, renamed %q) = %q", id, upn, got)
		}
		// Whatever the input, the result is a suffix of it.
		if got := originalUPN(id, upn); !strings.HasSuffix(upn, got) {
			t.Fatalf("originalUPN(%q, %q) = %q", id, upn, got)
		}
	})
}
