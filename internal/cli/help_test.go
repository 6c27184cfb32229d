package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
)

func runCLI(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = Run(context.Background(), args, WithStdout(&out), WithStderr(&errb), WithGetenv(func(string) string { return "" }))
	return code, out.String(), errb.String()
}

func TestHelpGroupsOptionsAndListsExitCodes(t *testing.T) {
	code, out, _ := runCLI("--help")
	if code != ExitOK {
		t.Fatalf("--help exit %d", code)
	}
	for _, want := range []string{"Connection:", "Scope:", "Lifecycle:", "Mappings", "Onboarding:", "Rails:", "Reporting:",
		"--azure-tenant-id VALUE  (required)", "--version", "Exit codes:", "demo [--keep-report]"} {
		if !strings.Contains(out, want) {
			t.Errorf("--help lacks %q", want)
		}
	}
	for _, e := range exitCodes {
		if !strings.Contains(out, fmt.Sprintf("\n  %d   ", e.code)) {
			t.Errorf("--help does not list exit code %d", e.code)
		}
	}
	if strings.Contains(out, "Other:") {
		t.Errorf("an option is in no help group:\n%s", out)
	}
}

func TestVersionAnywhereOnTheLine(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"-version"}, {"version"}, {"--dry-run", "--version"},
		{"--groups", "x", "-version"}, {"demo", "--version"}, {"--no-such-flag", "--version"}} {
		code, out, errs := runCLI(args...)
		if code != ExitOK || out != "entra-mattermost-sync "+buildVersion()+"\n" || errs != "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, out, errs)
		}
	}
	// The release's tag, as main hands it over from -ldflags.
	var out bytes.Buffer
	if code := Run(context.Background(), []string{"--version"}, WithStdout(&out), WithVersion("v1.2.3")); code != ExitOK || out.String() != "entra-mattermost-sync v1.2.3\n" {
		t.Errorf("WithVersion(v1.2.3): exit %d, stdout %q", code, out.String())
	}
	// After "--" it is no flag.
	if code, _, _ := runCLI("--", "--version"); code != ExitUsage {
		t.Errorf(`"-- --version" exit %d, want %d`, code, ExitUsage)
	}
}

// The release's tag (WithVersion, from main's -ldflags) is what Mattermost
// sees in the User-Agent too.
func TestVersionIsTheUserAgent(t *testing.T) {
	env := map[string]string{
		"AZURE_TENANT_ID": "72f988bf-86f1-41af-91ab-2d7cd011db47", "AZURE_CLIENT_ID": "11111111-2222-4333-8444-555555555555",
		"AZURE_CLIENT_SECRET": "not-used", "MM_API_BASE_URL": "https://chat.example.com", "MM_ADMIN_TOKEN": "not-used",
		"REPORT_PATH": filepath.Join(t.TempDir(), "report.json"),
	}
	var mu sync.Mutex
	var agents []string
	refuse := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		mu.Lock()
		defer mu.Unlock()
		agents = append(agents, r.Header.Get("User-Agent"))
		return &http.Response{StatusCode: http.StatusUnauthorized, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader(`{"id":"api.context.session_expired.app_error","status_code":401}`)), Request: r}, nil
	})
	var out bytes.Buffer
	code := Run(context.Background(), nil, WithStdout(&out), WithStderr(&out), WithGetenv(func(k string) string { return env[k] }),
		WithMattermostTransport(refuse), WithGraphTransport(refuse), WithVersion("v9.9.9"))
	if code != ExitFailure || len(agents) == 0 {
		t.Fatalf("exit %d after %d requests, want 1 after the refused preflight:\n%s", code, len(agents), out.String())
	}
	if agents[0] != "entra-mattermost-sync/v9.9.9" {
		t.Errorf("User-Agent %q, want entra-mattermost-sync/v9.9.9", agents[0])
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestUnknownFlagPrintsOneLineAndTheHint(t *testing.T) {
	code, out, errs := runCLI("--dry-rn")
	if code != ExitUsage {
		t.Fatalf("exit %d, want %d", code, ExitUsage)
	}
	if out != "" || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, "-dry-rn") || !strings.Contains(errs, "--help") {
		t.Errorf("want one line naming the flag and the hint to run --help; stdout %q, stderr %q", out, errs)
	}
}

func TestVersionFromBuildInfo(t *testing.T) {
	for _, tt := range []struct {
		info debug.BuildInfo
		want string
	}{
		{debug.BuildInfo{Main: debug.Module{Version: "v1.4.2"}}, "v1.4.2"},
		{debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "devel"},
		{debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.modified", Value: "true"}}}, "devel 0123456789ab+dirty"},
		{debug.BuildInfo{Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}}}, "devel abc"},
	} {
		if got := versionFromBuildInfo(&tt.info); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.info, got, tt.want)
		}
	}
}

// The README's "Exit codes" section lists every code --help does.
func TestExitCodesAreDocumented(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## Exit codes\n")
	if !ok {
		t.Fatal(`README has no "## Exit codes" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	for _, e := range exitCodes {
		if !strings.Contains(section, fmt.Sprintf("| `%d` |", e.code)) {
			t.Errorf("README's exit codes lack `%d`", e.code)
		}
	}
}

func TestHelpDocumentsEveryOption(t *testing.T) {
	var out bytes.Buffer
	code := Run(context.Background(), []string{"--help"}, WithStdout(&out), WithStderr(&out), WithGetenv(func(string) string { return "" }))
	if code != 0 {
		t.Fatalf("--help exit %d", code)
	}
	for _, name := range []string{"azure-tenant-id", "mattermost-token", "dry-run", "MM_API_BASE_URL", "AZURE_CLIENT_SECRET", "plan-out", "apply-plan", "plan-max-age", "PLAN_MAX_AGE"} {
		if !strings.Contains(out.String(), name) {
			t.Errorf("--help does not mention %s", name)
		}
	}
}
