// Package planfile writes and reads a saved plan (issue 17, "Approve, then
// apply"): every action a run planned, with what it was planned from, the
// rails' counts, the inputs that shaped it, the Mattermost server and Entra
// ID tenant it was made for and when, signed with link-key so that a plan
// edited by hand is refused. Which of its actions a later run applies is
// package sync's decision (sync.ApproveOnly); this package only keeps the
// file honest.
//
// The file is JSON with a stable order (struct fields in declaration order,
// map keys sorted, actions in the plan's order), readable by a reviewer:
//
//	{
//	  "format": 1,
//	  "tool_version": "1.4.0",
//	  "made_at": "2026-12-04T06:00:03Z",
//	  "mattermost": {"url": "https://chat.example.com", "diagnostic_id": "…", "version": "10.7.1"},
//	  "tenant_id": "72f988bf-…",
//	  "inputs": {"deactivate": "true", "groups": "…", …},
//	  "rails": [{"rail": "max-deactivations", "planned": 37, "base": 412, "threshold": "10", "exceeded": true}, …],
//	  "actions": [{…sync.Action: "action", "mattermost_id", "observed", "profile", "patch", …}, …],
//	  "withheld": [ …the actions of "actions" a rail stopped in the run that made the plan… ],
//	  "blocked_by_user_limit": [ … ],
//	  "signature": "hmac-sha256:<hex>"
//	}
package planfile

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/internal/dirowner"
	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
)

// FormatVersion is the file format this package writes and reads. A change
// to the file's shape, or to sync.Action's JSON, is a new format.
const FormatVersion = 1

// MaxSize bounds what Read accepts: 10,000 actions take about 4 MB.
const MaxSize = 256 << 20

// File is a saved plan.
type File struct {
	Format      int       `json:"format"`
	ToolVersion string    `json:"tool_version"`
	MadeAt      time.Time `json:"made_at"`
	Mattermost  Server    `json:"mattermost"`
	// TenantID is azure-tenant-id as the run that made the plan had it (a
	// GUID or a domain).
	TenantID string `json:"tenant_id"`
	// Inputs are the raw values of the inputs that decide what a run does
	// (config.DecisionInputs); never a secret.
	Inputs map[string]string `json:"inputs"`
	// Rails are the counts of max-deactivations and max-removals in the
	// plan, and whether the run that made it exceeded them.
	Rails   []mmsync.RailCount `json:"rails"`
	Actions []mmsync.Action    `json:"actions"`
	// Withheld are the actions of Actions that a rail stopped in the run
	// that made the plan (for the reviewer: applying needs the rail stated).
	Withheld []mmsync.Action `json:"withheld,omitempty"`
	// Blocked are the creates and reactivations beyond the server's user
	// limit: never applied from the plan, listed for the reviewer.
	Blocked   []mmsync.Action `json:"blocked_by_user_limit,omitempty"`
	Signature string          `json:"signature"`
}

// Server is the Mattermost server a plan was made for.
type Server struct {
	// URL is mattermost-url as validated (no trailing slash).
	URL string `json:"url"`
	// DiagnosticID is the server's telemetry id (DiagnosticId of GET
	// /api/v4/config/client?format=old), which survives a change of URL;
	// "" when the server did not say.
	DiagnosticID string `json:"diagnostic_id,omitempty"`
	Version      string `json:"version,omitempty"`
}

// Record returns actions as a saved plan keeps them (sync.Saved): each
// sync.Action's JSON carries what it does (its profile and patch) and what it
// was planned from (observed).
func Record(actions []mmsync.Action) []mmsync.Action {
	out := make([]mmsync.Action, len(actions))
	for i, a := range actions {
		out[i] = mmsync.Saved(a)
	}
	return out
}

// PlannedActions returns the file's actions as they were planned (a copy).
func (f *File) PlannedActions() []mmsync.Action {
	return slices.Clone(f.Actions)
}

// Errors a saved plan is refused with; each is wrapped with the details.
var (
	ErrTampered = errors.New("the saved plan's signature does not verify: it was changed after it was made (edited by hand?), or link-key is not the key that signed it")
	ErrForeign  = errors.New("the saved plan was made for another Mattermost server or Entra ID tenant")
	ErrStale    = errors.New("the saved plan is older than plan-max-age")
	ErrVersion  = errors.New("the saved plan was made by an incompatible version of entra-mattermost-sync")
	ErrFormat   = errors.New("not a saved plan")
)

// signaturePrefix names the algorithm in the signature field.
const signaturePrefix = "hmac-sha256:"

// digestInput is what the signature covers: a domain tag and the file's
// canonical encoding (compact JSON of every field but the signature).
func (f *File) digestInput() ([]byte, error) {
	c := *f
	c.Signature = ""
	b, err := json.Marshal(&c)
	if err != nil {
		return nil, err
	}
	return append([]byte("entra-mattermost-sync saved plan\n"), b...), nil
}

func mac(key, msg []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(msg)
	return h.Sum(nil)
}

// Sign sets the signature with key (link-key's first key).
func (f *File) Sign(key []byte) error {
	msg, err := f.digestInput()
	if err != nil {
		return fmt.Errorf("sign the saved plan: %w", err)
	}
	f.Signature = signaturePrefix + hex.EncodeToString(mac(key, msg))
	return nil
}

// Verify checks the signature against every key (link-key's, newest
// first); one must match. ErrTampered otherwise.
func (f *File) Verify(keys [][]byte) error {
	hexSig, ok := strings.CutPrefix(f.Signature, signaturePrefix)
	sig, err := hex.DecodeString(hexSig)
	if !ok || err != nil || len(sig) != sha256.Size {
		return fmt.Errorf("%w (signature field %q is not %s<64 hex digits>)", ErrTampered, short(f.Signature), signaturePrefix)
	}
	msg, err := f.digestInput()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrTampered, err)
	}
	for _, k := range keys {
		if hmac.Equal(sig, mac(k, msg)) {
			return nil
		}
	}
	return ErrTampered
}

// Expect is what the run that applies a plan requires of it.
type Expect struct {
	ToolVersion string
	ServerURL   string
	TenantID    string
	Now         time.Time
	MaxAge      time.Duration
}

// Check refuses a plan made by another version, for another server URL or
// tenant, or longer ago than MaxAge (or in the future, beyond a minute of
// clock skew). The server's diagnostic id is checked once it has been read
// (CheckServerID).
func (f *File) Check(e Expect) error {
	if f.ToolVersion != e.ToolVersion {
		return fmt.Errorf("%w: it was made by version %q, this is %q; make a new plan with this version", ErrVersion, f.ToolVersion, e.ToolVersion)
	}
	if !sameURL(f.Mattermost.URL, e.ServerURL) {
		return fmt.Errorf("%w: it was made for %s, this run's mattermost-url is %s", ErrForeign, f.Mattermost.URL, e.ServerURL)
	}
	if !strings.EqualFold(strings.TrimSpace(f.TenantID), strings.TrimSpace(e.TenantID)) {
		return fmt.Errorf("%w: it was made for tenant %s, this run's azure-tenant-id is %s", ErrForeign, f.TenantID, e.TenantID)
	}
	age := e.Now.Sub(f.MadeAt)
	if age > e.MaxAge {
		return fmt.Errorf("%w: it was made at %s, %s ago, and plan-max-age is %s; make a new plan (a dry run with plan-out) and approve that", ErrStale,
			f.MadeAt.UTC().Format(time.RFC3339), age.Round(time.Second), e.MaxAge)
	}
	if age < -time.Minute {
		return fmt.Errorf("%w: it says it was made at %s, %s in the future (more than the minute of clock skew allowed); "+
			"check the clocks of the machines that made and apply it, then make a new plan", ErrStale, f.MadeAt.UTC().Format(time.RFC3339), (-age).Round(time.Second))
	}
	return nil
}

// CheckServerID refuses a plan made for a server whose diagnostic id
// differs from id, the one this run read. Either being unknown ("") passes:
// the URL has been checked.
func (f *File) CheckServerID(id string) error {
	if f.Mattermost.DiagnosticID == "" || id == "" || f.Mattermost.DiagnosticID == id {
		return nil
	}
	return fmt.Errorf("%w: it was made for the server with diagnostic id %s, and %s answers with %s (a restored or another server behind the same address?)",
		ErrForeign, f.Mattermost.DiagnosticID, f.Mattermost.URL, id)
}

func sameURL(a, b string) bool {
	norm := func(s string) string {
		s = strings.TrimRight(strings.TrimSpace(s), "/")
		s = strings.TrimSuffix(s, "/api/v4")
		return strings.ToLower(strings.TrimRight(s, "/"))
	}
	return norm(a) == norm(b)
}

func short(s string) string {
	if len(s) > 24 {
		return s[:24] + "…"
	}
	return s
}

// Encode writes the file as JSON, one top-level field a line and one action
// a line: readable in review and in a diff, and small (sign it first).
func (f *File) Encode(w io.Writer) error {
	f.MadeAt = f.MadeAt.UTC()
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	_, err = w.Write(indentTop(b))
	return err
}

// indentTop breaks compact JSON into lines down to depth 2: the top
// object's fields, and the elements of its arrays and objects, each on a
// line of its own; anything deeper stays on its element's line.
func indentTop(b []byte) []byte {
	const maxDepth = 2
	out := make([]byte, 0, len(b)+len(b)/16)
	depth, inString, escaped := 0, false, false
	newline := func(d int) {
		out = append(out, '\n')
		for range d {
			out = append(out, '\t')
		}
	}
	for i, c := range b {
		if inString {
			out = append(out, c)
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
			out = append(out, c)
		case '{', '[':
			out = append(out, c)
			depth++
			if depth <= maxDepth && i+1 < len(b) && b[i+1] != '}' && b[i+1] != ']' {
				newline(depth)
			}
		case '}', ']':
			if depth <= maxDepth && i > 0 && b[i-1] != '{' && b[i-1] != '[' {
				newline(depth - 1)
			}
			depth--
			out = append(out, c)
		case ',':
			out = append(out, c)
			if depth <= maxDepth {
				newline(depth)
			}
		case ':':
			out = append(out, c)
			if depth <= maxDepth {
				out = append(out, ' ')
			}
		default:
			out = append(out, c)
		}
	}
	return append(out, '\n')
}

// Write signs the file with key and writes it to path atomically
// (dirowner.WriteFile: a temporary file in the same directory, renamed over
// path), mode 0600: it names people. Written as root into a directory
// someone else owns (a Docker action into runner.temp), the file is that
// owner's (dirowner.Give), so that the next step can upload it.
func Write(path string, f *File, key []byte) error {
	f.MadeAt = f.MadeAt.UTC()
	if err := f.Sign(key); err != nil {
		return err
	}
	if err := dirowner.MkdirAll(filepath.Dir(path)); err != nil {
		return fmt.Errorf("write the plan to %s: %w", path, err)
	}
	if err := dirowner.WriteFile(path, f.Encode); err != nil {
		return fmt.Errorf("write the plan to %s: %w", path, err)
	}
	return nil
}

// Read reads and parses a saved plan; it does not verify it (Verify,
// Check). A file of another format is refused with ErrVersion, anything
// that is not a saved plan with ErrFormat.
func Read(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read the saved plan: %w", err)
	}
	defer fh.Close()
	b, err := io.ReadAll(io.LimitReader(fh, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("read the saved plan %s: %w", path, err)
	}
	if len(b) > MaxSize {
		return nil, fmt.Errorf("%w: %s is larger than %d MB", ErrFormat, path, MaxSize>>20)
	}
	f, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// Parse parses a saved plan's bytes (see Read).
func Parse(b []byte) (*File, error) {
	var head struct {
		Format *int `json:"format"`
	}
	if err := json.Unmarshal(b, &head); err != nil || head.Format == nil {
		return nil, fmt.Errorf("%w (a saved plan is the JSON file a run with plan-out writes)", ErrFormat)
	}
	if *head.Format != FormatVersion {
		return nil, fmt.Errorf("%w: file format %d, this version reads format %d", ErrVersion, *head.Format, FormatVersion)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var f File
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the plan", ErrFormat)
	}
	if f.ToolVersion == "" || f.MadeAt.IsZero() || f.Mattermost.URL == "" || f.TenantID == "" {
		return nil, fmt.Errorf("%w: tool_version, made_at, mattermost.url and tenant_id are required", ErrFormat)
	}
	return &f, nil
}
