package planfile

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
)

var (
	key    = []byte("0123456789abcdef-plan-key")
	oldKey = []byte("fedcba9876543210-old-key!")
	madeAt = time.Date(2026, 12, 4, 6, 0, 3, 0, time.UTC)
)

func str(s string) *string { return &s }

// sample is a plan with every kind of content a file holds.
func sample(n int) *File {
	f := &File{Format: FormatVersion, ToolVersion: "1.4.0", MadeAt: madeAt,
		Mattermost: Server{URL: "https://chat.example.com", DiagnosticID: "8fqk1o9s6tgj7e1xqhqz6h5m4a", Version: "10.7.1"},
		TenantID:   "72f988bf-86f1-41af-91ab-2d7cd011db47",
		Inputs:     map[string]string{"deactivate": "true", "groups": "Staff\nContractors", "reactivate": "deactivated-by-sync"},
		Rails: []mmsync.RailCount{{Rail: mmsync.RailDeactivations, Planned: 37, Base: 412, Threshold: "10", Exceeded: true},
			{Rail: mmsync.RailRemovals, Planned: 2, Base: 900, Threshold: "5%"}}}
	for i := range n {
		id := fmt.Sprintf("%08d-86f1-41af-91ab-2d7cd011db47", i)
		acct := fmt.Sprintf("k%025d", i)
		mail := fmt.Sprintf("firstname.lastname%d@contoso.example", i)
		var a mmsync.Action
		switch i % 4 {
		case 0:
			a = mmsync.Action{Kind: mmsync.KindCreate, EntraID: id, DisplayName: "Firstname Lastname", Email: mail, Username: fmt.Sprintf("firstname.lastname%d", i),
				Reason: "in Entra ID", Profile: mmsync.Profile{Nickname: "Firstname Lastname", FirstName: "Firstname", LastName: "Lastname", Position: "Engineer"}}
		case 1:
			a = mmsync.Action{Kind: mmsync.KindUpdate, EntraID: id, DisplayName: "Firstname Lastname", Email: mail, Username: "fl", AccountID: acct,
				Changes:  []mmsync.Change{{Field: "position", Old: "Engineer", New: "Senior Engineer"}},
				Reason:   "profile differs from Entra ID",
				Observed: &mmsync.Precondition{Email: mail, Owner: id},
				Patch:    mmsync.Patch{Position: str("Senior Engineer")}}
		case 2:
			a = mmsync.Action{Kind: mmsync.KindDeactivate, EntraID: id, Email: mail, Username: "fl", AccountID: acct, Reason: "disabled in Entra ID",
				Observed: &mmsync.Precondition{Email: mail, Owner: id},
				Patch:    mmsync.Patch{Props: map[string]string{mmsync.PropDeactivated: "mac", "theme": "dark"}}}
		case 3:
			a = mmsync.Action{Kind: mmsync.KindTeamAdd, EntraID: id, Email: mail, Username: "fl", AccountID: acct, Team: "engineering", TeamID: "t1o9s6tgj7e1xqhqz6h5m4a8fq", Reason: "mapped to team engineering"}
		}
		f.Actions = append(f.Actions, Record([]mmsync.Action{a})...)
	}
	// A patch that only touches the user's own props: nothing of it is the
	// plan's decision but that it patches props.
	f.Actions = append(f.Actions, Record([]mmsync.Action{{Kind: mmsync.KindUpdate, AccountID: "k1", Email: "x@contoso.example", Username: "x",
		Patch: mmsync.Patch{Props: map[string]string{"theme": "dark"}}}})...)
	if n > 2 {
		f.Withheld = []mmsync.Action{f.Actions[2]}
	}
	return f
}

func TestWriteReadVerify(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "plan.json")
	f := sample(8)
	if err := Write(path, f, key); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := got.Verify([][]byte{oldKey, key}); err != nil {
		t.Fatalf("a key of the list does not verify: %v", err)
	}
	if err := got.Verify([][]byte{oldKey}); !errors.Is(err, ErrTampered) {
		t.Fatalf("another key verifies: %v", err)
	}
	if !reflect.DeepEqual(got.PlannedActions(), f.PlannedActions()) {
		t.Errorf("actions differ after a round trip")
	}
	// Every action survives the file: the approval matches each one.
	kept, ap := mmsync.ApproveOnly(got.PlannedActions(), &mmsync.Plan{Actions: f.PlannedActions()}, mmsync.Capacity{})
	if len(kept.Actions) != len(f.Actions) || len(ap.Changed)+len(ap.NotApproved) != 0 {
		t.Errorf("%d of %d actions match after a round trip: %+v", len(kept.Actions), len(f.Actions), ap)
	}
	// The user's own props are no part of a saved plan.
	if d := got.PlannedActions()[2]; d.Patch.Props["theme"] != "" || d.Patch.Props[mmsync.PropDeactivated] == "" {
		t.Errorf("patch props %v", d.Patch.Props)
	}
	if d := got.PlannedActions()[len(f.Actions)-1]; d.Patch.Props == nil || len(d.Patch.Props) != 0 {
		t.Errorf("patch props %v", d.Patch.Props)
	}
	// Writing it again gives the same bytes: a stable order.
	var a, b bytes.Buffer
	if err := f.Encode(&a); err != nil {
		t.Fatal(err)
	}
	if err := got.Encode(&b); err != nil {
		t.Fatal(err)
	}
	if a.String() != b.String() {
		t.Error("the encoding is not stable")
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
}

func TestEditedByHandIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plan.json")
	if err := Write(path, sample(8), key); err != nil {
		t.Fatal(err)
	}
	orig, _ := os.ReadFile(path)
	edits := map[string]func(string) string{
		"an address":     func(s string) string { return strings.Replace(s, "firstname.lastname4@", "mallory@", 1) },
		"a rail's count": func(s string) string { return strings.Replace(s, `"planned":37`, `"planned":3`, 1) },
		"the server":     func(s string) string { return strings.Replace(s, "chat.example.com", "chat2.example.com", 1) },
		"made_at":        func(s string) string { return strings.Replace(s, "2026-12-04T06", "2026-12-05T06", 1) },
		"an input":       func(s string) string { return strings.Replace(s, `"deactivate": "true"`, `"deactivate": "false"`, 1) },
		"a dropped action": func(s string) string {
			i := strings.Index(s, "\t\t{\"action\"")
			j := strings.Index(s[i+1:], "\t\t{\"action\"")
			return s[:i] + s[i+1+j:]
		},
		"the signature":  func(s string) string { return strings.Replace(s, "hmac-sha256:", "hmac-sha256:00", 1) },
		"no signature":   func(s string) string { return strings.Replace(s, "hmac-sha256:", "", 1) },
		"a precondition": func(s string) string { return strings.Replace(s, `"delete_at":0`, `"delete_at":1`, 1) },
		"a sync prop":    func(s string) string { return strings.Replace(s, `":"mac"`, `":"mac2"`, 1) },
	}
	for name, edit := range edits {
		t.Run(name, func(t *testing.T) {
			s := edit(string(orig))
			if s == string(orig) {
				t.Fatal("the edit changed nothing")
			}
			f, err := Parse([]byte(s))
			if err == nil {
				err = f.Verify([][]byte{key})
			}
			if err == nil {
				t.Fatal("an edited plan verifies")
			}
		})
	}
}

func TestCheck(t *testing.T) {
	f := sample(1)
	ok := Expect{ToolVersion: "1.4.0", ServerURL: "https://chat.example.com", TenantID: "72F988BF-86f1-41af-91ab-2d7cd011db47", Now: madeAt.Add(3 * time.Hour), MaxAge: 24 * time.Hour}
	if err := f.Check(ok); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		edit func(e *Expect)
		want error
	}{
		{"another version", func(e *Expect) { e.ToolVersion = "1.5.0" }, ErrVersion},
		{"another server", func(e *Expect) { e.ServerURL = "https://chat.other.example" }, ErrForeign},
		{"another tenant", func(e *Expect) { e.TenantID = "11111111-2222-4333-8444-555555555555" }, ErrForeign},
		{"stale", func(e *Expect) { e.Now = madeAt.Add(25 * time.Hour) }, ErrStale},
		{"shorter max age", func(e *Expect) { e.MaxAge = 2 * time.Hour }, ErrStale},
		{"from the future", func(e *Expect) { e.Now = madeAt.Add(-time.Hour) }, ErrStale},
		{"from the future, past the skew", func(e *Expect) { e.Now = madeAt.Add(-61 * time.Second) }, ErrStale},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := ok
			tt.edit(&e)
			if err := f.Check(e); !errors.Is(err, tt.want) {
				t.Fatalf("Check = %v, want %v", err, tt.want)
			}
		})
	}
	if err := f.Check(Expect{ToolVersion: "1.4.0", ServerURL: "https://chat.example.com/api/v4/", TenantID: f.TenantID, Now: madeAt, MaxAge: time.Hour}); err != nil {
		t.Errorf("the same server with /api/v4: %v", err)
	}
	// Within a minute of clock skew, a plan from "the future" is accepted.
	if err := f.Check(Expect{ToolVersion: "1.4.0", ServerURL: f.Mattermost.URL, TenantID: f.TenantID, Now: madeAt.Add(-59 * time.Second), MaxAge: time.Hour}); err != nil {
		t.Errorf("59s of clock skew: %v", err)
	}
	if err := f.CheckServerID("another"); !errors.Is(err, ErrForeign) {
		t.Errorf("another diagnostic id: %v", err)
	}
	for _, id := range []string{"", f.Mattermost.DiagnosticID} {
		if err := f.CheckServerID(id); err != nil {
			t.Errorf("diagnostic id %q: %v", id, err)
		}
	}
}

func TestParseRefusals(t *testing.T) {
	for name, tt := range map[string]struct {
		in   string
		want error
	}{
		"not json":      {"hello", ErrFormat},
		"a report":      {`{"status":"success","counts":{}}`, ErrFormat},
		"future format": {`{"format":2,"whatever":true}`, ErrVersion},
		"unknown field": {`{"format":1,"tool_version":"x","made_at":"2026-12-04T06:00:03Z","mattermost":{"url":"https://a.example"},"tenant_id":"t","extra":1}`, ErrFormat},
		"missing":       {`{"format":1}`, ErrFormat},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse([]byte(tt.in)); !errors.Is(err, tt.want) {
				t.Fatalf("Parse = %v, want %v", err, tt.want)
			}
		})
	}
}

// 10,000 planned actions fit in a few megabytes.
func TestTenThousandActionsAreSmall(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plan.json")
	if err := Write(path, sample(9_999), key); err != nil { // and one more
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() > 5<<20 {
		t.Errorf("10,000 actions take %d bytes, more than 5 MB", fi.Size())
	}
	t.Logf("10,000 actions: %d bytes", fi.Size())
	f, err := Read(path)
	if err != nil || f.Verify([][]byte{key}) != nil || len(f.Actions) != 10_000 {
		t.Fatalf("read back: %v", err)
	}
}

func FuzzReadPlan(f *testing.F) {
	var b bytes.Buffer
	s := sample(4)
	if err := s.Sign(key); err != nil {
		f.Fatal(err)
	}
	if err := s.Encode(&b); err != nil {
		f.Fatal(err)
	}
	f.Add(b.Bytes())
	f.Add([]byte(`{"format":1}`))
	f.Add([]byte(`{"format":2}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data)
		if err != nil {
			if p != nil {
				t.Fatal("a plan with an error")
			}
			return
		}
		// Whatever parses either verifies and round-trips, or is refused.
		if p.Verify([][]byte{key}) == nil {
			var out bytes.Buffer
			if err := p.Encode(&out); err != nil {
				t.Fatal(err)
			}
			again, err := Parse(out.Bytes())
			if err != nil {
				t.Fatalf("a verified plan does not parse again: %v", err)
			}
			if err := again.Verify([][]byte{key}); err != nil {
				t.Fatalf("a verified plan does not verify again: %v", err)
			}
		}
		_ = p.Check(Expect{Now: time.Now(), MaxAge: time.Hour})
		_ = p.PlannedActions()
	})
}
