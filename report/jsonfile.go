package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/internal/dirowner"
	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
)

// WriteJSON writes the report to path (see EncodeJSON for its shape),
// creating path's directory if needed.
//
// The file has mode 0600 whatever the umask, because the report names
// people, and it appears whole or not at all: the report is written to a
// temporary file in path's directory, synced, and renamed over path
// (dirowner.WriteFile), so a crash or a full disk never leaves half a report
// (nor replaces the last good one with one). Errors start with "write
// report".
func (r *Report) WriteJSON(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	err := dirowner.WriteFile(path, func(f io.Writer) error {
		w := bufio.NewWriterSize(f, 64<<10)
		if err := r.EncodeJSON(w); err != nil {
			return err
		}
		return w.Flush()
	})
	if err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	return nil
}

// EncodeJSON streams the report to w, byte for byte what
// json.MarshalIndent(r, "", "  ") gives (Report.MarshalJSON) followed by a newline, without ever
// holding the whole document: each change, skip and withheld or blocked
// action is encoded on its own into a reused buffer. A 100,000-user first
// sync's report is about 36 MB, which MarshalIndent held three times over
// (the compact encoding, the indented copy, and their growth).
//
// The members are "format" and then Report's fields in their order;
// TestEncodeJSONMatchesMarshalIndent fails if the two drift apart.
func (r *Report) EncodeJSON(w io.Writer) error {
	o := newObjectWriter(w)
	o.field("format", FormatVersion)
	o.field("status", r.Status)
	o.field("dry_run", r.DryRun)
	o.field("started_at", r.StartedAt)
	o.field("finished_at", r.FinishedAt)
	if r.ServerVersion != "" {
		o.field("mattermost_version", r.ServerVersion)
	}
	o.field("directory_users", r.DirectorySize)
	o.field("mattermost_accounts", r.AccountsSeen)
	o.field("counts", &r.Counts)
	o.field("managed_accounts", r.Managed)
	o.field("out_of_scope", r.OutOfScope)
	arrayField(o, "changes", r.Results)
	arrayField(o, "skipped", r.Skipped)
	arrayField(o, "conflicts", r.Conflicts)
	if len(r.Withheld) > 0 {
		arrayField(o, "withheld_deactivations", r.Withheld)
	}
	if len(r.WithheldRemovals) > 0 {
		arrayField(o, "withheld_removals", r.WithheldRemovals)
	}
	if len(r.Blocked) > 0 {
		arrayField(o, "blocked_by_user_limit", r.Blocked)
	}
	if r.Error != "" {
		o.field("error", r.Error)
	}
	if len(r.Broken) > 0 {
		arrayField(o, "broken_mappings", r.Broken)
	}
	if len(r.ResolvedGroups) > 0 {
		arrayField(o, "resolved_groups", r.ResolvedGroups)
	}
	if r.ApprovedPlan != nil {
		o.field("approved_plan", r.ApprovedPlan)
	}
	return o.close()
}

// reportElement is what the report's arrays hold.
type reportElement interface {
	mmsync.Result | mmsync.Skip | mmsync.Action | mmsync.Conflict | mmsync.BrokenMapping | mmsync.ResolvedGroup
}

// objectWriter writes one JSON object, indented by two spaces, a member at a
// time. The first error sticks; later writes do nothing.
type objectWriter struct {
	w       io.Writer
	buf     bytes.Buffer  // one encoded value, reused
	enc     *json.Encoder // writes into buf
	members int
	err     error
}

func newObjectWriter(w io.Writer) *objectWriter {
	o := &objectWriter{w: w}
	o.enc = json.NewEncoder(&o.buf)
	o.write("{")
	return o
}

func (o *objectWriter) write(s string) {
	if o.err == nil {
		_, o.err = io.WriteString(o.w, s)
	}
}

// key starts a member: the separator from the previous one, the indent and
// the name. Names are Report's JSON tags, plain ASCII that needs no escaping.
func (o *objectWriter) key(name string) {
	if o.members > 0 {
		o.write(",")
	}
	o.members++
	o.write("\n  \"" + name + "\": ")
}

// value encodes v as MarshalIndent would at a nesting depth whose lines
// start with prefix, without the newline json.Encoder appends.
func (o *objectWriter) value(prefix string, v any) {
	if o.err != nil {
		return
	}
	o.buf.Reset()
	o.enc.SetIndent(prefix, "  ")
	if o.err = o.enc.Encode(v); o.err != nil {
		return
	}
	_, o.err = o.w.Write(bytes.TrimSuffix(o.buf.Bytes(), []byte("\n")))
}

func (o *objectWriter) field(name string, v any) {
	o.key(name)
	o.value("  ", v)
}

// arrayField writes list as MarshalIndent does: [] when empty or nil (the
// report never writes null for a list, see Report.MarshalJSON), else one
// element per indented line group.
func arrayField[T reportElement](o *objectWriter, name string, list []T) {
	o.key(name)
	if len(list) == 0 {
		o.write("[]")
		return
	}
	o.write("[")
	for i := range list {
		if i > 0 {
			o.write(",")
		}
		o.write("\n    ")
		o.value("    ", &list[i]) // a pointer: no copy into the interface
	}
	o.write("\n  ]")
}

// close ends the object and returns the first error.
func (o *objectWriter) close() error {
	o.write("\n}\n")
	return o.err
}
