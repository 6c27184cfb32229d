package onboard

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		needPw     bool
		wantErr    string
	}{
		{"default", DefaultText, true, ""},
		{"custom", "Willkommen {{.DisplayName}}\nBenutzer {{.Username}}, Passwort {{.Password}}, {{.SignInURL}}", true, ""},
		{"no password, graph-mail", "Hi\nGo to {{.SignInURL}}", true, "does not show {{.Password}}"},
		{"no password, not needed", "Hi\nGo to {{.SignInURL}}", false, ""},
		{"password in the subject", "Your password {{.Password}}\n{{.Password}}", true, "subject shows"},
		{"empty subject", "\nbody {{.Password}}", true, "subject) is empty"},
		{"no body", "Subject only", true, "no body"},
		{"unknown field", "Hi\n{{.Password}} {{.Nickname}}", true, "Nickname"},
		{"bad syntax", "Hi\n{{.Password", true, "body"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.text, tc.needPw)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("Parse: %v, want %q", err, tc.wantErr)
			}
		})
	}
}

func TestRenderDefault(t *testing.T) {
	s, b, err := Default().Render(Fields{DisplayName: "Ann", Username: "ann", Email: "ann@x.example", Password: "S3cret!pw",
		ServerURL: "https://chat.x.example", SignInURL: "https://chat.x.example/login"})
	if err != nil {
		t.Fatal(err)
	}
	if s != "Your Mattermost account" || !strings.Contains(b, "S3cret!pw") || !strings.Contains(b, "https://chat.x.example/login") || !strings.Contains(b, "ann") {
		t.Fatalf("%q\n%s", s, b)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(DefaultText)
	f.Add("a\n{{.Password}}")
	f.Add("{{")
	f.Fuzz(func(t *testing.T, text string) {
		tpl, err := Parse(text, true)
		if err != nil {
			return
		}
		_, b, err := tpl.Render(Fields{Password: "pw-marker"})
		if err == nil && !strings.Contains(b, "pw-marker") {
			t.Fatalf("a template Parse accepted does not show the password: %q", text)
		}
	})
}
