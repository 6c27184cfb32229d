package fakegraph

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// JWTBearer is the client_assertion_type of a JWT client assertion.
const JWTBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// checkAssertion answers the token request with Entra ID's error when the
// client did not present the required assertion, and reports whether the
// request may go on.
func checkAssertion(w http.ResponseWriter, clientID, secret, typ, got, want string) bool {
	switch {
	case got == "" && secret != "":
		writeAADError(w, http.StatusUnauthorized, "invalid_client", 7000215,
			fmt.Sprintf("Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.", clientID))
		return false
	case got == "":
		writeAADError(w, http.StatusUnauthorized, "invalid_client", 7000218,
			"The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
		return false
	case typ != JWTBearer:
		writeAADError(w, http.StatusBadRequest, "invalid_request", 90014,
			"The required field 'client_assertion_type' is missing from the credential. Ensure that you have all the necessary parameters for the login request.")
		return false
	}
	claims, ok := jwtClaims(got)
	if !ok {
		writeAADError(w, http.StatusBadRequest, "invalid_client", 50027,
			"JWT token is invalid or malformed.")
		return false
	}
	if claims.Exp > 0 && time.Unix(claims.Exp, 0).Before(time.Now()) {
		now := time.Now().UTC().Format("1/2/2006 3:04:05 PM")
		nbf := time.Unix(claims.Nbf, 0).UTC().Format("1/2/2006 3:04:05 PM")
		exp := time.Unix(claims.Exp, 0).UTC().Format("1/2/2006 3:04:05 PM")
		writeAADError(w, http.StatusBadRequest, "invalid_client", 700024,
			fmt.Sprintf("Client assertion is not within its valid time range. Current time: %s, assertion valid from %s, expiry time of assertion %s. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .", now, nbf, exp))
		return false
	}
	if got != want {
		writeAADError(w, http.StatusBadRequest, "invalid_client", 700213,
			fmt.Sprintf("No matching federated identity record found for presented assertion subject '%s'. Please note that the matching is done using a case-sensitive comparison. Check your federated identity credential Subject, Audience and Issuer against the presented assertion. https://learn.microsoft.com/entra/workload-id/workload-identity-federation", claims.Sub))
		return false
	}
	return true
}

type assertionClaims struct {
	Sub string `json:"sub"`
	Exp int64  `json:"exp"`
	Nbf int64  `json:"nbf"`
}

// jwtClaims decodes a JWT's payload without verifying it.
func jwtClaims(tok string) (assertionClaims, bool) {
	var c assertionClaims
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return c, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return c, false
	}
	return c, json.Unmarshal(raw, &c) == nil
}

// UnsignedJWT builds a JWT-shaped string (header, claims, dummy signature)
// for tests: it is not signed and only good against this fake.
func UnsignedJWT(claims map[string]any) string {
	h, _ := json.Marshal(map[string]any{"alg": "RS256", "typ": "JWT", "kid": "fake"})
	p, _ := json.Marshal(claims)
	enc := base64.RawURLEncoding.EncodeToString
	return enc(h) + "." + enc(p) + "." + enc([]byte("not-a-signature"))
}
