package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/config"
)

// n8nWorkflow is the part of an n8n workflow export the tests look at.
type n8nWorkflow struct {
	Name  string `json:"name"`
	Nodes []struct {
		ID          string                     `json:"id"`
		Name        string                     `json:"name"`
		Type        string                     `json:"type"`
		TypeVersion float64                    `json:"typeVersion"`
		Position    []float64                  `json:"position"`
		Parameters  map[string]any             `json:"parameters"`
		Credentials map[string]json.RawMessage `json:"credentials"`
	} `json:"nodes"`
	Connections map[string]map[string][][]struct {
		Node  string `json:"node"`
		Type  string `json:"type"`
		Index int    `json:"index"`
	} `json:"connections"`
}

// dispatchTypes returns the event types listed under repository_dispatch in
// a workflow file (flow style "types: [a, b]" or a block list).
func dispatchTypes(t *testing.T, path string) []string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(raw), "\n")
	indent := func(s string) int { return len(s) - len(strings.TrimLeft(s, " ")) }
	for i, l := range lines {
		if strings.TrimSpace(l) != "repository_dispatch:" {
			continue
		}
		base := indent(l)
		for j := i + 1; j < len(lines); j++ {
			lj := lines[j]
			s := strings.TrimSpace(lj)
			if s == "" || strings.HasPrefix(s, "#") {
				continue
			}
			if indent(lj) <= base {
				break
			}
			v, ok := strings.CutPrefix(s, "types:")
			if !ok {
				continue
			}
			v = strings.TrimSpace(v)
			var out []string
			if strings.HasPrefix(v, "[") {
				for _, p := range strings.Split(strings.Trim(v, "[]"), ",") {
					out = append(out, strings.Trim(strings.TrimSpace(p), `"'`))
				}
				return out
			}
			for k := j + 1; k < len(lines); k++ {
				item, ok := strings.CutPrefix(strings.TrimSpace(lines[k]), "- ")
				if !ok {
					break
				}
				out = append(out, strings.Trim(strings.TrimSpace(item), `"'`))
			}
			return out
		}
	}
	t.Fatalf("%s: no repository_dispatch types", path)
	return nil
}

func TestN8nWorkflowExample(t *testing.T) {
	path := filepath.Join("examples", "n8n", "sync-users-workflow.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var wf n8nWorkflow
	if err := json.Unmarshal(raw, &wf); err != nil {
		t.Fatalf("%s does not parse: %v", path, err)
	}

	byType := map[string]int{}
	names := map[string]bool{}
	for _, n := range wf.Nodes {
		byType[n.Type]++
		if n.ID == "" || n.Name == "" || n.TypeVersion == 0 || len(n.Position) != 2 || n.Parameters == nil {
			t.Errorf("node %q lacks id, name, typeVersion, position or parameters", n.Name)
		}
		if names[n.Name] {
			t.Errorf("duplicate node name %q", n.Name)
		}
		names[n.Name] = true
	}
	for _, typ := range []string{"n8n-nodes-base.scheduleTrigger", "n8n-nodes-base.httpRequest", "n8n-nodes-base.webhook", "n8n-nodes-base.code", "n8n-nodes-base.if"} {
		if byType[typ] == 0 {
			t.Errorf("no %s node", typ)
		}
	}
	for from, outs := range wf.Connections {
		if !names[from] {
			t.Errorf("connection from unknown node %q", from)
		}
		for _, branches := range outs {
			for _, branch := range branches {
				for _, c := range branch {
					if !names[c.Node] {
						t.Errorf("connection to unknown node %q", c.Node)
					}
				}
			}
		}
	}

	// The dispatch: its event type is the one sync.yml listens for.
	want := dispatchTypes(t, filepath.Join(".github", "workflows", "sync.yml"))
	found := false
	for _, n := range wf.Nodes {
		if n.Type != "n8n-nodes-base.httpRequest" {
			continue
		}
		found = true
		if n.Parameters["method"] != "POST" || !regexp.MustCompile(`^https://api\.github\.com/repos/[^/]+/[^/]+/dispatches$`).MatchString(n.Parameters["url"].(string)) {
			t.Errorf("dispatch request: %v %v", n.Parameters["method"], n.Parameters["url"])
		}
		var body struct {
			EventType     string         `json:"event_type"`
			ClientPayload map[string]any `json:"client_payload"`
		}
		if err := json.Unmarshal([]byte(n.Parameters["jsonBody"].(string)), &body); err != nil {
			t.Fatalf("dispatch body: %v", err)
		}
		if len(want) != 1 || body.EventType != want[0] {
			t.Errorf("dispatch event_type %q, sync.yml repository_dispatch types %v", body.EventType, want)
		}
		if _, ok := body.ClientPayload["dry_run"].(bool); !ok {
			t.Errorf("client_payload.dry_run is not a boolean: %v", body.ClientPayload)
		}
		if len(n.Credentials) == 0 {
			t.Error("the dispatch node has no credential reference")
		}
		hdrs, _ := json.Marshal(n.Parameters["headerParameters"])
		for _, h := range []string{"application/vnd.github+json", "X-GitHub-Api-Version", "2022-11-28"} {
			if !strings.Contains(string(hdrs), h) {
				t.Errorf("dispatch headers lack %s", h)
			}
		}
		if strings.Contains(strings.ToLower(string(hdrs)), "authorization") {
			t.Error("the dispatch node sets Authorization itself: use the credential")
		}
	}
	if !found {
		t.Fatal("no dispatch node")
	}

	// No credentials in the export.
	for _, re := range []string{`ghp_[A-Za-z0-9]`, `github_pat_[A-Za-z0-9]`, `gh[osur]_[A-Za-z0-9]{20}`, `(?i)bearer\s+[A-Za-z0-9._-]{16}`} {
		if m := regexp.MustCompile(re).FindString(string(raw)); m != "" {
			t.Errorf("%s contains a token-looking string %q", path, m)
		}
	}
}

// cliEnvVars are the environment variable names the CLI reads that the
// Kubernetes example may set.
var cliEnvVars = func() map[string]bool {
	// Taken from the option table itself, so a new option's variable is
	// known here the moment the CLI reads it.
	m := map[string]bool{}
	for _, o := range config.Options() {
		if o.Env != "" {
			m[o.Env] = true
		}
	}
	return m
}()

func TestKubernetesExampleEnvNames(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("examples", "kubernetes", "*.yaml"))
	if err != nil || len(files) < 3 {
		t.Fatalf("kubernetes examples: %v %v", files, err)
	}
	// A data key (possibly commented out), an env "- name: X", or a
	// --from-literal=X= in a comment.
	keyRe := regexp.MustCompile(`(?m)^[\s#]*([A-Z][A-Z0-9_]{2,}):`)
	nameRe := regexp.MustCompile(`name:\s*([A-Z][A-Z0-9_]{2,})\b`)
	literalRe := regexp.MustCompile(`--from-literal=([A-Za-z0-9_]+)=`)
	seen := map[string]bool{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, re := range []*regexp.Regexp{keyRe, nameRe, literalRe} {
			for _, m := range re.FindAllStringSubmatch(string(raw), -1) {
				seen[m[1]] = true
				if !cliEnvVars[m[1]] {
					t.Errorf("%s sets %s, which the CLI does not read", f, m[1])
				}
			}
		}
	}
	for _, need := range []string{"AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "MM_API_BASE_URL", "MM_ADMIN_TOKEN", "REPORT_PATH"} {
		if !seen[need] {
			t.Errorf("the Kubernetes example never sets %s", need)
		}
	}
}

// actionSteps returns, for each step of a workflow file that uses this
// action, the inputs under its with: (by indentation; the example keeps to
// block style).
func actionSteps(t *testing.T, raw string) []map[string]string {
	t.Helper()
	lines := strings.Split(raw, "\n")
	indent := func(s string) int { return len(s) - len(strings.TrimLeft(s, " ")) }
	var steps []map[string]string
	for i, l := range lines {
		if !strings.Contains(l, "uses: entra-mattermost-sync/entra-mattermost-sync@") {
			continue
		}
		step := map[string]string{}
		base := indent(l)
		for j := i + 1; j < len(lines); j++ {
			s := strings.TrimSpace(lines[j])
			if s == "" || strings.HasPrefix(s, "#") {
				continue
			}
			if indent(lines[j]) < base {
				break // the next step
			}
			if indent(lines[j]) > base { // an input under with:
				if k, v, ok := strings.Cut(s, ":"); ok {
					step[k] = strings.TrimSpace(v)
				}
			}
		}
		steps = append(steps, step)
	}
	return steps
}

// The approve-then-apply workflow (README: Approve, then apply) passes only
// inputs the action has, saves the plan from a dry run into a short-lived
// artifact, and applies it from a job behind an environment's reviewers.
func TestApproveThenApplyExample(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("examples", "approve-then-apply.yml"))
	if err != nil {
		t.Fatal(err)
	}
	raw := string(b)
	if strings.Contains(raw, "\t") {
		t.Error("a tab in YAML")
	}
	inputs := map[string]bool{}
	for _, o := range config.Options() {
		inputs[o.Name] = true
	}
	steps := actionSteps(t, raw)
	if len(steps) != 2 {
		t.Fatalf("%d steps use the action, want 2 (plan and apply)", len(steps))
	}
	for _, s := range steps {
		for k := range s {
			if !inputs[k] {
				t.Errorf("the example passes %s, which the action does not have", k)
			}
		}
	}
	if plan := steps[0]; plan["dry-run"] != "true" || plan["plan-out"] == "" || plan["apply-plan"] != "" {
		t.Errorf("the first job is not a dry run with plan-out: %v", plan)
	}
	if apply := steps[1]; apply["apply-plan"] == "" || apply["dry-run"] != "" || strings.Contains(apply["max-deactivations"], "100%") {
		t.Errorf("the second job does not apply the plan as approved: %v", apply)
	}
	for _, want := range []string{"environment: mattermost-production", "retention-days: 1", "actions/upload-artifact@", "actions/download-artifact@",
		`>> "$GITHUB_STEP_SUMMARY"`, "needs: plan", "steps.sync.outputs.plan"} {
		if !strings.Contains(raw, want) {
			t.Errorf("the example lacks %q", want)
		}
	}
	// Third-party actions are pinned to a commit.
	pinned := regexp.MustCompile(`uses: [\w.-]+/[\w.-]+@[0-9a-f]{40} # v`)
	for _, l := range strings.Split(raw, "\n") {
		if strings.Contains(l, "uses: actions/") && !pinned.MatchString(l) {
			t.Errorf("not pinned to a commit: %s", strings.TrimSpace(l))
		}
	}
}
