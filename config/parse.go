package config

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Config is a validated set of settings for one run, in plain values. The
// inputs whose grammar another package owns are not here (see the package
// comment): the glue parses them from the raw values.
type Config struct {
	TenantID     string
	ClientID     string
	ClientSecret string
	// Cloud is azure-cloud, one of Clouds. AuthorityHost and GraphURL are
	// the endpoint inputs when set to something other than the public
	// default (which then wins over the cloud's), else "": the cloud's.
	Cloud         string
	AuthorityHost string
	GraphURL      string

	MattermostURL   string
	MattermostToken string

	DryRun        bool
	ManageAdmins  bool
	IgnoreUsers   []string
	WelcomeEmail  bool
	AdoptExisting bool
	// AdoptUnverified is adopt-existing: any (AdoptExisting is then true).
	AdoptUnverified  bool
	Deactivate       bool
	Reactivate       Reactivate
	ReleaseAddresses bool
	// LinkKeyEntries are the entries of link-key, newest first: each a key
	// of at least 16 characters, or DerivedKeyEntry for the key derived from
	// mattermost-token. Empty means that derived key alone. One entry is
	// the input exactly as given (a secret stored with a trailing newline
	// keeps verifying its links).
	LinkKeyEntries []string
	// Instance names this sync when several run against one server (""
	// = the unnamed instance); ClaimUnnamedLinks moves the unnamed
	// instance's links to it (the one run that names an existing sync).
	Instance          string
	ClaimUnnamedLinks bool

	Groups        []string // group ids or display names limiting the scope
	UserFilter    string
	IncludeGuests bool
	OnlyUsers     []string
	// Teams are the teams input, lower-cased (team URL names are).
	Teams              []string
	RemoveFromTeams    bool
	RemoveFromChannels bool

	ReportPath    string
	Workers       int
	CreateWorkers int

	// Onboarding (issue 14): how new people learn to sign in, from which
	// mailbox graph-mail sends, its mail's template text ("" = the
	// default), and which accounts are onboarded.
	Onboarding         Onboarding
	OnboardingSender   string
	OnboardingTemplate string
	Onboard            OnboardScope

	// Audience is the GitHub OIDC audience used when ClientSecret is empty.
	Audience      string
	WebhookURL    string
	WebhookSecret string

	// PlanOut, ApplyPlan and PlanMaxAge are issue 17's saved-plan inputs
	// (config/plan.go).
	PlanOut    string
	ApplyPlan  string
	PlanMaxAge time.Duration
}

// Reactivate is the reactivate input. Its values are the planner's
// (sync.ReactivatePolicy), repeated because config is a leaf;
// TestConfigValuesAreThePlanners (internal/cli's settings_test.go) keeps
// them equal.
type Reactivate string

// The values of reactivate.
const (
	ReactivateBySync Reactivate = "deactivated-by-sync"
	ReactivateAny    Reactivate = "any"
	ReactivateNever  Reactivate = "never"
)

// Onboarding is the onboarding input. Its values are sync.Onboarding's,
// repeated because config is a leaf; TestConfigValuesAreThePlanners keeps
// them equal.
type Onboarding string

// The values of onboarding.
const (
	OnboardingNone       Onboarding = "none"
	OnboardingResetEmail Onboarding = "reset-email"
	OnboardingGraphMail  Onboarding = "graph-mail"
)

// OnboardScope is the onboard input, with sync.OnboardScope's values (kept
// equal as Onboarding's are).
type OnboardScope string

// The values of onboard.
const (
	OnboardNew           OnboardScope = "new"
	OnboardNewAndAdopted OnboardScope = "new-and-adopted"
)

// Clouds are the values of azure-cloud (entra.CloudEndpoints knows each).
func Clouds() []string { return []string{"public", "usgovernment", "china"} }

// Error is a problem with one input. Callers print it as an annotation.
type Error struct {
	Input string
	Env   string
	Msg   string
}

func (e *Error) Error() string {
	return fmt.Sprintf("input %s (%s): %s", e.Input, e.Env, e.Msg)
}

// Invalid is the error for the input name, with its environment variable
// from the option table: for the glue, whose parsers are not this package's.
func Invalid(name, format string, args ...any) *Error {
	return &Error{Input: name, Env: envOf(name), Msg: fmt.Sprintf(format, args...)}
}

// Errors collects every invalid input, so an admin fixes them in one go.
type Errors []*Error

func (es Errors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

// Sort orders es as the option table lists their inputs (stable: two
// errors of one input keep their order).
func (es Errors) Sort() {
	rank := map[string]int{}
	for i, o := range options {
		rank[o.Name] = i
	}
	slices.SortStableFunc(es, func(a, b *Error) int { return rank[a.Input] - rank[b.Input] })
}

// Parse validates raw values into a Config. On invalid input it returns
// Errors (sorted) together with a Config that holds every valid value, so
// that the glue can add its own errors to the same list; a Config returned
// with an error must not be run with.
func Parse(vals map[string]string) (*Config, error) {
	var errs Errors
	bad := func(name, format string, args ...any) { errs = append(errs, Invalid(name, format, args...)) }
	for _, o := range options {
		if o.Required && vals[o.Name] == "" {
			bad(o.Name, "is required but empty; in a workflow pass it with `with:` (secrets via ${{ secrets.… }}), on the command line set --%s or %s", o.Name, o.Env)
		}
	}
	c := &Config{
		TenantID:        vals["azure-tenant-id"],
		ClientID:        vals["azure-client-id"],
		ClientSecret:    vals["azure-client-secret"],
		MattermostToken: vals["mattermost-token"],
		ReportPath:      vals["report-path"],
		IgnoreUsers:     SplitList(vals["ignore-users"]),
	}
	if v := c.TenantID; v != "" && !guidRE.MatchString(v) && !domainRE.MatchString(v) {
		bad("azure-tenant-id", "%q is neither a tenant id (a GUID) nor a domain such as contoso.onmicrosoft.com", v)
	}
	if v := c.ClientID; v != "" && !guidRE.MatchString(v) {
		bad("azure-client-id", "%q is not a GUID; use the app registration's Application (client) ID", v)
	}
	if v := c.MattermostToken; v != "" && strings.ContainsAny(v, " \t\r\n") {
		bad("mattermost-token", "contains whitespace; paste the token alone")
	}
	var err error
	if vals["mattermost-url"] != "" {
		if c.MattermostURL, err = ParseURL(vals["mattermost-url"], false); err != nil {
			bad("mattermost-url", "%v", err)
		}
	}
	parseEndpoints(c, vals, bad)
	c.Audience, c.WebhookSecret = vals["azure-audience"], vals["report-webhook-secret"]
	if v := vals["report-webhook-url"]; v != "" {
		// A query may carry the receiver's token: it is allowed, and never
		// echoed in messages.
		if !isWebhookURL(v) {
			bad("report-webhook-url", "%q must be an absolute http:// or https:// URL", safeURL(v))
		} else {
			c.WebhookURL = v
		}
	}
	if err := checkReportPath(c.ReportPath); err != nil {
		bad("report-path", "%v", err)
	}
	switch p := Reactivate(strings.ToLower(vals["reactivate"])); p {
	case ReactivateBySync, ReactivateAny, ReactivateNever:
		c.Reactivate = p
	default:
		bad("reactivate", "%q is not one of deactivated-by-sync, any, never", vals["reactivate"])
	}
	if c.LinkKeyEntries, err = ParseLinkKeys(vals["link-key"]); err != nil {
		bad("link-key", "%v", err)
	}
	if c.Instance = strings.TrimSpace(vals["instance"]); c.Instance != "" && !instanceRE.MatchString(c.Instance) {
		bad("instance", "%q is not an instance name: 1 to 40 letters, digits, '.', '_' or '-'", c.Instance)
	}
	c.Groups, c.UserFilter, c.OnlyUsers = SplitList(vals["groups"]), vals["user-filter"], SplitList(vals["only-users"])
	for _, t := range SplitList(vals["teams"]) {
		c.Teams = append(c.Teams, strings.ToLower(t))
	}
	for name, dst := range map[string]*bool{"dry-run": &c.DryRun, "manage-admins": &c.ManageAdmins, "welcome-email": &c.WelcomeEmail,
		"deactivate": &c.Deactivate, "include-guests": &c.IncludeGuests, "remove-from-teams": &c.RemoveFromTeams,
		"release-addresses": &c.ReleaseAddresses, "remove-from-channels": &c.RemoveFromChannels, "claim-unnamed-links": &c.ClaimUnnamedLinks} {
		if *dst, err = ParseBool(vals[name]); err != nil {
			bad(name, "%v", err)
		}
	}
	if c.ClaimUnnamedLinks && c.Instance == "" {
		bad("claim-unnamed-links", "is true but instance is empty: it moves the unnamed instance's links to the instance this run names, so set instance too")
	}
	switch v := strings.ToLower(strings.TrimSpace(vals["adopt-existing"])); v {
	case "verified":
		c.AdoptExisting = true
	case "any":
		c.AdoptExisting, c.AdoptUnverified = true, true
	default:
		if c.AdoptExisting, err = ParseBool(v); err != nil || v == "" {
			bad("adopt-existing", "%q is not one of verified, any, false (true means verified)", vals["adopt-existing"])
		}
	}
	parseOnboarding(c, vals, bad)
	parsePlanInputs(c, vals, bad)
	for name, dst := range map[string]*int{"concurrency": &c.Workers, "create-concurrency": &c.CreateWorkers} {
		n, err := strconv.Atoi(vals[name])
		if err != nil || n < 1 || n > 64 {
			bad(name, "%q must be a whole number from 1 to 64", vals[name])
		}
		*dst = n
	}
	if len(errs) > 0 {
		// Map iteration order above must not decide the message order.
		errs.Sort()
		return c, errs
	}
	return c, nil
}

// parseEndpoints validates azure-cloud and the endpoint inputs. The cloud
// picks both endpoints (entra knows them); an endpoint input set to
// anything but the public default is explicit and wins.
func parseEndpoints(c *Config, vals map[string]string, bad func(name, format string, args ...any)) {
	if c.Cloud = strings.ToLower(strings.TrimSpace(vals["azure-cloud"])); c.Cloud == "" {
		c.Cloud = "public"
	}
	if !slices.Contains(Clouds(), c.Cloud) {
		bad("azure-cloud", "%q is not one of %s", vals["azure-cloud"], strings.Join(Clouds(), ", "))
	}
	for _, e := range []struct {
		name string
		dst  *string
	}{{"azure-authority-host", &c.AuthorityHost}, {"graph-url", &c.GraphURL}} {
		v := vals[e.name]
		if v == "" || strings.TrimRight(v, "/") == strings.TrimRight(defaultOf(e.name), "/") {
			continue
		}
		u, err := ParseURL(v, true)
		if err != nil {
			bad(e.name, "%v", err)
			continue
		}
		*e.dst = u
	}
	if c.AuthorityHost != "" && !strings.HasSuffix(c.AuthorityHost, "/") {
		c.AuthorityHost += "/"
	}
}

// defaultOf is the default of the input name in the option table.
func defaultOf(name string) string {
	for _, o := range options {
		if o.Name == name {
			return o.Default
		}
	}
	return ""
}

// CheckCredentials fails when there is no way to sign in to Entra ID: no
// client secret, and no GitHub OIDC token to exchange (the job lacks
// `permissions: id-token: write`, or this is not GitHub Actions).
func CheckCredentials(c *Config, getenv func(string) string) error {
	if c.ClientSecret != "" || getenv("ACTIONS_ID_TOKEN_REQUEST_URL") != "" {
		return nil
	}
	return &Error{Input: "azure-client-secret", Env: "AZURE_CLIENT_SECRET", Msg: "is empty, and no GitHub OIDC token is available to sign in without it. " +
		"Pass the client secret, or give the job `permissions: id-token: write` (and `contents: read`) and add a federated credential " +
		"for this repository to the app registration (see the README, Secretless sign-in)"}
}
