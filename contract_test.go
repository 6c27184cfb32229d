package main

import (
	"bufio"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/config"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/report"
)

// actionSpec is the part of action.yml this test needs: the ids under
// inputs: and outputs:, and each input's default.
type actionSpec struct {
	inputs   []string
	defaults map[string]string
	outputs  []string
	image    string
}

func readActionYAML(t *testing.T) actionSpec {
	t.Helper()
	f, err := os.Open("action.yml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	spec := actionSpec{defaults: map[string]string{}}
	section, current := "", ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "" || strings.HasPrefix(strings.TrimSpace(line), "#"):
		case !strings.HasPrefix(line, " "):
			section = strings.TrimSuffix(line, ":")
		case strings.HasPrefix(line, "  ") && !strings.HasPrefix(line, "   "):
			current = strings.TrimSuffix(strings.TrimSpace(line), ":")
			switch section {
			case "inputs":
				spec.inputs = append(spec.inputs, current)
			case "outputs":
				spec.outputs = append(spec.outputs, current)
			case "runs":
				if v, ok := strings.CutPrefix(current, "image: "); ok {
					spec.image = v
				}
			}
		case section == "inputs":
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "default: "); ok {
				spec.defaults[current] = strings.Trim(v, `"`)
			}
		}
	}
	return spec
}

// action.yml, the code and the README must agree on every input and output:
// they are the public contract.
func TestActionYAMLMatchesCode(t *testing.T) {
	spec := readActionYAML(t)
	var names []string
	for _, o := range config.Options() {
		names = append(names, o.Name)
		if o.Required {
			if _, ok := spec.defaults[o.Name]; ok {
				t.Errorf("required input %s has a default in action.yml", o.Name)
			}
			continue
		}
		if got := spec.defaults[o.Name]; got != o.Default {
			t.Errorf("input %s: action.yml default %q, code default %q", o.Name, got, o.Default)
		}
	}
	if !slices.Equal(spec.inputs, names) {
		t.Errorf("action.yml inputs %v\ncode options     %v", spec.inputs, names)
	}
	if !slices.Equal(spec.outputs, report.OutputNames()) {
		t.Errorf("action.yml outputs %v, code outputs %v", spec.outputs, report.OutputNames())
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range append(names, report.OutputNames()...) {
		if !strings.Contains(string(readme), "`"+n+"`") {
			t.Errorf("README does not document `%s`", n)
		}
	}
	for _, o := range config.Options() {
		if !strings.Contains(string(readme), o.Env) {
			t.Errorf("README does not mention the environment variable %s", o.Env)
		}
	}
}

// The contract names these inputs and outputs; renaming one breaks
// every workflow that uses the action.
func TestPublicNamesAreStable(t *testing.T) {
	spec := readActionYAML(t)
	for _, n := range []string{"azure-tenant-id", "azure-client-id", "azure-client-secret", "mattermost-url", "mattermost-token", "dry-run", "azure-authority-host", "graph-url", "instance", "link-key",
		"onboarding", "onboarding-sender", "onboarding-template", "onboard", "plan-out", "apply-plan", "plan-max-age"} {
		if !slices.Contains(spec.inputs, n) {
			t.Errorf("input %s missing", n)
		}
	}
	for _, n := range []string{"created", "updated", "deactivated", "reactivated", "unchanged", "skipped", "failed", "onboarded", "report", "plan"} {
		if !slices.Contains(spec.outputs, n) {
			t.Errorf("output %s missing", n)
		}
	}
}

// An input that takes named values documents every one of them, the same way
// in action.yml, the README's Inputs table and --help (the option's
// description).
func TestInputValuesAreDocumented(t *testing.T) {
	values := map[string][]string{
		"adopt-existing": {"verified", "any", "false", "true"},
	}
	yml, err := os.ReadFile("action.yml")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for name, vals := range values {
		var help string
		for _, o := range config.Options() {
			if o.Name == name {
				help = o.Description
			}
		}
		_, block, _ := strings.Cut(string(yml), "\n  "+name+":\n")
		desc, _, _ := strings.Cut(block, "\n    required:")
		_, row, _ := strings.Cut(string(readme), "\n| `"+name+"` |")
		row, _, _ = strings.Cut(row, "\n")
		for _, v := range vals {
			if !strings.Contains(help, v) {
				t.Errorf("--help for %s does not name the value %s", name, v)
			}
			if !strings.Contains(desc, v) {
				t.Errorf("action.yml's %s does not name the value %s", name, v)
			}
			if !strings.Contains(row, "`"+v+"`") {
				t.Errorf("the README's row for %s does not name the value `%s`", name, v)
			}
		}
	}
}
