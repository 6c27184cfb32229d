// Package entra reads users (and group memberships) from Microsoft Entra ID
// through Microsoft Graph, authenticating as an application with a client
// secret. It wires msgraph-sdk-go's users request builder, models and page
// iterator onto a request adapter built here, so the SDK's root package (and
// its 80+ request-builder packages) is not compiled in.
package entra

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/internal/clock"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	abstractions "github.com/microsoft/kiota-abstractions-go"
	absser "github.com/microsoft/kiota-abstractions-go/serialization"
	khttp "github.com/microsoft/kiota-http-go"
	jsonserialization "github.com/microsoft/kiota-serialization-json-go"
	textserialization "github.com/microsoft/kiota-serialization-text-go"
	msgraphgocore "github.com/microsoftgraph/msgraph-sdk-go-core"
	coreauth "github.com/microsoftgraph/msgraph-sdk-go-core/authentication"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
)

// Defaults for Config.
const (
	DefaultAuthorityHost = "https://login.microsoftonline.com/"
	DefaultGraphURL      = "https://graph.microsoft.com/v1.0"
	DefaultMaxRetries    = 8
	// MinMaxRetries is the smallest retry budget New accepts; lower values are raised.
	MinMaxRetries = 6
	// maxMaxRetries is the largest; higher values are lowered.
	maxMaxRetries = 10
	// DefaultTimeout bounds one Graph request including its retries and
	// Retry-After waits (the retry transport runs inside the http.Client).
	DefaultTimeout = 5 * time.Minute

	// graphLibraryVersion is reported in the SdkVersion telemetry header.
	graphLibraryVersion = "1.103.0"
)

// Microsoft's public/national-cloud authority hosts: instance discovery stays on for them.
var knownAuthorityHosts = map[string]bool{
	"login.microsoftonline.com":        true,
	"login.microsoftonline.us":         true,
	"login.chinacloudapi.cn":           true,
	"login.partner.microsoftonline.cn": true,
}

// Microsoft Graph hosts: the token scope is https://<host>/.default for them.
var knownGraphHosts = map[string]bool{
	"graph.microsoft.com":             true,
	"graph.microsoft.us":              true,
	"dod-graph.microsoft.us":          true,
	"microsoftgraph.chinacloudapi.cn": true,
}

// Config says how to reach Entra ID and Graph.
type Config struct {
	TenantID     string
	ClientID     string
	ClientSecret string
	// ClientAssertion, used when ClientSecret is empty, returns a signed JWT
	// that Entra ID accepts through a federated identity credential (for
	// example a GitHub Actions OIDC token, see package ghoidc). It is called
	// whenever a new access token is needed and must be safe for concurrent use.
	ClientAssertion func(ctx context.Context) (string, error)
	// AuthorityHost is the Entra authority, default https://login.microsoftonline.com/. Must be https.
	AuthorityHost string
	// GraphURL is the Graph base URL, default https://graph.microsoft.com/v1.0. Must be https.
	GraphURL string
	// Transport carries both the token and the Graph requests; nil means the
	// default transports. Tests and the demo inject a fake's transport.
	Transport http.RoundTripper
	// MaxRetries is the retry budget of one Graph request, shared by 429,
	// 502, 503 and 504 answers and dropped connections: a request is tried
	// at most 1+MaxRetries times, waiting at most MaxRetryWait in total
	// (default 8, raised to at least 6, at most 10). Retry-After is honoured.
	// See retry.go for the policy.
	MaxRetries int
	// Progress, when set, is told of the users the users read adds, as
	// they arrive (n is how many; called from the reading goroutine).
	Progress func(n int)
	// Timeout bounds one Graph request including retries (default 5 min).
	Timeout time.Duration
	// Clock times the waits between the tries of a Graph request and reads
	// the time an HTTP-date Retry-After is taken from. Nil is the wall
	// clock; tests pass a fake one.
	Clock clock.Clock
}

// Source reads the directory through Microsoft Graph. Its methods may be
// called concurrently.
type Source struct {
	adapter *msgraphgocore.GraphRequestAdapterBase
	baseURL string
	secret  string
	cfg     Config

	// federated is true when the credential is a client assertion.
	federated bool
	assertion *assertionState
}

var registerOnce sync.Once

// registerPageErrors makes the page iterator decode next-page error bodies as
// ODataError (by default it has no error mapping and loses code and message).
func registerPageErrors() {
	registerOnce.Do(func() {
		_ = msgraphgocore.RegisterError(msgraphgocore.PageIteratorErrorRegistryKey, errorMapping())
	})
}

func errorMapping() abstractions.ErrorMappings {
	return abstractions.ErrorMappings{"XXX": odataerrors.CreateODataErrorFromDiscriminatorValue}
}

// New builds a Source. It validates the configuration but does not contact
// Entra: the first token is requested by the first Graph call.
func New(cfg Config) (*Source, error) {
	if strings.TrimSpace(cfg.TenantID) == "" {
		return nil, &AuthError{Message: "no tenant id", Hint: "set azure-tenant-id to the Directory (tenant) ID of the app registration"}
	}
	if strings.TrimSpace(cfg.ClientID) == "" {
		return nil, &AuthError{Message: "no client id", Hint: "set azure-client-id to the Application (client) ID of the app registration"}
	}
	if cfg.ClientSecret == "" && cfg.ClientAssertion == nil {
		return nil, &AuthError{Message: "no client secret and no client assertion", Hint: hintNoCredential}
	}
	if cfg.AuthorityHost == "" {
		cfg.AuthorityHost = DefaultAuthorityHost
	}
	if cfg.GraphURL == "" {
		cfg.GraphURL = DefaultGraphURL
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = DefaultMaxRetries
	}
	cfg.MaxRetries = max(cfg.MaxRetries, MinMaxRetries)
	cfg.MaxRetries = min(cfg.MaxRetries, maxMaxRetries)
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}

	authority, err := url.Parse(cfg.AuthorityHost)
	if err != nil || authority.Scheme != "https" || authority.Hostname() == "" {
		return nil, fmt.Errorf("entra: azure-authority-host %q must be an https URL such as %s", cfg.AuthorityHost, DefaultAuthorityHost)
	}
	if !strings.HasSuffix(cfg.AuthorityHost, "/") {
		cfg.AuthorityHost += "/"
	}
	baseURL := strings.TrimRight(cfg.GraphURL, "/")
	graphURL, err := url.Parse(baseURL)
	if err != nil || graphURL.Scheme != "https" || graphURL.Hostname() == "" {
		return nil, fmt.Errorf("entra: graph-url %q must be an https URL such as %s", cfg.GraphURL, DefaultGraphURL)
	}
	graphHost := strings.ToLower(graphURL.Hostname())

	tokenTransport := cfg.Transport
	if tokenTransport == nil {
		tokenTransport = http.DefaultTransport.(*http.Transport).Clone()
	}
	clientOpts := azcore.ClientOptions{
		Cloud: cloud.Configuration{ActiveDirectoryAuthorityHost: cfg.AuthorityHost},
		// Token requests retry in newTokenRetry (retry.go), on cfg.Clock.
		Retry:     policy.RetryOptions{MaxRetries: -1},
		Transport: &http.Client{Transport: newTokenRetry(tokenTransport, cfg.Clock), Timeout: cfg.Timeout},
	}
	disableDiscovery := !knownAuthorityHosts[strings.ToLower(authority.Hostname())]
	var (
		cred      azcore.TokenCredential
		assertion *assertionState
	)
	if cfg.ClientSecret != "" {
		cred, err = azidentity.NewClientSecretCredential(cfg.TenantID, cfg.ClientID, cfg.ClientSecret,
			&azidentity.ClientSecretCredentialOptions{ClientOptions: clientOpts, DisableInstanceDiscovery: disableDiscovery})
	} else {
		assertion = &assertionState{get: cfg.ClientAssertion}
		cred, err = azidentity.NewClientAssertionCredential(cfg.TenantID, cfg.ClientID, assertion.call,
			&azidentity.ClientAssertionCredentialOptions{ClientOptions: clientOpts, DisableInstanceDiscovery: disableDiscovery})
	}
	if err != nil {
		return nil, redact(&AuthError{Message: err.Error(),
			Hint: "check azure-tenant-id: it must be the Directory (tenant) ID (a GUID) or a verified domain name"}, cfg.ClientSecret)
	}

	scope := "https://graph.microsoft.com/.default"
	if knownGraphHosts[graphHost] {
		scope = "https://" + graphHost + "/.default"
	}
	auth, err := coreauth.NewAzureIdentityAuthenticationProviderWithScopesAndValidHosts(cred, []string{scope}, []string{graphHost})
	if err != nil {
		return nil, fmt.Errorf("entra: %w", err)
	}

	options := msgraphgocore.GraphClientOptions{GraphServiceLibraryVersion: graphLibraryVersion}
	parent := cfg.Transport
	if parent == nil {
		parent = khttp.GetDefaultTransport()
	}
	hc := &http.Client{
		// graphRetry is the only retry layer (see retry.go): kiota's own
		// RetryHandler is taken out of the SDK's middleware.
		Transport: khttp.NewCustomTransportWithParentTransport(newGraphRetry(parent, cfg.MaxRetries, cfg.Clock),
			withoutRetryHandler(msgraphgocore.GetDefaultMiddlewaresWithOptions(&options))...),
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
		Timeout: cfg.Timeout,
	}

	parsers := absser.NewParseNodeFactoryRegistry()
	parsers.ContentTypeAssociatedFactories["application/json"] = jsonserialization.NewJsonParseNodeFactory()
	parsers.ContentTypeAssociatedFactories["text/plain"] = textserialization.NewTextParseNodeFactory()
	// Writers serialise request bodies: sendMail's message (mail.go).
	writers := absser.NewSerializationWriterFactoryRegistry()
	writers.ContentTypeAssociatedFactories["application/json"] = jsonserialization.NewJsonSerializationWriterFactory()
	adapter, err := msgraphgocore.NewGraphRequestAdapterBaseWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(
		auth, options, parsers, writers, hc)
	if err != nil {
		return nil, fmt.Errorf("entra: %w", err)
	}
	adapter.SetBaseUrl(baseURL)
	registerPageErrors()
	return &Source{adapter: adapter, baseURL: baseURL, secret: cfg.ClientSecret, cfg: cfg,
		federated: assertion != nil, assertion: assertion}, nil
}

// withoutRetryHandler drops kiota's RetryHandler from a middleware chain.
func withoutRetryHandler(ms []khttp.Middleware) []khttp.Middleware {
	out := ms[:0:0]
	for _, m := range ms {
		switch m.(type) {
		case *khttp.RetryHandler, khttp.RetryHandler:
			continue
		}
		out = append(out, m)
	}
	return out
}

// countingAdapter counts the pages the iterator fetched successfully.
type countingAdapter struct {
	abstractions.RequestAdapter
	pages *int
}

func (a countingAdapter) Send(ctx context.Context, ri *abstractions.RequestInformation, f absser.ParsableFactory, m abstractions.ErrorMappings) (absser.Parsable, error) {
	res, err := a.RequestAdapter.Send(ctx, ri, f, m)
	if err == nil {
		*a.pages++
	}
	return res, err
}

// IncompleteReadError reports a listing that failed part-way (or on its first
// page). Nothing read before the failure is returned: callers must not act on
// a partial directory. Err is the classified cause (*AuthError, *GraphError, …).
type IncompleteReadError struct {
	What  string // "users", "group members", "groups"
	Pages int    // pages read successfully before the failure
	Users int    // items read successfully before the failure
	Err   error
}

func (e *IncompleteReadError) Error() string {
	if e.Pages == 0 {
		return e.Err.Error()
	}
	what := e.What
	if what == "" {
		what = "users"
	}
	return fmt.Sprintf("incomplete read of Entra %s (failed after %d page(s), %d read; the partial list was discarded): %v",
		what, e.Pages, e.Users, e.Err)
}

func (e *IncompleteReadError) Unwrap() error { return e.Err }

// ErrMissingID is the cause of an IncompleteReadError when Graph returned an
// object without an id.
var ErrMissingID = errors.New("an object from Microsoft Graph has no id")
