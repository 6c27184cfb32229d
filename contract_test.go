package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
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

// markdownFiles are the documents an administrator reads on GitHub.
func markdownFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, g := range []string{"*.md", "docs/*.md", "examples/*/*.md"} {
		m, err := filepath.Glob(g)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	return files
}

var (
	fencedBlock  = regexp.MustCompile("(?ms)^\\s*```.*?^\\s*```")
	mdHeading    = regexp.MustCompile(`(?m)^#{1,6}\s+(.+?)\s*$`)
	mdLink       = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	notAnchorRun = regexp.MustCompile(`[^\p{L}\p{N}_\- ]`)
)

// headingAnchors are the anchors GitHub gives a document's headings:
// lower case, punctuation dropped, spaces as hyphens, -1, -2 … on repeats.
func headingAnchors(doc string) map[string]bool {
	anchors, seen := map[string]bool{}, map[string]int{}
	for _, m := range mdHeading.FindAllStringSubmatch(fencedBlock.ReplaceAllString(doc, ""), -1) {
		a := strings.ReplaceAll(notAnchorRun.ReplaceAllString(strings.ToLower(m[1]), ""), " ", "-")
		if n := seen[a]; n > 0 {
			anchors[fmt.Sprintf("%s-%d", a, n)] = true
		} else {
			anchors[a] = true
		}
		seen[a]++
	}
	return anchors
}

// Every relative link in the Markdown documents names a file of the
// repository and, with a #fragment, a heading of that file: the README's
// contents list and its links into docs/ must not go dead when a heading
// is renamed or a note moves.
func TestMarkdownLinksResolve(t *testing.T) {
	anchors := map[string]map[string]bool{}
	for _, f := range markdownFiles(t) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		anchors[f] = headingAnchors(string(b))
	}
	for _, f := range markdownFiles(t) {
		b, _ := os.ReadFile(f)
		for _, m := range mdLink.FindAllStringSubmatch(fencedBlock.ReplaceAllString(string(b), ""), -1) {
			link := m[1]
			if regexp.MustCompile(`^[a-z]+:`).MatchString(link) {
				continue // https:, mailto:
			}
			path, frag, _ := strings.Cut(link, "#")
			target := f
			if path != "" {
				target = filepath.Clean(filepath.Join(filepath.Dir(f), path))
				if _, err := os.Stat(target); err != nil {
					t.Errorf("%s links to %s, which does not exist", f, link)
					continue
				}
			}
			if frag != "" && strings.HasSuffix(target, ".md") && !anchors[filepath.ToSlash(target)][frag] {
				t.Errorf("%s links to %s: %s has no heading with that anchor", f, link, target)
			}
		}
	}
}

// The README's layout table names every Go file of the root package
// (main.go), every package of the house (layers_test.go's floors) and every
// top-level folder, and every Go file it names exists, so that it matches
// the tree.
func TestReadmeLayoutMatchesTheTree(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, layout, ok := strings.Cut(string(readme), "\n## Layout\n")
	if !ok {
		t.Fatal(`README has no "## Layout" section`)
	}
	layout, _, _ = strings.Cut(layout, "\n## ")
	named := map[string]bool{}
	for _, line := range strings.Split(layout, "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		first, _, _ := strings.Cut(line[1:], "|")
		var dirs []string
		for _, m := range regexp.MustCompile("`([^`]+)`").FindAllStringSubmatch(first, -1) {
			named[strings.TrimSuffix(m[1], "/")] = true
			dirs = append(dirs, strings.TrimSuffix(m[1], "/"))
		}
		// A Go file a row names is in the root or in one of the row's folders.
		for _, m := range regexp.MustCompile("`([a-z_]+\\.go)`").FindAllStringSubmatch(line, -1) {
			if !slices.ContainsFunc(append([]string{"."}, dirs...), func(d string) bool {
				_, err := os.Stat(filepath.Join(d, m[1]))
				return err == nil
			}) {
				t.Errorf("the README's layout table names %s, which is not in %v", m[1], dirs)
			}
		}
	}
	var want []string
	goFiles, _ := filepath.Glob("*.go")
	for _, f := range goFiles {
		if !strings.HasSuffix(f, "_test.go") {
			want = append(want, f)
		}
	}
	for dir := range floors {
		if dir != "." {
			want = append(want, dir)
		}
	}
	// The top-level folders git tracks (a local dist/ or a build is none).
	if out, err := exec.Command("git", "ls-files", "-z").Output(); err != nil {
		t.Logf("git ls-files: %v; the top-level folders are not checked", err)
	} else {
		for _, f := range strings.Split(string(out), "\x00") {
			if dir, _, ok := strings.Cut(f, "/"); ok && !strings.HasPrefix(dir, ".") && !slices.Contains(want, dir) {
				want = append(want, dir)
			}
		}
	}
	for _, w := range want {
		// A folder is named itself or through what it holds (`cmd/scale`).
		if !named[w] && !slices.ContainsFunc(slices.Collect(maps.Keys(named)), func(n string) bool { return strings.HasPrefix(n, w+"/") }) {
			t.Errorf("the README's layout table does not name `%s`", w)
		}
	}
}

// The README's example of the webhook body shows every member of counts, as
// the report sends them, so that a receiver built from it misses none.
func TestReadmeWebhookExampleHasEveryCount(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```json\n(\\{\"status\".*?)```").FindSubmatch(readme)
	if m == nil {
		t.Fatal("README has no example of the webhook body")
	}
	var example struct{ Counts map[string]int }
	if err := json.Unmarshal(m[1], &example); err != nil {
		t.Fatalf("the README's webhook example is not JSON: %v", err)
	}
	b, _ := json.Marshal(report.Counts{})
	var want map[string]int
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	if got, want := slices.Sorted(maps.Keys(example.Counts)), slices.Sorted(maps.Keys(want)); !slices.Equal(got, want) {
		t.Errorf("the README's webhook example counts %v, the report's %v", got, want)
	}
}

// The README's contents list links every section (## heading), so that a
// section added later is found from the top.
func TestReadmeContentsListsEverySection(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(readme)
	start, end := strings.Index(doc, "\nContents:\n"), strings.Index(doc, "\n## Quick start")
	if start < 0 || end < start {
		t.Fatal("README has no contents list before its quick start")
	}
	contents := doc[start:end]
	for _, m := range regexp.MustCompile(`(?m)^## (.+?)\s*$`).FindAllStringSubmatch(fencedBlock.ReplaceAllString(doc, ""), -1) {
		anchor := strings.ReplaceAll(notAnchorRun.ReplaceAllString(strings.ToLower(m[1]), ""), " ", "-")
		if !strings.Contains(contents, "(#"+anchor+")") {
			t.Errorf("the README's contents list does not link the section %q (#%s)", m[1], anchor)
		}
	}
}

// CHANGELOG.md names every input and output (RELEASE.md: every new or
// changed input or output belongs there), so that a release cannot ship one
// the changelog does not mention.
func TestChangelogNamesEveryInputAndOutput(t *testing.T) {
	changelog, err := os.ReadFile("CHANGELOG.md")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, o := range config.Options() {
		names = append(names, o.Name)
	}
	for _, n := range append(names, report.OutputNames()...) {
		if !strings.Contains(string(changelog), "`"+n+"`") {
			t.Errorf("CHANGELOG.md does not name `%s`", n)
		}
	}
}

// The example workflows keep what they upload (the report, a saved plan:
// both name people) a week at most, and say so.
func TestExampleArtifactsAreShortLived(t *testing.T) {
	files, _ := filepath.Glob(".github/workflows/*.yml")
	more, _ := filepath.Glob("examples/*.yml")
	for _, f := range append(files, more...) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		uploads := strings.Count(string(b), "actions/upload-artifact@")
		days := regexp.MustCompile(`retention-days: (\d+)`).FindAllStringSubmatch(string(b), -1)
		if len(days) != uploads {
			t.Errorf("%s: %d artifact uploads, %d with retention-days", f, uploads, len(days))
		}
		for _, d := range days {
			if n, _ := strconv.Atoi(d[1]); n > 7 {
				t.Errorf("%s keeps an artifact %d days: it names people, keep it 7 at most", f, n)
			}
		}
	}
}

// The demo's tenant (embedded from internal/fake/graph, whose embed cannot
// reach the root) is the end-to-end tests' tenant-60.json: one tenant, two
// copies that must not drift apart.
func TestDemoTenantIsTheFixture(t *testing.T) {
	a, err := os.ReadFile(filepath.Join("testdata", "tenant-60.json"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join("internal", "fake", "graph", "testdata", "tenant-60.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("testdata/tenant-60.json and internal/fake/graph/testdata/tenant-60.json differ: copy one over the other")
	}
}
