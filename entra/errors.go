package entra

import (
	redactpkg "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/redact"

	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	abstractions "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
)

// AuthError is an authentication or authorization failure: the token
// endpoint refused the credentials, or Graph answered 401/403. Hint says what
// to change (naming the action input or the Graph permission). It never
// contains the client secret or an access token.
type AuthError struct {
	Status  int    // HTTP status (0 when there was no answer)
	Code    string // "AADSTS7000215", "Authorization_RequestDenied", …
	Message string // the server's description, trimmed of trace ids
	Hint    string
}

func (e *AuthError) Error() string {
	var b strings.Builder
	b.WriteString("Entra ID authentication failed")
	if e.Status != 0 || e.Code != "" {
		b.WriteString(" (")
		if e.Status != 0 {
			fmt.Fprintf(&b, "HTTP %d", e.Status)
			if e.Code != "" {
				b.WriteString(" ")
			}
		}
		b.WriteString(e.Code)
		b.WriteString(")")
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Hint != "" {
		b.WriteString(" — ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

// GraphError is any other error answer from Microsoft Graph (after retries).
type GraphError struct {
	Status  int
	Code    string
	Message string
}

func (e *GraphError) Error() string {
	s := fmt.Sprintf("Microsoft Graph answered HTTP %d", e.Status)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	switch e.Status {
	case 429, 503, 504:
		s += " (still failing after retries; try again later)"
	}
	return s
}

// Hints, by cause.
const (
	hintSecret   = "check azure-client-secret: it is wrong or expired (use the secret's Value, not its ID)"
	hintClientID = "check azure-client-id: no application with that Application (client) ID is registered in the tenant (also check azure-tenant-id is the tenant the app is registered in)"
	hintTenant   = "check azure-tenant-id: the tenant was not found (use the Directory (tenant) ID of the app registration, and an authority host of the same cloud)"
	hintCreds    = "check azure-tenant-id, azure-client-id and azure-client-secret"
	hintGraph401 = "Microsoft Graph rejected the access token: check that azure-tenant-id is the tenant where the app is registered and that azure-authority-host and graph-url belong to the same cloud"
)

func hintForbidden(perm string) string {
	return fmt.Sprintf("grant the application permission %s (type Application, not Delegated) and click 'Grant admin consent' in the app registration's API permissions", perm)
}

var aadstsRe = regexp.MustCompile(`AADSTS\d+`)

// classify turns an SDK/azidentity error into *AuthError or *GraphError when
// it can; perm names the Graph permission the call needs.
func (s *Source) classify(err error, perm string) error {
	if s.assertion != nil {
		if ae := s.assertion.failure(err); ae != nil {
			return redact(ae, s.assertion.lastAssertion())
		}
	}
	c := classify(err, perm)
	if s.federated {
		c = federatedHint(c)
	}
	c = redact(c, s.secret)
	if s.assertion != nil {
		c = redact(c, s.assertion.lastAssertion())
	}
	return c
}

func classify(err error, perm string) error {
	if err == nil {
		return nil
	}
	var ae *AuthError
	if errors.As(err, &ae) {
		return ae
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("entra: %w", err)
	}
	var afe *azidentity.AuthenticationFailedError
	if errors.As(err, &afe) {
		return tokenError(afe)
	}
	status, code, msg, ok := graphErrorParts(err)
	if !ok {
		return fmt.Errorf("entra: %w", err)
	}
	switch {
	case status == 401:
		return &AuthError{Status: status, Code: code, Message: msg, Hint: hintGraph401}
	case status == 403:
		return &AuthError{Status: status, Code: code, Message: msg, Hint: hintForbidden(perm)}
	}
	return &GraphError{Status: status, Code: code, Message: msg}
}

// graphErrorParts extracts status, code and message without calling
// ODataError.Error (which panics on a body without a message).
func graphErrorParts(err error) (status int, code, msg string, ok bool) {
	var oe *odataerrors.ODataError
	if errors.As(err, &oe) && oe != nil {
		status = oe.ResponseStatusCode
		if main := oe.GetErrorEscaped(); main != nil {
			code, msg = str(main.GetCode()), str(main.GetMessage())
		}
		return status, code, msg, true
	}
	var api *abstractions.ApiError
	if errors.As(err, &api) && api != nil {
		return api.ResponseStatusCode, "", api.Message, true
	}
	var apiable abstractions.ApiErrorable
	if errors.As(err, &apiable) && apiable != nil {
		return apiable.GetStatusCode(), "", "", true
	}
	return 0, "", "", false
}

type aadErrorBody struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
	Codes       []int  `json:"error_codes"`
}

func tokenError(afe *azidentity.AuthenticationFailedError) *AuthError {
	e := &AuthError{}
	var body aadErrorBody
	if afe.RawResponse != nil {
		e.Status = afe.RawResponse.StatusCode
		if raw, err := runtime.Payload(afe.RawResponse); err == nil {
			_ = json.Unmarshal(raw, &body)
		}
	}
	if len(body.Codes) > 0 {
		e.Code = fmt.Sprintf("AADSTS%d", body.Codes[0])
	} else if m := aadstsRe.FindString(body.Description); m != "" {
		e.Code = m
	}
	e.Message = trimAADDescription(body.Description)
	if e.Message == "" {
		e.Message = body.Error
	}
	if afe.RawResponse == nil {
		// No HTTP answer: MSAL's own message (no secrets in it).
		msg := strings.Join(strings.Fields(afe.Error()), " ")
		if len(msg) > 600 {
			msg = msg[:600] + "…"
		}
		e.Message = msg
		if e.Code == "" {
			e.Code = aadstsRe.FindString(msg)
		}
	}
	switch hint, known := codeHints[e.Code]; {
	case known:
		e.Hint = hint
	case body.Error == "invalid_client":
		e.Hint = hintSecret
	case afe.RawResponse == nil && e.Code == "":
		e.Hint = "could not obtain a token: check azure-tenant-id and that azure-authority-host is reachable"
	default:
		e.Hint = hintCreds
	}
	return e
}

// codeHints are the hints for the AADSTS codes (Microsoft Entra's
// authentication error codes) whose cause is one input.
var codeHints = map[string]string{
	"AADSTS7000215": hintSecret, // invalid client secret
	"AADSTS7000222": hintSecret, // client secret expired
	"AADSTS7000216": hintSecret, // no client secret or assertion
	"AADSTS700016":  hintClientID,
	"AADSTS90002":   hintTenant,
	"AADSTS900023":  hintTenant,
	"AADSTS90023":   hintTenant,
	"AADSTS90072":   hintTenant,
	"AADSTS70021":   hintFederatedSubject,
	"AADSTS700213":  hintFederatedSubject,
	"AADSTS700211":  hintFederatedIssuer,
	"AADSTS700212":  hintFederatedAud,
	"AADSTS700024":  hintAssertionTime,
}

// trimAADDescription keeps the first sentence block of an Entra error
// description, without the AADSTS prefix and the trace/correlation ids.
func trimAADDescription(d string) string {
	if i := strings.Index(d, " Trace ID:"); i >= 0 {
		d = d[:i]
	}
	if i := strings.IndexAny(d, "\r\n"); i >= 0 {
		d = d[:i]
	}
	d = strings.TrimSpace(d)
	if m := aadstsRe.FindStringIndex(d); m != nil && m[0] == 0 {
		d = strings.TrimSpace(strings.TrimPrefix(d[m[1]:], ":"))
	}
	return d
}

// Redacted returns a copy whose texts went through scrub (redact.Redactor):
// a secret that reached Entra ID's message never reaches a log.
func (e *AuthError) Redacted(scrub func(string) string) error {
	c := *e
	c.Message, c.Hint, c.Code = scrub(c.Message), scrub(c.Hint), scrub(c.Code)
	return &c
}

// Redacted returns a copy whose texts went through scrub (redact.Redactor).
func (e *GraphError) Redacted(scrub func(string) string) error {
	c := *e
	c.Message, c.Code = scrub(c.Message), scrub(c.Code)
	return &c
}

// redact hides secret in err (see package redact): the result never
// unwraps to the original, whose text holds it.
func redact(err error, secret string) error { return redactpkg.Error(err, secret) }
