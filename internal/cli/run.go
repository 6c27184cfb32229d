package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	gosync "sync"
	"time"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/config"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/entra"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/ghoidc"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/mattermost"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/planfile"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/report"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/snapshot"
	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/webhook"
)

// webhookDeadline bounds the report webhook, retries included, so that a
// cancelled run still ends promptly.
const webhookDeadline = 30 * time.Second

// maxErrorAnnotations stays within the 10 error annotations GitHub shows
// per step; the rest is aggregated into one line.
const maxErrorAnnotations = 10

// run is Run once the options have set d.
func run(ctx context.Context, args []string, d deps) int {
	if wantsVersion(args) || (len(args) > 0 && args[0] == "version") {
		fmt.Fprintln(d.stdout, "entra-mattermost-sync", d.version)
		return ExitOK
	}
	if len(args) > 0 && args[0] == "demo" {
		return runDemo(ctx, args[1:], d)
	}
	con := newConsole(d.stdout, d.stderr, d.getenv)
	vals, err := config.Raw(config.Source{Args: args, Getenv: d.getenv})
	if errors.Is(err, config.ErrHelp) {
		writeHelp(d.stdout, d.version)
		return ExitOK
	}
	// Mask before anything can print, even if validation fails next.
	for _, s := range config.Secrets(vals) {
		con.mask(s)
	}
	if err != nil {
		// One line and the hint, not every option (the flag package's way).
		con.errorf("%v; run entra-mattermost-sync --help for the options", err)
		return ExitUsage
	}
	cfg, err := loadSettings(vals)
	if err != nil {
		var errs config.Errors
		if errors.As(err, &errs) {
			for _, e := range errs {
				con.errorf("%s", e)
			}
		} else {
			con.errorf("%v", err)
		}
		con.infof("Nothing was changed.")
		// The report and webhook still say what went wrong, if their own
		// inputs are usable.
		partial := &settings{Config: &config.Config{ReportPath: vals["report-path"], WebhookSecret: vals["report-webhook-secret"]}}
		if u := vals["report-webhook-url"]; webhook.ValidateURL(u) == nil {
			partial.WebhookURL = u
		}
		publishFailure(ctx, con, partial, d, d.now(), err)
		return ExitFailure
	}
	cfg, pr, err := loadApproved(vals, cfg, d.now(), d.version)
	if err != nil {
		return fatal(ctx, con, cfg, d, d.now(), err)
	}
	if len(pr.ignored) > 0 {
		con.warningf("apply-plan: this run's %s differ from the saved plan's and were ignored: a saved plan is applied with the inputs it was made with", strings.Join(pr.ignored, ", "))
	}
	if err := config.CheckCredentials(cfg.Config, d.getenv); err != nil {
		return fatal(ctx, con, cfg, d, d.now(), err)
	}
	if w := config.CleartextWarning("mattermost-url", cfg.MattermostURL); w != "" {
		con.warningf("%s", w)
	}
	return syncOnce(ctx, cfg, con, d, pr)
}

// syncOnce is one reconciliation: read both sides in full, plan, apply,
// report. Nothing is written to Mattermost before both reads succeeded.
func syncOnce(ctx context.Context, cfg *settings, con *console, d deps, pr *planRun) int {
	started := d.now()
	// One reporter for both reads, which run at the same time: a terminal
	// has one line for a bar. It prints nothing for reads of a few seconds.
	reading := con.progress("Reading users (Entra ID and Mattermost)", 0)
	defer reading.Finish()
	mm, err := mattermost.New(cfg.MattermostURL, cfg.MattermostToken, mattermost.Options{
		Transport: d.mmTransport, UserAgent: "entra-mattermost-sync/" + d.version, Clock: d.clock,
		Progress: reading.Add,
	})
	if err != nil {
		return fatal(ctx, con, cfg, d, started, fmt.Errorf("input mattermost-url: %w", err))
	}
	ecfg := entra.Config{
		TenantID: cfg.TenantID, ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
		AuthorityHost: cfg.EntraAuthority, GraphURL: cfg.EntraGraph, Transport: d.graphTransport,
		Progress: reading.Add, Clock: d.clock,
	}
	if cfg.ClientSecret == "" {
		// Workload identity federation: the job's GitHub OIDC token is the
		// client assertion. Its subject is what the federated credential
		// must name, so it is logged (the token never is).
		var once gosync.Once
		ecfg.ClientAssertion = ghoidc.Assertion(con.gha, cfg.Audience, func(c ghoidc.Claims) {
			once.Do(func() {
				con.infof("Signing in to Entra ID with the GitHub OIDC token: issuer %s, subject %q, audience %s. "+
					"The app registration needs a federated credential with exactly this subject.", c.Issuer, c.Subject, c.Audience)
			})
		})
	}
	src, err := entra.New(ecfg)
	if err != nil {
		return fatal(ctx, con, cfg, d, started, fmt.Errorf("microsoft graph: %w", err))
	}

	endRead := con.group("Reading Entra ID and Mattermost")
	pre, err := snapshot.Preflight(ctx, mm, cfg.MattermostURL)
	if err != nil {
		endRead()
		return fatal(ctx, con, cfg, d, started, err)
	}
	con.infof("Mattermost %s at %s; token owner %s (system admin).", pre.Version, cfg.MattermostURL, pre.Me.Username)
	// A saved plan for another server is refused before the mail test
	// below, which is a POST and sends a mail.
	if pr.approved != nil {
		if err := pr.approved.CheckServerID(pre.DiagnosticID); err != nil {
			endRead()
			return fatal(ctx, con, cfg, d, started, fmt.Errorf("input apply-plan: %w", err))
		}
	}
	if err := checkOnboardingMail(ctx, cfg, mm); err != nil {
		endRead()
		return fatal(ctx, con, cfg, d, started, err)
	}

	snap, err := snapshot.Read(ctx, cfg.snapshotInputs(), src, mm, pre.Me.ID)
	if err != nil {
		endRead()
		return fatal(ctx, con, cfg, d, started, err)
	}
	reading.Finish()
	users, observed := snap.Users, snap.Observed
	con.infof("Read %d Entra ID users (%d in scope), %d recently deleted, and %d Mattermost accounts.", snap.Read, len(users), len(snap.Deleted), len(observed.Accounts))
	endRead()
	for _, w := range snap.Warnings {
		con.warningf("%s", w)
	}

	dir := snap.Directory()
	planOpts := cfg.planOptions()
	planOpts.Capacity, planOpts.Teams, planOpts.Channels = pre.Capacity, snap.Teams, snap.Channels
	planOpts.Broken, planOpts.ResolvedGroups, planOpts.ConfirmDepartures = snap.Broken, snap.ResolvedGroups, true
	railedOpts := planOpts
	if pr.approved != nil {
		// The rails were checked against the approved plan's counts.
		planOpts = mmsync.Unrailed(planOpts)
	}
	plan := mmsync.BuildPlan(dir, observed, planOpts)
	if len(plan.Unconfirmed) > 0 {
		// Departures from listings that can lag: read them directly, then
		// plan again with the answers. A run without any makes no request.
		conf, warnings := snapshot.Confirm(ctx, cfg.UserFilter, src, snap, plan.Unconfirmed)
		for _, w := range warnings {
			con.warningf("%s", w)
		}
		dir.Confirmed = conf
		plan = mmsync.BuildPlan(dir, observed, planOpts)
	}
	if len(plan.NeedTeamChannels) > 0 {
		// max-removals counts the channel memberships a team removal takes
		// with it: read them for the planned team removals only, and plan
		// again. Unread, every removal stays withheld.
		if read, err := snapshot.ReadTeamChannels(ctx, cfg.MattermostURL, mm, plan.NeedTeamChannels); err != nil {
			con.warningf("%v", err)
		} else {
			observed.TeamChannels = read
			plan = mmsync.BuildPlan(dir, observed, planOpts)
		}
	}
	newReport := func(results []mmsync.Result) *report.Report {
		rep := report.New(plan, results, cfg.DryRun)
		rep.StartedAt, rep.FinishedAt = started, d.now()
		rep.ServerVersion, rep.DirectorySize, rep.AccountsSeen = pre.Version, snap.Read, len(observed.Accounts)
		rep.OutOfScope, rep.ScopeInputs = snap.OutOfScope, scopeInputs(cfg.Config)
		return rep
	}
	if plan.StopError != "" {
		con.errorf("%s", plan.StopError)
		con.infof("Nothing was changed.")
		publish(ctx, con, cfg, d, newReport(nil))
		return ExitFailure
	}
	// The invariants are checked on every plan, dry runs included: a plan
	// that breaks one is a bug, and nothing of it is applied.
	if err := plan.Check(dir, observed, planOpts); err != nil {
		con.errorf("%v", err)
		con.infof("Nothing was changed: the plan failed its safety check (please report this as a bug, with the JSON report).")
		rep := newReport(nil)
		rep.Status, rep.Error = string(mmsync.RunFailure), err.Error()
		publish(ctx, con, cfg, d, rep)
		return ExitFailure
	}
	if cfg.PlanOut != "" {
		full := plan
		if plan.ThresholdError != "" || plan.RemovalError != "" {
			// The saved plan holds what the rails stopped, for a person
			// to approve with the count stated.
			full = mmsync.BuildPlan(dir, observed, mmsync.Unrailed(planOpts))
			if err := full.Check(dir, observed, mmsync.Unrailed(planOpts)); err != nil {
				return fatal(ctx, con, cfg, d, started, fmt.Errorf("input plan-out: the plan without the rails failed its safety check (please report this as a bug): %w", err))
			}
		}
		exceeded, err := savePlan(cfg, pr, started, planfile.Server{URL: cfg.MattermostURL, DiagnosticID: pre.DiagnosticID, Version: pre.Version},
			full, plan, observed, railedOpts)
		if err != nil {
			return fatal(ctx, con, cfg, d, started, err)
		}
		con.setOutput("plan", cfg.PlanOut)
		con.infof("Plan saved to %s (%d changes; apply it with apply-plan within plan-max-age).", cfg.PlanOut, len(full.Actions))
		for _, r := range exceeded {
			con.infof("The saved plan holds the %d changes %s counts (it allows %s): to apply it after a review, run apply-plan with `%s: %d`.", r.Planned, r.Rail, r.Threshold, r.Rail, r.Planned)
		}
		defer con.addSummary(savedPlanSummary(cfg.PlanOut, len(full.Actions), exceeded))
	}
	var approval *mmsync.Approval
	if pr.approved != nil {
		applied, ap := mmsync.ApproveOnly(pr.approved.PlannedActions(), plan, pre.Capacity)
		if err := applied.Check(dir, observed, planOpts); err != nil {
			return fatal(ctx, con, cfg, d, started, fmt.Errorf("the approved part of the plan failed its safety check (please report this as a bug): %w", err))
		}
		plan, approval = applied, &ap
		say := con.infof
		if len(ap.Changed)+len(ap.NotApproved) > 0 {
			say = con.warningf // left-out changes need a new plan and a review
		}
		say("Applying the approved plan of %s: %d of its %d changes still hold; %d %s, %d %s (neither is made; the job summary lists them, and the next plan holds what is still needed).",
			pr.approved.MadeAt.UTC().Format(time.RFC3339), len(plan.Actions), ap.Approved, len(ap.Changed), mmsync.LeftChanged, len(ap.NotApproved), mmsync.LeftNotApproved)
	}
	endPlan := con.group("Plan")
	writePlan(con.writer(), plan, d.shownPlan)
	endPlan()
	// The run-wide errors first (at most four), then one per broken line,
	// within GitHub's ten error annotations per step: one is kept for the
	// changes that fail.
	var planErrors []string
	if plan.ScopeUnknown != "" {
		planErrors = append(planErrors, fmt.Sprintf("The scope is unknown (%s did not resolve or read empty): nobody is created and nobody is treated as having left the scope in this run; users disabled or deleted in Entra ID are still deactivated", plan.ScopeUnknown))
	}
	for _, msg := range []string{plan.ThresholdError, plan.RemovalError} {
		if msg != "" {
			planErrors = append(planErrors, strings.TrimSuffix(msg, ".")+"."+railHint(cfg))
		}
	}
	if plan.CapacityError != "" {
		planErrors = append(planErrors, plan.CapacityError)
	}
	for _, b := range plan.Broken {
		tail := "Until it is fixed, the memberships it names are left as they are; everything else is synced"
		if b.Input == mmsync.InputGroups {
			tail = "Until it is fixed, the scope is unknown; everything else is synced"
		}
		planErrors = append(planErrors, fmt.Sprintf("%s. %s", b, tail))
	}
	annotated := annotateErrors(con, planErrors, maxErrorAnnotations-1,
		"broken mapping lines: each freezes its own memberships; the job summary and the JSON report (broken_mappings) list them all, with the fix")
	warnAttention(con, plan)

	var results []mmsync.Result
	if !cfg.DryRun && len(plan.Actions) > 0 {
		target := mattermost.NewTarget(mm, pre.Policy, mattermost.TargetOptions{
			DisableWelcomeEmail: !cfg.WelcomeEmail, EmailVerified: true, Mask: con.mask,
		})
		endApply := con.group(fmt.Sprintf("Applying %d changes", len(plan.Actions)))
		prog := con.progress("Applying", len(plan.Actions))
		results = mmsync.Apply(ctx, plan, target, mmsync.ApplyOptions{Options: planOpts, SelfID: observed.SelfID, Workers: cfg.Workers, CreateWorkers: cfg.CreateWorkers,
			Onboarder: onboarder(cfg, src, mm),
			OnResult:  func(r mmsync.Result) { prog.Done(r.Status == mmsync.StatusDone || r.Status == mmsync.StatusAdopted) }})
		prog.Finish()
		endApply()
	}

	rep := newReport(results)
	if approval != nil {
		rep.SetApproval(approvalReport(cfg, pr, *approval))
	}
	if plan.ThresholdError != "" || plan.RemovalError != "" {
		rep.Error += railHint(cfg)
	}
	var failed []string
	for _, f := range rep.Failures() {
		failed = append(failed, fmt.Sprintf("%s %s: %s", f.Kind, f.Email, firstLine(f.Error)))
	}
	annotateErrors(con, failed, maxErrorAnnotations-annotated,
		"changes failed or were not attempted; the job summary and the JSON report list them all")
	publish(ctx, con, cfg, d, rep)
	// A dry run that a rail would stop fails like the real run would.
	if _, failed := mmsync.Outcome(plan, results, cfg.DryRun); failed {
		return ExitFailure
	}
	return ExitOK
}

// writePlan prints the plan; with shown (the demo), only once: a plan equal
// to the one printed last is one line.
func writePlan(w io.Writer, plan *mmsync.Plan, shown *string) {
	if shown == nil {
		report.WritePlan(w, plan)
		return
	}
	var b strings.Builder
	report.WritePlan(&b, plan)
	if b.String() == *shown {
		fmt.Fprintln(w, "The plan is the one shown above.")
		return
	}
	*shown = b.String()
	io.WriteString(w, *shown)
}

// scopeInputs names the scope inputs in effect, for the line that counts the
// directory users out of scope: the lists and the filter when set, and
// include-guests when it leaves guests out (its default).
func scopeInputs(cfg *config.Config) []string {
	var in []string
	if len(cfg.Groups) > 0 {
		in = append(in, "groups")
	}
	if cfg.UserFilter != "" {
		in = append(in, "user-filter")
	}
	if len(cfg.OnlyUsers) > 0 {
		in = append(in, "only-users")
	}
	if !cfg.IncludeGuests {
		in = append(in, "include-guests: false")
	}
	return in
}

// annotateErrors emits msgs as error annotations, at most budget of them:
// when they do not all fit, the last one says how many more there are
// ("N more " + more). It returns how many it emitted.
func annotateErrors(con *console, msgs []string, budget int, more string) int {
	for i, m := range msgs {
		if i == budget-1 && len(msgs) > budget {
			con.errorf("%d more %s", len(msgs)-i, more)
			return budget
		}
		con.errorf("%s", m)
	}
	return len(msgs)
}

// warnAttention turns conflicts and skips that need an administrator into
// warning annotations, aggregated past GitHub's ten per step.
func warnAttention(con *console, plan *mmsync.Plan) {
	var msgs []string
	for _, c := range plan.Conflicts {
		msgs = append(msgs, fmt.Sprintf("conflict: %s (%s) cannot have %s %s: %s", c.DisplayName, c.EntraID, c.Field, c.Value, c.Reason))
	}
	for _, s := range plan.Skipped {
		if s.Attention {
			msgs = append(msgs, skipWho(s)+s.Reason)
		}
	}
	for i, m := range msgs {
		if i == maxErrorAnnotations-1 && len(msgs) > maxErrorAnnotations {
			con.warningf("%d more conflicts or skips need attention; the job summary and the JSON report list them all", len(msgs)-i)
			break
		}
		con.warningf("%s", m)
	}
}

// skipWho names the person a skip is about, so that a warning says who
// needs the administrator ("Ann Lee <ann@x> (ann): …").
func skipWho(s mmsync.Skip) string {
	var who []string
	if s.DisplayName != "" {
		who = append(who, s.DisplayName)
	}
	if s.Email != "" {
		who = append(who, "<"+s.Email+">")
	}
	if s.Username != "" {
		who = append(who, "("+s.Username+")")
	}
	if len(who) == 0 {
		return ""
	}
	return strings.Join(who, " ") + ": "
}

// fatal reports a run that stopped before applying anything.
func fatal(ctx context.Context, con *console, cfg *settings, d deps, started time.Time, err error) int {
	con.errorf("%s", err)
	con.infof("Nothing was changed.")
	publishFailure(ctx, con, cfg, d, started, err)
	return ExitFailure
}

// publishFailure hands a run that changed nothing to the readers, with its
// error and zero counts.
func publishFailure(ctx context.Context, con *console, cfg *settings, d deps, started time.Time, err error) {
	rep := report.New(&mmsync.Plan{}, nil, false)
	rep.Status, rep.Error = string(mmsync.RunFailure), err.Error()
	rep.StartedAt, rep.FinishedAt = started, d.now()
	publish(ctx, con, cfg, d, rep)
}

// publish hands a report to every reader: step outputs, job summary, JSON
// file, the terminal and, when configured, the webhook.
func publish(ctx context.Context, con *console, cfg *settings, d deps, rep *report.Report) {
	path := report.DefaultPath(d.getenv)
	if cfg != nil && cfg.ReportPath != "" {
		path = cfg.ReportPath
	}
	if err := rep.WriteJSON(path); err != nil {
		con.warningf("%v", err)
		path = ""
	}
	outputs := rep.Outputs()
	for _, name := range report.OutputNames() {
		if name != "report" && name != "plan" {
			con.setOutput(name, outputs[name])
		}
	}
	con.setOutput("report", path)
	con.addSummary(rep.Markdown())
	fmt.Fprintln(con.writer())
	rep.WriteText(con.writer())
	if path != "" {
		con.infof("JSON report: %s", path)
	}
	if cfg != nil && cfg.WebhookURL != "" {
		// A cancelled run (SIGTERM, a cancelled job) is exactly the run
		// whose outcome the receiver must hear about: the send gets its own
		// short deadline instead of the cancelled context.
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), webhookDeadline)
		defer cancel()
		sendWebhook(wctx, con, cfg, d, rep)
	}
}

// sendWebhook POSTs the run's outcome, signed. A webhook that stays down is a
// warning: the sync itself has happened, and its result is in the summary.
func sendWebhook(ctx context.Context, con *console, cfg *settings, d deps, rep *report.Report) {
	p := webhook.FromReport(rep, d.getenv)
	p.Redact(cfg.ClientSecret, cfg.MattermostToken, cfg.WebhookSecret)
	for _, k := range cfg.LinkKeys {
		p.Redact(string(k))
	}
	body, err := p.Marshal()
	if err == nil {
		opts := d.webhook
		if opts.Clock == nil {
			opts.Clock = d.clock
		}
		err = webhook.Send(ctx, cfg.WebhookURL, cfg.WebhookSecret, body, opts)
	}
	if err != nil {
		con.warningf("report webhook: %v (the sync's own result stands)", err)
		return
	}
	con.infof("Report sent to %s.", webhook.SafeURL(cfg.WebhookURL))
}
