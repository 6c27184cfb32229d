package run

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/e2e/world"
	fakegraph "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/graph"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/webhook"
)

// fakeGitHubOIDC is the Actions runtime's token endpoint: it wants the
// request token and an audience, and answers with a JWT.
func fakeGitHubOIDC(t *testing.T, requestToken, jwt string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+requestToken || r.URL.Query().Get("audience") != "api://AzureADTokenExchange" {
			http.Error(w, `{"message":"unauthorized"}`, http.StatusUnauthorized)
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"value": jwt})
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestOIDCSignInWithoutSecret(t *testing.T) {
	sub := "repo:contoso/identity-sync:ref:refs/heads/main"
	jwt := fakegraph.UnsignedJWT(map[string]any{"iss": "https://token.actions.githubusercontent.com", "sub": sub,
		"aud": "api://AzureADTokenExchange", "exp": time.Now().Add(5 * time.Minute).Unix()})
	w := world.New(t, "tenant-60.json")
	// A graph fake that accepts only this assertion, never a secret.
	w.Graph.Close()
	w.Graph = fakegraph.New(fakegraph.Options{TenantID: world.TenantID, ClientID: world.ClientID, RequireAssertion: jwt, Users: w.Users})
	t.Cleanup(w.Graph.Close)
	w.Env["INPUT_AZURE-AUTHORITY-HOST"], w.Env["INPUT_GRAPH-URL"] = w.Graph.AuthorityHost(), w.Graph.GraphURL()
	delete(w.Env, "INPUT_AZURE-CLIENT-SECRET")
	gh := fakeGitHubOIDC(t, "runtime-request-token", jwt)
	w.Env["ACTIONS_ID_TOKEN_REQUEST_URL"] = gh.URL + "/token?api-version=2.0"
	w.Env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] = "runtime-request-token"
	w.MustRun(0)
	if w.OutputInt("created") == 0 {
		t.Fatal("nothing created")
	}
	out := w.Stdout.String()
	if !strings.Contains(out, sub) {
		t.Errorf("the token's subject is not logged:\n%.2000s", out)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, jwt) && !strings.HasPrefix(line, "::add-mask::") {
			t.Errorf("the OIDC token is printed: %.80s", line)
		}
	}
	if !strings.Contains(out, "::add-mask::"+jwt) {
		t.Error("the OIDC token is not masked")
	}
}

func TestOIDCWithoutIDTokenPermission(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	delete(w.Env, "INPUT_AZURE-CLIENT-SECRET")
	w.MustRun(1)
	if !strings.Contains(w.Stdout.String(), "id-token: write") || w.MM.Writes() != 0 {
		t.Fatalf("writes %d:\n%s", w.MM.Writes(), w.Stdout.String())
	}
}

// receiver is an n8n Webhook node stand-in that checks the signature.
type receiver struct {
	mu       sync.Mutex
	payloads []webhook.Payload
	badSig   int
	fail     int // answer 503 this many times first
	// deliveries are the X-Delivery-Id of every attempt, in order.
	deliveries []string
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.deliveries = append(rc.deliveries, r.Header.Get("X-Delivery-Id"))
	if rc.fail > 0 {
		rc.fail--
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	}
	body, _ := io.ReadAll(r.Body)
	if !webhook.Verify([]byte("hook-secret-0123456789"), body, r.Header.Get("X-Signature-256")) {
		rc.badSig++
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var p webhook.Payload
	if err := json.Unmarshal(body, &p); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rc.payloads = append(rc.payloads, p)
}

func TestWebhookReport(t *testing.T) {
	rc := &receiver{fail: 1}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	w := world.New(t, "tenant-60.json")
	w.Env["INPUT_REPORT-WEBHOOK-URL"] = srv.URL + "/webhook/entra-mattermost-sync?token=n8n"
	w.Env["INPUT_REPORT-WEBHOOK-SECRET"] = "hook-secret-0123456789"
	w.Env["GITHUB_SERVER_URL"], w.Env["GITHUB_REPOSITORY"], w.Env["GITHUB_RUN_ID"] = "https://github.com", "contoso/identity-sync", "42"
	w.Env["GITHUB_EVENT_NAME"] = "repository_dispatch"
	w.MustRun(0)
	if len(rc.payloads) != 1 || rc.badSig != 0 {
		t.Fatalf("payloads %d bad signatures %d", len(rc.payloads), rc.badSig)
	}
	// One delivery id per report, the same on its retry.
	if d := rc.deliveries; len(d) != 2 || d[0] == "" || d[0] != d[1] {
		t.Errorf("delivery ids of the first report's attempts: %q", d)
	}
	p := rc.payloads[0]
	if p.Status != "success" || p.Counts.Created != w.OutputInt("created") || p.RunURL != "https://github.com/contoso/identity-sync/actions/runs/42" || p.Event != "repository_dispatch" || p.StartedAt == "" {
		t.Errorf("payload %+v", p)
	}
	w.AssertNoSecrets(nil)
	// The webhook's URL is masked, and the log names only its host: its
	// path is often all that protects it, and an Actions log may be public.
	hook := w.Env["INPUT_REPORT-WEBHOOK-URL"]
	if !strings.Contains(w.Stdout.String(), "::add-mask::"+hook+"\n") {
		t.Error("the webhook URL is not masked")
	}
	if !strings.Contains(w.Stdout.String(), "Report sent to "+srv.URL+"/….") {
		t.Errorf("the log does not name the webhook by its host:\n%s", world.Tail(w.Stdout.String(), 500))
	}
	for _, l := range strings.Split(w.Stdout.String(), "\n") {
		if !strings.HasPrefix(l, "::add-mask::") && (strings.Contains(l, "/webhook/entra-mattermost-sync") || strings.Contains(l, "token=n8n")) {
			t.Errorf("the log prints the webhook's path or query: %q", l)
		}
	}

	// A run that fails before syncing still reports, with the error.
	w.Env["INPUT_MATTERMOST-TOKEN"] = "wrongtoken000000000000000a"
	w.MustRun(1)
	if d := rc.deliveries; len(d) != 3 || d[2] == d[0] {
		t.Errorf("the second report reused a delivery id: %q", d)
	}
	if len(rc.payloads) != 2 || rc.payloads[1].Status != "failure" || !strings.Contains(rc.payloads[1].Error, "mattermost-token") {
		t.Fatalf("failure payload: %+v", rc.payloads[len(rc.payloads)-1])
	}
	if strings.Contains(rc.payloads[1].Error, "wrongtoken") {
		t.Error("the webhook carries the token")
	}
}

func TestWebhookDownIsAWarning(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	w := world.New(t, "tenant-60.json")
	w.Env["INPUT_REPORT-WEBHOOK-URL"] = url + "/hook"
	w.MustRun(0)
	if !strings.Contains(w.Stdout.String(), "::warning::report webhook") {
		t.Fatalf("no warning:\n%s", w.Stdout.String())
	}
	for _, l := range strings.Split(w.Stdout.String(), "\n") {
		if !strings.HasPrefix(l, "::add-mask::") && strings.Contains(l, "/hook") {
			t.Errorf("the warning prints the webhook's path: %q", l)
		}
	}
}
