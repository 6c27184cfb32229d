// Package config reads the sync's settings from command-line flags, GitHub
// Actions inputs (INPUT_* variables) and the environment variable names
// administrators already use, and validates every one of them before any
// network call. Each error names the input it is about.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/entra"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/internal/redact"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/onboard"
	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/webhook"
)

// Config is a validated set of settings for one run.
type Config struct {
	TenantID      string
	ClientID      string
	ClientSecret  string
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
	MaxDeactivations mmsync.Threshold
	MaxRemovals      mmsync.Threshold
	Reactivate       mmsync.ReactivatePolicy
	ReleaseAddresses bool
	// LinkKey signs the links from accounts to Entra objects: link-key, or
	// when that is empty, a key derived from mattermost-token.
	LinkKey []byte
	// LinkKeys are all the keys of link-key, newest first (LinkKey is the
	// first): the first signs, all verify. The entry "derived" stands for
	// the key derived from mattermost-token.
	LinkKeys [][]byte
	// Instance names this sync when several run against one server (""
	// = the unnamed instance); ClaimUnnamedLinks moves the unnamed
	// instance's links to it (the one run that names an existing sync).
	Instance          string
	ClaimUnnamedLinks bool

	Groups          []string // group ids or display names limiting the scope
	UserFilter      string
	IncludeGuests   bool
	OnlyUsers       []string
	UsernameFrom    mmsync.Attribute
	Attributes      mmsync.AttributeMap
	Teams           []string
	GroupTeams      []mmsync.GroupTeams
	RemoveFromTeams bool
	// Channels, GroupChannels and RemoveFromChannels are issue 9's channel
	// inputs; a channel mapping also implies its team.
	Channels           []mmsync.ChannelRef
	GroupChannels      []mmsync.GroupChannels
	RemoveFromChannels bool

	ReportPath    string
	Workers       int
	CreateWorkers int

	// Onboarding (issue 14): how new people learn to sign in, from which
	// mailbox graph-mail sends, its mail, and which accounts are onboarded.
	Onboarding       mmsync.Onboarding
	OnboardingSender string
	OnboardingMail   *onboard.Template
	Onboard          mmsync.OnboardScope

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

// Option describes one setting: its input and flag name (identical), the
// environment variable it falls back to outside Actions, and its default.
type Option struct {
	Name        string
	Env         string
	Default     string
	Required    bool
	Secret      bool
	Description string
}

// Options is the public contract: action.yml, the README and --help are
// checked against it by tests.
var Options = []Option{
	{Name: "azure-tenant-id", Env: "AZURE_TENANT_ID", Required: true, Description: "Entra ID tenant (directory) id, or its primary domain."},
	{Name: "azure-client-id", Env: "AZURE_CLIENT_ID", Required: true, Description: "Application (client) id of the app registration that has User.Read.All."},
	{Name: "azure-client-secret", Env: "AZURE_CLIENT_SECRET", Secret: true, Description: "Client secret value of that app registration; empty in GitHub Actions signs in with the job's OIDC token (workload identity federation)."},
	{Name: "mattermost-url", Env: "MM_API_BASE_URL", Required: true, Description: "Mattermost server URL, e.g. https://chat.example.com (a trailing /api/v4 is accepted)."},
	{Name: "mattermost-token", Env: "MM_ADMIN_TOKEN", Required: true, Secret: true, Description: "Personal access token of a Mattermost system admin."},
	{Name: "dry-run", Env: "DRY_RUN", Default: "false", Description: "Print the plan and change nothing."},
	{Name: "deactivate", Env: "DEACTIVATE", Default: "true", Description: "Deactivate linked accounts whose Entra ID user is disabled or gone (never deletes)."},
	{Name: "max-deactivations", Env: "MAX_DEACTIVATIONS", Default: mmsync.DefaultMaxDeactivations, Description: "Most deactivations and address releases one run may make: a count (25) or a share of the active managed accounts (10%); above it nobody is deactivated and the run fails."},
	{Name: "max-removals", Env: "MAX_REMOVALS", Default: mmsync.DefaultMaxRemovals, Description: "Most memberships one run may remove, counted as Mattermost changes them (a team removal also counts the user's channel memberships in that team): a count or a share of the managed users' memberships in the mapped teams and channels; above it nobody is removed and the run fails."},
	{Name: "reactivate", Env: "REACTIVATE", Default: string(mmsync.ReactivateBySync), Description: "Which deactivated, linked accounts are reactivated when their Entra ID user is enabled: deactivated-by-sync (only those this sync deactivated), any, or never."},
	{Name: "release-addresses", Env: "RELEASE_ADDRESSES", Default: "true", Description: "Move a deactivated leaver's address to a placeholder (…@released.invalid) when a new Entra ID user has it; counted under max-deactivations."},
	{Name: "adopt-existing", Env: "ADOPT_EXISTING", Default: "verified", Description: "Link an existing, unlinked, active account whose email matches an Entra ID user: verified (only when Mattermost reports the address verified; true means the same), any (unverified too: a reviewed one-time move from a script) or false."},
	{Name: "link-key", Env: "LINK_KEY", Secret: true, Description: "Secret that signs the link from each account to its Entra ID object (default: derived from mattermost-token). Several keys, newest first (comma or newline separated), rotate it: the first signs, all verify; \"derived\" stands for the key derived from mattermost-token."},
	{Name: "instance", Env: "INSTANCE", Description: "Name of this sync when several run against one Mattermost server (letters, digits, . _ -); each manages only the accounts it linked. Empty: the unnamed instance."},
	{Name: "claim-unnamed-links", Env: "CLAIM_UNNAMED_LINKS", Default: "false", Description: "With instance set: take over the links the unnamed instance made that link-key verifies (one patch each). Set it for the one run that names an existing sync."},
	{Name: "groups", Env: "GROUPS", Description: "Entra ID groups (object ids or display names, comma or newline separated) whose transitive members are in scope; empty means every user."},
	{Name: "user-filter", Env: "USER_FILTER", Description: "A Microsoft Graph $filter on users, e.g. userType eq 'Member' (sent as an advanced query)."},
	{Name: "include-guests", Env: "INCLUDE_GUESTS", Default: "false", Description: "Keep guest users (userType Guest) in scope."},
	{Name: "only-users", Env: "ONLY_USERS", Description: "Pilot allow-list: emails, object ids or display-name fragments; when set only these users are in scope."},
	{Name: "username-from", Env: "USERNAME_FROM", Default: "mail", Description: "What new usernames derive from: mail, upn, mailNickname or employeeId."},
	{Name: "attribute-map", Env: "ATTRIBUTE_MAP", Description: "Lines of \"mattermost_field: entra_attribute\" overriding nickname, first_name, last_name, position (or none)."},
	{Name: "teams", Env: "TEAMS", Description: "Teams (URL names) every synced user joins, comma or newline separated."},
	{Name: "group-teams", Env: "GROUP_TEAMS", Description: "Lines of \"GROUP: team[, team]\", GROUP an Entra ID group id or display name."},
	{Name: "remove-from-teams", Env: "REMOVE_FROM_TEAMS", Default: "false", Description: "Remove managed users from mapped teams that no mapping puts them in; other teams are never touched."},
	{Name: "channels", Env: "CHANNELS", Description: "Channels every synced user joins, as team/channel (URL names, as in https://chat.example.com/team/channels/channel), comma or newline separated."},
	{Name: "group-channels", Env: "GROUP_CHANNELS", Description: "Lines of \"GROUP: team/channel[, team/channel]\": transitive members of the group (id or display name) join those channels, public or private."},
	{Name: "remove-from-channels", Env: "REMOVE_FROM_CHANNELS", Default: "false", Description: "Remove managed users from mapped channels that no mapping puts them in; other channels, unmanaged accounts, bots and the token owner are never touched."},
	{Name: "manage-admins", Env: "MANAGE_ADMINS", Default: "false", Description: "Also update system admins; by default they are left alone."},
	{Name: "ignore-users", Env: "IGNORE_USERS", Description: "Emails or usernames the sync never touches, separated by commas or newlines."},
	{Name: "welcome-email", Env: "WELCOME_EMAIL", Default: "true", Description: "Let Mattermost send its welcome email to created users (needs SMTP)."},
	{Name: "onboarding", Env: "ONBOARDING", Default: string(mmsync.OnboardingNone), Description: "How a person the sync gives an account learns to sign in: none, reset-email (Mattermost's password-reset email; needs SMTP on Mattermost) or graph-mail (the sync mails username, a random first password and the server's address through Microsoft Graph; needs Mail.Send)."},
	{Name: "onboarding-sender", Env: "ONBOARDING_SENDER", Description: "The mailbox (userPrincipalName or object id) graph-mail sends from, e.g. it-helpdesk@contoso.com; required with graph-mail."},
	{Name: "onboarding-template", Env: "ONBOARDING_TEMPLATE", Description: "A file with the graph-mail subject (first line) and plain-text body (the rest), a Go text/template with {{.DisplayName}}, {{.Username}}, {{.Email}}, {{.Password}}, {{.ServerURL}}, {{.SignInURL}}; empty: a short default in English."},
	{Name: "onboard", Env: "ONBOARD", Default: string(mmsync.OnboardNew), Description: "Which accounts are onboarded: new (accounts this sync creates) or new-and-adopted (also those it adopts in the run: the move from a script whose accounts share one password; each gets a new random password first)."},
	{Name: "report-path", Env: "REPORT_PATH", Description: "Where to write the JSON report (mode 0600: it names people). Default: entra-mattermost-sync-report.json in RUNNER_TEMP, the job's temporary directory, when that is set, else in the working directory. A relative path is relative to the working directory (in the action, the workspace)."},
	{Name: "concurrency", Env: "SYNC_CONCURRENCY", Default: "8", Description: "Updates and (de)activations run at once."},
	{Name: "create-concurrency", Env: "SYNC_CREATE_CONCURRENCY", Default: "4", Description: "Creates run at once (each makes the server hash a password)."},
	{Name: "azure-audience", Env: "AZURE_AUDIENCE", Default: "api://AzureADTokenExchange", Description: "Audience of the GitHub OIDC token used without azure-client-secret."},
	{Name: "azure-cloud", Env: "AZURE_CLOUD", Default: "public", Description: "public, usgovernment or china: picks the authority and Graph endpoints (explicit endpoint inputs win)."},
	{Name: "report-webhook-url", Env: "REPORT_WEBHOOK_URL", Description: "After the run, POST a JSON summary here (e.g. an n8n Webhook node)."},
	{Name: "report-webhook-secret", Env: "REPORT_WEBHOOK_SECRET", Secret: true, Description: "Signs the webhook body: header X-Signature-256: sha256=<HMAC-SHA256 hex>."},
	{Name: "azure-authority-host", Env: "AZURE_AUTHORITY_HOST", Default: "https://login.microsoftonline.com/", Description: "Entra ID authority host (national clouds, tests)."},
	{Name: "graph-url", Env: "GRAPH_URL", Default: "https://graph.microsoft.com/v1.0", Description: "Microsoft Graph base URL (national clouds, tests)."},
	{Name: "plan-out", Env: "PLAN_OUT", Description: "Write this run's plan to this file (mode 0600), whatever else the run does; a dry run with plan-out is the usual way to make one. The file is signed with link-key."},
	{Name: "apply-plan", Env: "APPLY_PLAN", Description: "Apply the saved plan in this file instead of deciding anew: only the changes both it and this run's plan hold are made; inputs that decide what a run does are taken from it."},
	{Name: "plan-max-age", Env: "PLAN_MAX_AGE", Default: DefaultPlanMaxAge, Description: "How old a saved plan may be when it is applied (Go duration, e.g. 24h, 90m)."},
}

// Error is a problem with one input. Callers print it as an annotation.
type Error struct {
	Input string
	Env   string
	Msg   string
}

func (e *Error) Error() string {
	return fmt.Sprintf("input %s (%s): %s", e.Input, e.Env, e.Msg)
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

// Source is where raw values come from.
type Source struct {
	// Args are the command-line arguments after the program name.
	Args []string
	// Getenv reads the environment (INPUT_* and the fallback names).
	Getenv func(string) string
	// Output receives --help.
	Output io.Writer
}

// ErrHelp is returned when --help was asked for; usage has been printed.
var ErrHelp = flag.ErrHelp

// Raw returns the unvalidated value of every option: a flag wins, then the
// Actions input, then the environment variable, then the default.
func Raw(src Source) (map[string]string, error) {
	fs := flag.NewFlagSet("entra-mattermost-sync", flag.ContinueOnError)
	fs.SetOutput(src.Output)
	flags := make(map[string]*string, len(Options))
	for _, o := range Options {
		usage := o.Description + " (env " + o.Env
		if o.Default != "" {
			usage += ", default " + o.Default
		}
		v := new(string)
		if o.Default == "true" || o.Default == "false" {
			// Booleans work as bare switches (--dry-run) and as --dry-run=false.
			fs.Var((*boolFlag)(v), o.Name, usage+")")
		} else {
			fs.StringVar(v, o.Name, "", usage+")")
		}
		flags[o.Name] = v
	}
	fs.Usage = func() {
		fmt.Fprintf(src.Output, "Usage: entra-mattermost-sync [flags]\n       entra-mattermost-sync demo\n\n"+
			"Reconciles Microsoft Entra ID users into Mattermost. Every flag falls back to the GitHub\n"+
			"Actions input of the same name (INPUT_<NAME>), then to the environment variable shown.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(src.Args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (see --help)", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	vals := make(map[string]string, len(Options))
	for _, o := range Options {
		v := ""
		switch {
		case set[o.Name]:
			v = *flags[o.Name]
		case strings.TrimSpace(src.Getenv(inputEnv(o.Name))) != "":
			v = src.Getenv(inputEnv(o.Name))
		default:
			v = src.Getenv(o.Env)
		}
		v = strings.TrimSpace(v)
		if v == "" {
			v = o.Default
		}
		vals[o.Name] = v
	}
	return vals, nil
}

// boolFlag keeps a boolean flag's text, so that it is validated with every
// other source by ParseBool.
type boolFlag string

func (b *boolFlag) String() string     { return string(*b) }
func (b *boolFlag) Set(s string) error { *b = boolFlag(s); return nil }
func (b *boolFlag) IsBoolFlag() bool   { return true }

// inputEnv is the variable the Actions runner sets for an input: INPUT_ and
// the upper-cased name, hyphens kept.
func inputEnv(name string) string {
	return "INPUT_" + strings.ToUpper(strings.ReplaceAll(name, " ", "_"))
}

// Secrets returns the raw values of secret options, for masking before
// anything else happens, even when validation later fails.
func Secrets(vals map[string]string) []string {
	var out []string
	for _, o := range Options {
		if o.Secret && vals[o.Name] != "" {
			out = append(out, vals[o.Name])
		}
	}
	// Each key of a list is masked on its own too: a mask of the whole
	// value would not cover one key printed alone.
	if keys := SplitList(vals["link-key"]); len(keys) > 1 {
		for _, k := range keys {
			if !strings.EqualFold(k, DerivedKeyEntry) {
				out = append(out, k)
			}
		}
	}
	return out
}

var (
	guidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	// hostRE is a DNS host name of one or more labels ("mattermost",
	// "chat.example.com"), as a URL's host must be.
	hostRE   = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$`)
	domainRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$`)
)

// instanceRE is an instance name: short, and safe in a props value and a
// log line.
var instanceRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,40}$`)

// DerivedKeyEntry is the link-key entry that stands for the key derived
// from mattermost-token (the default when link-key is empty).
const DerivedKeyEntry = "derived"

// ParseLinkKeys splits link-key into its keys, newest first (comma or
// newline separated). Each is at least 16 characters, or "derived" for the
// key derived from token; empty means that derived key alone.
func ParseLinkKeys(v, token string) ([][]byte, error) {
	entries := SplitList(v)
	if len(entries) == 0 {
		return [][]byte{mmsync.DeriveLinkKey(token)}, nil
	}
	if len(entries) == 1 && !strings.EqualFold(entries[0], DerivedKeyEntry) && len(entries[0]) >= 16 {
		// One key is used exactly as given, as before lists existed: a
		// secret stored with a trailing newline keeps verifying its links.
		return [][]byte{[]byte(v)}, nil
	}
	keys := make([][]byte, 0, len(entries))
	seen := map[string]bool{}
	for i, e := range entries {
		switch {
		case strings.EqualFold(e, DerivedKeyEntry):
			e = string(mmsync.DeriveLinkKey(token))
		case len(e) < 16:
			return nil, fmt.Errorf("key %d of %d is shorter than 16 characters; use a long random value (openssl rand -hex 32)", i+1, len(entries))
		}
		if seen[e] {
			return nil, fmt.Errorf("key %d of %d repeats an earlier key", i+1, len(entries))
		}
		seen[e] = true
		keys = append(keys, []byte(e))
	}
	return keys, nil
}

// IsObjectID reports whether s has the form of an Entra ID object id (a
// GUID), as opposed to a display name.
func IsObjectID(s string) bool { return guidRE.MatchString(s) }

// Parse validates raw values into a Config.
func Parse(vals map[string]string) (*Config, error) {
	var errs Errors
	bad := func(name, format string, args ...any) {
		errs = append(errs, &Error{Input: name, Env: envOf(name), Msg: fmt.Sprintf(format, args...)})
	}
	for _, o := range Options {
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
	// azure-cloud picks both endpoints; an endpoint input set to anything but
	// the public default is explicit and wins.
	authority, graph := vals["azure-authority-host"], vals["graph-url"]
	if cloudAuthority, cloudGraph, err := entra.CloudEndpoints(vals["azure-cloud"]); err != nil {
		bad("azure-cloud", "%q is not one of public, usgovernment, china", vals["azure-cloud"])
	} else {
		if authority == "" || strings.TrimRight(authority, "/") == strings.TrimRight(entra.DefaultAuthorityHost, "/") {
			authority = cloudAuthority
		}
		if graph == "" || strings.TrimRight(graph, "/") == entra.DefaultGraphURL {
			graph = cloudGraph
		}
	}
	if c.AuthorityHost, err = ParseURL(authority, true); err != nil {
		bad("azure-authority-host", "%v", err)
	} else if !strings.HasSuffix(c.AuthorityHost, "/") {
		c.AuthorityHost += "/"
	}
	if c.GraphURL, err = ParseURL(graph, true); err != nil {
		bad("graph-url", "%v", err)
	}
	c.Audience, c.WebhookSecret = vals["azure-audience"], vals["report-webhook-secret"]
	if v := vals["report-webhook-url"]; v != "" {
		// A query may carry the receiver's token: it is allowed, and never
		// echoed in messages.
		if webhook.ValidateURL(v) != nil {
			bad("report-webhook-url", "%q must be an absolute http:// or https:// URL", webhook.SafeURL(v))
		} else {
			c.WebhookURL = v
		}
	}
	if c.MaxDeactivations, err = mmsync.ParseThreshold(vals["max-deactivations"]); err != nil {
		bad("max-deactivations", "%v", err)
	}
	if err := checkReportPath(c.ReportPath); err != nil {
		bad("report-path", "%v", err)
	}
	if c.MaxRemovals, err = mmsync.ParseThreshold(vals["max-removals"]); err != nil {
		bad("max-removals", "%v", err)
	}
	switch p := mmsync.ReactivatePolicy(strings.ToLower(vals["reactivate"])); p {
	case mmsync.ReactivateBySync, mmsync.ReactivateAny, mmsync.ReactivateNever:
		c.Reactivate = p
	default:
		bad("reactivate", "%q is not one of deactivated-by-sync, any, never", vals["reactivate"])
	}
	if c.LinkKeys, err = ParseLinkKeys(vals["link-key"], c.MattermostToken); err != nil {
		bad("link-key", "%v", err)
	} else {
		c.LinkKey = c.LinkKeys[0]
	}
	if c.Instance = strings.TrimSpace(vals["instance"]); c.Instance != "" && !instanceRE.MatchString(c.Instance) {
		bad("instance", "%q is not an instance name: 1 to 40 letters, digits, '.', '_' or '-'", c.Instance)
	}
	c.Groups, c.UserFilter, c.OnlyUsers = SplitList(vals["groups"]), vals["user-filter"], SplitList(vals["only-users"])
	if c.UsernameFrom, err = mmsync.ParseUsernameFrom(vals["username-from"]); err != nil {
		bad("username-from", "%v", err)
	}
	if c.Attributes, err = mmsync.ParseAttributeMap(vals["attribute-map"]); err != nil {
		bad("attribute-map", "%v", err)
	}
	for _, t := range SplitList(vals["teams"]) {
		if t = strings.ToLower(t); !mmsync.ValidTeamName(t) {
			bad("teams", "%q is not a team name: use the team's URL name (lower-case letters, digits, -)", t)
		}
		c.Teams = append(c.Teams, t)
	}
	if c.GroupTeams, err = mmsync.ParseGroupTeams(vals["group-teams"]); err != nil {
		bad("group-teams", "%v", err)
	}
	if c.Channels, err = mmsync.ParseChannels(vals["channels"]); err != nil {
		bad("channels", "%v", err)
	}
	if c.GroupChannels, err = mmsync.ParseGroupChannels(vals["group-channels"]); err != nil {
		bad("group-channels", "%v", err)
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
		sortErrors(errs)
		return nil, errs
	}
	return c, nil
}

func envOf(name string) string {
	for _, o := range Options {
		if o.Name == name {
			return o.Env
		}
	}
	return ""
}

func sortErrors(es Errors) {
	rank := map[string]int{}
	for i, o := range Options {
		rank[o.Name] = i
	}
	for i := 1; i < len(es); i++ {
		for j := i; j > 0 && rank[es[j].Input] < rank[es[j-1].Input]; j-- {
			es[j], es[j-1] = es[j-1], es[j]
		}
	}
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

// ParseURL checks that s is an absolute http(s) URL with a host and nothing
// that does not belong in a base URL. It returns it without a trailing slash.
// httpsOnly is for Microsoft endpoints, which the SDKs refuse over http.
func ParseURL(s string, httpsOnly bool) (string, error) {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return "", fmt.Errorf("%q is not a URL: %v", s, errors.Unwrap(err))
	case u.Scheme != "https" && (httpsOnly || u.Scheme != "http"):
		if httpsOnly {
			return "", fmt.Errorf("%q must start with https://", s)
		}
		return "", fmt.Errorf("%q must start with http:// or https://", s)
	case u.Host == "" || u.Hostname() == "":
		return "", fmt.Errorf("%q has no host name", s)
	case net.ParseIP(u.Hostname()) == nil && !hostRE.MatchString(u.Hostname()):
		return "", fmt.Errorf("%q: %q is not a host name (letters, digits and -, in dot-separated labels) or an IP address", s, u.Hostname())
	case u.User != nil:
		return "", fmt.Errorf("%q must not carry credentials; use the token input", redact.URL(u))
	case u.RawQuery != "" || u.Fragment != "":
		return "", fmt.Errorf("%q must not have a query or fragment", s)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "", fmt.Errorf("%q has an invalid port", s)
		}
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// checkReportPath refuses, before anything changes, a report path the run
// could not write at the end: a directory, or a file under something that is
// not a directory. Missing directories are fine: the report writer creates
// them. Empty is the default (see report.DefaultPath).
func checkReportPath(path string) error {
	if path == "" {
		return nil
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("%q is a directory; give a file name, e.g. %s", path, filepath.Join(path, "entra-mattermost-sync-report.json"))
	}
	for dir := filepath.Dir(path); ; dir = filepath.Dir(dir) {
		fi, err := os.Stat(dir)
		if err == nil {
			if !fi.IsDir() {
				return fmt.Errorf("%q is not a directory, so %q cannot be written", dir, path)
			}
			return nil
		}
		if parent := filepath.Dir(dir); parent == dir {
			return nil
		}
	}
}

// CleartextWarning returns a warning when a validated URL sends a secret
// in clear text: http:// to a host that is not loopback. In-cluster service
// URLs (http://mattermost.chat.svc:8065) are a common, deliberate choice on
// a trusted network, so this warns rather than refuses. "" when the URL is
// https:// or loopback.
func CleartextWarning(input, rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "http" {
		return ""
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return ""
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return ""
	}
	return fmt.Sprintf("input %s: %s uses http:// to a host that is not loopback, so the admin token crosses the network in clear text; "+
		"use https:// unless this is an in-cluster service address on a network you trust", input, rawURL)
}

// ParseBool accepts the spellings YAML and admins use for booleans.
func ParseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "yes", "y", "on", "1":
		return true, nil
	case "false", "no", "n", "off", "0", "":
		return false, nil
	}
	return false, fmt.Errorf("%q is not true or false", s)
}

// SplitList splits a list given one per line or comma separated, trimming
// blanks and dropping empty entries and lines that start with #. A # inside
// an entry is kept: group names such as "Team #1" exist.
func SplitList(s string) []string {
	var out []string
	for _, line := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		for _, item := range strings.Split(line, ",") {
			if item = strings.TrimSpace(item); item != "" {
				out = append(out, item)
			}
		}
	}
	return out
}
