package snapshot

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/entra"
	fakegraph "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/graph"
	fakemm "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/mattermost"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/mattermost"
	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
)

const (
	tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	client = "11111111-2222-4333-8444-555555555555"
	secret = "s3cr3t~Value.With-Symbols_0123456789"
)

type sides struct {
	graph *fakegraph.Server
	mm    *fakemm.Server
	src   *entra.Source
	c     *mattermost.Client
}

func newSides(t *testing.T, users []fakegraph.User, groups []fakegraph.Group) *sides {
	t.Helper()
	g := fakegraph.New(fakegraph.Options{TenantID: tenant, ClientID: client, ClientSecret: secret, Users: users, Groups: groups})
	t.Cleanup(g.Close)
	m := fakemm.New(fakemm.Options{AdminToken: "mmtoken" + strings.Repeat("x", 19), AdminUsername: "sysadmin", AdminEmail: "sysadmin@contoso.example", ServerVersion: "11.4.0"})
	t.Cleanup(m.Close)
	src, err := entra.New(entra.Config{TenantID: tenant, ClientID: client, ClientSecret: secret,
		AuthorityHost: g.AuthorityHost(), GraphURL: g.GraphURL(), Transport: g.Transport()})
	if err != nil {
		t.Fatal(err)
	}
	c, err := mattermost.New(m.URL(), m.AdminToken(), mattermost.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return &sides{graph: g, mm: m, src: src, c: c}
}

func person(id, mail string) fakegraph.User {
	return fakegraph.User{"id": id, "accountEnabled": true, "userType": "Member", "displayName": mail, "mail": mail, "userPrincipalName": mail}
}

const (
	idA = "0c5c7fd0-a6a3-4450-a513-270e269e0d37"
	idB = "f28c105d-1fb1-4c23-90c1-92cfd3ac94af"
	gEn = "2e44158b-ae97-4a94-90ed-a82f8f6d0558"
	gE2 = "7731af10-506b-42ef-86f8-77186d76b07e"
)

func TestPreflight(t *testing.T) {
	s := newSides(t, nil, nil)
	f, err := Preflight(context.Background(), s.c, s.mm.URL())
	if err != nil {
		t.Fatal(err)
	}
	if f.Version != "11.4.0" || f.Me.Username != "sysadmin" {
		t.Fatalf("facts: %+v", f)
	}
	// A token that is not a system admin's is refused, naming the input.
	bad, _ := mattermost.New(s.mm.URL(), "wrong-token-0000000000000", mattermost.Options{})
	if _, err := Preflight(context.Background(), bad, s.mm.URL()); err == nil || !strings.Contains(err.Error(), "input mattermost-token") {
		t.Fatalf("a wrong token: %v", err)
	}
}

func TestDescribeMattermostError(t *testing.T) {
	const url = "https://chat.example.com"
	for _, tt := range []struct {
		err  error
		want string
	}{
		{&mattermost.AppError{StatusCode: 401, ID: "api.context.session_expired.app_error"}, "input mattermost-token: Mattermost at https://chat.example.com refused the token"},
		{&mattermost.AppError{StatusCode: 403, ID: "api.context.permissions.app_error"}, "input mattermost-token: Mattermost refused to read users (403"},
		{&mattermost.AppError{StatusCode: 404, Method: "GET", Path: "/api/v4/users/me"}, "input mattermost-url: https://chat.example.com answered 404"},
		{&mattermost.RedirectError{Method: "GET", Path: "/api/v4/users/me", StatusCode: 301, Base: url, Location: "https://chat.example.com/mm/api/v4/users/me"}, "input mattermost-url:"},
		{&mattermost.AppError{StatusCode: 500, ID: "app.x"}, "read users: "},
		{context.Canceled, "read users: context canceled"},
		{errors.New("dial tcp: connection refused"), "input mattermost-url: cannot read users at https://chat.example.com"},
	} {
		got := DescribeMattermostError(tt.err, url, "read users").Error()
		if !strings.HasPrefix(got, tt.want) {
			t.Errorf("%v\n got %q\nwant prefix %q", tt.err, got, tt.want)
		}
	}
}

func TestDeletedUsersWarning(t *testing.T) {
	w := deletedUsersWarning(&entra.PermissionError{What: "deleted users", Permission: "User.Read.All", Code: "Authorization_RequestDenied"})
	if !strings.Contains(w, "User.Read.All") || !strings.Contains(w, "linked accounts of deleted users still are") {
		t.Errorf("permission warning: %q", w)
	}
	if w := deletedUsersWarning(errors.New("503")); !strings.Contains(w, "not deactivated in this run") {
		t.Errorf("read warning: %q", w)
	}
}

func TestRead(t *testing.T) {
	users := []fakegraph.User{person(idA, "ann@contoso.example"), person(idB, "bob@contoso.example")}
	groups := []fakegraph.Group{
		{ID: gEn, DisplayName: "Engineering", Members: []string{idA}},
		{ID: gE2, DisplayName: "Twins", Members: []string{idB}},
		{ID: "9be4bcfc-49b6-4a08-b2e6-cc3ababced20", DisplayName: "Twins", Members: []string{idA}},
		{ID: "7d2caf82-eeea-4be2-a6e8-75555790f82e", DisplayName: "Empty"},
	}
	ctx := context.Background()
	t.Run("scope and counts", func(t *testing.T) {
		s := newSides(t, users, groups)
		snap, err := Read(ctx, Inputs{Groups: []string{"Engineering", "Empty"}, Deactivate: true}, s.src, s.c, "")
		if err != nil {
			t.Fatal(err)
		}
		if snap.Read != 2 || len(snap.Users) != 1 || snap.OutOfScope != 1 || snap.ScopeGroups["Empty"] != 0 || snap.ScopeGroups["Engineering"] != 1 {
			t.Fatalf("snapshot: read %d, in scope %d, out %d, groups %v", snap.Read, len(snap.Users), snap.OutOfScope, snap.ScopeGroups)
		}
		if d := snap.Directory(); len(d.Users) != 1 {
			t.Fatalf("directory: %+v", d)
		}
	})
	// What does not resolve is a broken mapping, not an error: the planner
	// freezes it and the rest of the run goes on.
	for _, tt := range []struct {
		name string
		cfg  Inputs
		want mmsync.BrokenMapping
	}{
		{"unknown team", Inputs{Teams: []string{"nope"}}, mmsync.BrokenMapping{Input: "teams", Entry: "nope", Error: `Mattermost has no team named "nope"`}},
		{"unknown group", Inputs{Groups: []string{"Nobody"}}, mmsync.BrokenMapping{Input: "groups", Entry: "Nobody", Error: `Entra ID has no group named "Nobody"`}},
		{"ambiguous group", Inputs{Groups: []string{"Twins"}}, mmsync.BrokenMapping{Input: "groups", Entry: "Twins", Error: `2 groups are named "Twins"`}},
		{"deleted group", Inputs{GroupTeams: []mmsync.GroupTeams{{Group: "8be4bcfc-49b6-4a08-b2e6-cc3ababced21", Teams: []string{"nope"}, Line: 2}}},
			mmsync.BrokenMapping{Input: "group-teams", Line: 2, Entry: "8be4bcfc-49b6-4a08-b2e6-cc3ababced21", Error: "was not found in Entra ID: deleted"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := newSides(t, users, groups)
			snap, err := Read(ctx, tt.cfg, s.src, s.c, "")
			if err != nil || len(snap.Broken) != 1 {
				t.Fatalf("err = %v, broken %+v", err, snap)
			}
			b := snap.Broken[0]
			if b.Input != tt.want.Input || b.Line != tt.want.Line || b.Entry != tt.want.Entry || !strings.Contains(b.Error, tt.want.Error) {
				t.Fatalf("broken %+v, want %+v", b, tt.want)
			}
		})
	}
	t.Run("a name shows the object id it resolved to", func(t *testing.T) {
		s := newSides(t, users, groups)
		snap, err := Read(ctx, Inputs{Groups: []string{"Engineering", gE2}}, s.src, s.c, "")
		if err != nil || len(snap.ResolvedGroups) != 1 || snap.ResolvedGroups[0] != (mmsync.ResolvedGroup{Name: "Engineering", ObjectID: gEn}) {
			t.Fatalf("err %v, resolved %+v", err, snap.ResolvedGroups)
		}
	})
	t.Run("deleted users forbidden is a warning", func(t *testing.T) {
		s := newSides(t, users, nil)
		s.graph.SetForbiddenDeletedUsers(true)
		snap, err := Read(ctx, Inputs{Deactivate: true}, s.src, s.c, "")
		if err != nil || snap.Deleted != nil || len(snap.Warnings) != 1 || !strings.Contains(snap.Warnings[0], "User.Read.All") {
			t.Fatalf("err %v, deleted %v, warnings %q", err, snap.Deleted, snap.Warnings)
		}
	})
	t.Run("deleted users are read", func(t *testing.T) {
		s := newSides(t, users, nil)
		s.graph.DeleteUser(idB)
		snap, err := Read(ctx, Inputs{Deactivate: true}, s.src, s.c, "")
		if err != nil || len(snap.Deleted) != 1 || snap.Deleted[0].Mail != "bob@contoso.example" {
			t.Fatalf("err %v, deleted %+v", err, snap.Deleted)
		}
		var _ mmsync.DeletedUser = snap.Deleted[0]
	})
}

// A Mattermost URL that redirects is refused with the URL to use, and the
// token does not follow.
func TestRedirectIsNotFollowed(t *testing.T) {
	var leaked bool
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked = leaked || r.Header.Get("Authorization") != ""
	}))
	defer other.Close()
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusMovedPermanently)
	}))
	defer site.Close()
	c, err := mattermost.New(site.URL, "token-0000000000000000000", mattermost.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Preflight(context.Background(), c, site.URL)
	if err == nil || !strings.HasPrefix(err.Error(), "input mattermost-url") || leaked {
		t.Fatalf("err = %v, token leaked: %v", err, leaked)
	}
}
