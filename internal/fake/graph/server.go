// Package fakegraph is an in-process look-alike of the Microsoft Entra ID token
// endpoint and the parts of Microsoft Graph v1.0 the sync reads. It runs on an
// httptest TLS server bound to 127.0.0.1 and is used by tests and by the
// product's built-in demo.
//
// Endpoints:
//
//	GET  /{tenant}/v2.0/.well-known/openid-configuration
//	POST /{tenant}/oauth2/v2.0/token                      (client_credentials)
//	GET  /v1.0/users                                      ($top, $select, $filter, $skiptoken)
//	GET  /v1.0/users/{id}
//	GET  /v1.0/groups                                     ($filter=displayName eq '...')
//	GET  /v1.0/groups/{id}
//	GET  /v1.0/groups/{id}/members[/microsoft.graph.user|/graph.user]
//	GET  /v1.0/groups/{id}/transitiveMembers[/microsoft.graph.user|/graph.user] (the cast only as an advanced query)
//	GET  /v1.0/directory/deletedItems/microsoft.graph.user  ($top, $select, $filter, $skiptoken)
//	POST /v1.0/users/{id}/sendMail                        (mail.go)
//
// Graph endpoints require "Authorization: Bearer <token issued by this server>".
//
// Its routes repeat one shape (find the object, else writeNotFound; select
// the properties; add @odata.context), each with its own entity set and
// properties, as Graph's own routes differ. Its handlers, knobs and Chaos
// follow fakemm's shapes (decode, validate, lock, answer; one setter a knob)
// without sharing code: each fake answers in its own server's words (OData
// errors here, AppErrors there), and the fakes import nothing but
// internal/clock (layers_test.go).
package fakegraph

import (
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	mrand "math/rand"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options configures a Server. Empty TenantID, ClientID or ClientSecret mean
// "accept any value".
type Options struct {
	TenantID     string
	ClientID     string
	ClientSecret string

	// RequireAssertion, when set, makes the token endpoint accept only a
	// client assertion (client_assertion_type
	// urn:ietf:params:oauth:client-assertion-type:jwt-bearer) equal to this
	// string, as an app registration with only a federated credential does.
	// Anything else gets the AADSTS error Entra ID gives: a secret
	// AADSTS7000215, no assertion AADSTS7000218, a wrong assertion type
	// AADSTS90014, a JWT whose exp has passed AADSTS700024, a non-JWT
	// AADSTS50027, any other assertion AADSTS700213 (naming its sub).
	RequireAssertion string

	// Users are the directory's users. A property that is nil or absent is
	// served as null, e.g. User{"id": …, "accountEnabled": nil}.
	Users  []User
	Groups []Group
	// DeletedUsers are users in the deleted items, given as they were
	// before the deletion: the fake rewrites their userPrincipalName as
	// Graph does (see DeletedUPN) and sets deletedDateTime.
	DeletedUsers []User

	// Forbidden makes /users answer 403 Authorization_RequestDenied (the app
	// lacks User.Read.All). ForbiddenGroups does the same for /groups
	// endpoints, ForbiddenDeletedUsers for the deleted users listing.
	Forbidden             bool
	ForbiddenGroups       bool
	ForbiddenDeletedUsers bool

	// ThrottleRate is the fraction (0..1) of Graph requests answered 429, drawn
	// from a generator seeded with Seed. ThrottleRetryAfter is the Retry-After
	// value in seconds for those answers (default 1).
	ThrottleRate       float64
	ThrottleRetryAfter int
	Seed               int64

	// Latency is added before every answer.
	Latency time.Duration

	// Chaos makes a random share of requests fail (see Chaos); SetChaos
	// changes it later.
	Chaos Chaos

	// ErrorLog receives the HTTP server's own errors (TLS handshake
	// failures, …); nil discards them.
	ErrorLog *log.Logger
}

// Request is one request the server answered. Secrets are never recorded.
type Request struct {
	Key    string // counter key, e.g. "GET /v1.0/users"
	Method string
	Path   string
	Query  map[string][]string
	Status int
	Scope  string // token requests: the requested scope
	Auth   bool   // Graph requests: carried a valid bearer token
	// Token requests: the client_assertion_type sent, if any (the assertion
	// itself is never recorded).
	AssertionType string
}

type pageFault struct {
	status     int
	retryAfter int // <0: no header
}

// Server is a running fake. All methods are safe for concurrent use.
type Server struct {
	srv *httptest.Server

	mu              sync.Mutex
	opts            Options
	users           []User
	groups          []Group
	tokens          map[string]bool
	counts          map[string]int
	log             []Request
	throttleN       int
	throttleAfter   int
	throttleStatus  int
	pageFaults      map[int]pageFault
	rnd             *mrand.Rand
	forbidden       bool
	forbiddenGroups bool
	// deleted holds the deleted items' users as served (UPN prefixed).
	deleted          []User
	forbiddenDeleted bool
	chaos            Chaos
	chaosCounts      map[string]int
	// lagging are the users lagging listings leave out (see SetLagging).
	lagging map[string]bool
	// mail holds sendMail's deliveries and faults (mail.go).
	mail mailState
	// batchThrottle throttles requests inside JSON batches (batch.go).
	batchThrottle batchThrottle
}

// New starts a fake on 127.0.0.1 over TLS. Call Close when done.
func New(opts Options) *Server {
	s := &Server{
		opts:             opts,
		users:            append([]User(nil), opts.Users...),
		groups:           append([]Group(nil), opts.Groups...),
		tokens:           map[string]bool{},
		counts:           map[string]int{},
		pageFaults:       map[int]pageFault{},
		rnd:              mrand.New(mrand.NewSource(opts.Seed)),
		forbidden:        opts.Forbidden,
		forbiddenGroups:  opts.ForbiddenGroups,
		forbiddenDeleted: opts.ForbiddenDeletedUsers,
		chaos:            opts.Chaos,
		chaosCounts:      map[string]int{},
	}
	now := time.Now()
	for _, u := range opts.DeletedUsers {
		s.deleted = append(s.deleted, deletedCopy(u, now))
	}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.srv.Config.ErrorLog = opts.ErrorLog
	if s.srv.Config.ErrorLog == nil {
		s.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	}
	s.srv.StartTLS()
	return s
}

// URL is the server's base URL, e.g. https://127.0.0.1:41234.
func (s *Server) URL() string { return s.srv.URL }

// AuthorityHost is the value for azidentity's ActiveDirectoryAuthorityHost.
func (s *Server) AuthorityHost() string { return s.srv.URL + "/" }

// GraphURL is the Graph base URL (…/v1.0).
func (s *Server) GraphURL() string { return s.srv.URL + "/v1.0" }

// Client returns an http.Client that trusts the server's certificate.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Transport returns a RoundTripper that trusts the server's certificate.
func (s *Server) Transport() http.RoundTripper { return s.srv.Client().Transport }

// CertPEM returns the server certificate in PEM form, for SSL_CERT_FILE.
func (s *Server) CertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.srv.Certificate().Raw})
}

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// ---- HTTP handling ----

// statusWriter records the request (counters and log) when the status is
// written, i.e. before the client can see the answer.
type statusWriter struct {
	http.ResponseWriter
	s        *Server
	rec      *Request
	recorded bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.recorded {
		w.recorded = true
		w.rec.Status = code
		w.s.record(*w.rec)
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.recorded {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

func (s *Server) record(rec Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[rec.Key]++
	s.log = append(s.log, rec)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	rec := &Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Key: r.Method + " " + r.URL.Path}
	sw := &statusWriter{ResponseWriter: w, s: s, rec: rec}

	s.mu.Lock()
	latency := s.opts.Latency
	s.mu.Unlock()
	if latency > 0 {
		select {
		case <-time.After(latency):
		case <-r.Context().Done():
			s.record(*rec)
			return
		}
	}

	if s.chaotic(sw, r, rec) {
		return
	}
	s.route(sw, r, rec)
	if !sw.recorded {
		sw.WriteHeader(http.StatusOK)
	}
}

func (s *Server) route(w http.ResponseWriter, r *http.Request, rec *Request) {
	p := r.URL.Path
	segs := strings.Split(strings.Trim(p, "/"), "/")
	rec.Key = r.Method + " " + p

	// Identity endpoints.
	if strings.HasSuffix(p, "/.well-known/openid-configuration") {
		rec.Key = "GET /openid-configuration"
		s.openIDConfig(w, r, segs[0])
		return
	}
	if len(segs) >= 3 && segs[len(segs)-1] == "token" && segs[len(segs)-2] == "v2.0" && segs[len(segs)-3] == "oauth2" {
		rec.Key = "POST /token"
		s.token(w, r, segs[0], rec)
		return
	}
	if segs[0] != "v1.0" {
		writeODataError(w, http.StatusNotFound, "Request_ResourceNotFound", "Unknown path "+p)
		return
	}

	// sendMail (mail.go) keeps its own faults and permission.
	if len(segs) == 4 && segs[1] == "users" && strings.EqualFold(segs[3], "sendMail") && r.Method == http.MethodPost {
		rec.Key = "POST /v1.0/users/{id}/sendMail"
		if !s.authorized(r) {
			writeODataError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token is empty.")
			return
		}
		rec.Auth = true
		s.sendMail(w, r, segs[2])
		return
	}
	// The POST endpoints: JSON batching and checkMemberGroups.
	if r.Method == http.MethodPost {
		switch {
		case len(segs) == 2 && segs[1] == "$batch":
			rec.Key = "POST /v1.0/$batch"
		case len(segs) == 4 && segs[1] == "users" && strings.EqualFold(segs[3], "checkMemberGroups"):
			rec.Key = "POST /v1.0/users/{id}/checkMemberGroups"
		default:
			writeODataError(w, http.StatusMethodNotAllowed, "Request_BadRequest", "Method not allowed in this fake.")
			return
		}
		if !s.authorized(r) {
			writeODataError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token is empty.")
			return
		}
		rec.Auth = true
		if s.throttled(w) {
			return
		}
		s.mu.Lock()
		forbidden := s.forbidden
		s.mu.Unlock()
		switch {
		case forbidden && rec.Key != "POST /v1.0/$batch":
			writeODataError(w, http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
		case rec.Key == "POST /v1.0/$batch":
			s.batch(w, r)
		default:
			s.checkMemberGroups(w, r, segs[2])
		}
		return
	}

	// Graph endpoints.
	switch {
	case len(segs) == 2 && segs[1] == "users":
		rec.Key = "GET /v1.0/users"
	case len(segs) == 3 && segs[1] == "users":
		rec.Key = "GET /v1.0/users/{id}"
	case len(segs) == 2 && segs[1] == "groups":
		rec.Key = "GET /v1.0/groups"
	case len(segs) == 3 && segs[1] == "groups":
		rec.Key = "GET /v1.0/groups/{id}"
	case len(segs) >= 4 && segs[1] == "groups" && (segs[3] == "members" || segs[3] == "transitiveMembers"):
		rec.Key = "GET /v1.0/groups/{id}/" + segs[3]
	case len(segs) >= 3 && strings.EqualFold(segs[1], "directory") && strings.EqualFold(segs[2], "deletedItems"):
		// Graph's paths are case-insensitive; Microsoft's docs spell this
		// one both deletedItems and deleteditems.
		rec.Key = "GET /v1.0/directory/deletedItems"
		if len(segs) == 4 && strings.EqualFold(segs[3], "microsoft.graph.user") {
			rec.Key += "/microsoft.graph.user"
		}
	default:
		writeODataError(w, http.StatusBadRequest, "BadRequest", "Resource not found for the segment '"+segs[len(segs)-1]+"'.")
		return
	}
	if r.Method != http.MethodGet {
		writeODataError(w, http.StatusMethodNotAllowed, "Request_BadRequest", "Method not allowed in this fake.")
		return
	}
	if !s.authorized(r) {
		msg := "Access token is empty."
		if r.Header.Get("Authorization") != "" {
			msg = "Invalid token."
		}
		writeODataError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", msg)
		return
	}
	rec.Auth = true
	if s.throttled(w) {
		return
	}
	s.mu.Lock()
	var forbidden bool
	switch {
	case segs[1] == "groups":
		forbidden = s.forbiddenGroups
	case strings.EqualFold(segs[1], "directory"):
		forbidden = s.forbiddenDeleted
	default:
		forbidden = s.forbidden
	}
	s.mu.Unlock()
	if forbidden {
		writeODataError(w, http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
		return
	}

	switch rec.Key {
	case "GET /v1.0/users":
		s.mu.Lock()
		items := make([]map[string]any, 0, len(s.users))
		lag := advancedQuery(r) // served from the index, which can lag
		for _, u := range s.users {
			if !lag || !s.lagging[strings.ToLower(u.ID())] {
				items = append(items, u)
			}
		}
		s.mu.Unlock()
		s.list(w, r, "users", items, defaultUserProps)
	case "GET /v1.0/users/{id}":
		u, ok := s.findUser(segs[2])
		if !ok {
			writeNotFound(w, segs[2])
			return
		}
		sel, err := selection(r, defaultUserProps)
		if err != nil {
			writeODataError(w, http.StatusBadRequest, "BadRequest", err.Error())
			return
		}
		out := project(u, sel)
		out["@odata.context"] = s.srv.URL + "/v1.0/$metadata#users/$entity"
		writeJSON(w, http.StatusOK, out)
	case "GET /v1.0/groups":
		s.mu.Lock()
		items := make([]map[string]any, len(s.groups))
		for i, g := range s.groups {
			items[i] = groupJSON(g)
		}
		s.mu.Unlock()
		s.list(w, r, "groups", items, defaultGroupProps)
	case "GET /v1.0/groups/{id}":
		// Alike to a user's route but apart: the sync reads a user by id
		// with $select (selection applies it) and no group by id (it lists
		// groups and their members), so a group goes whole.
		g, ok := s.findGroup(segs[2])
		if !ok {
			writeNotFound(w, segs[2])
			return
		}
		out := groupJSON(g)
		out["@odata.context"] = s.srv.URL + "/v1.0/$metadata#groups/$entity"
		writeJSON(w, http.StatusOK, out)
	case "GET /v1.0/directory/deletedItems/microsoft.graph.user", "GET /v1.0/directory/deletedItems":
		s.deletedItems(w, r, segs)
	default: // members / transitiveMembers
		s.members(w, r, segs)
	}
}

func (s *Server) authorized(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || tok == "" {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokens[tok]
}

func (s *Server) throttled(w http.ResponseWriter) bool {
	s.mu.Lock()
	status, after := 0, 0
	if s.throttleN > 0 {
		s.throttleN--
		status, after = s.throttleStatus, s.throttleAfter
	} else if s.opts.ThrottleRate > 0 && s.rnd.Float64() < s.opts.ThrottleRate {
		status, after = http.StatusTooManyRequests, s.opts.ThrottleRetryAfter
		if after == 0 {
			after = 1
		}
	}
	s.mu.Unlock()
	if status == 0 {
		return false
	}
	if after >= 0 {
		w.Header().Set("Retry-After", strconv.Itoa(after))
	}
	code, msg := "TooManyRequests", "Too many requests"
	switch status {
	case http.StatusServiceUnavailable:
		code, msg = "ServiceUnavailable", "Service unavailable"
	case http.StatusGatewayTimeout:
		code, msg = "GatewayTimeout", "Gateway timeout"
	}
	writeODataError(w, status, code, msg)
	return true
}

// writeNotFound answers 404 Request_ResourceNotFound for the object id, in
// Graph's words, as every /users/{id} and /groups/{id} route does.
func writeNotFound(w http.ResponseWriter, id string) {
	writeODataError(w, http.StatusNotFound, "Request_ResourceNotFound",
		fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", id))
}

func writeODataError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, map[string]any{
		"error": map[string]any{
			"code":    code,
			"message": message,
			"innerError": map[string]any{
				"date":              time.Now().UTC().Format("2006-01-02T15:04:05"),
				"request-id":        uuidLike(),
				"client-request-id": uuidLike(),
			},
		},
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
