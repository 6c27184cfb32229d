package entra

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	fakegraph "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/graph"
)

func federatedSetup(t *testing.T, want string, assertion func(context.Context) (string, error)) *env {
	t.Helper()
	fake := fakegraph.New(fakegraph.Options{TenantID: tenantID, ClientID: clientID, RequireAssertion: want,
		Users: fakegraph.GenerateUsers(5)})
	t.Cleanup(fake.Close)
	g := &guard{next: fake.Transport()}
	src, err := New(Config{TenantID: tenantID, ClientID: clientID, ClientAssertion: assertion,
		AuthorityHost: fake.AuthorityHost(), GraphURL: fake.GraphURL(), Transport: g})
	if err != nil {
		t.Fatal(err)
	}
	return &env{fake: fake, guard: g, src: src}
}

func TestClientAssertion(t *testing.T) {
	jwt := fakegraph.UnsignedJWT(map[string]any{"sub": "repo:o/r:environment:prod", "exp": time.Now().Add(5 * time.Minute).Unix()})
	var calls atomic.Int32
	e := federatedSetup(t, jwt, func(context.Context) (string, error) {
		calls.Add(1)
		return jwt, nil
	})
	users, err := e.src.ListUsers(ctx(t))
	if err != nil || len(users) != 5 {
		t.Fatalf("%d %v", len(users), err)
	}
	if calls.Load() != 1 {
		t.Fatalf("assertion called %d times", calls.Load())
	}
	for _, r := range e.fake.Log() {
		if r.Key == "POST /token" && r.AssertionType != fakegraph.JWTBearer {
			t.Fatalf("%+v", r)
		}
	}
}

func TestClientAssertionWrongSubject(t *testing.T) {
	want := fakegraph.UnsignedJWT(map[string]any{"sub": "repo:o/r:environment:prod", "exp": time.Now().Add(time.Hour).Unix()})
	got := fakegraph.UnsignedJWT(map[string]any{"sub": "repo:o/r:ref:refs/heads/main", "exp": time.Now().Add(time.Hour).Unix()})
	e := federatedSetup(t, want, func(context.Context) (string, error) { return got, nil })
	_, err := e.src.ListUsers(ctx(t))
	var ae *AuthError
	if !errors.As(err, &ae) || ae.Code != "AADSTS700213" || ae.Hint != hintFederatedSubject {
		t.Fatalf("%#v", err)
	}
	for _, s := range []string{"repo:o/r:ref:refs/heads/main", "subject equals the token's `sub`", GitHubIssuer, FederatedAudience} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error lacks %q: %v", s, err)
		}
	}
	if strings.Contains(err.Error(), got) {
		t.Error("assertion leaked")
	}
}

func TestClientAssertionExpired(t *testing.T) {
	old := fakegraph.UnsignedJWT(map[string]any{"sub": "s", "nbf": time.Now().Add(-time.Hour).Unix(), "exp": time.Now().Add(-50 * time.Minute).Unix()})
	e := federatedSetup(t, "something-else", func(context.Context) (string, error) { return old, nil })
	_, err := e.src.ListUsers(ctx(t))
	var ae *AuthError
	if !errors.As(err, &ae) || ae.Code != "AADSTS700024" || ae.Hint != hintAssertionTime {
		t.Fatalf("%v", err)
	}
}

func TestFederatedHintReplacesSecretHints(t *testing.T) {
	for _, h := range []string{hintSecret, hintCreds} {
		if got := federatedHint(&AuthError{Hint: h}); got.(*AuthError).Hint != hintFederatedCreds {
			t.Fatal(got)
		}
	}
	if got := federatedHint(&AuthError{Hint: hintClientID}); got.(*AuthError).Hint != hintClientID {
		t.Fatal(got)
	}
}

func TestClientAssertionCallbackError(t *testing.T) {
	cause := errors.New("the job needs `permissions: id-token: write`")
	e := federatedSetup(t, "x", func(context.Context) (string, error) { return "", cause })
	_, err := e.src.ListUsers(ctx(t))
	var ae *AssertionError
	if !errors.As(err, &ae) || !errors.Is(err, cause) || !strings.Contains(err.Error(), "id-token: write") {
		t.Fatalf("%#v", err)
	}
	if n := e.fake.Requests()["POST /token"]; n != 0 {
		t.Fatalf("token requests %d", n)
	}
}

func TestNoCredential(t *testing.T) {
	_, err := New(Config{TenantID: tenantID, ClientID: clientID})
	if err == nil || !strings.Contains(err.Error(), "azure-client-secret") || !strings.Contains(err.Error(), "id-token: write") {
		t.Fatalf("%v", err)
	}
}

func TestCloudEndpoints(t *testing.T) {
	for name, want := range map[string][2]string{
		"public":       {"https://login.microsoftonline.com/", "https://graph.microsoft.com/v1.0"},
		"":             {"https://login.microsoftonline.com/", "https://graph.microsoft.com/v1.0"},
		"USGovernment": {"https://login.microsoftonline.us/", "https://graph.microsoft.us/v1.0"},
		"china":        {"https://login.chinacloudapi.cn/", "https://microsoftgraph.chinacloudapi.cn/v1.0"},
	} {
		a, g, err := CloudEndpoints(name)
		if err != nil || a != want[0] || g != want[1] {
			t.Errorf("%q: %s %s %v", name, a, g, err)
		}
		// Every cloud's endpoints are ones New treats as Microsoft's.
		if _, err := New(Config{TenantID: tenantID, ClientID: clientID, ClientSecret: secret, AuthorityHost: a, GraphURL: g}); err != nil {
			t.Error(err)
		}
	}
	if _, _, err := CloudEndpoints("germany"); err == nil || !strings.Contains(err.Error(), "public, usgovernment, china") {
		t.Fatalf("%v", err)
	}
}
