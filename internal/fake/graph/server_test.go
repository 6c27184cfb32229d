package fakegraph

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
)

const (
	tenant = "11111111-2222-3333-4444-555555555555"
	client = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
	secret = "s3cret~value"
)

func loadFixture(t *testing.T) Tenant {
	t.Helper()
	f, err := os.Open("testdata/tenant-60.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tn, err := LoadTenant(f)
	if err != nil {
		t.Fatal(err)
	}
	return tn
}

func newServer(t *testing.T, o Options) *Server {
	t.Helper()
	o.TenantID, o.ClientID, o.ClientSecret = tenant, client, secret
	s := New(o)
	t.Cleanup(s.Close)
	return s
}

func do(t *testing.T, s *Server, method, u string, body url.Values, token string) (int, http.Header, map[string]any) {
	t.Helper()
	var r io.Reader
	if body != nil {
		r = strings.NewReader(body.Encode())
	}
	req, err := http.NewRequest(method, u, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatalf("%s %s: decode: %v", method, u, err)
	}
	return resp.StatusCode, resp.Header, m
}

func tokenFor(t *testing.T, s *Server, id, sec, ten string) (int, map[string]any) {
	t.Helper()
	code, _, m := do(t, s, "POST", s.URL()+"/"+ten+"/oauth2/v2.0/token", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {sec},
		"scope": {"https://graph.microsoft.com/.default"},
	}, "")
	return code, m
}

func token(t *testing.T, s *Server) string {
	t.Helper()
	code, m := tokenFor(t, s, client, secret, tenant)
	if code != 200 {
		t.Fatalf("token: %d %v", code, m)
	}
	if m["token_type"] != "Bearer" || m["expires_in"] != float64(3599) {
		t.Fatalf("token body: %v", m)
	}
	return m["access_token"].(string)
}

func TestLoadTenantFixture(t *testing.T) {
	tn := loadFixture(t)
	if len(tn.Users) != 60 || len(tn.Groups) != 3 {
		t.Fatalf("users=%d groups=%d", len(tn.Users), len(tn.Groups))
	}
	if _, err := ParseTenant([]byte(`{"users":[{"displayName":"x"}]}`)); err == nil {
		t.Fatal("user without id accepted")
	}
	if _, err := ParseTenant([]byte(`{`)); err == nil {
		t.Fatal("bad json accepted")
	}
}

func TestOpenIDConfiguration(t *testing.T) {
	s := newServer(t, Options{})
	code, _, m := do(t, s, "GET", s.URL()+"/"+tenant+"/v2.0/.well-known/openid-configuration", nil, "")
	if code != 200 {
		t.Fatal(code)
	}
	for _, k := range []string{"issuer", "token_endpoint", "authorization_endpoint"} {
		if v, _ := m[k].(string); !strings.HasPrefix(v, s.URL()+"/") {
			t.Errorf("%s = %v", k, m[k])
		}
	}
	code, _, m = do(t, s, "GET", s.URL()+"/other/v2.0/.well-known/openid-configuration", nil, "")
	if code != 400 || !strings.Contains(m["error_description"].(string), "AADSTS90002") {
		t.Fatalf("%d %v", code, m)
	}
}

func TestTokenEndpointErrors(t *testing.T) {
	s := newServer(t, Options{})
	code, m := tokenFor(t, s, client, "wrong", tenant)
	if code != 401 || m["error"] != "invalid_client" || !strings.HasPrefix(m["error_description"].(string), "AADSTS7000215:") {
		t.Fatalf("wrong secret: %d %v", code, m)
	}
	if codes, _ := m["error_codes"].([]any); len(codes) != 1 || codes[0] != float64(7000215) {
		t.Fatalf("error_codes %v", m["error_codes"])
	}
	code, m = tokenFor(t, s, "unknown-client", secret, tenant)
	if code != 400 || m["error"] != "unauthorized_client" || !strings.Contains(m["error_description"].(string), "AADSTS700016") {
		t.Fatalf("unknown client: %d %v", code, m)
	}
	code, m = tokenFor(t, s, client, secret, "nope")
	if code != 400 || !strings.Contains(m["error_description"].(string), "AADSTS90002") {
		t.Fatalf("unknown tenant: %d %v", code, m)
	}
	if got := s.Requests()["POST /token"]; got != 3 {
		t.Fatalf("token count %d", got)
	}
	for _, r := range s.Log() {
		if strings.Contains(r.Scope, secret) {
			t.Fatal("secret logged")
		}
	}
}

func TestUsersPagingSelectAndAuth(t *testing.T) {
	tn := loadFixture(t)
	s := newServer(t, Options{Users: tn.Users})
	code, _, m := do(t, s, "GET", s.GraphURL()+"/users", nil, "")
	if code != 401 || m["error"].(map[string]any)["code"] != "InvalidAuthenticationToken" {
		t.Fatalf("no token: %d %v", code, m)
	}
	code, _, _ = do(t, s, "GET", s.GraphURL()+"/users", nil, "forged")
	if code != 401 {
		t.Fatalf("forged token: %d", code)
	}
	tok := token(t, s)
	code, _, _ = do(t, s, "GET", s.GraphURL()+"/users?$top=1000", nil, tok)
	if code != 400 {
		t.Fatalf("$top=1000: %d", code)
	}

	next := s.GraphURL() + "/users?%24top=25&%24select=displayName,officeLocation"
	var seen []map[string]any
	pages := 0
	for next != "" {
		code, _, m = do(t, s, "GET", next, nil, tok)
		if code != 200 {
			t.Fatalf("page %d: %d %v", pages+1, code, m)
		}
		pages++
		for _, v := range m["value"].([]any) {
			seen = append(seen, v.(map[string]any))
		}
		next, _ = m["@odata.nextLink"].(string)
		if next != "" && !strings.HasPrefix(next, s.GraphURL()+"/users?") {
			t.Fatalf("nextLink %q", next)
		}
	}
	if pages != 3 || len(seen) != 60 {
		t.Fatalf("pages=%d users=%d", pages, len(seen))
	}
	u := seen[0]
	if len(u) != 3 || u["id"] == nil || u["displayName"] == nil {
		t.Fatalf("select: %v", u)
	}
	if v, ok := u["officeLocation"]; !ok || v != nil {
		t.Fatalf("missing attribute must be null: %v", u)
	}
	// default page size is 100
	code, _, m = do(t, s, "GET", s.GraphURL()+"/users", nil, tok)
	if code != 200 || len(m["value"].([]any)) != 60 || m["@odata.nextLink"] != nil {
		t.Fatalf("default page: %d %v", code, m["@odata.nextLink"])
	}
	if got := s.Requests()["GET /v1.0/users"]; got != 7 {
		t.Fatalf("count %d (%v)", got, s.Requests())
	}
	s.ResetCounters()
	if len(s.Requests()) != 0 || len(s.Log()) != 0 {
		t.Fatal("reset")
	}
}

func TestFilterAndGroups(t *testing.T) {
	s := newServer(t, Options{
		Users: GenerateUsers(30),
		Groups: []Group{
			{ID: "g1", DisplayName: "O'Brien's team", Members: []string{"00000000-0000-4000-8000-000000000001", "g2"}},
			{ID: "g2", DisplayName: "Nested", Members: []string{"00000000-0000-4000-8000-000000000002", "00000000-0000-4000-8000-000000000001", "g1"}},
		},
	})
	tok := token(t, s)
	code, _, m := do(t, s, "GET", s.GraphURL()+"/groups?$filter="+url.QueryEscape("displayName eq 'o''brien''s TEAM'"), nil, tok)
	if code != 200 || len(m["value"].([]any)) != 1 {
		t.Fatalf("%d %v", code, m)
	}
	// The cast is an advanced query: refused without ConsistencyLevel and
	// $count=true, as Graph documents.
	for _, q := range []string{"?$select=id", "?$select=id&$count=true"} {
		code, _, m = do(t, s, "GET", s.GraphURL()+"/groups/g1/transitiveMembers/microsoft.graph.user"+q, nil, tok)
		if code != 400 || m["error"].(map[string]any)["code"] != "Request_UnsupportedQuery" {
			t.Fatalf("cast without advanced parameters: %d %v", code, m)
		}
	}
	code, _, m = do(t, s, "GET", s.GraphURL()+"/groups/g1/transitiveMembers?$select=id", nil, tok)
	if code != 200 || len(m["value"].([]any)) != 3 {
		t.Fatalf("transitive: %d %v", code, m)
	}
	types := map[any]int{}
	for _, v := range m["value"].([]any) {
		types[v.(map[string]any)["@odata.type"]]++
	}
	if types["#microsoft.graph.user"] != 2 || types["#microsoft.graph.group"] != 1 {
		t.Fatalf("transitive members' types: %v", types)
	}
	code, _, m = do(t, s, "GET", s.GraphURL()+"/groups/g1/members", nil, tok)
	if code != 200 || len(m["value"].([]any)) != 2 {
		t.Fatalf("members: %d %v", code, m)
	}
	code, _, _ = do(t, s, "GET", s.GraphURL()+"/groups/zzz/transitiveMembers/graph.user", nil, tok)
	if code != 404 {
		t.Fatalf("unknown group: %d", code)
	}
	code, _, m = do(t, s, "GET", s.GraphURL()+"/users?$filter="+url.QueryEscape("accountEnabled eq false"), nil, tok)
	if code != 200 || len(m["value"].([]any)) != 3 {
		t.Fatalf("filter: %d %v", code, len(m["value"].([]any)))
	}
	s.SetForbiddenGroups(true)
	code, _, m = do(t, s, "GET", s.GraphURL()+"/groups/g1/transitiveMembers", nil, tok)
	if code != 403 || m["error"].(map[string]any)["code"] != "Authorization_RequestDenied" {
		t.Fatalf("forbidden: %d %v", code, m)
	}
}

func TestFaults(t *testing.T) {
	s := newServer(t, Options{Users: GenerateUsers(10), Forbidden: true})
	tok := token(t, s)
	code, _, m := do(t, s, "GET", s.GraphURL()+"/users", nil, tok)
	if code != 403 || m["error"].(map[string]any)["message"] != "Insufficient privileges to complete the operation." {
		t.Fatalf("%d %v", code, m)
	}
	s.SetForbidden(false)
	s.Throttle(2, 1)
	for i := 0; i < 2; i++ {
		code, h, m := do(t, s, "GET", s.GraphURL()+"/users", nil, tok)
		if code != 429 || h.Get("Retry-After") != "1" || m["error"].(map[string]any)["code"] != "TooManyRequests" {
			t.Fatalf("throttle %d: %d %v %v", i, code, h, m)
		}
	}
	if code, _, _ = do(t, s, "GET", s.GraphURL()+"/users", nil, tok); code != 200 {
		t.Fatal(code)
	}
	s.FailPage(2, 503, 0)
	code, _, m = do(t, s, "GET", s.GraphURL()+"/users?$top=5", nil, tok)
	if code != 200 {
		t.Fatal(code)
	}
	next := m["@odata.nextLink"].(string)
	for i := 0; i < 2; i++ {
		if code, _, _ = do(t, s, "GET", next, nil, tok); code != 503 {
			t.Fatalf("page 2: %d", code)
		}
	}
	s.ClearFaults()
	if code, _, _ = do(t, s, "GET", next, nil, tok); code != 200 {
		t.Fatalf("after clear: %d", code)
	}
}

func TestThrottleRateIsSeeded(t *testing.T) {
	s := newServer(t, Options{Users: GenerateUsers(1), ThrottleRate: 0.5, Seed: 3})
	tok := token(t, s)
	n := 0
	for i := 0; i < 40; i++ {
		if code, _, _ := do(t, s, "GET", s.GraphURL()+"/users", nil, tok); code == 429 {
			n++
		}
	}
	if n < 5 || n > 35 {
		t.Fatalf("429s: %d of 40", n)
	}
}

func TestCertPEM(t *testing.T) {
	s := newServer(t, Options{})
	b, _ := pem.Decode(s.CertPEM())
	if b == nil {
		t.Fatal("no PEM")
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(c)
	if _, err := c.Verify(x509.VerifyOptions{Roots: pool, DNSName: "127.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.URL(), "https://127.0.0.1:") || s.AuthorityHost() != s.URL()+"/" || s.GraphURL() != s.URL()+"/v1.0" {
		t.Fatal(s.URL())
	}
}

// Groups can be renamed, duplicated by name and deleted; a lagging index
// leaves a user out of advanced user queries and group member lists only.
func TestGroupDriftAndLag(t *testing.T) {
	users := GenerateUsers(3)
	s := newServer(t, Options{Users: users, Groups: []Group{{ID: "g1", DisplayName: "Eng", Members: []string{users[0].ID(), users[1].ID()}}}})
	tok := token(t, s)
	count := func(path string) int {
		t.Helper()
		code, _, m := do(t, s, "GET", s.GraphURL()+path, nil, tok)
		if code != 200 {
			t.Fatalf("%s: %d %v", path, code, m)
		}
		return len(m["value"].([]any))
	}
	byName := "/groups?$filter=" + url.QueryEscape("displayName eq 'Eng'")
	s.AddGroup(Group{ID: "g2", DisplayName: "Eng"})
	if n := count(byName); n != 2 {
		t.Fatalf("%d groups named Eng, want 2", n)
	}
	if !s.RenameGroup("g1", "Engineering") || count(byName) != 1 {
		t.Fatal("rename")
	}
	s.SetLagging(users[0].ID())
	if n := count("/groups/g1/transitiveMembers"); n != 1 {
		t.Fatalf("lagging member list: %d members, want 1", n)
	}
	if n := count("/users"); n != 3 {
		t.Fatalf("a plain listing lags: %d users", n)
	}
	if code, _, _ := do(t, s, "GET", s.GraphURL()+"/users/"+users[0].ID(), nil, tok); code != 200 {
		t.Fatalf("a direct read lags: %d", code)
	}
	s.SetLagging()
	if !s.DeleteGroup("g1") {
		t.Fatal("delete")
	}
	if code, _, _ := do(t, s, "GET", s.GraphURL()+"/groups/g1/transitiveMembers", nil, tok); code != 404 {
		t.Fatalf("deleted group: %d", code)
	}
}
