// Package ghoidc gets a GitHub Actions OIDC token for signing in to Entra ID
// through workload identity federation (no client secret), and decodes the
// token's claims for diagnostics.
//
// The claims are decoded WITHOUT verifying the token's signature: they are
// only logged (the `sub` is what the admin copies into the app registration's
// federated credential) and never used for any decision. Entra ID verifies
// the token.
//
// The token itself is never logged and never part of an error.
package ghoidc

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/internal/redact"
	"github.com/sethvargo/go-githubactions"
)

// DefaultAudience is the audience Entra ID expects (the azure-audience
// input's default). Token and Assertion use it when audience is empty.
const DefaultAudience = "api://AzureADTokenExchange"

// ErrIDTokenPermission is in the chain of the error Token returns when the
// runner offers no OIDC token (ACTIONS_ID_TOKEN_REQUEST_URL or
// ACTIONS_ID_TOKEN_REQUEST_TOKEN unset): the job lacks the permission.
var ErrIDTokenPermission = errors.New("the job needs `permissions: id-token: write` (and `contents: read`) to sign in without azure-client-secret")

// Claims are the token's identifying claims, decoded without verification
// (for logging only).
type Claims struct {
	Subject  string    // sub, e.g. repo:OWNER/REPO:environment:prod
	Issuer   string    // iss, https://token.actions.githubusercontent.com
	Audience string    // aud (several audiences are joined with ",")
	Expiry   time.Time // exp (zero when absent)
}

// Token requests an OIDC token for audience (DefaultAudience when empty)
// from the Actions runtime and decodes its claims. The caller must mask the
// token (gha.AddMask) before anything could print it; Assertion does.
func Token(ctx context.Context, gha *githubactions.Action, audience string) (token string, claims Claims, err error) {
	if audience == "" {
		audience = DefaultAudience
	}
	tok, err := gha.GetIDToken(ctx, audience)
	if err != nil {
		return "", Claims{}, tokenError(gha, err)
	}
	tok = strings.TrimSpace(tok)
	if tok == "" {
		return "", Claims{}, errors.New("ghoidc: the GitHub OIDC token endpoint returned an empty token")
	}
	claims, err = ParseClaims(tok)
	if err != nil {
		return "", Claims{}, err
	}
	return tok, claims, nil
}

// Assertion returns a callback for entra.Config.ClientAssertion: each call
// gets a fresh token (GitHub's tokens live about 5 minutes; Entra asks again
// only when it needs a new access token), masks it with gha.AddMask (the
// `::add-mask::` workflow command, which is how Actions learns to hide a
// value), then calls onToken (may be nil) with its claims so the caller can
// log the subject. The callback is safe for concurrent use when onToken is.
func Assertion(gha *githubactions.Action, audience string, onToken func(Claims)) func(ctx context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		tok, claims, err := Token(ctx, gha, audience)
		if err != nil {
			return "", err
		}
		gha.AddMask(tok)
		if onToken != nil {
			onToken(claims)
		}
		return tok, nil
	}
}

// ParseClaims decodes a JWT's payload WITHOUT verifying its signature; use
// the result for diagnostics only. The error never contains the token.
func ParseClaims(token string) (Claims, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return Claims{}, errors.New("ghoidc: the GitHub OIDC token is not a JWT (expected three dot-separated parts)")
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return Claims{}, errors.New("ghoidc: the GitHub OIDC token's payload is not base64url")
	}
	var p struct {
		Sub string          `json:"sub"`
		Iss string          `json:"iss"`
		Aud json.RawMessage `json:"aud"`
		Exp json.Number     `json:"exp"`
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	if err := dec.Decode(&p); err != nil {
		return Claims{}, errors.New("ghoidc: the GitHub OIDC token's payload is not a JSON object")
	}
	c := Claims{Subject: p.Sub, Issuer: p.Iss}
	var one string
	var many []string
	switch {
	case len(p.Aud) == 0:
	case json.Unmarshal(p.Aud, &one) == nil:
		c.Audience = one
	case json.Unmarshal(p.Aud, &many) == nil:
		c.Audience = strings.Join(many, ",")
	}
	if p.Exp != "" {
		if f, err := p.Exp.Float64(); err == nil && f > 0 {
			c.Expiry = time.Unix(int64(f), 0).UTC()
		}
	}
	return c, nil
}

// tokenError explains a GetIDToken failure without the request token or
// the request URL's query.
func tokenError(gha *githubactions.Action, err error) error {
	var missing *githubactions.EnvMissingError
	if errors.As(err, &missing) {
		where := ""
		if gha.Getenv("GITHUB_ACTIONS") != "true" {
			where = "; outside GitHub Actions set azure-client-secret instead"
		}
		return fmt.Errorf("ghoidc: no GitHub OIDC token (%s is not set): %w%s", missing.Name, ErrIDTokenPermission, where)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("ghoidc: getting the GitHub OIDC token: %w", err)
	}
	var failed *githubactions.RequestFailedError
	if errors.As(err, &failed) {
		body := strings.Join(strings.Fields(failed.Body), " ")
		if len(body) > 300 {
			body = body[:300] + "…"
		}
		return fmt.Errorf("ghoidc: the GitHub OIDC token endpoint answered HTTP %d: %s", failed.StatusCode, scrub(gha, body))
	}
	msg := err.Error()
	var ue *url.Error
	if errors.As(err, &ue) {
		msg = ue.Op + " " + redact.BareURL(ue.URL) + ": " + ue.Err.Error()
	}
	return fmt.Errorf("ghoidc: getting the GitHub OIDC token: %s", scrub(gha, msg))
}

// scrub removes the runtime's request token and URL query from s.
func scrub(gha *githubactions.Action, s string) string {
	secrets := []string{gha.Getenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN")}
	if u, err := url.Parse(gha.Getenv("ACTIONS_ID_TOKEN_REQUEST_URL")); err == nil {
		secrets = append(secrets, u.RawQuery)
	}
	return redact.String(s, secrets...)
}
