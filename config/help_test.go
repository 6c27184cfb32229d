package config

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// Every option is under exactly one heading of --help, and every name the
// headings list is an option: a new option must be placed, a renamed one
// moved.
func TestHelpGroupsEveryOption(t *testing.T) {
	seen := map[string]string{}
	options := map[string]bool{}
	for _, o := range Options() {
		options[o.Name] = true
	}
	for _, g := range helpGroups() {
		for _, n := range g.names {
			if prev, ok := seen[n]; ok {
				t.Errorf("option %s is under both %q and %q", n, prev, g.title)
			}
			seen[n] = g.title
			if !options[n] {
				t.Errorf("help group %q names %s, which is no option", g.title, n)
			}
		}
	}
	for _, o := range Options() {
		if _, ok := seen[o.Name]; !ok {
			t.Errorf("option %s is in no help group (config/help.go)", o.Name)
		}
	}
}

func TestWriteOptionsMarksRequiredAndShowsDefaults(t *testing.T) {
	var b bytes.Buffer
	if err := WriteOptions(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, o := range Options() {
		_, rest, ok := strings.Cut(out, "  --"+o.Name+" ")
		if !ok {
			_, rest, ok = strings.Cut(out, "  --"+o.Name+"  ")
		}
		if !ok {
			t.Errorf("--help does not list --%s", o.Name)
			continue
		}
		head, _, _ := strings.Cut(rest, "\n")
		if got := strings.Contains(head, "(required)"); got != o.Required {
			t.Errorf("--%s: (required) shown %v, want %v: %q", o.Name, got, o.Required, head)
		}
		if !strings.Contains(head, "env "+o.Env) || (o.Default != "" && !strings.Contains(head, "default "+o.Default)) {
			t.Errorf("--%s: environment variable or default missing: %q", o.Name, head)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "      ") && len([]rune(line)) > 80 {
			t.Errorf("description line over 80 columns: %q", line)
		}
	}
}

func TestUnknownFlagIsAUsageError(t *testing.T) {
	for _, args := range [][]string{{"--no-such-flag"}, {"--dry-run", "stray"}, {"--groups"}} {
		_, err := Raw(Source{Args: args, Getenv: func(string) string { return "" }})
		var ue *UsageError
		if !errors.As(err, &ue) || strings.Contains(ue.Error(), "\n") {
			t.Errorf("%q: %v, want one line of UsageError", args, err)
		}
	}
	if _, err := Raw(Source{Args: []string{"-h"}, Getenv: func(string) string { return "" }}); !errors.Is(err, ErrHelp) {
		t.Errorf("-h: %v, want ErrHelp", err)
	}
}
