package config

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestPlanInputs(t *testing.T) {
	dir := t.TempDir()
	saved := filepath.Join(dir, "plan.json")
	if err := os.WriteFile(saved, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := load(t, nil, with(map[string]string{"PLAN_OUT": filepath.Join(dir, "out", "plan.json"), "INPUT_APPLY-PLAN": saved}))
	if err != nil {
		t.Fatal(err)
	}
	if c.PlanMaxAge != 24*time.Hour || c.ApplyPlan != saved || !strings.HasSuffix(c.PlanOut, "plan.json") {
		t.Fatalf("plan inputs %q %q %v", c.PlanOut, c.ApplyPlan, c.PlanMaxAge)
	}
	for _, tt := range []struct {
		over  map[string]string
		input string
	}{
		{map[string]string{"INPUT_PLAN-MAX-AGE": "1 day"}, "plan-max-age"},
		{map[string]string{"INPUT_PLAN-MAX-AGE": "0s"}, "plan-max-age"},
		{map[string]string{"INPUT_PLAN-MAX-AGE": "-1h"}, "plan-max-age"},
		{map[string]string{"INPUT_APPLY-PLAN": filepath.Join(dir, "missing.json")}, "apply-plan"},
		{map[string]string{"INPUT_APPLY-PLAN": dir}, "apply-plan"},
		{map[string]string{"INPUT_PLAN-OUT": dir}, "plan-out"},
		{map[string]string{"INPUT_APPLY-PLAN": saved, "INPUT_PLAN-OUT": saved}, "plan-out"},
	} {
		_, err := load(t, nil, with(tt.over))
		var errs Errors
		if !errors.As(err, &errs) || errs[0].Input != tt.input {
			t.Errorf("%v: %v, want an error naming %s", tt.over, err, tt.input)
		}
	}
}

func TestTakeDecisions(t *testing.T) {
	vals, err := Raw(Source{Getenv: env(with(map[string]string{"INPUT_GROUPS": "Staff", "INPUT_DEACTIVATE": "false", "INPUT_MAX-DEACTIVATIONS": "37"}))})
	if err != nil {
		t.Fatal(err)
	}
	saved := SavedInputs(vals)
	for _, secret := range []string{"link-key", "mattermost-token", "azure-client-secret", "report-webhook-secret", "max-deactivations"} {
		if _, ok := saved[secret]; ok {
			t.Errorf("a saved plan records %s", secret)
		}
	}
	vals["groups"], vals["teams"] = "Staff\r\n", "eng"
	ignored := TakeDecisions(vals, saved)
	if !slices.Equal(ignored, []string{"teams"}) || vals["teams"] != "" || vals["deactivate"] != "false" || vals["max-deactivations"] != "37" {
		t.Fatalf("ignored %v, vals teams=%q deactivate=%q", ignored, vals["teams"], vals["deactivate"])
	}
	if _, err := Parse(vals); err != nil {
		t.Fatal(err)
	}
}
