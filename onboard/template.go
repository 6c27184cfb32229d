// Package onboard renders the mail onboarding: graph-mail sends a new person
// (their username, first password and the server's address), from the
// onboarding-template file or a short default in English.
package onboard

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"text/template"
)

// Fields are what a template can use.
type Fields struct {
	DisplayName string
	Username    string
	Email       string // the account's address in Mattermost
	Password    string // the first password: only ever rendered into the mail
	ServerURL   string // e.g. https://chat.example.com
	SignInURL   string // ServerURL + "/login"
}

// Template is a mail's subject (one line) and plain-text body.
type Template struct {
	subject, body *template.Template
}

// DefaultText is the mail sent when onboarding-template is empty: the
// subject on the first line, the body after it.
const DefaultText = `Your Mattermost account
Hello {{.DisplayName}},

an account on our Mattermost chat has been created for you.

  Sign in at:      {{.SignInURL}}
  Username:        {{.Username}}  (or your address {{.Email}})
  First password:  {{.Password}}

This password is yours alone: nobody else has seen it. Please change it after
you sign in (your profile picture > Profile > Security > Password), and do not
forward this mail.
`

// Default returns the template of DefaultText.
func Default() *Template {
	t, err := Parse(DefaultText, true)
	if err != nil {
		panic(err)
	}
	return t
}

// probe is a password no template produces by itself: Parse renders it to
// prove the body shows the password.
const probe = "\x00password-probe\x00"

// Parse reads a template: the first line is the subject, the rest the body,
// both Go text/template with the Fields. needPassword refuses a body that
// does not show {{.Password}} (graph-mail: the mail is the only place the
// password goes). Errors say which line or field is wrong.
func Parse(text string, needPassword bool) (*Template, error) {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	subject, body, _ := strings.Cut(text, "\n")
	subject = strings.TrimSpace(subject)
	if subject == "" {
		return nil, errors.New("the first line (the mail's subject) is empty")
	}
	if strings.TrimSpace(body) == "" {
		return nil, errors.New("there is no body after the subject line")
	}
	t := &Template{}
	var err error
	if t.subject, err = template.New("subject").Option("missingkey=error").Parse(subject); err != nil {
		return nil, fmt.Errorf("subject: %w", err)
	}
	if t.body, err = template.New("body").Option("missingkey=error").Parse(body); err != nil {
		return nil, fmt.Errorf("body: %w", err)
	}
	sample := Fields{DisplayName: "Ann Example", Username: "ann.example", Email: "ann@example.com",
		Password: probe, ServerURL: "https://chat.example.com", SignInURL: "https://chat.example.com/login"}
	subj, b, err := t.Render(sample)
	if err != nil {
		return nil, err
	}
	if strings.Contains(subj, probe) {
		return nil, errors.New("the subject shows {{.Password}}; put the password in the body only")
	}
	if needPassword && !strings.Contains(b, probe) {
		return nil, errors.New("the body does not show {{.Password}}: with graph-mail the mail is the only place the first password goes")
	}
	return t, nil
}

// Render returns the subject and body for f. An error never holds the
// password: text/template reports the place, not the data.
func (t *Template) Render(f Fields) (subject, body string, err error) {
	var s, b bytes.Buffer
	if err := t.subject.Execute(&s, f); err != nil {
		return "", "", fmt.Errorf("subject: %w", err)
	}
	if err := t.body.Execute(&b, f); err != nil {
		return "", "", fmt.Errorf("body: %w", err)
	}
	return strings.TrimSpace(s.String()), b.String(), nil
}
