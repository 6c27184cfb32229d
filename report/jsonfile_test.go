package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"testing"
	"time"

	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
)

// fullReport sets every field of Report, so that a field EncodeJSON forgets
// shows up as a difference from MarshalIndent.
func fullReport() *Report {
	r := New(samplePlan(), nil, false)
	r.Results = []mmsync.Result{
		{Action: samplePlan().Actions[0], Status: mmsync.StatusDone, AccountID: "acct1"},
		{Action: samplePlan().Actions[1], Status: mmsync.StatusFailed, Error: "a <b> & \"c\"\n", ErrorID: "api.user.patch"},
		{Action: mmsync.Action{Kind: mmsync.KindTeamAdd, Email: "d@x.example", Team: "Ünïcode \u2028 team", TeamID: "t1"}, Status: mmsync.StatusDone},
	}
	r.StartedAt = time.Date(2026, 11, 22, 2, 17, 3, 123456789, time.UTC)
	r.FinishedAt = r.StartedAt.Add(6 * time.Second)
	r.ServerVersion = "11.4.0"
	r.DirectorySize, r.AccountsSeen, r.Managed, r.OutOfScope = 9, 8, 7, 1
	r.Withheld = []mmsync.Action{{Kind: mmsync.KindDeactivate, Email: "e@x.example", Username: "e", Reason: "disabled"}}
	r.Blocked = []mmsync.Action{{Kind: mmsync.KindCreate, Email: "f@x.example", Username: "f"}}
	r.WithheldRemovals = []mmsync.Action{{Kind: mmsync.KindTeamRemove, Email: "g@x.example", Username: "g", Team: "ops"}}
	r.Conflicts = []mmsync.Conflict{{EntraID: "k", DisplayName: "Kwame", Field: "email", Value: "k@x.example", HolderUsername: "old", Reason: "held <by> old"}}
	r.Error = "threshold </script>"
	r.Broken = []mmsync.BrokenMapping{{Input: "group-channels", Line: 3, Entry: "eng/old", Error: "archived <x>", Channels: []mmsync.ChannelRef{{Team: "eng", Channel: "old"}}}}
	r.ResolvedGroups = []mmsync.ResolvedGroup{{Name: "Finance", ObjectID: "0c5c7fd0-a6a3-4450-a513-270e269e0d37"}}
	r.Counts.TeamAdded, r.Counts.TeamRemoved = 1, 2
	r.ScopeInputs = []string{"groups", "include-guests: false"} // not in the JSON
	r.SetApproval(&ApprovedPlan{Path: "plan.json", MadeAt: r.StartedAt.Add(-time.Hour), Approved: 3,
		ChangedSincePlan: []mmsync.Action{{Kind: mmsync.KindDeactivate, Email: "h@x.example", Username: "h"}}, IgnoredInputs: []string{"groups"}})
	r.DryRun = true
	return r
}

func TestFullReportSetsEveryField(t *testing.T) {
	v := reflect.ValueOf(*fullReport())
	for i := range v.NumField() {
		if v.Field(i).IsZero() {
			t.Errorf("fullReport leaves %s unset: EncodeJSON's handling of it goes untested", v.Type().Field(i).Name)
		}
	}
}

func TestEncodeJSONMatchesMarshalIndent(t *testing.T) {
	emptyFailure := New(&mmsync.Plan{}, nil, false)
	emptyFailure.Status, emptyFailure.Error = "failure", "azure-tenant-id is required"
	for name, r := range map[string]*Report{
		"full":            fullReport(),
		"dry run":         New(samplePlan(), nil, true),
		"first sync":      sizedReport(120),
		"failed at input": emptyFailure,
		"zero":            {},
		"empty lists":     {Results: []mmsync.Result{}, Skipped: []mmsync.Skip{}, Withheld: []mmsync.Action{}, Blocked: []mmsync.Action{}},
	} {
		t.Run(name, func(t *testing.T) {
			want, err := json.MarshalIndent(r, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, '\n')
			var got bytes.Buffer
			if err := r.EncodeJSON(&got); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("EncodeJSON differs from MarshalIndent\n got: %s\nwant: %s", got.Bytes(), want)
			}
		})
	}
}

func TestWriteJSONFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "report.json")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	// An earlier, world-readable report is replaced, mode included.
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := fullReport()
	if err := r.WriteJSON(path); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.MarshalIndent(r, "", "  ")
	if !bytes.Equal(got, append(want, '\n')) {
		t.Errorf("file content differs from MarshalIndent:\n%s", got)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("report mode %v, want 0600 (it names people)", fi.Mode().Perm())
	}
	if names := dirNames(t, filepath.Dir(path)); len(names) != 1 {
		t.Errorf("directory holds %v, want only report.json (no temporary file left)", names)
	}
}

// A report that cannot be put in place leaves nothing behind: no temporary
// file, and what was at the path stays as it was.
func TestWriteJSONFailureLeavesNoFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.json")
	// A non-empty directory at the path makes the final rename fail.
	if err := os.MkdirAll(filepath.Join(path, "keep"), 0o755); err != nil {
		t.Fatal(err)
	}
	err := fullReport().WriteJSON(path)
	if err == nil {
		t.Fatal("WriteJSON over a non-empty directory succeeded")
	}
	if names := dirNames(t, dir); len(names) != 1 || names[0] != "report.json" {
		t.Errorf("after a failed write the directory holds %v, want only the untouched report.json", names)
	}
	if names := dirNames(t, path); len(names) != 1 || names[0] != "keep" {
		t.Errorf("the directory at the path now holds %v", names)
	}
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	return names
}
