package cli

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/config"
	fakegraph "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/graph"
	fakemm "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/mattermost"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/progress"
	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
)

const (
	demoTenantID = "0b9e4b63-6d6c-4d2b-9d43-3f0f4b2a7c11"
	demoClientID = "5a1c1b8e-2f5d-4d7e-8c3e-6b7a9d0e1f23"
)

// runDemo runs the real sync against in-process fakes of Entra ID, Microsoft
// Graph and Mattermost: a dry run shows the plan, the sync applies it (its
// plan, the same, is not printed twice), the third run shows that nothing is
// left to do, the fourth saves the plan of a change in the directory
// (plan-out), and the fifth applies that plan after a further change
// (apply-plan).
//
// args are the demo's own flag, --keep-report (the last run's JSON report
// stays on disk; the demo removes it otherwise), and flags for every run.
// Headings are bold only on a terminal: a file or a pipe gets plain text.
func runDemo(ctx context.Context, args []string, d deps) int {
	keep := false
	args = slices.DeleteFunc(slices.Clone(args), func(a string) bool {
		if a == "--keep-report" || a == "-keep-report" {
			keep = true
			return true
		}
		return false
	})
	// The other arguments go to every run: read them once first, so that a
	// misspelt flag is one line and exit 2 (as without demo), not four
	// failed runs, and --help is the help, not four copies of it.
	if _, err := config.Raw(config.Source{Args: args, Getenv: func(string) string { return "" }}); err != nil {
		if errors.Is(err, config.ErrHelp) {
			writeHelp(d.stdout, d.version)
			return ExitOK
		}
		newConsole(d.stdout, d.stderr, d.getenv).errorf("%v; run entra-mattermost-sync --help for the options", err)
		return ExitUsage
	}
	tenant, err := fakegraph.ParseTenant(fakegraph.SampleTenant())
	if err != nil {
		fmt.Fprintf(d.stderr, "demo: %v\n", err)
		return ExitFailure
	}
	secret := randomDemoSecret()
	graph := fakegraph.New(fakegraph.Options{TenantID: demoTenantID, ClientID: demoClientID, ClientSecret: secret, Users: tenant.Users, Groups: tenant.Groups})
	defer graph.Close()
	mm := fakemm.New(fakemm.Options{AdminToken: randomDemoSecret(), AdminUsername: "sysadmin", AdminEmail: "sysadmin@contoso.example", ServerVersion: "11.1.0"})
	defer mm.Close()
	// What a real server already has: an integration bot, a hand-made
	// account, and one of the directory's people with a stale profile.
	mm.AddUser(fakemm.User{Username: "jira-bot", Email: "jira-bot@localhost.example", IsBot: true, Roles: "system_user"})
	mm.AddUser(fakemm.User{Username: "contractor.kim", Email: "kim@freelance.example", Nickname: "Kim (manual)", Roles: "system_user"})
	// Its address is verified (an administrator verified it, or the user
	// followed a verification mail): adopt-existing: verified adopts it.
	mm.AddUser(fakemm.User{Username: "jjohnson", Email: "jjohnson@contoso.example", Nickname: "Johnny", Roles: "system_user", EmailVerified: true})
	// A private channel whose members one directory group decides
	// (group-channels); the mapping puts them in its team too.
	eng := mm.AddTeam(fakemm.Team{Name: "eng", DisplayName: "Engineering"})
	internal := mm.AddChannel(fakemm.Channel{TeamID: eng.ID, Name: "eng-internal", DisplayName: "Engineering (internal)", Type: "P"})

	dir, err := os.MkdirTemp("", "entra-mattermost-sync-demo-")
	if err != nil {
		fmt.Fprintf(d.stderr, "demo: %v\n", err)
		return ExitFailure
	}
	if !keep {
		defer os.RemoveAll(dir)
	}
	env := map[string]string{
		"AZURE_TENANT_ID": demoTenantID, "AZURE_CLIENT_ID": demoClientID, "AZURE_CLIENT_SECRET": secret,
		"AZURE_AUTHORITY_HOST": graph.AuthorityHost(), "GRAPH_URL": graph.GraphURL(),
		"MM_API_BASE_URL": mm.URL(), "MM_ADMIN_TOKEN": mm.AdminToken(),
		"REPORT_PATH":    filepath.Join(dir, "report.json"),
		"GROUP_CHANNELS": "mm-team-0: eng/eng-internal",
		// Each new person gets their first password by mail through Graph
		// (the simulated tenant has no SMTP on Mattermost either).
		"ONBOARDING": "graph-mail", "ONBOARDING_SENDER": demoSender(tenant),
	}
	d.getenv = func(k string) string { return env[k] }
	d.graphTransport = graph.Transport()
	d.mmTransport = nil
	d.shownPlan = new(string)

	bold, plain := "", ""
	if progress.IsTerminal(d.stdout) && os.Getenv("NO_COLOR") == "" {
		bold, plain = "\033[1m", "\033[0m"
	}
	say := func(format string, a ...any) { fmt.Fprintf(d.stdout, "\n"+bold+format+plain+"\n", a...) }
	say("entra-mattermost-sync demo: a simulated Entra ID tenant (%d users) and Mattermost server (%s), in this process.", len(tenant.Users), mm.URL())
	say("The inputs in effect: group-channels %q; onboarding %s from %s; %s.",
		env["GROUP_CHANNELS"], env["ONBOARDING"], env["ONBOARDING_SENDER"], demoScope(args, d.getenv))
	say("Run 1: dry run: the plan, and nothing changed")
	code := run(ctx, append([]string{"--dry-run"}, args...), d)
	say("Run 2: the sync: the same plan, applied")
	mm.ResetCounters()
	code = max(code, run(ctx, args, d))
	fmt.Fprintf(d.stdout, "Mattermost requests: %d (%d writes); the private channel eng/eng-internal has %d members (group mm-team-0).\n",
		mm.TotalRequests(), mm.Writes(), len(mm.ChannelMembers(internal.ID)))
	if mails := graph.Mails(); len(mails) > 0 {
		say("One of the %d onboarding mails Microsoft Graph delivered (the password is shown as %s here):", len(mails), mmsync.SecretMask)
		printDemoMail(d.stdout, mails[0])
	}
	say("Run 3: the same again: nothing to do")
	mm.ResetCounters()
	code = max(code, run(ctx, args, d))
	fmt.Fprintf(d.stdout, "Mattermost requests: %d (%d writes)\n", mm.TotalRequests(), mm.Writes())
	say("Run 4: in Entra ID, HR renames one user, disables another, deletes a third and hires someone; a dry run saves the plan for approval")
	changeDemoTenant(graph, tenant)
	env["PLAN_OUT"] = filepath.Join(dir, "plan.json")
	code = max(code, run(ctx, append([]string{"--dry-run"}, args...), d))
	say("Run 5: before the approval, the renamed user's title changes again and another user is disabled; the approved plan is applied: only what still holds")
	graph.SetUserProperty(tenant.Users[2].ID(), "jobTitle", "Director of Engineering")
	graph.SetUserProperty(tenant.Users[6].ID(), "accountEnabled", false)
	env["APPLY_PLAN"] = env["PLAN_OUT"]
	delete(env, "PLAN_OUT")
	code = max(code, run(ctx, args, d))
	if keep {
		say("The JSON report of the last run is at %s (kept: --keep-report; it names the simulated people).", env["REPORT_PATH"])
	} else {
		say("The JSON report of the last run was at %s; the demo removes it now (keep it with --keep-report).", env["REPORT_PATH"])
	}
	return code
}

// demoScope says which users the demo's runs take in: every user but the
// guests, unless args (flags for every run) set a scope input.
func demoScope(args []string, getenv func(string) string) string {
	const everyone = "the scope is every user of the tenant except guests (include-guests: false, the default)"
	if len(args) == 0 {
		return everyone
	}
	line := "and on the command line: " + strings.Join(args, " ")
	vals, err := config.Raw(config.Source{Args: args, Getenv: getenv})
	if err != nil {
		return line
	}
	cfg, _ := config.Parse(vals)
	switch in := scopeInputs(cfg); {
	case len(in) == 0:
		return line + "; the scope is every user of the tenant, guests included"
	case slices.Equal(in, []string{"include-guests: false"}):
		return line + "; " + everyone
	default:
		return line + "; the scope: " + strings.Join(in, ", ")
	}
}

func changeDemoTenant(graph *fakegraph.Server, t fakegraph.Tenant) {
	users := make([]fakegraph.User, 0, len(t.Users)+1)
	var deleted string
	for i, u := range t.Users {
		c := maps.Clone(u)
		switch i {
		case 2:
			c["displayName"] = "Renée Kowalski-Lind"
			c["surname"] = "Kowalski-Lind"
			c["jobTitle"] = "Engineering Manager"
		case 3:
			c["accountEnabled"] = false // a leaver: deactivated, not deleted
		case 5:
			deleted = u.ID() // deleted below, into the deleted items: deactivated too
		}
		users = append(users, c)
	}
	users = append(users, fakegraph.User{
		"id": "5d3f6a0e-1c2b-4f7a-9e8d-7c6b5a4f3e21", "accountEnabled": true, "userType": "Member",
		"displayName": "Zoë Ångström", "givenName": "Zoë", "surname": "Ångström", "jobTitle": "Designer",
		"mail": "zoe.angstrom@contoso.example", "userPrincipalName": "zoe.angstrom@contoso.example", "mailNickname": "zoe.angstrom",
	})
	graph.SetUsers(users)
	graph.DeleteUser(deleted)
}

// randomDemoSecret makes the demo's credentials fresh on every run, so that
// nothing resembling a fixed secret ships in the binary.
func randomDemoSecret() string {
	return "demo-" + rand.Text()
}

// demoSender is the mailbox graph-mail sends from in the demo: the first
// user of the simulated tenant (sendMail needs a mailbox that exists).
func demoSender(t fakegraph.Tenant) string {
	for _, u := range t.Users {
		if upn, _ := u["userPrincipalName"].(string); upn != "" {
			return upn
		}
	}
	return ""
}

// demoPassword finds the first password in the default mail.
var demoPassword = regexp.MustCompile(`(First password:\s+)(\S+)`)

// printDemoMail prints a delivered mail with its password masked.
func printDemoMail(w io.Writer, m fakegraph.Mail) {
	body := demoPassword.ReplaceAllString(m.Body, "${1}"+mmsync.SecretMask)
	fmt.Fprintf(w, "From: %s\nTo: %s\nSubject: %s\nSaved to Sent Items: %v\n\n%s", m.From, strings.Join(m.To, ", "), m.Subject, m.SaveToSentItems, body)
}
