package snapshot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/entra"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/mattermost"
	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
)

// ServerFacts are what the preflight learns: the token's owner, the server's
// version (as in X-Version-Id, e.g. 5.36.1), its password policy, its
// diagnostic id and its active-user limit (zero HardLimit on servers without
// GET /limits/server).
type ServerFacts struct {
	Me      mattermost.User
	Version string
	Policy  mattermost.PasswordPolicy
	// DiagnosticID is the server's telemetry id (DiagnosticId of GET
	// /config/client), which survives a change of URL: a saved plan names
	// its server by it. "" when the server does not say.
	DiagnosticID string
	Capacity     mmsync.Capacity
}

// Preflight proves the token and the server before anything else: a wrong
// token or URL is reported as such, not as 2,000 failed creates.
func Preflight(ctx context.Context, mm *mattermost.Client, serverURL string) (ServerFacts, error) {
	var f ServerFacts
	var err error
	if f.Me, err = mm.GetMe(ctx); err != nil {
		return f, DescribeMattermostError(err, serverURL, "check mattermost-token")
	}
	if !slices.Contains(strings.Fields(f.Me.Roles), "system_admin") {
		return f, fmt.Errorf("input mattermost-token: the token belongs to %q, who is not a system admin; "+
			"the sync needs a system admin's personal access token to create and update users", f.Me.Username)
	}
	if f.Version, err = mm.Ping(ctx); err != nil {
		return f, DescribeMattermostError(err, serverURL, "read the server version")
	}
	// One read of the client config for the password policy and the
	// diagnostic id.
	cc, err := mm.GetClientConfig(ctx)
	if err != nil {
		return f, DescribeMattermostError(err, serverURL, "read the password policy")
	}
	f.Policy, f.DiagnosticID = mattermost.ParsePasswordPolicy(cc), strings.TrimSpace(cc["DiagnosticId"])
	// Older servers have no /limits/server (nil, nil): no cap to plan for.
	limits, err := mm.GetServerLimits(ctx)
	if err != nil {
		return f, DescribeMattermostError(err, serverURL, "read the server's user limits")
	}
	if limits != nil {
		f.Capacity = mmsync.Capacity{HardLimit: limits.MaxUsersHardLimit, Active: limits.ActiveUserCount}
	}
	return f, nil
}

// DescribeMattermostError turns a Mattermost failure into a message that
// names the input to fix (mattermost-url, mattermost-token) when the cause is
// one, keeping err in the chain (errors.As finds the *mattermost.AppError).
// what says what was being done ("read the server version").
func DescribeMattermostError(err error, url, what string) error {
	var re *mattermost.RedirectError
	if errors.As(err, &re) {
		return fmt.Errorf("input mattermost-url: %w", err)
	}
	var ae *mattermost.AppError
	if errors.As(err, &ae) {
		switch {
		case ae.StatusCode == http.StatusUnauthorized:
			return fmt.Errorf("input mattermost-token: Mattermost at %s refused the token (401 %s). "+
				"Check that the token is current and was pasted whole, that personal access tokens are enabled "+
				"(System Console > Integrations > Integration Management), and that its owner is a system admin (%w)", url, ae.ID, err)
		case ae.StatusCode == http.StatusForbidden:
			return fmt.Errorf("input mattermost-token: Mattermost refused to %s (403 %s): the token's owner lacks the permission; use a system admin's token (%w)", what, ae.ID, err)
		case ae.StatusCode == http.StatusNotFound && ae.ID == "":
			return fmt.Errorf("input mattermost-url: %s answered 404 to %s %s: it does not look like a Mattermost server "+
				"(give the server's base URL, e.g. https://chat.example.com)", url, ae.Method, ae.Path)
		}
		return fmt.Errorf("%s: %w", what, err)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", what, err)
	}
	return fmt.Errorf("input mattermost-url: cannot %s at %s: %w", what, url, err)
}

// DescribeGraphError puts a failed Graph read in words: an *entra.AuthError
// names the credential input to fix, an *entra.IncompleteReadError says
// that nothing was changed. err stays in the chain.
func DescribeGraphError(err error) error {
	var ae *entra.AuthError
	if errors.As(err, &ae) {
		return fmt.Errorf("microsoft graph: %w", err)
	}
	var ie *entra.IncompleteReadError
	if errors.As(err, &ie) {
		return fmt.Errorf("read Entra ID users: %w; nothing was changed, because acting on a partial directory could deprovision people", err)
	}
	return fmt.Errorf("read Entra ID users: %w", err)
}
