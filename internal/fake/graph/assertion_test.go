package fakegraph

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestRequireAssertion(t *testing.T) {
	good := UnsignedJWT(map[string]any{"sub": "repo:o/r:ref:refs/heads/main", "exp": time.Now().Add(5 * time.Minute).Unix()})
	s := newServer(t, Options{RequireAssertion: good})
	post := func(v url.Values) (int, map[string]any) {
		v.Set("grant_type", "client_credentials")
		v.Set("client_id", client)
		v.Set("scope", "https://graph.microsoft.com/.default")
		code, _, m := do(t, s, "POST", s.URL()+"/"+tenant+"/oauth2/v2.0/token", v, "")
		return code, m
	}
	assertion := func(a string) url.Values {
		return url.Values{"client_assertion_type": {JWTBearer}, "client_assertion": {a}}
	}
	cases := []struct {
		name   string
		form   url.Values
		status int
		aadsts string
	}{
		{"secret", url.Values{"client_secret": {secret}}, 401, "AADSTS7000215:"},
		{"nothing", url.Values{}, 401, "AADSTS7000218:"},
		{"wrong type", url.Values{"client_assertion_type": {"x"}, "client_assertion": {good}}, 400, "AADSTS90014:"},
		{"not a jwt", assertion("garbage"), 400, "AADSTS50027:"},
		{"expired", assertion(UnsignedJWT(map[string]any{"sub": "s", "exp": time.Now().Add(-time.Hour).Unix()})), 400, "AADSTS700024:"},
		{"other subject", assertion(UnsignedJWT(map[string]any{"sub": "repo:o/r:pull_request", "exp": time.Now().Add(time.Hour).Unix()})), 400, "AADSTS700213:"},
	}
	for _, c := range cases {
		code, m := post(c.form)
		d, _ := m["error_description"].(string)
		if code != c.status || !strings.HasPrefix(d, c.aadsts) {
			t.Errorf("%s: %d %v", c.name, code, m)
		}
		if c.name == "other subject" && !strings.Contains(d, "'repo:o/r:pull_request'") {
			t.Errorf("subject not named: %s", d)
		}
	}
	code, m := post(assertion(good))
	if code != 200 || m["access_token"] == "" {
		t.Fatalf("good assertion: %d %v", code, m)
	}
	for _, r := range s.Log() {
		if strings.Contains(r.Scope, good) {
			t.Fatal("assertion logged")
		}
	}
	if l := s.Log(); l[len(l)-1].AssertionType != JWTBearer {
		t.Fatalf("%+v", l[len(l)-1])
	}
}
