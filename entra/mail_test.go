package entra

import (
	"errors"
	"strings"
	"testing"

	fakegraph "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/graph"
)

func TestSendMail(t *testing.T) {
	sender := "it-helpdesk@contoso.example"
	e := setup(t, fakegraph.Options{Users: []fakegraph.User{{"id": "0b9e4b63-0000-4000-8000-000000000001", "userPrincipalName": sender}}}, nil)
	const pw = "Fresh-Pa55word!"
	if err := e.src.SendMail(ctx(t), sender, "ann@contoso.example", "Hi", "password "+pw, pw); err != nil {
		t.Fatal(err)
	}
	m := e.fake.Mails()
	if len(m) != 1 || m[0].SaveToSentItems || m[0].To[0] != "ann@contoso.example" || !strings.Contains(m[0].Body, pw) || m[0].Subject != "Hi" {
		t.Fatalf("delivered: %+v", m)
	}

	// A bad recipient: a GraphError, without the password.
	e.fake.RefuseRecipient("bob@contoso.example", true)
	err := e.src.SendMail(ctx(t), sender, "bob@contoso.example", "Hi", "password "+pw, pw)
	var ge *GraphError
	if !errors.As(err, &ge) || ge.Status != 400 || ge.Code != "ErrorInvalidRecipients" || strings.Contains(err.Error(), pw) {
		t.Fatalf("bad recipient: %v", err)
	}
	// An unknown sender: 404 ErrorInvalidUser.
	if err := e.src.SendMail(ctx(t), "nobody@contoso.example", "ann@contoso.example", "Hi", "x"); !errors.As(err, &ge) || ge.Code != "ErrorInvalidUser" {
		t.Fatalf("unknown sender: %v", err)
	}
	// No Mail.Send: 403 names the permission and matches ErrMailForbidden.
	e.fake.SetMailDenied(true)
	err = e.src.SendMail(ctx(t), sender, "ann@contoso.example", "Hi", "x")
	var ae *AuthError
	if !errors.Is(err, ErrMailForbidden) || !errors.As(err, &ae) || ae.Status != 403 || !strings.Contains(err.Error(), PermMailSend) {
		t.Fatalf("403: %v", err)
	}
}
