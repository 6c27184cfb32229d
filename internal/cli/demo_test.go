package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// runDemoTo runs the demo with stdout and stderr going to w.
func runDemoTo(t *testing.T, w *os.File, args ...string) (int, string) {
	t.Helper()
	code := Run(context.Background(), append([]string{"demo"}, args...), WithStdout(w), WithStderr(w), WithGetenv(os.Getenv))
	b, err := os.ReadFile(w.Name())
	if err != nil {
		t.Fatal(err)
	}
	return code, string(b)
}

// Written to a file, as `demo > demo.txt` does, the demo prints its plan
// once, says what a dry run would do, writes no ANSI codes, names the scope
// inputs in effect, and removes its report.
func TestDemoOutputToAFile(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	f, err := os.Create(filepath.Join(t.TempDir(), "demo.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	code, out := runDemoTo(t, f)
	if code != 0 {
		t.Fatalf("demo exit %d:\n%s", code, out)
	}
	if strings.Contains(out, "\x1b") {
		t.Errorf("ANSI escape codes in a file:\n%q", out[:min(len(out), 400)])
	}
	// The first sync's plan appears once: the dry run prints it, the sync
	// that applies the same plan says so in a line.
	if n := strings.Count(out, "+ create          asa.lefevre"); n != 1 {
		t.Errorf("the plan's create of asa.lefevre printed %d times, want once", n)
	}
	if !strings.Contains(out, "The plan is the one shown above.") {
		t.Errorf("the sync does not refer to the plan shown above")
	}
	if !strings.Contains(out, "Plan: 1 to create, 1 to update, 2 to deactivate") {
		t.Errorf("the last run's new plan is not printed")
	}
	dry := regexp.MustCompile(`(?m)^Dry run: .*$`).FindString(out)
	if !strings.Contains(dry, "would create 52") || strings.Contains(dry, "created") {
		t.Errorf("dry run line %q: want \"would create\", not \"created\"", dry)
	}
	if !strings.Contains(out, "out of scope (in effect: include-guests: false).") ||
		strings.Contains(out, "user-filter") || strings.Contains(out, "only-users") {
		t.Errorf("the out-of-scope line does not name exactly the scope inputs in effect")
	}
	if path := demoReportPath(out); path == "" {
		t.Error("the demo does not say where its report was")
	} else if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("report %s still there without --keep-report (%v)", path, err)
	}
}

func TestDemoKeepsItsReportWhenAsked(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	done := make(chan struct{})
	go func() { out.ReadFrom(r); close(done) }()
	code := Run(context.Background(), []string{"demo", "--keep-report"}, WithStdout(w), WithStderr(w), WithGetenv(os.Getenv))
	w.Close()
	<-done
	if code != 0 {
		t.Fatalf("demo exit %d:\n%s", code, out.String())
	}
	if strings.Contains(out.String(), "\x1b") {
		t.Error("ANSI escape codes in a pipe")
	}
	path := demoReportPath(out.String())
	b, err := os.ReadFile(path)
	if err != nil || !bytes.Contains(b, []byte(`"format": 1`)) {
		t.Fatalf("kept report %q: %v", path, err)
	}
	if !strings.Contains(out.String(), "(kept: --keep-report") {
		t.Error("the demo does not say it kept the report")
	}
}

// demoReportPath is the report path the demo's last line names.
func demoReportPath(out string) string {
	m := regexp.MustCompile(`The JSON report of the last run (?:is|was) at (\S+?\.json)`).FindStringSubmatch(out)
	if m == nil {
		return ""
	}
	return m[1]
}

// A misspelt flag after demo is one line and exit 2, before anything runs,
// as it is without demo; demo --help is the help, once.
func TestDemoRefusesAnUnknownFlag(t *testing.T) {
	var out, errOut bytes.Buffer
	env := func(string) string { return "" }
	code := Run(context.Background(), []string{"demo", "--keep-report", "--bogus"}, WithStdout(&out), WithStderr(&errOut), WithGetenv(env))
	if code != ExitUsage {
		t.Errorf("demo --bogus: exit %d, want %d", code, ExitUsage)
	}
	if out.Len() != 0 || strings.Count(errOut.String(), "\n") != 1 ||
		!strings.Contains(errOut.String(), "-bogus; run entra-mattermost-sync --help") {
		t.Errorf("demo --bogus: stdout %q, stderr %q; want one error line and nothing run", out.String(), errOut.String())
	}
	out.Reset()
	errOut.Reset()
	if code := Run(context.Background(), []string{"demo", "--help"}, WithStdout(&out), WithStderr(&errOut), WithGetenv(env)); code != ExitOK {
		t.Errorf("demo --help: exit %d", code)
	}
	if n := strings.Count(out.String(), "Usage: entra-mattermost-sync"); n != 1 || strings.Contains(out.String(), "Run 1") {
		t.Errorf("demo --help printed the usage %d times, or ran the demo:\n%s", n, out.String())
	}
}

// Flags after demo go to every run, and the line naming the inputs in
// effect says so and names the scope they make.
func TestDemoScopeNamesTheFlags(t *testing.T) {
	env := func(string) string { return "" }
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "the scope is every user of the tenant except guests (include-guests: false, the default)"},
		{[]string{"--include-guests"}, "and on the command line: --include-guests; the scope is every user of the tenant, guests included"},
		{[]string{"--only-users", "ann@contoso.example"}, "; the scope: only-users, include-guests: false"},
	} {
		if got := demoScope(c.args, env); !strings.Contains(got, c.want) {
			t.Errorf("demoScope(%q) = %q, want it to contain %q", c.args, got, c.want)
		}
	}
}

func TestDemoRuns(t *testing.T) {
	var out bytes.Buffer
	code := Run(context.Background(), []string{"demo"}, WithStdout(&out), WithStderr(&out), WithGetenv(os.Getenv))
	if code != 0 {
		t.Fatalf("demo exit %d:\n%s", code, out.String())
	}
	if !strings.Contains(out.String(), "No changes.") || !strings.Contains(out.String(), "0 writes") {
		t.Errorf("demo does not show an idempotent second sync:\n%s", out.String())
	}
	if strings.Contains(out.String(), "\x1b") {
		t.Errorf("ANSI escape codes in output that is no terminal")
	}
}
