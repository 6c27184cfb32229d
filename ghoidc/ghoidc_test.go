package ghoidc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sethvargo/go-githubactions"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/entra"
	fakegraph "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/graph"
)

const (
	requestToken = "runtime-request-token-XYZ"
	tenantID     = "11111111-2222-3333-4444-555555555555"
	clientID     = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
	subject      = "repo:acme/people-sync:environment:production"
)

// fakeGitHub is the Actions runtime's OIDC token endpoint.
type fakeGitHub struct {
	srv       *httptest.Server
	mu        sync.Mutex
	audiences []string
	jwt       string
}

func newFakeGitHub(t *testing.T, sub string) *fakeGitHub {
	f := &fakeGitHub{jwt: fakegraph.UnsignedJWT(map[string]any{
		"sub": sub, "iss": "https://token.actions.githubusercontent.com", "aud": DefaultAudience,
		"exp": time.Now().Add(5 * time.Minute).Unix(), "repository": "acme/people-sync",
	})}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+requestToken {
			http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
			return
		}
		if r.URL.Query().Get("api-version") != "2.0" {
			http.Error(w, "lost the runtime's query", http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.audiences = append(f.audiences, r.URL.Query().Get("audience"))
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"value": f.jwt})
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func action(env map[string]string, out *bytes.Buffer) *githubactions.Action {
	return githubactions.New(
		githubactions.WithWriter(out),
		githubactions.WithGetenv(func(k string) string { return env[k] }),
	)
}

func runnerEnv(f *fakeGitHub) map[string]string {
	return map[string]string{
		"GITHUB_ACTIONS":                 "true",
		"ACTIONS_ID_TOKEN_REQUEST_URL":   f.srv.URL + "/_apis/distributedtask/token?api-version=2.0",
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN": requestToken,
	}
}

func TestTokenAndClaims(t *testing.T) {
	f := newFakeGitHub(t, subject)
	var out bytes.Buffer
	tok, c, err := Token(context.Background(), action(runnerEnv(f), &out), "")
	if err != nil {
		t.Fatal(err)
	}
	if tok != f.jwt || c.Subject != subject || c.Issuer != "https://token.actions.githubusercontent.com" ||
		c.Audience != DefaultAudience || time.Until(c.Expiry) < 4*time.Minute {
		t.Fatalf("%+v", c)
	}
	if f.audiences[0] != DefaultAudience {
		t.Fatalf("audience %q", f.audiences[0])
	}
	if _, _, err := Token(context.Background(), action(runnerEnv(f), &out), "api://custom"); err != nil || f.audiences[1] != "api://custom" {
		t.Fatalf("%v %v", err, f.audiences)
	}
	if out.Len() != 0 {
		t.Fatalf("Token printed %q", out.String())
	}
}

func TestParseClaims(t *testing.T) {
	c, err := ParseClaims(fakegraph.UnsignedJWT(map[string]any{"sub": "s", "aud": []string{"a", "b"}, "exp": 1700000000}))
	if err != nil || c.Audience != "a,b" || c.Expiry.Unix() != 1700000000 {
		t.Fatalf("%+v %v", c, err)
	}
	for _, bad := range []string{"", "a.b", "a.!!!.c", "a." + "bm90IGpzb24" + ".c"} {
		if _, err := ParseClaims(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestMissingPermission(t *testing.T) {
	var out bytes.Buffer
	for _, env := range []map[string]string{
		{"GITHUB_ACTIONS": "true"},
		{"GITHUB_ACTIONS": "true", "ACTIONS_ID_TOKEN_REQUEST_URL": "https://example.invalid/x"},
	} {
		_, _, err := Token(context.Background(), action(env, &out), "")
		if !errors.Is(err, ErrIDTokenPermission) {
			t.Fatalf("%v", err)
		}
		if !strings.Contains(err.Error(), "the job needs `permissions: id-token: write` (and `contents: read`) to sign in without azure-client-secret") {
			t.Fatal(err)
		}
	}
	_, _, err := Token(context.Background(), action(map[string]string{}, &out), "")
	if !strings.Contains(err.Error(), "outside GitHub Actions set azure-client-secret") {
		t.Fatal(err)
	}
}

func TestEndpointErrorsHideSecrets(t *testing.T) {
	f := newFakeGitHub(t, subject)
	var out bytes.Buffer
	env := runnerEnv(f)
	env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] = "wrong-request-token"
	_, _, err := Token(context.Background(), action(env, &out), "")
	if err == nil || !strings.Contains(err.Error(), "HTTP 401") || strings.Contains(err.Error(), "wrong-request-token") {
		t.Fatalf("%v", err)
	}
	f.srv.Close()
	_, _, err = Token(context.Background(), action(runnerEnv(f), &out), "")
	if err == nil || strings.Contains(err.Error(), "api-version") || strings.Contains(err.Error(), requestToken) {
		t.Fatalf("%v", err)
	}
}

// TestEndToEnd: ghoidc → entra (client assertion) → fake Entra ID that
// requires exactly the token GitHub issued.
func TestEndToEnd(t *testing.T) {
	gh := newFakeGitHub(t, subject)
	fake := fakegraph.New(fakegraph.Options{TenantID: tenantID, ClientID: clientID, RequireAssertion: gh.jwt,
		Users: fakegraph.GenerateUsers(7)})
	defer fake.Close()

	var out bytes.Buffer
	gha := action(runnerEnv(gh), &out)
	var mu sync.Mutex
	var subs []string
	src, err := entra.New(entra.Config{
		TenantID: tenantID, ClientID: clientID,
		ClientAssertion: Assertion(gha, "", func(c Claims) { mu.Lock(); subs = append(subs, c.Subject); mu.Unlock() }),
		AuthorityHost:   fake.AuthorityHost(), GraphURL: fake.GraphURL(), Transport: fake.Transport(),
	})
	if err != nil {
		t.Fatal(err)
	}
	users, err := src.ListUsers(context.Background())
	if err != nil || len(users) != 7 {
		t.Fatalf("%d %v", len(users), err)
	}
	if len(subs) != 1 || subs[0] != subject {
		t.Fatalf("onToken got %v", subs)
	}
	if !strings.Contains(out.String(), "::add-mask::"+gh.jwt) {
		t.Fatalf("token not masked: %q", out.String())
	}
}

func TestEndToEndWrongSubject(t *testing.T) {
	gh := newFakeGitHub(t, "repo:acme/people-sync:ref:refs/heads/main")
	want := fakegraph.UnsignedJWT(map[string]any{"sub": subject, "exp": time.Now().Add(time.Hour).Unix()})
	fake := fakegraph.New(fakegraph.Options{TenantID: tenantID, ClientID: clientID, RequireAssertion: want})
	defer fake.Close()
	var out bytes.Buffer
	src, err := entra.New(entra.Config{TenantID: tenantID, ClientID: clientID,
		ClientAssertion: Assertion(action(runnerEnv(gh), &out), "", nil),
		AuthorityHost:   fake.AuthorityHost(), GraphURL: fake.GraphURL(), Transport: fake.Transport()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = src.ListUsers(context.Background())
	var ae *entra.AuthError
	if !errors.As(err, &ae) || ae.Code != "AADSTS700213" {
		t.Fatalf("%v", err)
	}
	for _, s := range []string{"repo:acme/people-sync:ref:refs/heads/main", "subject equals the token's `sub`", "https://token.actions.githubusercontent.com", DefaultAudience} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error lacks %q: %v", s, err)
		}
	}
	if strings.Contains(err.Error(), gh.jwt) {
		t.Fatal("token in error")
	}
}

func TestEndToEndMissingPermission(t *testing.T) {
	fake := fakegraph.New(fakegraph.Options{TenantID: tenantID, ClientID: clientID, RequireAssertion: "x"})
	defer fake.Close()
	var out bytes.Buffer
	src, err := entra.New(entra.Config{TenantID: tenantID, ClientID: clientID,
		ClientAssertion: Assertion(action(map[string]string{"GITHUB_ACTIONS": "true"}, &out), "", nil),
		AuthorityHost:   fake.AuthorityHost(), GraphURL: fake.GraphURL(), Transport: fake.Transport()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = src.ListUsers(context.Background())
	var ae *entra.AssertionError
	if !errors.As(err, &ae) || !errors.Is(err, ErrIDTokenPermission) {
		t.Fatalf("%#v", err)
	}
	if n := fake.Requests()["POST /token"]; n != 0 {
		t.Fatalf("token requests: %d", n)
	}
}
