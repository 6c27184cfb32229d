package report

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"testing"
	"time"

	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
)

// sizedReport is a first sync's report with n results: every user created,
// with the fields a real create carries (display name, address, username,
// object and account ids), and one skip in fifty.
func sizedReport(n int) *Report {
	results := make([]mmsync.Result, n)
	for i := range results {
		results[i] = mmsync.Result{
			Action: mmsync.Action{
				Kind:        mmsync.KindCreate,
				EntraID:     fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i),
				DisplayName: fmt.Sprintf("Person Number %d", i),
				Email:       fmt.Sprintf("person.%d@contoso.example", i),
				Username:    fmt.Sprintf("person.%d", i),
			},
			Status:    mmsync.StatusDone,
			AccountID: fmt.Sprintf("%026d", i),
		}
	}
	skipped := make([]mmsync.Skip, n/50)
	for i := range skipped {
		skipped[i] = mmsync.Skip{EntraID: fmt.Sprintf("%08x-0000-4000-8000-%012x", n+i, n+i), DisplayName: "Room", Reason: "no mail"}
	}
	start := time.Date(2026, 11, 22, 2, 17, 3, 0, time.UTC)
	return &Report{
		Status: "success", StartedAt: start, FinishedAt: start.Add(2 * time.Minute),
		DirectorySize: n + len(skipped), AccountsSeen: 1, Counts: Counts{Created: n, Skipped: len(skipped)},
		Results: results, Skipped: skipped,
	}
}

// BenchmarkWriteJSON writes a 10,000-result report to a file; B/op and
// allocs/op are per report, that is per 10,000 results.
func BenchmarkWriteJSON(b *testing.B) {
	r := sizedReport(10_000)
	path := filepath.Join(b.TempDir(), "report.json")
	b.ReportAllocs()
	for b.Loop() {
		if err := r.WriteJSON(path); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeJSON compares the streamed encoding of a 10,000-result
// report with the MarshalIndent it replaced, both without the file (so
// without fsync), per 10,000 results.
func BenchmarkEncodeJSON(b *testing.B) {
	r := sizedReport(10_000)
	b.Run("stream", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := r.EncodeJSON(io.Discard); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("MarshalIndent", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.MarshalIndent(r, "", "  "); err != nil {
				b.Fatal(err)
			}
		}
	})
}
