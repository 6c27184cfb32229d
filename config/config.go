// Package config reads the sync's settings from command-line flags, GitHub
// Actions inputs (INPUT_* variables) and the environment variable names
// administrators already use, and validates every one of them before any
// network call. Each error names the input it is about.
//
// config is a leaf: it imports no package of this project. It validates
// what it can say about an input by itself (required, URL, GUID, boolean,
// number, one of a few words) into plain values; the inputs whose grammar
// belongs to another package (thresholds, attribute-map, the team and
// channel mappings: sync; the onboarding template: onboard; the cloud's
// endpoints: entra) are parsed by the program's glue (internal/cli's
// settings.go), whose errors use this package's Error. Files: config.go the
// option table, read.go flags and environment, parse.go the Config and its
// validation, validate.go the checks of single values, onboarding.go the
// onboarding inputs.
package config

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

// options is the option table, the public contract: action.yml, the README
// and --help are checked against it by tests (through Options). Unexported
// so that nothing can change it at run time.
var options = []Option{
	{Name: "azure-tenant-id", Env: "AZURE_TENANT_ID", Required: true, Description: "Entra ID tenant (directory) id, or its primary domain."},
	{Name: "azure-client-id", Env: "AZURE_CLIENT_ID", Required: true, Description: "Application (client) id of the app registration that has User.Read.All."},
	{Name: "azure-client-secret", Env: "AZURE_CLIENT_SECRET", Secret: true, Description: "Client secret value of that app registration; empty in GitHub Actions signs in with the job's OIDC token (workload identity federation)."},
	{Name: "mattermost-url", Env: "MM_API_BASE_URL", Required: true, Description: "Mattermost server URL, e.g. https://chat.example.com (a trailing /api/v4 is accepted)."},
	{Name: "mattermost-token", Env: "MM_ADMIN_TOKEN", Required: true, Secret: true, Description: "Personal access token of a Mattermost system admin."},
	{Name: "dry-run", Env: "DRY_RUN", Default: "false", Description: "Print the plan and change nothing."},
	{Name: "deactivate", Env: "DEACTIVATE", Default: "true", Description: "Deactivate linked accounts whose Entra ID user is disabled or gone (never deletes)."},
	{Name: "max-deactivations", Env: "MAX_DEACTIVATIONS", Default: "10%", Description: "Most deactivations and address releases one run may make: a count (25) or a share of the active managed accounts (10%); above it nobody is deactivated and the run fails."},
	{Name: "max-removals", Env: "MAX_REMOVALS", Default: "10%", Description: "Most memberships one run may remove, counted as Mattermost changes them (a team removal also counts the user's channel memberships in that team): a count or a share of the managed users' memberships in the mapped teams and channels; above it nobody is removed and the run fails."},
	{Name: "reactivate", Env: "REACTIVATE", Default: string(ReactivateBySync), Description: "Which deactivated, linked accounts are reactivated when their Entra ID user is enabled: deactivated-by-sync (only those this sync deactivated), any, or never."},
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
	{Name: "onboarding", Env: "ONBOARDING", Default: string(OnboardingNone), Description: "How a person the sync gives an account learns to sign in: none, reset-email (Mattermost's password-reset email; needs SMTP on Mattermost) or graph-mail (the sync mails username, a random first password and the server's address through Microsoft Graph; needs Mail.Send)."},
	{Name: "onboarding-sender", Env: "ONBOARDING_SENDER", Description: "The mailbox (userPrincipalName or object id) graph-mail sends from, e.g. it-helpdesk@contoso.com; required with graph-mail."},
	{Name: "onboarding-template", Env: "ONBOARDING_TEMPLATE", Description: "A file with the graph-mail subject (first line) and plain-text body (the rest), a Go text/template with {{.DisplayName}}, {{.Username}}, {{.Email}}, {{.Password}}, {{.ServerURL}}, {{.SignInURL}}; empty: a short default in English."},
	{Name: "onboard", Env: "ONBOARD", Default: string(OnboardNew), Description: "Which accounts are onboarded: new (accounts this sync creates) or new-and-adopted (also those it adopts in the run: the move from a script whose accounts share one password; each gets a new random password first)."},
	{Name: "report-path", Env: "REPORT_PATH", Description: "Where to write the JSON report (mode 0600: it names people). Default: entra-mattermost-sync-report.json in RUNNER_TEMP, the job's temporary directory, when that is set, else in the working directory. A relative path is relative to the working directory (in the action, the workspace)."},
	{Name: "concurrency", Env: "SYNC_CONCURRENCY", Default: "8", Description: "Updates and (de)activations run at once."},
	{Name: "create-concurrency", Env: "SYNC_CREATE_CONCURRENCY", Default: "4", Description: "Creates run at once (each makes the server hash a password)."},
	{Name: "azure-audience", Env: "AZURE_AUDIENCE", Default: "api://AzureADTokenExchange", Description: "Audience of the GitHub OIDC token used without azure-client-secret."},
	{Name: "azure-cloud", Env: "AZURE_CLOUD", Default: "public", Description: "public, usgovernment or china: picks the authority and Graph endpoints (explicit endpoint inputs win)."},
	{Name: "report-webhook-url", Env: "REPORT_WEBHOOK_URL", Secret: true, Description: "After the run, POST a JSON summary here (e.g. an n8n Webhook node). Masked: its path is often the webhook's only secret."},
	{Name: "report-webhook-secret", Env: "REPORT_WEBHOOK_SECRET", Secret: true, Description: "Signs the webhook body: header X-Signature-256: sha256=<HMAC-SHA256 hex>."},
	{Name: "azure-authority-host", Env: "AZURE_AUTHORITY_HOST", Default: "https://login.microsoftonline.com/", Description: "Entra ID authority host (national clouds, tests)."},
	{Name: "graph-url", Env: "GRAPH_URL", Default: "https://graph.microsoft.com/v1.0", Description: "Microsoft Graph base URL (national clouds, tests)."},
	{Name: "plan-out", Env: "PLAN_OUT", Description: "Write this run's plan to this file (mode 0600), whatever else the run does; a dry run with plan-out is the usual way to make one. The file is signed with link-key."},
	{Name: "apply-plan", Env: "APPLY_PLAN", Description: "Apply the saved plan in this file instead of deciding anew: only the changes both it and this run's plan hold are made; inputs that decide what a run does are taken from it."},
	{Name: "plan-max-age", Env: "PLAN_MAX_AGE", Default: DefaultPlanMaxAge, Description: "How old a saved plan may be when it is applied (Go duration, e.g. 24h, 90m)."},
}

// Options returns the option table, in the order of --help and the README:
// a copy, so that a caller cannot change the contract.
func Options() []Option { return append([]Option(nil), options...) }

// envOf is the environment variable of the input name ("" for none).
func envOf(name string) string {
	for _, o := range options {
		if o.Name == name {
			return o.Env
		}
	}
	return ""
}
