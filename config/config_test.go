package config

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

var valid = map[string]string{
	"INPUT_AZURE-TENANT-ID":     "72f988bf-86f1-41af-91ab-2d7cd011db47",
	"INPUT_AZURE-CLIENT-ID":     "11111111-2222-4333-8444-555555555555",
	"INPUT_AZURE-CLIENT-SECRET": "secret",
	"INPUT_MATTERMOST-URL":      "https://chat.example.com/",
	"INPUT_MATTERMOST-TOKEN":    "token",
}

func load(t *testing.T, args []string, m map[string]string) (*Config, error) {
	t.Helper()
	vals, err := Raw(Source{Args: args, Getenv: env(m)})
	if err != nil {
		return nil, err
	}
	return Parse(vals)
}

func with(over map[string]string) map[string]string {
	m := map[string]string{}
	for k, v := range valid {
		m[k] = v
	}
	for k, v := range over {
		if v == "<unset>" {
			delete(m, k)
			continue
		}
		m[k] = v
	}
	return m
}

func TestDefaultsAndNormalisation(t *testing.T) {
	c, err := load(t, nil, valid)
	if err != nil {
		t.Fatal(err)
	}
	if c.MattermostURL != "https://chat.example.com" || c.Cloud != "public" || c.GraphURL != "" ||
		c.AuthorityHost != "" || c.DryRun || !c.WelcomeEmail || c.Workers != 8 || c.CreateWorkers != 4 {
		t.Fatalf("%+v", c)
	}
}

func TestAdoptExistingValues(t *testing.T) {
	for v, want := range map[string][2]bool{"<unset>": {true, false}, "verified": {true, false}, "true": {true, false},
		"Any": {true, true}, "false": {false, false}} {
		c, err := load(t, nil, with(map[string]string{"INPUT_ADOPT-EXISTING": v}))
		if err != nil {
			t.Fatalf("%s: %v", v, err)
		}
		if got := [2]bool{c.AdoptExisting, c.AdoptUnverified}; got != want {
			t.Errorf("adopt-existing %s: adopt, unverified = %v, want %v", v, got, want)
		}
	}
}

func TestPrecedence(t *testing.T) {
	m := with(map[string]string{"INPUT_DRY-RUN": "false", "DRY_RUN": "true", "MM_API_BASE_URL": "https://env.example.com"})
	c, err := load(t, []string{"--dry-run"}, m)
	if err != nil {
		t.Fatal(err)
	}
	if !c.DryRun {
		t.Error("a flag must beat the input")
	}
	if c.MattermostURL != "https://chat.example.com" {
		t.Errorf("the input must beat the environment, got %s", c.MattermostURL)
	}
	m = with(map[string]string{"INPUT_MATTERMOST-URL": "<unset>", "MM_API_BASE_URL": "http://mm.internal:8065/api/v4"})
	if c, err = load(t, nil, m); err != nil || c.MattermostURL != "http://mm.internal:8065/api/v4" {
		t.Errorf("env fallback: %v %+v", err, c)
	}
	if c, err = load(t, []string{"--dry-run=false"}, with(map[string]string{"INPUT_DRY-RUN": "true"})); err != nil || c.DryRun {
		t.Errorf("--dry-run=false: %v %+v", err, c)
	}
}

func TestInvalidInputsNameTheInput(t *testing.T) {
	tests := []struct {
		over map[string]string
		want []string
	}{
		{map[string]string{"INPUT_AZURE-TENANT-ID": "<unset>"}, []string{"azure-tenant-id"}},
		{map[string]string{"INPUT_MATTERMOST-TOKEN": "<unset>", "INPUT_MATTERMOST-URL": "<unset>"}, []string{"mattermost-url", "mattermost-token"}},
		{map[string]string{"INPUT_AZURE-CLOUD": "mars"}, []string{"azure-cloud"}},
		{map[string]string{"INPUT_REPORT-WEBHOOK-URL": "n8n.example.com/hook"}, []string{"report-webhook-url"}},
		{map[string]string{"INPUT_LINK-KEY": "short"}, []string{"link-key"}},
		{map[string]string{"INPUT_AZURE-TENANT-ID": "not a tenant"}, []string{"azure-tenant-id"}},
		{map[string]string{"INPUT_AZURE-CLIENT-ID": "app"}, []string{"azure-client-id"}},
		{map[string]string{"INPUT_MATTERMOST-URL": "chat.example.com"}, []string{"mattermost-url"}},
		{map[string]string{"INPUT_MATTERMOST-URL": "https://user:pw@chat.example.com"}, []string{"mattermost-url"}},
		{map[string]string{"INPUT_MATTERMOST-URL": "https://chat.example.com/?x=1"}, []string{"mattermost-url"}},
		{map[string]string{"INPUT_MATTERMOST-URL": "https://:443"}, []string{"mattermost-url"}},
		{map[string]string{"INPUT_GRAPH-URL": "http://graph.example.com"}, []string{"graph-url"}},
		{map[string]string{"INPUT_AZURE-AUTHORITY-HOST": "login"}, []string{"azure-authority-host"}},
		{map[string]string{"INPUT_DRY-RUN": "maybe"}, []string{"dry-run"}},
		{map[string]string{"INPUT_ADOPT-EXISTING": "unverified"}, []string{"adopt-existing"}},
		{map[string]string{"INPUT_CONCURRENCY": "0"}, []string{"concurrency"}},
		{map[string]string{"INPUT_MATTERMOST-TOKEN": "abc def"}, []string{"mattermost-token"}},
	}
	for _, tt := range tests {
		_, err := load(t, nil, with(tt.over))
		var errs Errors
		if !errors.As(err, &errs) || len(errs) != len(tt.want) {
			t.Errorf("%v: got %v, want errors for %v", tt.over, err, tt.want)
			continue
		}
		for i, e := range errs {
			if e.Input != tt.want[i] || !strings.Contains(e.Error(), tt.want[i]) {
				t.Errorf("%v: error %d = %v, want it to name %s", tt.over, i, e, tt.want[i])
			}
		}
		if strings.Contains(err.Error(), "pw@") {
			t.Errorf("credentials in a URL leak into the error: %v", err)
		}
	}
}

func TestSecretsAreListedEvenWhenInvalid(t *testing.T) {
	vals, err := Raw(Source{Getenv: env(with(map[string]string{"INPUT_AZURE-CLIENT-ID": "bad"}))})
	if err != nil {
		t.Fatal(err)
	}
	got := Secrets(vals)
	if len(got) != 2 || got[0] != "secret" || got[1] != "token" {
		t.Fatalf("Secrets = %v", got)
	}
}

func TestSplitList(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"a@x.example, b@x.example", "a@x.example|b@x.example"},
		{"a\n\n b \r\nc,,d", "a|b|c|d"},
		{"", ""},
		{"a\n# comment line\nb", "a|b"},
		{"Team #1, b", "Team #1|b"},
	}
	for _, tt := range tests {
		if got := strings.Join(SplitList(tt.in), "|"); got != tt.want {
			t.Errorf("SplitList(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzSplitList(f *testing.F) {
	for _, s := range []string{"a,b", "a\nb", " , ,\n", "#", "a#b,c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, item := range SplitList(s) {
			if item == "" || item != strings.TrimSpace(item) || strings.ContainsAny(item, ",\n") || strings.HasPrefix(item, "#") {
				t.Fatalf("SplitList(%q) yielded %q", s, item)
			}
		}
	})
}

func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"https://chat.example.com", "http://x:8065/api/v4/", "ftp://x", "https://u:p@x", "%zz", "https://[::1]:80"} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, s string, httpsOnly bool) {
		u, err := ParseURL(s, httpsOnly)
		if err != nil {
			return
		}
		if !strings.HasPrefix(u, "https://") && (httpsOnly || !strings.HasPrefix(u, "http://")) {
			t.Fatalf("ParseURL(%q) accepted %q", s, u)
		}
		if strings.HasSuffix(u, "/") {
			t.Fatalf("ParseURL(%q) = %q keeps a trailing slash", s, u)
		}
	})
}

func FuzzParseBool(f *testing.F) {
	for _, s := range []string{"true", "False", " yes ", "0", "maybe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseBool(s)
		if err == nil && v {
			if l := strings.ToLower(strings.TrimSpace(s)); l != "true" && l != "yes" && l != "y" && l != "on" && l != "1" {
				t.Fatalf("ParseBool(%q) = true", s)
			}
		}
	})
}

// The cloud's endpoints are entra's (internal/cli's settings_test.go
// checks them); config keeps an explicit endpoint and drops the public
// default, so that the cloud's wins over it.
func TestCloudsAndExplicitEndpoints(t *testing.T) {
	c, err := load(t, nil, with(map[string]string{"INPUT_AZURE-CLOUD": "USGovernment", "INPUT_AZURE-AUTHORITY-HOST": "https://login.microsoftonline.com"}))
	if err != nil || c.Cloud != "usgovernment" || c.AuthorityHost != "" || c.GraphURL != "" {
		t.Fatalf("usgovernment: %v %+v", err, c)
	}
	c, err = load(t, nil, with(map[string]string{"INPUT_AZURE-CLOUD": "china", "INPUT_GRAPH-URL": "https://graph.test.example/v1.0/",
		"INPUT_AZURE-AUTHORITY-HOST": "https://login.test.example"}))
	if err != nil || c.GraphURL != "https://graph.test.example/v1.0" || c.AuthorityHost != "https://login.test.example/" {
		t.Fatalf("explicit endpoints must be kept: %v %+v", err, c)
	}
}

func TestCheckCredentials(t *testing.T) {
	c, err := load(t, nil, with(map[string]string{"INPUT_AZURE-CLIENT-SECRET": "<unset>"}))
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckCredentials(c, env(nil)); err == nil || !strings.Contains(err.Error(), "id-token: write") || !strings.Contains(err.Error(), "azure-client-secret") {
		t.Fatalf("no secret, no OIDC: %v", err)
	}
	if err := CheckCredentials(c, env(map[string]string{"ACTIONS_ID_TOKEN_REQUEST_URL": "https://token.example"})); err != nil {
		t.Fatalf("OIDC available: %v", err)
	}
}

func TestCleartextWarning(t *testing.T) {
	for _, tt := range []struct {
		url  string
		warn bool
	}{
		{"https://chat.example.com", false},
		{"http://chat.example.com", true},
		{"http://mattermost.chat.svc.cluster.local:8065", true},
		{"http://localhost:8065", false},
		{"http://127.0.0.1:8065", false},
		{"http://127.10.0.1", false},
		{"http://[::1]:8065", false},
		{"http://10.0.0.5", true},
		{"http://app.localhost", false},
	} {
		got := CleartextWarning("mattermost-url", tt.url)
		if (got != "") != tt.warn {
			t.Errorf("%s: warning %q, want %v", tt.url, got, tt.warn)
		}
		if got != "" && !strings.Contains(got, "input mattermost-url") {
			t.Errorf("the warning does not name the input: %q", got)
		}
	}
}

// Found by review: inputs that used to fail only at the network or at the end.
func TestInputsCaughtBeforeTheNetwork(t *testing.T) {
	if _, err := ParseURL("https://chat_ex!ample.com", false); err == nil {
		t.Error("a host name with ! accepted")
	}
	for _, ok := range []string{"https://chat.example.com", "http://mattermost:8065", "http://10.0.0.5", "http://[::1]:8065"} {
		if _, err := ParseURL(ok, false); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	dir := t.TempDir()
	if err := checkReportPath(dir); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("a directory as report-path: %v", err)
	}
	if err := checkReportPath(dir + "/missing/r.json"); err != nil {
		t.Errorf("a missing directory is created by the writer: %v", err)
	}
	if err := os.WriteFile(dir+"/file", nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := checkReportPath(dir + "/file/r.json"); err == nil || !strings.Contains(err.Error(), "is not a directory") {
		t.Errorf("a file as the directory: %v", err)
	}
	if err := checkReportPath(dir + "/r.json"); err != nil {
		t.Errorf("a file in an existing directory: %v", err)
	}
}
