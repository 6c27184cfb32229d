package report

import (
	"bytes"
	"encoding/json"
	"strconv"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
)

// reportSchema compiles docs/report.schema.json, the schema the README
// points consumers to, asserting formats (date-time) too.
func reportSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	// The compiler's default loader reads the file by its path.
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	s, err := c.Compile("../docs/report.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Every report EncodeJSON writes, from a zero report to one with every field
// set, is valid against the published schema and holds no null anywhere.
func TestReportsMatchTheSchema(t *testing.T) {
	schema := reportSchema(t)
	emptyFailure := New(&mmsync.Plan{}, nil, false)
	emptyFailure.Status, emptyFailure.Error = "failure", "azure-tenant-id is required"
	applied := New(samplePlan(), []mmsync.Result{
		{Action: samplePlan().Actions[0], Status: mmsync.StatusDone, AccountID: "acct1"},
		{Action: samplePlan().Actions[1], Status: mmsync.StatusAdopted},
		{Action: samplePlan().Actions[2], Status: mmsync.StatusNotAttempted, Error: "circuit open", Retryable: true},
	}, false)
	for name, r := range map[string]*Report{
		"full":            fullReport(),
		"dry run":         New(samplePlan(), nil, true),
		"applied":         applied,
		"first sync":      sizedReport(120),
		"failed at input": emptyFailure,
		"no results":      New(&mmsync.Plan{}, nil, false),
		"zero":            {Status: "failure"},
	} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := r.EncodeJSON(&buf); err != nil {
				t.Fatal(err)
			}
			checkReportJSON(t, schema, buf.Bytes())
		})
	}
}

// checkReportJSON validates one encoded report and finds any null in it.
func checkReportJSON(t *testing.T, schema *jsonschema.Schema, data []byte) {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(inst); err != nil {
		t.Errorf("report does not match docs/report.schema.json: %v\n%s", err, data)
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	if path := findNull(v, "$"); path != "" {
		t.Errorf("report holds null at %s", path)
	}
}

// findNull returns the path of the first null in v, or "".
func findNull(v any, path string) string {
	switch v := v.(type) {
	case nil:
		return path
	case map[string]any:
		for k, e := range v {
			if p := findNull(e, path+"."+k); p != "" {
				return p
			}
		}
	case []any:
		for i, e := range v {
			if p := findNull(e, path+"["+strconv.Itoa(i)+"]"); p != "" {
				return p
			}
		}
	}
	return ""
}

// The schema rejects what the report promises never to write, so that the
// test above can fail.
func TestSchemaRejectsNullListsAndUnknownMembers(t *testing.T) {
	schema := reportSchema(t)
	var good bytes.Buffer
	if err := New(samplePlan(), nil, true).EncodeJSON(&good); err != nil {
		t.Fatal(err)
	}
	for name, edit := range map[string]func(map[string]any){
		"null changes":   func(m map[string]any) { m["changes"] = nil },
		"no format":      func(m map[string]any) { delete(m, "format") },
		"format 2":       func(m map[string]any) { m["format"] = 2 },
		"unknown member": func(m map[string]any) { m["surprise"] = true },
		"unknown status": func(m map[string]any) { m["status"] = "partial" },
		"negative count": func(m map[string]any) { m["counts"].(map[string]any)["created"] = -1 },
	} {
		t.Run(name, func(t *testing.T) {
			var m map[string]any
			if err := json.Unmarshal(good.Bytes(), &m); err != nil {
				t.Fatal(err)
			}
			edit(m)
			b, _ := json.Marshal(m)
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if schema.Validate(inst) == nil {
				t.Errorf("schema accepts a report with %s", name)
			}
		})
	}
}
