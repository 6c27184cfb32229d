// Package scale holds what the scale benchmarks share: a synthetic tenant in
// the fakes with realistic latency, and the reference strategy the product
// replaces (one lookup by email and one patch or create per directory user,
// one after another), so that both can be measured against the same servers.
// It is used by e2e/run's scale_test.go (Go benchmarks) and by the
// measurement command cmd/scale.
package scale

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/entra"
	fakegraph "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/graph"
	fakemm "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/mattermost"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/mattermost"
	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
)

// Credentials of the synthetic tenant and server.
const (
	TenantID     = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	ClientID     = "11111111-2222-4333-8444-555555555555"
	ClientSecret = "scale~Secret.0123456789abcdefghij"
	AdminToken   = "scaleadmintoken0123456789a"
)

// Latency is what the fakes add to each request.
type Latency struct {
	// Graph is added to every Graph and token request.
	Graph time.Duration
	// Request is added to every Mattermost request.
	Request time.Duration
	// Create is added to each Mattermost user create, on top of Request:
	// the server hashing the new password.
	Create time.Duration
}

// Realistic is the latency the figures use unless stated otherwise: a few
// milliseconds per request on a LAN or in one cloud region, and tens of
// milliseconds per create (bcrypt of the password on the server).
func Realistic() Latency {
	return Latency{Graph: 20 * time.Millisecond, Request: 3 * time.Millisecond, Create: 30 * time.Millisecond}
}

// Env is a tenant of n generated users in a fake Entra ID/Graph and a fake
// Mattermost that holds only the token owner.
type Env struct {
	Graph *fakegraph.Server
	MM    *fakemm.Server
	Users []fakegraph.User
}

// Start starts the fakes with n users (fakegraph.GenerateUsers: every tenth
// disabled, so 90 % of them get an account).
func Start(n int, l Latency) *Env {
	users := fakegraph.GenerateUsers(n)
	g := fakegraph.New(fakegraph.Options{TenantID: TenantID, ClientID: ClientID, ClientSecret: ClientSecret,
		Users: users, Latency: l.Graph})
	mm := fakemm.New(fakemm.Options{AdminToken: AdminToken, AdminUsername: "sysadmin",
		AdminEmail: "sysadmin@contoso.example", ServerVersion: "11.1.0", Latency: l.Request, CreateLatency: l.Create})
	return &Env{Graph: g, MM: mm, Users: users}
}

// Close stops the fakes.
func (e *Env) Close() {
	e.Graph.Close()
	e.MM.Close()
}

// SetLatency changes the fakes' latency.
func (e *Env) SetLatency(l Latency) {
	e.MM.SetLatency(l.Request, l.Create)
	e.Graph.SetLatency(l.Graph)
}

// ResetCounters zeroes both fakes' request counters.
func (e *Env) ResetCounters() {
	e.MM.ResetCounters()
	e.Graph.ResetCounters()
}

// Env returns the environment variables that point the product (the CLI)
// at the fakes. The Graph fake's certificate must be trusted separately
// (SSL_CERT_FILE, or the transport from e.Graph.Transport()).
func (e *Env) Env(reportPath string) map[string]string {
	return map[string]string{
		"AZURE_TENANT_ID":      TenantID,
		"AZURE_CLIENT_ID":      ClientID,
		"AZURE_CLIENT_SECRET":  ClientSecret,
		"MM_API_BASE_URL":      e.MM.URL(),
		"MM_ADMIN_TOKEN":       AdminToken,
		"AZURE_AUTHORITY_HOST": e.Graph.AuthorityHost(),
		"GRAPH_URL":            e.Graph.GraphURL(),
		"REPORT_PATH":          reportPath,
		"DRY_RUN":              "false",
	}
}

// Requests are the request counts of one run, per endpoint.
type Requests struct {
	Graph map[string]int
	MM    map[string]int
}

// Counts reads both fakes' counters.
func (e *Env) Counts() Requests {
	g := e.Graph.Requests()
	delete(g, "GET /openid-configuration")
	return Requests{Graph: g, MM: e.MM.Requests()}
}

// MMTotal is the number of Mattermost requests.
func (r Requests) MMTotal() int { return sum(r.MM) }

// GraphTotal is the number of Graph and token requests.
func (r Requests) GraphTotal() int { return sum(r.Graph) }

// MMWrites is the number of Mattermost POST/PUT/DELETE requests.
func (r Requests) MMWrites() int {
	n := 0
	for k, v := range r.MM {
		if !strings.HasPrefix(k, "GET ") {
			n += v
		}
	}
	return n
}

// Format lists the counts, largest first: "GET /api/v4/users 51, ...".
func Format(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("`%s` %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// ReferenceResult is what one reference run did.
type ReferenceResult struct {
	Directory, Looked, Created, Patched, Skipped, Failed int
	// Read is the time spent reading the directory, Lookups the time in
	// GET /users/email, Writes the time in creates and patches.
	Read, Lookups, Writes time.Duration
	FirstError            error
}

// ReferencePassword is the one fixed password the old script gave every new
// account (kept here only to reproduce its cost; the product generates one
// per account).
const ReferencePassword = "Welcome-2024!"

// Reference runs the strategy the product replaces against the fakes: read
// the directory, then for each enabled user with an address, one after
// another, GET /users/email/{email} and then PUT /users/{id}/patch with the
// profile (whether or not it changed) or, when there is no account, POST
// /users with the fixed password. graphTransport must trust the Graph fake
// (nil: e.Graph.Transport()).
func Reference(ctx context.Context, e *Env, graphTransport http.RoundTripper) (ReferenceResult, error) {
	var res ReferenceResult
	if graphTransport == nil {
		graphTransport = e.Graph.Transport()
	}
	src, err := entra.New(entra.Config{TenantID: TenantID, ClientID: ClientID, ClientSecret: ClientSecret,
		AuthorityHost: e.Graph.AuthorityHost(), GraphURL: e.Graph.GraphURL(), Transport: graphTransport})
	if err != nil {
		return res, err
	}
	mm, err := mattermost.New(e.MM.URL(), AdminToken, mattermost.Options{UserAgent: "reference-script"})
	if err != nil {
		return res, err
	}
	start := time.Now()
	users, err := src.ListUsers(ctx)
	if err != nil {
		return res, err
	}
	res.Read = time.Since(start)
	res.Directory = len(users)
	for _, u := range users {
		email := referenceEmail(u)
		if u.AccountEnabled != mmsync.BoolTrue || email == "" {
			res.Skipped++
			continue
		}
		t0 := time.Now()
		acct, err := mm.GetUserByEmail(ctx, email)
		res.Lookups += time.Since(t0)
		res.Looked++
		t1 := time.Now()
		switch {
		case err == nil:
			_, err = mm.PatchUser(ctx, acct.ID, mattermost.UserPatch{Nickname: &u.DisplayName,
				FirstName: &u.GivenName, LastName: &u.Surname, Position: &u.JobTitle})
			if err == nil {
				res.Patched++
			}
		case errors.Is(err, mmsync.ErrNotFound):
			_, err = mm.CreateUser(ctx, mattermost.User{Username: referenceUsername(email), Email: email,
				Password: ReferencePassword, Nickname: u.DisplayName, FirstName: u.GivenName,
				LastName: u.Surname, Position: u.JobTitle})
			if err == nil {
				res.Created++
			}
		}
		res.Writes += time.Since(t1)
		if err != nil {
			res.Failed++
			if res.FirstError == nil {
				res.FirstError = err
			}
		}
	}
	return res, nil
}

func referenceEmail(u mmsync.DirectoryUser) string {
	if u.Mail != "" {
		return strings.ToLower(u.Mail)
	}
	if strings.Contains(u.UserPrincipalName, "@") && !strings.Contains(u.UserPrincipalName, "#EXT#") {
		return strings.ToLower(u.UserPrincipalName)
	}
	return ""
}

// referenceUsername is the old script's rule: the address's local part,
// lower-cased, with the characters Mattermost refuses dropped.
func referenceUsername(email string) string {
	local, _, _ := strings.Cut(email, "@")
	var b strings.Builder
	for _, r := range strings.ToLower(local) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
