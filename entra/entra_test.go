package entra

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"

	fakegraph "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/graph"
	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
)

const (
	tenantID = "11111111-2222-3333-4444-555555555555"
	clientID = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
	secret   = "Xy9~sEcReT.value_123"
)

// guard is a RoundTripper that refuses every request not aimed at 127.0.0.1,
// so no test ever reaches a real Microsoft endpoint.
type guard struct {
	next    http.RoundTripper
	mu      sync.Mutex
	blocked []string
	hosts   map[string]int
	// inspect, when set, sees every request let through.
	inspect func(*http.Request)
}

func (g *guard) RoundTrip(r *http.Request) (*http.Response, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.hosts == nil {
		g.hosts = map[string]int{}
	}
	g.hosts[r.URL.Hostname()]++
	if r.URL.Hostname() != "127.0.0.1" {
		g.blocked = append(g.blocked, r.URL.Host)
		return nil, fmt.Errorf("test transport guard: request to %s refused", r.URL.Host)
	}
	if g.inspect != nil {
		g.inspect(r)
	}
	return g.next.RoundTrip(r)
}

func (g *guard) Blocked() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.blocked...)
}

// headerLog records the path and headers of requests.
type headerLog struct {
	mu   sync.Mutex
	reqs []struct {
		path string
		h    http.Header
	}
}

func (l *headerLog) record(r *http.Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reqs = append(l.reqs, struct {
		path string
		h    http.Header
	}{r.URL.Path, r.Header.Clone()})
}

func (l *headerLog) count(path string) (n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range l.reqs {
		if r.path == path {
			n++
		}
	}
	return n
}

// without counts the requests to path whose header key is not value.
func (l *headerLog) without(path, key, value string) (n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range l.reqs {
		if r.path == path && r.h.Get(key) != value {
			n++
		}
	}
	return n
}

type env struct {
	fake  *fakegraph.Server
	guard *guard
	src   *Source
}

func setup(t *testing.T, opts fakegraph.Options, mod func(*Config)) *env {
	t.Helper()
	opts.TenantID, opts.ClientID, opts.ClientSecret = tenantID, clientID, secret
	fake := fakegraph.New(opts)
	t.Cleanup(fake.Close)
	g := &guard{next: fake.Transport()}
	cfg := Config{
		TenantID: tenantID, ClientID: clientID, ClientSecret: secret,
		AuthorityHost: fake.AuthorityHost(), GraphURL: fake.GraphURL(),
		Transport: g,
	}
	if mod != nil {
		mod(&cfg)
	}
	src, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if b := g.Blocked(); len(b) > 0 {
			t.Errorf("requests left 127.0.0.1: %v", b)
		}
	})
	return &env{fake: fake, guard: g, src: src}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

func TestListUsers2500(t *testing.T) {
	e := setup(t, fakegraph.Options{Users: fakegraph.GenerateUsers(2500)}, nil)
	got, err := e.src.ListUsers(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2500 {
		t.Fatalf("got %d users", len(got))
	}
	reqs := e.fake.Requests()
	if reqs["GET /v1.0/users"] != 3 || reqs["POST /token"] != 1 {
		t.Fatalf("requests: %v", reqs)
	}
	wantSelect := strings.Join(userSelect, ",")
	for _, r := range e.fake.Log() {
		switch r.Key {
		case "GET /v1.0/users":
			if q := r.Query["$top"]; len(q) != 1 || q[0] != "999" {
				t.Errorf("$top = %v", r.Query)
			}
			if q := r.Query["$select"]; len(q) != 1 || q[0] != wantSelect {
				t.Errorf("$select = %v", r.Query["$select"])
			}
			if !r.Auth || r.Status != 200 {
				t.Errorf("request %+v", r)
			}
		case "POST /token":
			if !strings.HasPrefix(r.Scope, "https://graph.microsoft.com/.default") {
				t.Errorf("scope %q", r.Scope)
			}
		}
	}
	// second call reuses the cached token
	if _, err := e.src.ListUsers(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if n := e.fake.Requests()["POST /token"]; n != 1 {
		t.Fatalf("token requested %d times", n)
	}
}

func TestListUsersFixtureMapping(t *testing.T) {
	f, err := os.Open("../internal/fake/graph/testdata/tenant-60.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tn, err := fakegraph.LoadTenant(f)
	if err != nil {
		t.Fatal(err)
	}
	e := setup(t, fakegraph.Options{Users: tn.Users}, nil)
	got, err := e.src.ListUsers(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 60 {
		t.Fatalf("%d users", len(got))
	}
	byID := map[string]mmsync.DirectoryUser{}
	for _, u := range got {
		byID[u.ID] = u
	}
	want := mmsync.DirectoryUser{
		ID: "2e44158b-ae97-4a94-90ed-a82f8f6d0558", AccountEnabled: mmsync.BoolTrue, UserType: "Member",
		DisplayName: "Renée Kowalski", GivenName: "Renée", Surname: "Kowalski", JobTitle: "Engineer",
		Department: "", EmployeeID: "", OfficeLocation: "",
		Mail: "rkowalski@contoso.example", UserPrincipalName: "rkowalski@contoso.example", MailNickname: "rkowalski",
	}
	if g := byID[want.ID]; g != want {
		t.Fatalf("mapped\n got %+v\nwant %+v", g, want)
	}
	if u := byID["0f977044-218e-4b7b-958d-cdb46b446806"]; u.AccountEnabled != mmsync.BoolFalse || u.Department != "AI혁신팀" {
		t.Fatalf("disabled user: %+v", u)
	}
	if u := byID["9be4bcfc-49b6-4a08-b2e6-cc3ababced20"]; u.UserType != "Guest" || !strings.Contains(u.UserPrincipalName, "#EXT#") {
		t.Fatalf("guest: %+v", u)
	}
}

func TestListUsersRetriesThrottling(t *testing.T) {
	clock := &fakeClock{}
	e := setup(t, fakegraph.Options{Users: fakegraph.GenerateUsers(10)}, func(c *Config) { c.Clock = clock })
	e.fake.Throttle(2, 1)
	got, err := e.src.ListUsers(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 10 {
		t.Fatalf("%d users", len(got))
	}
	if w := clock.Waits(); !slices.Equal(w, []time.Duration{time.Second, time.Second}) {
		t.Fatalf("Retry-After not honoured: waits %v", w)
	}
	if n := e.fake.Requests()["GET /v1.0/users"]; n != 3 {
		t.Fatalf("%d requests", n)
	}
}

// Every Graph request has one retry budget, whatever mix of faults it
// meets: kiota's retry handler no longer retries inside ours.
func TestOneRetryBudgetPerRequest(t *testing.T) {
	clock := &fakeClock{}
	e := setup(t, fakegraph.Options{Users: fakegraph.GenerateUsers(3)}, func(c *Config) { c.Clock = clock })
	tries := &headerLog{}
	e.guard.inspect = tries.record
	e.fake.SetChaos(fakegraph.Chaos{TooMany: 0.3, ServiceUnavailable: 0.2, BadGateway: 0.2, Drop: 0.3, RetryAfter: 0})
	_, err := e.src.ListUsers(ctx(t))
	var ie *IncompleteReadError
	if !errors.As(err, &ie) {
		t.Fatalf("%T %v", err, err)
	}
	if n := tries.count("/v1.0/users"); n != 1+DefaultMaxRetries {
		t.Fatalf("the page was tried %d times, want %d (chaos %v)", n, 1+DefaultMaxRetries, e.fake.ChaosCounts())
	}
	if got := len(clock.Waits()); got != DefaultMaxRetries {
		t.Fatalf("%d waits, want %d", got, DefaultMaxRetries)
	}
	// net/http itself sends a GET again when a reused keep-alive connection
	// closes before any answer (Transport.roundTrip); that is all the
	// server may see beyond our tries.
	cc := e.fake.ChaosCounts()
	if n := e.fake.Requests()["GET /v1.0/users"]; n > 1+DefaultMaxRetries+cc["drop"] {
		t.Fatalf("the server saw %d requests for %d tries and %d dropped connections", n, 1+DefaultMaxRetries, cc["drop"])
	}
	t.Log(err)
}

// The ConsistencyLevel header of a filtered read reaches every page, on
// every try.
func TestFilteredReadKeepsConsistencyLevelOnEveryPage(t *testing.T) {
	clock := &fakeClock{}
	e := setup(t, fakegraph.Options{Users: fakegraph.GenerateUsers(2100)}, func(c *Config) { c.Clock = clock })
	seen := &headerLog{}
	e.guard.inspect = seen.record
	e.fake.Throttle(1, 0) // the first page is tried twice
	got, err := e.src.ListUsersFiltered(ctx(t), "userType eq 'Member'")
	if err != nil || len(got) != 2100 {
		t.Fatalf("%d users, %v", len(got), err)
	}
	if n := seen.count("/v1.0/users"); n != 4 { // 3 pages, the first tried twice
		t.Fatalf("%d requests to /users", n)
	}
	if bad := seen.without("/v1.0/users", "ConsistencyLevel", "eventual"); bad != 0 {
		t.Fatalf("%d of the requests lacked ConsistencyLevel: eventual", bad)
	}
}

func TestRetryBudgetIsRaised(t *testing.T) {
	// 5 throttled answers exceed kiota's default 3 retries.
	e := setup(t, fakegraph.Options{Users: fakegraph.GenerateUsers(3)}, nil)
	e.fake.ThrottleWithStatus(5, 503, 0)
	if _, err := e.src.ListUsers(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if n := e.fake.Requests()["GET /v1.0/users"]; n != 6 {
		t.Fatalf("%d requests", n)
	}
}

func TestWrongSecret(t *testing.T) {
	e := setup(t, fakegraph.Options{Users: fakegraph.GenerateUsers(3)}, func(c *Config) { c.ClientSecret = "wrong-" + secret })
	_, err := e.src.ListUsers(ctx(t))
	var ae *AuthError
	if !errors.As(err, &ae) {
		t.Fatalf("want *AuthError, got %T %v", err, err)
	}
	msg := err.Error()
	t.Log(msg)
	if ae.Code != "AADSTS7000215" || ae.Status != 401 || !strings.Contains(msg, "azure-client-secret") {
		t.Fatalf("%+v", ae)
	}
	if strings.Contains(msg, secret) || strings.Contains(msg, "Trace ID") {
		t.Fatalf("message leaks: %s", msg)
	}
	if e.fake.Requests()["GET /v1.0/users"] != 0 {
		t.Fatal("Graph called without a token")
	}
}

func TestUnknownClientAndTenant(t *testing.T) {
	e := setup(t, fakegraph.Options{}, func(c *Config) { c.ClientID = "99999999-0000-0000-0000-000000000000" })
	_, err := e.src.ListUsers(ctx(t))
	var ae *AuthError
	if !errors.As(err, &ae) || ae.Code != "AADSTS700016" || !strings.Contains(err.Error(), "azure-client-id") {
		t.Fatalf("unknown client: %v", err)
	}
	e = setup(t, fakegraph.Options{}, func(c *Config) { c.TenantID = "99999999-0000-0000-0000-000000000000" })
	_, err = e.src.ListUsers(ctx(t))
	if !errors.As(err, &ae) || ae.Code != "AADSTS90002" || !strings.Contains(err.Error(), "azure-tenant-id") {
		t.Fatalf("unknown tenant: %T %v", err, err)
	}
	t.Log(err)
}

func TestForbidden(t *testing.T) {
	e := setup(t, fakegraph.Options{Users: fakegraph.GenerateUsers(3), Forbidden: true}, nil)
	_, err := e.src.ListUsers(ctx(t))
	var ae *AuthError
	if !errors.As(err, &ae) || ae.Status != 403 || ae.Code != "Authorization_RequestDenied" {
		t.Fatalf("%T %v", err, err)
	}
	msg := err.Error()
	t.Log(msg)
	if !strings.Contains(msg, "User.Read.All") || !strings.Contains(msg, "Grant admin consent") || !strings.Contains(msg, "Application") {
		t.Fatal(msg)
	}
}

func TestPersistentFailureOnPage2IsIncomplete(t *testing.T) {
	e := setup(t, fakegraph.Options{Users: fakegraph.GenerateUsers(2500)}, nil)
	e.fake.FailPage(2, 503, 0)
	got, err := e.src.ListUsers(ctx(t))
	if got != nil {
		t.Fatalf("partial list returned: %d users", len(got))
	}
	var ie *IncompleteReadError
	if !errors.As(err, &ie) {
		t.Fatalf("%T %v", err, err)
	}
	if ie.Pages != 1 || ie.Users != 999 {
		t.Fatalf("%+v", ie)
	}
	var ge *GraphError
	if !errors.As(err, &ge) || ge.Status != 503 || ge.Code != "ServiceUnavailable" {
		t.Fatalf("cause %T %v", ie.Err, ie.Err)
	}
	t.Log(err)
	// first page once, page 2 once plus the retry budget (8)
	if n := e.fake.Requests()["GET /v1.0/users"]; n != 1+1+DefaultMaxRetries {
		t.Fatalf("%d requests", n)
	}
}

func TestUserWithoutIDRejected(t *testing.T) {
	users := fakegraph.GenerateUsers(5)
	users[3] = fakegraph.User{"id": nil, "displayName": "ghost", "userPrincipalName": "ghost@contoso.example"}
	e := setup(t, fakegraph.Options{Users: users}, nil)
	got, err := e.src.ListUsers(ctx(t))
	if got != nil || !errors.Is(err, ErrMissingID) {
		t.Fatalf("%v %v", got, err)
	}
	var ie *IncompleteReadError
	if !errors.As(err, &ie) {
		t.Fatal(err)
	}
}

func TestGuardBlocksProductionHosts(t *testing.T) {
	// Production defaults, but every request goes through the guard: the
	// token request to login.microsoftonline.com must be refused locally.
	g := &guard{next: http.DefaultTransport}
	// The token request's retries wait on a fake clock; the deadline only
	// guards against a hang.
	src, err := New(Config{TenantID: tenantID, ClientID: clientID, ClientSecret: secret, Transport: g, MaxRetries: 6, Clock: &fakeClock{}})
	if err != nil {
		t.Fatal(err)
	}
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err = src.ListUsers(c)
	if err == nil {
		t.Fatal("expected an error")
	}
	if strings.Contains(err.Error(), secret) {
		t.Fatal("secret leaked")
	}
	b := g.Blocked()
	if len(b) == 0 {
		t.Fatal("guard saw nothing")
	}
	for _, h := range b {
		if h != "login.microsoftonline.com" {
			t.Fatalf("unexpected host %s", h)
		}
	}
	t.Log(err)
}

func TestGroupMembersAndFindGroups(t *testing.T) {
	users := fakegraph.GenerateUsers(1500)
	var members []string
	for _, u := range users[:1200] {
		members = append(members, u.ID())
	}
	e := setup(t, fakegraph.Options{
		Users: users,
		Groups: []fakegraph.Group{
			{ID: "g-top", DisplayName: "O'Brien's team", Members: append([]string{"g-nested"}, members[:700]...)},
			{ID: "g-nested", DisplayName: "nested", Members: append([]string{"g-top"}, members[500:]...)},
		},
	}, nil)
	ids, err := e.src.ListGroupMembers(ctx(t), "g-top")
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 1200 {
		t.Fatalf("%d members", len(ids))
	}
	if n := e.fake.Requests()["GET /v1.0/groups/{id}/transitiveMembers"]; n != 2 {
		t.Fatalf("%v", e.fake.Requests())
	}
	for _, r := range e.fake.Log() {
		if r.Key == "GET /v1.0/groups/{id}/transitiveMembers" && (r.Path != "/v1.0/groups/g-top/transitiveMembers" || r.Query["$select"][0] != "id" || r.Query["$top"][0] != "999") {
			t.Fatalf("%+v", r)
		}
	}
	groups, err := e.src.FindGroupsByName(ctx(t), "o'brien's TEAM")
	if err != nil || len(groups) != 1 || groups[0].ID != "g-top" || groups[0].DisplayName != "O'Brien's team" {
		t.Fatalf("%v %v", groups, err)
	}
	groups, err = e.src.FindGroupsByName(ctx(t), "none")
	if err != nil || len(groups) != 0 {
		t.Fatalf("%v %v", groups, err)
	}

	_, err = e.src.ListGroupMembers(ctx(t), "missing")
	var ge *GraphError
	if !errors.As(err, &ge) || ge.Status != 404 || !strings.Contains(err.Error(), "deleted") || strings.Contains(err.Error(), "group-ids") {
		t.Fatalf("%T %v", err, err)
	}

	e.fake.SetForbiddenGroups(true)
	_, err = e.src.ListGroupMembers(ctx(t), "g-top")
	var ae *AuthError
	if !errors.As(err, &ae) || !strings.Contains(err.Error(), "GroupMember.Read.All") {
		t.Fatalf("%T %v", err, err)
	}
}

func TestClassifyODataWithoutMessage(t *testing.T) {
	oe := odataerrors.NewODataError() // no error body at all: Error() would panic
	oe.ResponseStatusCode = 401
	err := classify(fmt.Errorf("wrapped: %w", oe), PermUsers)
	var ae *AuthError
	if !errors.As(err, &ae) || ae.Status != 401 || !strings.Contains(err.Error(), "access token") {
		t.Fatalf("%v", err)
	}
	main := odataerrors.NewMainError()
	code := "Request_BadRequest"
	main.SetCode(&code)
	oe = odataerrors.NewODataError()
	oe.ResponseStatusCode = 400
	oe.SetErrorEscaped(main)
	err = classify(oe, PermUsers)
	var ge *GraphError
	if !errors.As(err, &ge) || ge.Code != code || ge.Message != "" {
		t.Fatalf("%v", err)
	}
}

func TestConfigValidationAndDefaults(t *testing.T) {
	base := Config{TenantID: tenantID, ClientID: clientID, ClientSecret: secret}
	s, err := New(base)
	if err != nil {
		t.Fatal(err)
	}
	if s.baseURL != DefaultGraphURL || s.cfg.MaxRetries != DefaultMaxRetries || s.cfg.Timeout <= 30*time.Second {
		t.Fatalf("%+v", s.cfg)
	}
	c := base
	c.MaxRetries = 2
	c.GraphURL = "https://graph.microsoft.us/v1.0/"
	if s, err = New(c); err != nil || s.cfg.MaxRetries != MinMaxRetries || s.baseURL != "https://graph.microsoft.us/v1.0" {
		t.Fatalf("%v %+v", err, s)
	}
	for _, bad := range []func(*Config){
		func(c *Config) { c.AuthorityHost = "http://login.example/" },
		func(c *Config) { c.GraphURL = "http://127.0.0.1/v1.0" },
		func(c *Config) { c.TenantID = "" },
		func(c *Config) { c.ClientSecret = "" },
	} {
		c := base
		bad(&c)
		if _, err := New(c); err == nil {
			t.Errorf("accepted %+v", c)
		} else if strings.Contains(err.Error(), secret) {
			t.Error("secret leaked")
		}
	}
}

// TestDefaultTransportsTrustSSLCertFile runs ListUsers in a child process with
// Transport nil (the production transports) and SSL_CERT_FILE naming the
// fake's certificate, as the acceptance tests do with the built binary.
func TestDefaultTransportsTrustSSLCertFile(t *testing.T) {
	if os.Getenv("ENTRA_TEST_CHILD") == "1" {
		src, err := New(Config{
			TenantID: tenantID, ClientID: clientID, ClientSecret: secret,
			AuthorityHost: os.Getenv("ENTRA_TEST_AUTHORITY"), GraphURL: os.Getenv("ENTRA_TEST_GRAPH"),
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := src.ListUsers(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1234 {
			t.Fatalf("%d users", len(got))
		}
		return
	}
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	fake := fakegraph.New(fakegraph.Options{TenantID: tenantID, ClientID: clientID, ClientSecret: secret,
		Users: fakegraph.GenerateUsers(1234)})
	defer fake.Close()
	pem := t.TempDir() + "/fake.pem"
	if err := os.WriteFile(pem, fake.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestDefaultTransportsTrustSSLCertFile$", "-test.v")
	cmd.Env = append(os.Environ(), "ENTRA_TEST_CHILD=1", "SSL_CERT_FILE="+pem, "SSL_CERT_DIR=/nonexistent",
		"ENTRA_TEST_AUTHORITY="+fake.AuthorityHost(), "ENTRA_TEST_GRAPH="+fake.GraphURL())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if n := fake.Requests()["GET /v1.0/users"]; n != 2 {
		t.Fatalf("child made %d /users requests\n%s", n, out)
	}
}
