package mattermost_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	fakemm "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/mattermost"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/mattermost"
	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
)

func newPair(t *testing.T, fo fakemm.Options) (*fakemm.Server, *mattermost.Client) {
	t.Helper()
	srv, c, _ := newPairClock(t, fo, mattermost.Options{})
	return srv, c
}

// newPairClock starts a fake server and a client on a fake clock (opts.Clock
// unless set).
func newPairClock(t *testing.T, fo fakemm.Options, opts mattermost.Options) (*fakemm.Server, *mattermost.Client, *mattermost.FakeClock) {
	t.Helper()
	srv := fakemm.New(fo)
	t.Cleanup(srv.Close)
	clock, _ := opts.Clock.(*mattermost.FakeClock)
	if clock == nil {
		clock = mattermost.NewFakeClock()
		opts.Clock = clock
	}
	opts.Timeout = 10 * time.Second
	c, err := mattermost.New(srv.URL()+"/api/v4/", srv.AdminToken(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return srv, c, clock
}

func seedUsers(srv *fakemm.Server, n int) {
	for i := 0; i < n; i++ {
		srv.AddUser(fakemm.User{Username: fmt.Sprintf("user%04d", i), Email: fmt.Sprintf("user%04d@example.com", i)})
	}
}

func TestNormalizeBaseURL(t *testing.T) {
	cases := []struct {
		in, want string
		wantErr  bool
	}{
		{"https://chat.example.com", "https://chat.example.com", false},
		{"https://chat.example.com/", "https://chat.example.com", false},
		{"https://chat.example.com/api/v4", "https://chat.example.com", false},
		{"https://chat.example.com/api/v4/", "https://chat.example.com", false},
		{"  https://chat.example.com/API/V4  ", "https://chat.example.com", false},
		{"http://127.0.0.1:8065", "http://127.0.0.1:8065", false},
		{"https://example.com/mattermost/", "https://example.com/mattermost", false},
		{"https://example.com/mattermost/api/v4", "https://example.com/mattermost", false},
		{"HTTPS://chat.example.com", "https://chat.example.com", false},
		{"", "", true},
		{"chat.example.com", "", true},
		{"ftp://chat.example.com", "", true},
		{"file:///etc/passwd", "", true},
		{"https://", "", true},
		{"https:///api/v4", "", true},
		{"https://user:secret@chat.example.com", "", true},
		{"https://chat.example.com/?x=1", "", true},
		{"://bad", "", true},
	}
	for _, tc := range cases {
		got, err := mattermost.NormalizeBaseURL(tc.in)
		if tc.wantErr {
			if err == nil {
				t.Errorf("NormalizeBaseURL(%q) = %q, want error", tc.in, got)
			} else if strings.Contains(err.Error(), "secret") {
				t.Errorf("error leaks credentials: %v", err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("NormalizeBaseURL(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if _, err := mattermost.New("https://chat.example.com", "", mattermost.Options{}); err == nil {
		t.Error("New with empty token: want error")
	}
}

func TestListUsersPaging(t *testing.T) {
	srv, c := newPair(t, fakemm.Options{})
	seedUsers(srv, 449) // + admin = 450
	srv.AddUser(fakemm.User{Username: "bot1", Email: "bot1@localhost", IsBot: true})
	remote := "remote1"
	srv.AddUser(fakemm.User{Username: "remote:alice", Email: "alice@remote", RemoteID: &remote})
	srv.AddUser(fakemm.User{Username: "gone", Email: "gone@example.com", DeleteAt: 1})
	srv.ResetCounters()
	users, err := c.ListUsers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 453 {
		t.Fatalf("got %d users, want 453", len(users))
	}
	if n := srv.Requests()["GET /api/v4/users"]; n != 3 {
		t.Fatalf("list requests = %d, want 3", n)
	}
	seen := map[string]bool{}
	var bots, remotes, inactive int
	for _, u := range users {
		if seen[u.ID] {
			t.Fatalf("duplicate %s", u.ID)
		}
		seen[u.ID] = true
		if u.Password != "" {
			t.Fatal("password returned")
		}
		if u.IsBot {
			bots++
		}
		if u.RemoteID != nil && *u.RemoteID != "" {
			remotes++
		}
		if !u.Active() {
			inactive++
		}
	}
	if bots != 1 || remotes != 1 || inactive != 1 {
		t.Fatalf("bots=%d remotes=%d inactive=%d", bots, remotes, inactive)
	}
}

func TestListUsersExactMultipleOfPage(t *testing.T) {
	srv, c := newPair(t, fakemm.Options{})
	seedUsers(srv, 399) // + admin = 400
	srv.ResetCounters()
	users, err := c.ListUsers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 400 || srv.Requests()["GET /api/v4/users"] != 3 {
		t.Fatalf("users=%d requests=%d", len(users), srv.Requests()["GET /api/v4/users"])
	}
}

func TestObserve(t *testing.T) {
	srv, c := newPair(t, fakemm.Options{})
	srv.AddUser(fakemm.User{Username: "bot1", Email: "bot1@localhost", IsBot: true, Props: map[string]string{"a": "b"}})
	obs, err := c.ObserveAs(context.Background(), srv.AdminID())
	if err != nil {
		t.Fatal(err)
	}
	if obs.SelfID != srv.AdminID() || len(obs.Accounts) != 2 {
		t.Fatalf("obs = %+v", obs)
	}
	var bot mmsync.Account
	for _, a := range obs.Accounts {
		if a.IsBot {
			bot = a
		}
	}
	if bot.Props["a"] != "b" || bot.Username != "bot1" {
		t.Fatalf("bot = %+v", bot)
	}
}

func TestTargetRoundTrip(t *testing.T) {
	srv, c := newPair(t, fakemm.Options{PasswordPolicy: fakemm.PasswordPolicy{MinimumLength: 30, Lowercase: true, Uppercase: true, Number: true, Symbol: true}})
	ctx := context.Background()
	pol, err := c.PasswordPolicy(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if pol != (mattermost.PasswordPolicy{MinimumLength: 30, Lowercase: true, Uppercase: true, Number: true, Symbol: true}) {
		t.Fatalf("policy = %+v", pol)
	}
	tg := mattermost.NewTarget(c, pol, mattermost.TargetOptions{DisableWelcomeEmail: true})
	acc, _, err := tg.CreateUser(ctx, mmsync.NewUser{
		Username: "Alice.Smith", Email: "Alice.Smith@Example.com",
		Profile: mmsync.Profile{FirstName: "Alice", LastName: "Smith", Nickname: "Al", Position: "Engineer"},
		Props:   map[string]string{"entra_id": "abc"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if acc.ID == "" || acc.Username != "alice.smith" || acc.Email != "alice.smith@example.com" || acc.Roles != "system_user" ||
		acc.FirstName != "Alice" || acc.Position != "Engineer" || acc.Props["entra_id"] != "abc" || !acc.Active() {
		t.Fatalf("created = %+v", acc)
	}
	if _, ok := srv.PasswordHashes()[acc.ID]; !ok {
		t.Fatal("no password stored")
	}

	// second user gets a different password
	acc2, _, err := tg.CreateUser(ctx, mmsync.NewUser{Username: "bob", Email: "bob@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	h := srv.PasswordHashes()
	if h[acc.ID] == h[acc2.ID] {
		t.Fatal("passwords repeat")
	}

	// lookup, case-insensitive
	got, err := tg.GetUserByEmail(ctx, "ALICE.smith@example.com")
	if err != nil || got.ID != acc.ID {
		t.Fatalf("GetUserByEmail = %+v, %v", got, err)
	}
	_, err = tg.GetUserByEmail(ctx, "nobody@example.com")
	if !errors.Is(err, mmsync.ErrNotFound) {
		t.Fatalf("missing email: %v", err)
	}

	// patch: nil fields untouched, props replaced
	before, _ := srv.User(acc.ID)
	pos := "Manager"
	patched, err := tg.PatchUser(ctx, acc.ID, mmsync.Patch{Position: &pos, Props: map[string]string{"x": "y"}})
	if err != nil {
		t.Fatal(err)
	}
	if patched.Position != "Manager" || patched.FirstName != "Alice" || len(patched.Props) != 1 || patched.Props["x"] != "y" {
		t.Fatalf("patched = %+v", patched)
	}
	after, _ := srv.User(acc.ID)
	if after.UpdateAt <= before.UpdateAt {
		t.Fatal("update_at not bumped")
	}
	// empty props map clears props
	patched, err = tg.PatchUser(ctx, acc.ID, mmsync.Patch{Props: map[string]string{}})
	if err != nil || len(patched.Props) != 0 {
		t.Fatalf("clear props: %+v %v", patched, err)
	}
	// email clash on patch
	email := "bob@example.com"
	_, err = tg.PatchUser(ctx, acc.ID, mmsync.Patch{Email: &email})
	if !errors.Is(err, mmsync.ErrEmailExists) {
		t.Fatalf("patch clash: %v", err)
	}

	// deactivate / reactivate
	if err := tg.SetActive(ctx, acc.ID, false); err != nil {
		t.Fatal(err)
	}
	if u, _ := srv.User(acc.ID); u.DeleteAt == 0 {
		t.Fatal("not deactivated")
	}
	if err := tg.SetActive(ctx, acc.ID, true); err != nil {
		t.Fatal(err)
	}
	if u, _ := srv.User(acc.ID); u.DeleteAt != 0 {
		t.Fatal("not reactivated")
	}
}

func TestCreateConflicts(t *testing.T) {
	srv, c := newPair(t, fakemm.Options{})
	srv.AddUser(fakemm.User{Username: "taken", Email: "taken@example.com"})
	tg := mattermost.NewTarget(c, mattermost.PasswordPolicy{MinimumLength: 8}, mattermost.TargetOptions{})
	ctx := context.Background()

	_, _, err := tg.CreateUser(ctx, mmsync.NewUser{Username: "fresh", Email: "TAKEN@example.com"})
	if !errors.Is(err, mmsync.ErrEmailExists) || errors.Is(err, mmsync.ErrUsernameExists) {
		t.Fatalf("email clash: %v", err)
	}
	var idr mmsync.ErrorIDer
	if !errors.As(err, &idr) || idr.ErrorID() != "app.user.save.email_exists.app_error" {
		t.Fatalf("ErrorID: %v", err)
	}
	var ae *mattermost.AppError
	if !errors.As(err, &ae) || ae.StatusCode != 400 || ae.Method != "POST" || ae.Path != "/api/v4/users" {
		t.Fatalf("AppError = %+v", ae)
	}
	if !strings.HasPrefix(err.Error(), "POST /api/v4/users: 400 app.user.save.email_exists.app_error: ") {
		t.Fatalf("Error() = %q", err.Error())
	}

	_, _, err = tg.CreateUser(ctx, mmsync.NewUser{Username: "TAKEN", Email: "new@example.com"})
	if !errors.Is(err, mmsync.ErrUsernameExists) {
		t.Fatalf("username clash: %v", err)
	}
	if errors.Is(err, mmsync.ErrNotFound) {
		t.Fatal("400 must not be ErrNotFound")
	}

	_, _, err = tg.CreateUser(ctx, mmsync.NewUser{Username: "all", Email: "all@example.com"})
	if !errors.As(err, &ae) || ae.ID != "model.user.is_valid.username.app_error" {
		t.Fatalf("restricted username: %v", err)
	}
}

func TestUserLimits(t *testing.T) {
	srv, c := newPair(t, fakemm.Options{MaxUsersLimit: 2, MaxUsersHardLimit: 3})
	ctx := context.Background()
	l, err := c.GetServerLimits(ctx)
	if err != nil || l == nil || l.MaxUsersHardLimit != 3 || l.ActiveUserCount != 1 {
		t.Fatalf("limits = %+v, %v", l, err)
	}
	tg := mattermost.NewTarget(c, mattermost.PasswordPolicy{}, mattermost.TargetOptions{})
	a, _, err := tg.CreateUser(ctx, mmsync.NewUser{Username: "a", Email: "a@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := tg.CreateUser(ctx, mmsync.NewUser{Username: "b", Email: "b@example.com"}); err != nil {
		t.Fatal(err)
	}
	var ae *mattermost.AppError
	_, _, err = tg.CreateUser(ctx, mmsync.NewUser{Username: "c", Email: "c@example.com"})
	if !errors.As(err, &ae) || ae.ID != mattermost.IDUserLimitExceeded {
		t.Fatalf("create over limit: %v", err)
	}
	// reactivation is refused at the limit even for an active user
	err = tg.SetActive(ctx, a.ID, true)
	if !errors.As(err, &ae) || ae.ID != mattermost.IDReactivationLimit {
		t.Fatalf("reactivate over limit: %v", err)
	}
	if err := tg.SetActive(ctx, a.ID, false); err != nil {
		t.Fatal(err)
	}
	if err := tg.SetActive(ctx, a.ID, true); err != nil {
		t.Fatal(err)
	}
	// self-deactivation is refused
	err = tg.SetActive(ctx, srv.AdminID(), false)
	if !errors.As(err, &ae) || ae.StatusCode != 401 || ae.ID != "api.user.update_active.not_enable.app_error" {
		t.Fatalf("self deactivate: %v", err)
	}

	old, c2 := newPair(t, fakemm.Options{NoLimitsEndpoint: true})
	_ = old
	l, err = c2.GetServerLimits(ctx)
	if l != nil || err != nil {
		t.Fatalf("old server limits = %+v, %v", l, err)
	}
}

func TestPingAndConfig(t *testing.T) {
	_, c := newPair(t, fakemm.Options{ServerVersion: "11.4.0..6b3e5d4c2f0a9b8e7d6c5b4a39281706.false"})
	v, err := c.Ping(context.Background())
	if err != nil || v != "11.4.0" {
		t.Fatalf("ping = %q, %v", v, err)
	}
	pol, err := c.PasswordPolicy(context.Background())
	if err != nil || pol.MinimumLength != 8 || pol.Symbol {
		t.Fatalf("policy = %+v, %v", pol, err)
	}
	me, err := c.GetMe(context.Background())
	if err != nil || !strings.Contains(me.Roles, "system_admin") {
		t.Fatalf("me = %v, %v", me, err)
	}
}

func TestBadTokenNoLeak(t *testing.T) {
	srv := fakemm.New(fakemm.Options{})
	defer srv.Close()
	const secret = "super-secret-token-value"
	c, err := mattermost.New(srv.URL(), secret, mattermost.Options{Clock: mattermost.NewFakeClock()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetMe(context.Background())
	var ae *mattermost.AppError
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusUnauthorized || ae.ID != "api.context.session_expired.app_error" {
		t.Fatalf("err = %v", err)
	}
	// the fake (like the real server) echoes the token in detailed_error
	if strings.Contains(err.Error(), secret) || strings.Contains(fmt.Sprintf("%+v %#v", err, ae), secret) {
		t.Fatalf("token leaked: %v", err)
	}
	if srv.Requests()["GET /api/v4/users/me"] != 1 {
		t.Fatal("401 must not be retried")
	}
	// transport errors do not leak either
	c2, _ := mattermost.New("http://127.0.0.1:1", secret, mattermost.Options{RetryMax: -1})
	_, err = c2.GetMe(context.Background())
	if err == nil || strings.Contains(err.Error(), secret) {
		t.Fatalf("transport err = %v", err)
	}
}

func TestNonAdminForbidden(t *testing.T) {
	srv := fakemm.New(fakemm.Options{UserToken: "user-token"})
	defer srv.Close()
	c, _ := mattermost.New(srv.URL(), "user-token", mattermost.Options{Clock: mattermost.NewFakeClock()})
	_, err := c.CreateUser(context.Background(), mattermost.User{Username: "x", Email: "x@example.com", Password: "Passw0rd!!"})
	var ae *mattermost.AppError
	if !errors.As(err, &ae) || ae.StatusCode != 403 || ae.ID != mattermost.IDPermissions {
		t.Fatalf("err = %v", err)
	}
}

func TestRetry429PlainText(t *testing.T) {
	srv, c := newPair(t, fakemm.Options{})
	srv.FailNext(1, 429, "GET /api/v4/users/me") // Retry-After: 1
	if _, err := c.GetMe(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := srv.Requests()["GET /api/v4/users/me"]; n != 2 {
		t.Fatalf("requests = %d, want 2", n)
	}
	// a POST answered 429 is retried too, and creates exactly once
	srv.FailNext(1, 429, "POST /api/v4/users")
	tg := mattermost.NewTarget(c, mattermost.PasswordPolicy{}, mattermost.TargetOptions{})
	if _, _, err := tg.CreateUser(context.Background(), mmsync.NewUser{Username: "x", Email: "x@example.com"}); err != nil {
		t.Fatal(err)
	}
	if n := srv.Requests()["POST /api/v4/users"]; n != 2 {
		t.Fatalf("POST requests = %d, want 2", n)
	}
	if len(srv.Users()) != 2 {
		t.Fatal("want exactly one created user")
	}
}

// A 429 does not use up RetryMax (the request never reached the handlers),
// but MaxRateLimitedTries bounds a server that keeps answering 429.
func TestRetry429Exhausted(t *testing.T) {
	srv, c, clock := newPairClock(t, fakemm.Options{}, mattermost.Options{RetryMax: 1})
	srv.InjectFault(fakemm.Fault{Method: "GET", PathPrefix: "/api/v4/users/me", Status: 429, Count: 50, RetryAfter: 1})
	_, err := c.GetMe(context.Background())
	var ae *mattermost.AppError
	if !errors.As(err, &ae) || ae.StatusCode != 429 || ae.ID != "" || ae.Message != "limit exceeded" || !transient(err) {
		t.Fatalf("err = %#v", err)
	}
	if got := clock.Sleeps(); len(got) != mattermost.MaxRateLimitedTries-1 || got[0] != time.Second {
		t.Errorf("waits = %v, want %d of 1s", got, mattermost.MaxRateLimitedTries-1)
	}
	if n := srv.Requests()["GET /api/v4/users/me"]; n != mattermost.MaxRateLimitedTries {
		t.Fatalf("requests = %d", n)
	}
}

// Every method is retried on 502, 503 and 504; 500 and 501 are not.
func TestRetryEveryMethod(t *testing.T) {
	srv, c := newPair(t, fakemm.Options{})
	ctx := context.Background()
	srv.FailNext(1, 502, "POST /api/v4/users")
	if _, err := c.CreateUser(ctx, mattermost.User{Username: "x", Email: "x@example.com", Password: "Passw0rd!!"}); err != nil {
		t.Fatal(err)
	}
	if n := srv.Requests()["POST /api/v4/users"]; n != 2 || len(srv.Users()) != 2 {
		t.Fatalf("POST requests = %d, users = %d", n, len(srv.Users()))
	}
	srv.FailNext(1, 503, "PUT /api/v4/users/")
	if err := c.UpdateActive(ctx, srv.AdminID(), true); err != nil {
		t.Fatalf("PUT: %v", err)
	}
	if n := srv.Requests()["PUT /api/v4/users/{id}/active"]; n != 2 {
		t.Fatalf("PUT requests = %d, want 2", n)
	}
	srv.FailNext(2, 504, "GET /api/v4/users/me")
	if _, err := c.GetMe(ctx); err != nil {
		t.Fatal(err)
	}
	if n := srv.Requests()["GET /api/v4/users/me"]; n != 3 {
		t.Fatalf("GET requests = %d, want 3", n)
	}
	for _, code := range []int{500, 501} {
		srv.ResetCounters()
		srv.FailNext(1, code, "GET /api/v4/users/me")
		if _, err := c.GetMe(ctx); mattermost.StatusCode(err) != code || srv.Requests()["GET /api/v4/users/me"] != 1 {
			t.Fatalf("%d: %v %v", code, err, srv.Requests())
		}
	}
	// Exhausted retries keep the last answer.
	srv.ResetCounters()
	srv.FailNext(100, 502, "GET /api/v4/users/me")
	_, err := c.GetMe(ctx)
	if mattermost.StatusCode(err) != 502 || srv.Requests()["GET /api/v4/users/me"] != mattermost.DefaultRetryMax+1 {
		t.Fatalf("exhausted: %v %v", err, srv.Requests())
	}
	srv.ClearFaults()
}

// A create whose answer is lost is retried; the retry finds the account
// made and says so with email_exists, which the applier resolves by reading
// the account.
func TestLostCreateResponse(t *testing.T) {
	srv, c := newPair(t, fakemm.Options{})
	srv.InjectFault(fakemm.Fault{Method: "POST", PathPrefix: "/api/v4/users", Status: 504, AfterHandler: true})
	tg := mattermost.NewTarget(c, mattermost.PasswordPolicy{}, mattermost.TargetOptions{})
	_, _, err := tg.CreateUser(context.Background(), mmsync.NewUser{Username: "x", Email: "x@example.com"})
	if !errors.Is(err, mmsync.ErrEmailExists) {
		t.Fatalf("err = %v", err)
	}
	if _, ok := srv.UserByEmail("x@example.com"); !ok {
		t.Fatal("create should have happened")
	}
	if len(srv.Users()) != 2 || srv.Requests()["POST /api/v4/users"] != 2 {
		t.Fatalf("users = %d, requests = %v", len(srv.Users()), srv.Requests())
	}
}

// A 30-second Retry-After is waited for in full (on the fake clock) and the
// write then goes through once.
func TestRetryAfter30s(t *testing.T) {
	srv, c, clock := newPairClock(t, fakemm.Options{}, mattermost.Options{})
	srv.InjectFault(fakemm.Fault{Method: "POST", PathPrefix: "/api/v4/users", Status: 429, RetryAfter: 30})
	tg := mattermost.NewTarget(c, mattermost.PasswordPolicy{}, mattermost.TargetOptions{})
	start := clock.Now()
	if _, _, err := tg.CreateUser(context.Background(), mmsync.NewUser{Username: "x", Email: "x@example.com"}); err != nil {
		t.Fatal(err)
	}
	if waited := clock.Now().Sub(start); waited != 30*time.Second {
		t.Errorf("waited %v, want 30s", waited)
	}
	if n := srv.Requests()["POST /api/v4/users"]; n != 2 || srv.Writes() != 1 {
		t.Errorf("requests = %d, writes = %d", n, srv.Writes())
	}
}

func TestRetryContextCancel(t *testing.T) {
	clock := mattermost.NewFakeClock()
	clock.Manual = true
	srv, c, _ := newPairClock(t, fakemm.Options{}, mattermost.Options{Clock: clock})
	srv.InjectFault(fakemm.Fault{Status: 429, RetryAfter: 30, Count: 10})
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error)
	go func() { _, err := c.GetMe(ctx); errc <- err }()
	if err := clock.BlockUntil(context.Background(), 1); err != nil { // until the request waits
		t.Fatal(err)
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if n := srv.Requests()["GET /api/v4/users/me"]; n != 1 {
		t.Fatalf("requests = %d", n)
	}
}

// transient is sync.IsTransient's contract.
func transient(err error) bool {
	var t interface{ Transient() bool }
	return errors.As(err, &t) && t.Transient()
}

func TestRandomRateLimit(t *testing.T) {
	srv, c := newPair(t, fakemm.Options{Seed: 1, RateLimit: fakemm.RateLimit{Fraction: 0.4, RetryAfter: 1}})
	seedUsers(srv, 250)
	users, err := c.ListUsers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 251 {
		t.Fatalf("users = %d", len(users))
	}
	// Seed 1 limits exactly one of the list requests; it is retried.
	if n := srv.Requests()["GET /api/v4/users"]; n != 3 {
		t.Fatalf("requests = %d, want 2 pages + 1 retry", n)
	}
}

func TestTeams(t *testing.T) {
	srv, c := newPair(t, fakemm.Options{Teams: []fakemm.Team{{Name: "staff", DisplayName: "Staff"}}, MaxUsersPerTeam: 280})
	ctx := context.Background()
	seedUsers(srv, 300)
	team, err := c.GetTeamByName(ctx, "staff")
	if err != nil || team.DisplayName != "Staff" {
		t.Fatalf("team = %+v, %v", team, err)
	}
	if _, err := c.GetTeamByName(ctx, "nope"); mattermost.StatusCode(err) != 404 {
		t.Fatalf("missing team: %v", err)
	}
	var ids []string
	for _, u := range srv.Users() {
		if u.Username != fakemm.DefaultAdminUsername {
			ids = append(ids, u.ID)
		}
	}
	srv.ResetCounters()
	res, err := c.AddTeamMembersGracefully(ctx, team.ID, ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 300 || srv.Requests()["POST /api/v4/teams/{id}/members/batch"] != 2 {
		t.Fatalf("results=%d requests=%v", len(res), srv.Requests())
	}
	var ok, failed int
	for _, r := range res {
		if r.Error != nil {
			failed++
			if r.Error.ID != mattermost.IDTeamMaxAccountsNew {
				t.Fatalf("per-user error = %v", r.Error)
			}
		} else if r.Member != nil {
			ok++
		}
	}
	if ok != 280 || failed != 20 {
		t.Fatalf("ok=%d failed=%d", ok, failed)
	}
	members, err := c.GetTeamMembers(ctx, team.ID)
	if err != nil || len(members) != 280 {
		t.Fatalf("members = %d, %v", len(members), err)
	}
	if err := c.RemoveTeamMember(ctx, team.ID, members[0].UserID); err != nil {
		t.Fatal(err)
	}
	members, _ = c.GetTeamMembers(ctx, team.ID)
	if len(members) != 279 {
		t.Fatalf("after remove = %d", len(members))
	}
}
