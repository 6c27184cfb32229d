package run

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/e2e/world"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The JSON reports of real runs through main's code path (a dry run, a sync
// with broken team and channel mappings, a no-op, a run stopped by bad
// input) match docs/report.schema.json, the schema the README points to,
// and hold no null.
func TestRunReportsMatchTheSchema(t *testing.T) {
	schema := compileReportSchema(t)
	w := world.New(t, "tenant-60.json")
	w.Env["INPUT_TEAMS"] = "no-such-team"
	w.Env["INPUT_CHANNELS"] = "no-such-team/no-such-channel"
	check := func(name string) {
		t.Helper()
		b, err := os.ReadFile(w.Env["INPUT_REPORT-PATH"])
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := schema.Validate(inst); err != nil {
			t.Errorf("%s: the report does not match docs/report.schema.json: %v", name, err)
		}
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatal(err)
		}
		if p := nullIn(v, "$"); p != "" {
			t.Errorf("%s: the report holds null at %s", name, p)
		}
		os.Remove(w.Env["INPUT_REPORT-PATH"])
	}
	w.Env["INPUT_DRY-RUN"] = "true"
	if code := w.Run(); code != 1 { // the broken mappings fail the run
		t.Fatalf("dry run exit %d: %s", code, w.Stdout.String())
	}
	check("dry run")
	w.Env["INPUT_DRY-RUN"] = "false"
	if code := w.Run(); code != 1 {
		t.Fatalf("sync exit %d: %s", code, w.Stdout.String())
	}
	check("sync with broken mappings")
	delete(w.Env, "INPUT_TEAMS")
	delete(w.Env, "INPUT_CHANNELS")
	if code := w.Run(); code != 0 {
		t.Fatalf("second sync exit %d: %s", code, w.Stdout.String())
	}
	check("no-op")
	w.Env["INPUT_MAX-DEACTIVATIONS"] = "many"
	if code := w.Run(); code != 1 {
		t.Fatalf("bad input exit %d", code)
	}
	check("bad input")
}

// compileReportSchema compiles docs/report.schema.json, asserting formats.
func compileReportSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	// The compiler's default loader reads the file by its path.
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	s, err := c.Compile("../../docs/report.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// nullIn returns the path of the first null in a decoded JSON value, or "".
func nullIn(v any, path string) string {
	switch v := v.(type) {
	case nil:
		return path
	case map[string]any:
		for k, e := range v {
			if p := nullIn(e, path+"."+k); p != "" {
				return p
			}
		}
	case []any:
		for _, e := range v {
			if p := nullIn(e, path+"[]"); p != "" {
				return p
			}
		}
	}
	return ""
}
