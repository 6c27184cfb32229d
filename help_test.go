package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"testing"
)

func runCLI(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(context.Background(), args, deps{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }})
	return code, out.String(), errb.String()
}

func TestHelpGroupsOptionsAndListsExitCodes(t *testing.T) {
	code, out, _ := runCLI("--help")
	if code != exitOK {
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
		if code != exitOK || out != "entra-mattermost-sync "+programVersion()+"\n" || errs != "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, out, errs)
		}
	}
	// After "--" it is no flag.
	if code, _, _ := runCLI("--", "--version"); code != exitUsage {
		t.Errorf(`"-- --version" exit %d, want %d`, code, exitUsage)
	}
}

func TestUnknownFlagPrintsOneLineAndTheHint(t *testing.T) {
	code, out, errs := runCLI("--dry-rn")
	if code != exitUsage {
		t.Fatalf("exit %d, want %d", code, exitUsage)
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
	readme, err := os.ReadFile("README.md")
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
