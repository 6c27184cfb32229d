package ghoidc

import (
	"bytes"
	"errors"
	"net/url"
	"strings"
	"testing"
)

// TestTokenErrorNamesOnlySchemeHostPath: a request that got no answer is
// named by scheme://host/path (redact.BareURL, which replaced ghoidc's own
// copy): never the user information, query (the audience, a signature) or
// fragment, and never the request token, whatever the transport says.
func TestTokenErrorNamesOnlySchemeHostPath(t *testing.T) {
	gha := action(map[string]string{"ACTIONS_ID_TOKEN_REQUEST_TOKEN": requestToken,
		"ACTIONS_ID_TOKEN_REQUEST_URL": "https://token.actions.example/_apis/idtoken?api-version=2.0&sig=s3cr3t"}, &bytes.Buffer{})
	for _, tt := range []struct{ url, want string }{
		{"https://user:pw@token.actions.example/_apis/idtoken?api-version=2.0&sig=s3cr3t&audience=api://AzureADTokenExchange#frag",
			"Get https://token.actions.example/_apis/idtoken: dial tcp: refused"},
		{"  https://token.actions.example/_apis/idtoken?sig=s3cr3t  ", "Get https://token.actions.example/_apis/idtoken: dial tcp: refused"},
		{"/_apis/idtoken?sig=s3cr3t", "Get (not an absolute URL): dial tcp: refused"},
		{"http://[::1/x?sig=s3cr3t", "Get (invalid URL): dial tcp: refused"},
	} {
		err := tokenError(gha, &url.Error{Op: "Get", URL: tt.url, Err: errors.New("dial tcp: refused " + requestToken)})
		msg := err.Error()
		if !strings.Contains(msg, tt.want) {
			t.Errorf("%q: %s, want it to contain %q", tt.url, msg, tt.want)
		}
		for _, secret := range []string{"pw", "s3cr3t", "audience", "frag", requestToken} {
			if strings.Contains(msg, secret) {
				t.Errorf("%q: %s shows %q", tt.url, msg, secret)
			}
		}
	}
}
