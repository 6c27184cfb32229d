package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOnboardingInputs(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.txt")
	_ = os.WriteFile(good, []byte("Welcome {{.DisplayName}}\nUser {{.Username}} / {{.Password}} at {{.SignInURL}}\n"), 0o600)

	c, err := load(t, nil, valid)
	if err != nil || c.Onboarding != OnboardingNone || c.Onboard != OnboardNew || c.OnboardingTemplate != "" {
		t.Fatalf("defaults: %+v %v", c, err)
	}
	c, err = load(t, nil, with(map[string]string{"INPUT_ONBOARDING": "graph-mail", "INPUT_ONBOARDING-SENDER": "it-helpdesk@contoso.com"}))
	if err != nil || c.OnboardingTemplate != "" || c.OnboardingSender != "it-helpdesk@contoso.com" {
		t.Fatalf("graph-mail with the default template: %v", err)
	}
	c, err = load(t, nil, with(map[string]string{"ONBOARDING": "graph-mail", "ONBOARDING_SENDER": "11111111-2222-4333-8444-555555555555",
		"ONBOARDING_TEMPLATE": good, "ONBOARD": "new-and-adopted"}))
	if err != nil || c.Onboard != OnboardNewAndAdopted || !strings.HasPrefix(c.OnboardingTemplate, "Welcome {{.DisplayName}}") {
		t.Fatalf("environment names: %v", err)
	}
	for _, tc := range []struct {
		over  map[string]string
		input string
		msg   string
	}{
		{map[string]string{"INPUT_ONBOARDING": "smtp"}, "onboarding", "not one of none, reset-email, graph-mail"},
		{map[string]string{"INPUT_ONBOARD": "all"}, "onboard", "not one of new, new-and-adopted"},
		{map[string]string{"INPUT_ONBOARD": "new-and-adopted"}, "onboard", "keep their old (shared) passwords"},
		{map[string]string{"INPUT_ONBOARDING": "graph-mail"}, "onboarding-sender", "is required with onboarding: graph-mail"},
		{map[string]string{"INPUT_ONBOARDING": "graph-mail", "INPUT_ONBOARDING-SENDER": "helpdesk"}, "onboarding-sender", "neither a userPrincipalName"},
		{map[string]string{"INPUT_ONBOARDING": "graph-mail", "INPUT_ONBOARDING-SENDER": "a@b.example", "INPUT_ONBOARDING-TEMPLATE": filepath.Join(dir, "missing")}, "onboarding-template", "cannot read"},
		{map[string]string{"INPUT_ONBOARDING": "reset-email", "INPUT_ONBOARDING-TEMPLATE": good}, "onboarding-template", "only used with onboarding: graph-mail"},
	} {
		_, err := load(t, nil, with(tc.over))
		var errs Errors
		if !errors.As(err, &errs) || len(errs) != 1 || errs[0].Input != tc.input || !strings.Contains(errs[0].Msg, tc.msg) {
			t.Errorf("%v: got %v, want input %s: %q", tc.over, err, tc.input, tc.msg)
		}
	}
}
