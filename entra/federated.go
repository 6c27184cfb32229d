package entra

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// Federated sign-in (workload identity federation): the app registration
// trusts tokens from an external issuer (GitHub Actions OIDC) through a
// federated identity credential, and the client proves its identity with such
// a token (a "client assertion") instead of a client secret.
const (
	// GitHubIssuer is the issuer of GitHub Actions OIDC tokens.
	GitHubIssuer = "https://token.actions.githubusercontent.com"
	// FederatedAudience is the audience Entra ID expects in a federated
	// credential's token (and the default of the azure-audience input).
	FederatedAudience = "api://AzureADTokenExchange"
)

const (
	hintNoCredential = "set azure-client-secret to the client secret's Value, " +
		"or leave it empty and sign in without a secret through a federated credential: give the job `permissions: id-token: write` " +
		"and add a federated credential (issuer " + GitHubIssuer + ", audience " + FederatedAudience + ") to the app registration"
	hintFederatedSubject = "no federated credential of the app registration matches the GitHub token: add one " +
		"(app registration → Certificates & secrets → Federated credentials) whose subject equals the token's `sub` exactly " +
		"(logged above, case-sensitive), issuer " + GitHubIssuer + " and audience " + FederatedAudience
	hintFederatedIssuer = "the federated credential's issuer must be " + GitHubIssuer + " (no trailing slash)"
	hintFederatedAud    = "the federated credential's audience must equal the token's audience: use " + FederatedAudience +
		" in both the credential and the azure-audience input"
	hintAssertionTime = "the GitHub token is expired or not yet valid: check the runner's clock (a self-hosted runner needs NTP), " +
		"and do not reuse a token; GitHub OIDC tokens are valid for about 5 minutes"
	hintFederatedCreds = "check azure-tenant-id, azure-client-id and the app registration's federated credential " +
		"(issuer " + GitHubIssuer + ", audience " + FederatedAudience + ", subject = the token's `sub` logged above)"
)

// AssertionError reports that Config.ClientAssertion failed, so no token
// request reached Entra ID. Err is the callback's error (for GitHub OIDC it
// names the missing `permissions: id-token: write`).
type AssertionError struct {
	Err error
}

func (e *AssertionError) Error() string {
	return "Entra ID sign-in needs a client assertion, but getting one failed: " + e.Err.Error()
}

func (e *AssertionError) Unwrap() error { return e.Err }

// assertionState wraps Config.ClientAssertion: it remembers the last failure
// (azidentity flattens the callback's error into a message, losing its type)
// and the last assertion (to scrub it from any error text).
type assertionState struct {
	get func(context.Context) (string, error)

	mu      sync.Mutex
	lastErr error
	last    string
}

func (a *assertionState) call(ctx context.Context) (string, error) {
	tok, err := a.get(ctx)
	if err == nil && strings.TrimSpace(tok) == "" {
		err = errors.New("the client assertion callback returned an empty assertion")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if err != nil {
		a.lastErr = err
		return "", err
	}
	a.lastErr, a.last = nil, tok
	return tok, nil
}

// failure returns an *AssertionError when err stems from the callback.
func (a *assertionState) failure(err error) error {
	if err == nil {
		return nil
	}
	a.mu.Lock()
	last := a.lastErr
	a.mu.Unlock()
	if last == nil {
		return nil
	}
	if errors.Is(err, last) || strings.Contains(err.Error(), last.Error()) {
		return &AssertionError{Err: last}
	}
	return nil
}

func (a *assertionState) lastAssertion() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.last
}

// federatedHint replaces secret-oriented hints when the credential is a
// client assertion (there is no secret to check).
func federatedHint(err error) error {
	var ae *AuthError
	if errors.As(err, &ae) && (ae.Hint == hintSecret || ae.Hint == hintCreds) {
		ae.Hint = hintFederatedCreds
	}
	return err
}

// Cloud names accepted by CloudEndpoints.
var cloudNames = []string{"public", "usgovernment", "china"}

// CloudEndpoints returns the Entra authority host and the Microsoft Graph
// base URL of a named cloud: "public" (also the meaning of ""),
// "usgovernment" or "china" (case-insensitive). Explicit endpoint settings
// should override these.
func CloudEndpoints(name string) (authorityHost, graphURL string, err error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "", "public":
		return DefaultAuthorityHost, DefaultGraphURL, nil
	case "usgovernment":
		return "https://login.microsoftonline.us/", "https://graph.microsoft.us/v1.0", nil
	case "china":
		return "https://login.chinacloudapi.cn/", "https://microsoftgraph.chinacloudapi.cn/v1.0", nil
	}
	return "", "", fmt.Errorf("entra: unknown azure-cloud %q: use one of %s", name, strings.Join(cloudNames, ", "))
}
