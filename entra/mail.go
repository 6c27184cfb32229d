package entra

import (
	"context"
	"errors"
	"fmt"

	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	redactpkg "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/redact"
)

// PermMailSend is the application permission POST /users/{id}/sendMail
// needs. Without a limit it lets the app send as any mailbox in the tenant;
// an Exchange Online application access policy or RBAC for Applications
// limits it to the mailboxes named (README, "Onboarding").
const PermMailSend = "Mail.Send"

// hintMailSend is the fix for a 403 from sendMail.
const hintMailSend = "grant the application permission " + PermMailSend + " (type Application) and click 'Grant admin consent'; " +
	"if an application access policy or RBAC for Applications limits the app's mail, the onboarding-sender mailbox must be in its scope " +
	"(the change can take up to an hour to apply)"

// ErrMailForbidden matches (errors.Is) a sendMail refused with 403: the
// app lacks Mail.Send, or a policy keeps it from the sender's mailbox. It
// repeats for every mail.
var ErrMailForbidden = errors.New("sendMail refused by Microsoft Graph (" + PermMailSend + ")")

// SendMail sends one plain-text mail from sender (a userPrincipalName or
// object id) to one recipient with POST /users/{sender}/sendMail, not saved
// to the sender's Sent Items (it carries a password). Graph answers 202;
// the message is queued, not yet delivered. secrets (the password in body)
// are redacted from any error. Errors: *AuthError matching ErrMailForbidden
// for 403, *GraphError otherwise (400 ErrorInvalidRecipients, 404
// ErrorInvalidUser for an unknown sender, 429 after the retries).
func (s *Source) SendMail(ctx context.Context, sender, to, subject, body string, secrets ...string) error {
	msg := models.NewMessage()
	msg.SetSubject(&subject)
	b := models.NewItemBody()
	text := models.TEXT_BODYTYPE
	b.SetContentType(&text)
	b.SetContent(&body)
	msg.SetBody(b)
	addr := models.NewEmailAddress()
	addr.SetAddress(&to)
	rcpt := models.NewRecipient()
	rcpt.SetEmailAddress(addr)
	msg.SetToRecipients([]models.Recipientable{rcpt})
	req := users.NewItemSendMailPostRequestBody()
	req.SetMessage(msg)
	save := false
	req.SetSaveToSentItems(&save)

	rb := users.NewItemSendMailRequestBuilderInternal(map[string]string{"baseurl": s.baseURL, "user%2Did": sender}, s.adapter)
	if err := rb.Post(ctx, req, nil); err != nil {
		c := s.classify(err, PermMailSend)
		var ae *AuthError
		if errors.As(c, &ae) && ae.Status == 403 {
			c = &mailForbidden{AuthError: &AuthError{Status: ae.Status, Code: ae.Code, Message: ae.Message, Hint: hintMailSend}}
		}
		return redactpkg.Error(fmt.Errorf("send mail from %s to %s: %w", sender, to, c), secrets...)
	}
	return nil
}

// mailForbidden is a 403 from sendMail: an *AuthError that also matches
// ErrMailForbidden.
type mailForbidden struct{ *AuthError }

func (e *mailForbidden) Unwrap() error        { return e.AuthError }
func (e *mailForbidden) Is(target error) bool { return target == ErrMailForbidden }

// Redacted keeps the type through redaction (redact.Redactor).
func (e *mailForbidden) Redacted(scrub func(string) string) error {
	return &mailForbidden{AuthError: e.AuthError.Redacted(scrub).(*AuthError)}
}
