package cli

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/config"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/entra"
	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
)

// rawSettings are valid raw values (config.Raw's shape) with over applied.
func rawSettings(t *testing.T, over map[string]string) map[string]string {
	t.Helper()
	env := map[string]string{
		"INPUT_AZURE-TENANT-ID":     "72f988bf-86f1-41af-91ab-2d7cd011db47",
		"INPUT_AZURE-CLIENT-ID":     "11111111-2222-4333-8444-555555555555",
		"INPUT_AZURE-CLIENT-SECRET": "secret",
		"INPUT_MATTERMOST-URL":      "https://chat.example.com/",
		"INPUT_MATTERMOST-TOKEN":    "token",
	}
	for k, v := range over {
		env["INPUT_"+strings.ToUpper(k)] = v
	}
	vals, err := config.Raw(config.Source{Getenv: func(k string) string { return env[k] }})
	if err != nil {
		t.Fatal(err)
	}
	return vals
}

// The inputs whose grammar another package owns fail like config's own:
// one list, each error naming its input, in the option table's order.
func TestSettingsErrorsNameTheInput(t *testing.T) {
	for _, tt := range []struct {
		over map[string]string
		want []string
	}{
		{map[string]string{"max-deactivations": "lots"}, []string{"max-deactivations"}},
		{map[string]string{"max-removals": "200%"}, []string{"max-removals"}},
		{map[string]string{"group-teams": "Eng eng"}, []string{"group-teams"}},
		{map[string]string{"attribute-map": "position: title"}, []string{"attribute-map"}},
		{map[string]string{"username-from": "displayName"}, []string{"username-from"}},
		{map[string]string{"teams": "Not A Team"}, []string{"teams"}},
		{map[string]string{"channels": "no-slash"}, []string{"channels"}},
		{map[string]string{"group-channels": "G town"}, []string{"group-channels"}},
		// config's and the glue's errors in one list, in table order.
		{map[string]string{"azure-client-id": "app", "max-deactivations": "lots", "teams": "A B", "concurrency": "0"},
			[]string{"azure-client-id", "max-deactivations", "teams", "concurrency"}},
	} {
		_, err := loadSettings(rawSettings(t, tt.over))
		var errs config.Errors
		if !errors.As(err, &errs) || len(errs) != len(tt.want) {
			t.Errorf("%v: got %v, want errors for %v", tt.over, err, tt.want)
			continue
		}
		for i, e := range errs {
			if e.Input != tt.want[i] || e.Env == "" || !strings.Contains(e.Error(), tt.want[i]) {
				t.Errorf("%v: error %d = %v, want it to name %s", tt.over, i, e, tt.want[i])
			}
		}
	}
}

func TestSettingsEndpoints(t *testing.T) {
	for _, tt := range []struct {
		over             map[string]string
		authority, graph string
	}{
		{nil, "https://login.microsoftonline.com/", "https://graph.microsoft.com/v1.0"},
		{map[string]string{"azure-cloud": "usgovernment"}, "https://login.microsoftonline.us/", "https://graph.microsoft.us/v1.0"},
		{map[string]string{"azure-cloud": "china", "graph-url": "https://graph.test.example/v1.0"}, "https://login.chinacloudapi.cn/", "https://graph.test.example/v1.0"},
		// The public default given explicitly does not override the cloud.
		{map[string]string{"azure-cloud": "china", "azure-authority-host": "https://login.microsoftonline.com/"}, "https://login.chinacloudapi.cn/", "https://microsoftgraph.chinacloudapi.cn/v1.0"},
	} {
		s, err := loadSettings(rawSettings(t, tt.over))
		if err != nil || s.EntraAuthority != tt.authority || s.EntraGraph != tt.graph {
			t.Errorf("%v: %v, %s %s; want %s %s", tt.over, err, s.EntraAuthority, s.EntraGraph, tt.authority, tt.graph)
		}
	}
}

func TestSettingsLinkKeys(t *testing.T) {
	const token = "token"
	derived := mmsync.DeriveLinkKey(token)
	for in, want := range map[string][][]byte{
		"":                             {derived},
		"derived":                      {derived},
		"one-key-of-16-chars":          {[]byte("one-key-of-16-chars")},
		"new-key-of-16-chars\nDerived": {[]byte("new-key-of-16-chars"), derived},
		"new-key-of-16-chars,old-key-of-16-chars": {[]byte("new-key-of-16-chars"), []byte("old-key-of-16-chars")},
	} {
		s, err := loadSettings(rawSettings(t, map[string]string{"link-key": in}))
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if len(s.LinkKeys) != len(want) {
			t.Errorf("%q: %d keys, want %d", in, len(s.LinkKeys), len(want))
			continue
		}
		for i := range want {
			if !bytes.Equal(s.LinkKeys[i], want[i]) {
				t.Errorf("%q: key %d differs", in, i)
			}
		}
	}
}

func TestSettingsOnboardingTemplate(t *testing.T) {
	dir := t.TempDir()
	noPw := filepath.Join(dir, "nopw.txt")
	if err := os.WriteFile(noPw, []byte("Welcome\nSign in at {{.SignInURL}}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	graphMail := map[string]string{"onboarding": "graph-mail", "onboarding-sender": "a@b.example"}
	s, err := loadSettings(rawSettings(t, graphMail))
	if err != nil || s.OnboardingMail == nil {
		t.Fatalf("graph-mail takes the default template: %v", err)
	}
	graphMail["onboarding-template"] = noPw
	_, err = loadSettings(rawSettings(t, graphMail))
	var errs config.Errors
	if !errors.As(err, &errs) || len(errs) != 1 || errs[0].Input != "onboarding-template" || !strings.Contains(errs[0].Msg, "{{.Password}}") {
		t.Errorf("a template without the password: %v", err)
	}
	graphMail["onboarding-template"] = filepath.Join(dir, "missing")
	if _, err = loadSettings(rawSettings(t, graphMail)); !errors.As(err, &errs) || len(errs) != 1 {
		t.Errorf("a missing template is one error (config's), not two: %v", err)
	}
	if s, err = loadSettings(rawSettings(t, nil)); err != nil || s.OnboardingMail != nil {
		t.Errorf("onboarding none has no mail: %v", err)
	}
}

// config keeps its own small enums and cloud names, being a leaf; they are
// the planner's values and the clouds entra knows.
func TestConfigValuesAreThePlanners(t *testing.T) {
	pairs := [][2]string{
		{string(config.ReactivateBySync), string(mmsync.ReactivateBySync)},
		{string(config.ReactivateAny), string(mmsync.ReactivateAny)},
		{string(config.ReactivateNever), string(mmsync.ReactivateNever)},
		{string(config.OnboardingNone), string(mmsync.OnboardingNone)},
		{string(config.OnboardingResetEmail), string(mmsync.OnboardingResetEmail)},
		{string(config.OnboardingGraphMail), string(mmsync.OnboardingGraphMail)},
		{string(config.OnboardNew), string(mmsync.OnboardNew)},
		{string(config.OnboardNewAndAdopted), string(mmsync.OnboardNewAndAdopted)},
	}
	for _, p := range pairs {
		if p[0] != p[1] {
			t.Errorf("config says %q, sync %q", p[0], p[1])
		}
	}
	for _, o := range config.Options() {
		switch o.Name {
		case "max-deactivations":
			if o.Default != mmsync.DefaultMaxDeactivations {
				t.Errorf("max-deactivations default %q, sync's %q", o.Default, mmsync.DefaultMaxDeactivations)
			}
		case "max-removals":
			if o.Default != mmsync.DefaultMaxRemovals {
				t.Errorf("max-removals default %q, sync's %q", o.Default, mmsync.DefaultMaxRemovals)
			}
		case "azure-authority-host", "graph-url":
			a, g, _ := entra.CloudEndpoints("public")
			if o.Default != map[string]string{"azure-authority-host": a, "graph-url": g}[o.Name] {
				t.Errorf("%s default %q is not the public cloud's", o.Name, o.Default)
			}
		}
	}
	for _, c := range config.Clouds() {
		if _, _, err := entra.CloudEndpoints(c); err != nil {
			t.Errorf("config accepts azure-cloud %q, entra does not know it: %v", c, err)
		}
	}
}
