package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
)

func samplePlan() *mmsync.Plan {
	return &mmsync.Plan{
		Actions: []mmsync.Action{
			{Kind: mmsync.KindCreate, Email: "a@x.example", Username: "a", DisplayName: "A | <script>alert(1)</script>"},
			{Kind: mmsync.KindUpdate, Email: "b@x.example", Username: "b", Changes: []mmsync.Change{{Field: "nickname", Old: "B", New: "B`\n|x"}}},
			{Kind: mmsync.KindCreate, Email: "c@x.example", Username: "c"},
		},
		Skipped:   []mmsync.Skip{{EntraID: "id", DisplayName: "Room", Reason: "no mail"}},
		Unchanged: 4,
	}
}

func TestCounts(t *testing.T) {
	p := samplePlan()
	results := []mmsync.Result{
		{Action: p.Actions[0], Status: mmsync.StatusDone},
		{Action: p.Actions[1], Status: mmsync.StatusDone},
		{Action: p.Actions[2], Status: mmsync.StatusFailed, Error: "boom", ErrorID: "app.user.save.app_error"},
	}
	r := New(p, results, false)
	want := Counts{Created: 1, Updated: 1, Unchanged: 4, Skipped: 1, Failed: 1}
	if r.Counts != want || r.Status != "failure" {
		t.Fatalf("counts %+v status %s, want %+v failure", r.Counts, r.Status, want)
	}
	dry := New(p, nil, true)
	if dry.Counts.Created != 2 || dry.Counts.Updated != 1 || dry.Status != "dry-run" {
		t.Fatalf("dry-run counts %+v", dry.Counts)
	}
	out := r.Outputs()
	for _, n := range OutputNames()[:len(OutputNames())-2] {
		if _, ok := out[n]; !ok {
			t.Errorf("output %s missing", n)
		}
	}
}

func TestMarkdownIsSafe(t *testing.T) {
	r := New(samplePlan(), nil, true)
	md := r.Markdown()
	if strings.Contains(md, "<script>") {
		t.Errorf("HTML from directory data reached the summary:\n%s", md)
	}
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "| create |") || strings.HasPrefix(line, "| update |") {
			if cells := strings.Count(strings.ReplaceAll(line, `\|`, ""), "|"); cells != 5 {
				t.Errorf("row has %d separators, want 5: %s", cells, line)
			}
		}
	}
}

func TestWriteJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "report.json")
	r := New(samplePlan(), nil, true)
	if err := r.WriteJSON(path); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	var back map[string]any
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"status", "counts", "changes", "skipped"} {
		if _, ok := back[k]; !ok {
			t.Errorf("report lacks %q", k)
		}
	}
}

func TestWritePlan(t *testing.T) {
	var b bytes.Buffer
	WritePlan(&b, samplePlan())
	out := b.String()
	for _, want := range []string{"Plan: 2 to create, 1 to update", "+ create", "~ update", `"B" → "B`} {
		if !strings.Contains(out, want) {
			t.Errorf("plan lacks %q:\n%s", want, out)
		}
	}
	b.Reset()
	WritePlan(&b, &mmsync.Plan{Unchanged: 3})
	if !strings.HasPrefix(b.String(), "No changes.") {
		t.Errorf("empty plan: %s", b.String())
	}
}

// Whatever a directory holds, a table cell stays one cell on one line and
// carries no HTML.
func FuzzCell(f *testing.F) {
	for _, s := range []string{"a|b", "`x`", "<script>", "line\nbreak", strings.Repeat("長", 400), "&lt;", "\\|"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := cell(s)
		if strings.ContainsAny(c, "\n\r<>") {
			t.Fatalf("cell(%q) = %q", s, c)
		}
		if n := strings.Count(c, "|"); n != strings.Count(c, `\|`) {
			t.Fatalf("cell(%q) = %q has an unescaped pipe", s, c)
		}
		if len([]rune(c)) > 300*2+10 {
			t.Fatalf("cell(%q) is %d runes", s, len([]rune(c)))
		}
	})
}

func TestAttentionIsNotSilent(t *testing.T) {
	plan := &mmsync.Plan{Conflicts: []mmsync.Conflict{{EntraID: "k", Field: "email", Value: "k@x.example"}},
		Skipped: []mmsync.Skip{{EntraID: "n", Reason: "accountEnabled is null", Attention: true}, {EntraID: "d", Reason: "disabled"}}}
	r := New(plan, nil, false)
	if r.Attention() != 2 || !strings.Contains(r.Markdown(), "done, 2 need attention") {
		t.Fatalf("attention %d:\n%s", r.Attention(), r.Markdown())
	}
	var b strings.Builder
	r.WriteText(&b)
	if !strings.Contains(b.String(), "2 need attention") {
		t.Fatalf("text: %s", b.String())
	}
}

func TestTextSaysWhatADryRunWouldDo(t *testing.T) {
	r := New(samplePlan(), nil, true)
	r.OutOfScope, r.ScopeInputs = 3, []string{"groups", "include-guests: false"}
	var b strings.Builder
	r.WriteText(&b)
	first, _, _ := strings.Cut(b.String(), "\n")
	if !strings.HasPrefix(first, "Dry run: nothing was changed. The run would create 2, update 1,") || strings.Contains(first, "created") {
		t.Errorf("dry run line %q", first)
	}
	if !strings.Contains(b.String(), "3 directory users are out of scope (in effect: groups, include-guests: false).") {
		t.Errorf("out-of-scope line does not name the inputs in effect:\n%s", b.String())
	}
	done := New(samplePlan(), nil, false)
	b.Reset()
	done.WriteText(&b)
	if strings.Contains(b.String(), "would") {
		t.Errorf("a real run's text says would:\n%s", b.String())
	}
}

func TestJobSummarySaysWhatADryRunWouldDo(t *testing.T) {
	md := New(samplePlan(), nil, true).Markdown()
	if !strings.Contains(md, "| would create | would update |") || strings.Contains(md, "| created |") {
		t.Errorf("dry-run summary:\n%s", md)
	}
	if md := New(samplePlan(), nil, false).Markdown(); !strings.Contains(md, "| created | updated |") {
		t.Errorf("summary of a run:\n%s", md)
	}
}

// A run stopped before it synced anyone (bad input, a failed sign-in) does
// not print a line of zero counts, which would read as a sync that ran; a
// failed run that did count something still does.
func TestTextOfARunStoppedBeforeSyncing(t *testing.T) {
	r := New(&mmsync.Plan{}, nil, false)
	r.Status, r.Error = string(mmsync.RunFailure), "input azure-tenant-id: is required but empty"
	var b strings.Builder
	r.WriteText(&b)
	if got := b.String(); got != "Stopped before syncing: see above.\n" {
		t.Errorf("text of a stopped run: %q", got)
	}
	failed := New(samplePlan(), nil, false)
	failed.Status = string(mmsync.RunFailure)
	b.Reset()
	failed.WriteText(&b)
	if !strings.HasPrefix(b.String(), "Finished with failures: ") {
		t.Errorf("text of a failed run: %q", b.String())
	}
}

func TestApprovalIsReported(t *testing.T) {
	r := New(samplePlan(), nil, false)
	r.SetApproval(&ApprovedPlan{Approved: 4, ChangedSincePlan: []mmsync.Action{{Kind: mmsync.KindDeactivate, Email: "a@x.example", Username: "a"}},
		NotInApprovedPlan: []mmsync.Action{{Kind: mmsync.KindTeamAdd, Email: "b@x.example", Team: "eng"}, {Kind: mmsync.KindCreate, Email: "c@x.example"}}, IgnoredInputs: []string{"groups"}})
	out := r.Outputs()
	if out["changed-since-plan"] != "1" || out["not-in-approved-plan"] != "2" {
		t.Errorf("outputs %v", out)
	}
	md := r.Markdown()
	for _, want := range []string{"1 changed since the plan", "2 not in the approved plan", "team-add team eng", "Inputs taken from the saved plan instead of this run's: groups"} {
		if !strings.Contains(md, want) {
			t.Errorf("summary lacks %q:\n%s", want, md)
		}
	}
	var text strings.Builder
	r.WriteText(&text)
	if !strings.Contains(text.String(), "Approved plan (4 changes): 1 changed since the plan, 2 not in the approved plan") {
		t.Errorf("text:\n%s", text.String())
	}
	if r.Attention() < 3 {
		t.Errorf("left-out changes need no attention: %d", r.Attention())
	}
}
