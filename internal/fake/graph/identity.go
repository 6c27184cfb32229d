package fakegraph

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// The identity platform's side: OpenID configuration and the token
// endpoint (client secret or assertion), with AADSTS errors as Entra ID
// answers them.

func (s *Server) knownTenant(tenant string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opts.TenantID == "" || strings.EqualFold(tenant, s.opts.TenantID)
}

func (s *Server) openIDConfig(w http.ResponseWriter, r *http.Request, tenant string) {
	if !s.knownTenant(tenant) {
		writeAADError(w, http.StatusBadRequest, "invalid_tenant", 90002,
			fmt.Sprintf("Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.", tenant))
		return
	}
	base := s.srv.URL + "/" + tenant
	writeJSON(w, http.StatusOK, map[string]any{
		"token_endpoint":                        base + "/oauth2/v2.0/token",
		"authorization_endpoint":                base + "/oauth2/v2.0/authorize",
		"device_authorization_endpoint":         base + "/oauth2/v2.0/devicecode",
		"end_session_endpoint":                  base + "/oauth2/v2.0/logout",
		"jwks_uri":                              s.srv.URL + "/" + tenant + "/discovery/v2.0/keys",
		"issuer":                                base + "/v2.0",
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"tenant_region_scope":                   "EU",
		"cloud_instance_name":                   "microsoftonline.com",
	})
}

func (s *Server) token(w http.ResponseWriter, r *http.Request, tenant string, rec *Request) {
	if r.Method != http.MethodPost {
		writeAADError(w, http.StatusMethodNotAllowed, "invalid_request", 900561, "The endpoint only accepts POST requests.")
		return
	}
	if err := r.ParseForm(); err != nil {
		writeAADError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.")
		return
	}
	rec.Scope = r.PostForm.Get("scope")
	if !s.knownTenant(tenant) {
		writeAADError(w, http.StatusBadRequest, "invalid_tenant", 90002,
			fmt.Sprintf("Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.", tenant))
		return
	}
	if gt := r.PostForm.Get("grant_type"); gt != "client_credentials" {
		writeAADError(w, http.StatusBadRequest, "unsupported_grant_type", 70003, fmt.Sprintf("The app requested an unsupported grant type '%s'.", gt))
		return
	}
	clientID := r.PostForm.Get("client_id")
	secret := r.PostForm.Get("client_secret")
	if clientID == "" || secret == "" {
		// MSAL may send confidential credentials as HTTP Basic auth.
		if id, pw, ok := r.BasicAuth(); ok {
			clientID, secret = id, pw
		}
	}
	assertion := r.PostForm.Get("client_assertion")
	rec.AssertionType = r.PostForm.Get("client_assertion_type")
	s.mu.Lock()
	wantID, wantSecret, wantAssertion := s.opts.ClientID, s.opts.ClientSecret, s.opts.RequireAssertion
	s.mu.Unlock()
	if clientID == "" || (wantID != "" && !strings.EqualFold(clientID, wantID)) {
		writeAADError(w, http.StatusBadRequest, "unauthorized_client", 700016,
			fmt.Sprintf("Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.", clientID, tenant))
		return
	}
	if wantAssertion != "" {
		if !checkAssertion(w, clientID, secret, rec.AssertionType, assertion, wantAssertion) {
			return
		}
	} else if assertion == "" && (secret == "" || (wantSecret != "" && secret != wantSecret)) {
		writeAADError(w, http.StatusUnauthorized, "invalid_client", 7000215,
			fmt.Sprintf("Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.", clientID))
		return
	}
	if !strings.Contains(rec.Scope, "/.default") {
		writeAADError(w, http.StatusBadRequest, "invalid_scope", 1002012,
			fmt.Sprintf("The provided value for scope %s is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).", rec.Scope))
		return
	}
	tok := randomHex(32)
	s.mu.Lock()
	s.tokens[tok] = true
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"token_type":     "Bearer",
		"expires_in":     3599,
		"ext_expires_in": 3599,
		"access_token":   tok,
	})
}

func writeAADError(w http.ResponseWriter, status int, code string, aadsts int, desc string) {
	trace, corr := uuidLike(), uuidLike()
	ts := time.Now().UTC().Format("2006-01-02 15:04:05Z")
	writeJSON(w, status, map[string]any{
		"error": code,
		"error_description": fmt.Sprintf("AADSTS%d: %s Trace ID: %s Correlation ID: %s Timestamp: %s",
			aadsts, desc, trace, corr, ts),
		"error_codes":    []int{aadsts},
		"timestamp":      ts,
		"trace_id":       trace,
		"correlation_id": corr,
		"error_uri":      fmt.Sprintf("https://login.microsoftonline.com/error?code=%d", aadsts),
	})
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

func uuidLike() string {
	h := randomHex(16)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
