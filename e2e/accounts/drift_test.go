package accounts

import (
	"context"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/e2e/world"
	fakegraph "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/graph"
	fakemm "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/mattermost"
)

// Drift between runs that ordinary members of the organisation cause (issue
// 15): a broken mapping fails alone, and lagging listings offboard nobody.

// Item 2: a member renames a channel and someone creates a second group with
// a mapped group's name. Both lines freeze; the third line, and offboarding,
// still run; the run fails naming both lines and the fix.
func TestBrokenMappingsFailAlone(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	w.MM.SetMaxUsersPerTeam(1000)
	eng := w.MM.AddTeam(fakemm.Team{Name: "eng", DisplayName: "Engineering"})
	secret := w.MM.AddChannel(fakemm.Channel{TeamID: eng.ID, Name: "secret", Type: "P"})
	ops := w.MM.AddChannel(fakemm.Channel{TeamID: eng.ID, Name: "ops", Type: "P"})
	general := w.MM.AddChannel(fakemm.Channel{TeamID: eng.ID, Name: "general"})
	w.Env["INPUT_GROUP-CHANNELS"] = "mm-team-0: eng/secret\n" + world.Group1ID + ": eng/ops\n" + world.Group1ID + ": eng/general"
	w.Env["INPUT_REMOVE-FROM-CHANNELS"] = "true"
	w.Env["INPUT_MAX-REMOVALS"] = "100%"
	w.MustRun(0)
	ids0, mails0 := w.GroupMembersWithMail(world.Group0ID)
	ids1, mails1 := w.GroupMembersWithMail(world.Group1ID)
	// The leaver of mm-team-1 is in it alone.
	for i := range ids1 {
		if !slices.Contains(ids0, ids1[i]) {
			ids1, mails1 = ids1[i:], mails1[i:]
			break
		}
	}
	if len(mails0) < 3 || len(mails1) < 2 || !slices.Contains(w.ChannelEmails(secret.ID), mails0[1]) {
		t.Fatalf("fixture: groups %d and %d members; eng/secret %v", len(mails0), len(mails1), w.ChannelEmails(secret.ID))
	}
	if !strings.Contains(w.Stdout.String(), `Group "mm-team-0" resolved to object id `+world.Group0ID) {
		t.Errorf("the plan does not show the object id the name resolved to:\n%s", w.Stdout.String())
	}
	if !strings.Contains(w.Summary(), "mm-team-0 → `"+world.Group0ID+"`") {
		t.Errorf("the summary does not show the object id the name resolved to:\n%.1500s", w.Summary())
	}

	// Insiders: a channel member renames eng/ops, anyone creates a second
	// "mm-team-0". Meanwhile one member of mm-team-0 is disabled, another
	// leaves it, and one member of mm-team-1 leaves it.
	w.MM.RenameChannel(ops.ID, "ops-renamed")
	w.Edit(mails0[0], func(u fakegraph.User) { u["accountEnabled"] = false })
	w.SetGroups(world.WithoutMember(world.WithoutMember(w.Groups, world.Group0ID, ids0[1]), world.Group1ID, ids1[0]))
	w.Graph.AddGroup(fakegraph.Group{ID: "0e1d2c3b-4a59-4867-9586-a4b3c2d1e0f9", DisplayName: "mm-team-0"})
	w.MustRun(1)
	out := w.Stdout.String()
	for _, want := range []string{
		`::error::input group-channels line 1: 2 groups are named "mm-team-0"`,
		`::error::input group-channels line 2: team "eng" has no channel named "ops"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no error annotation %q:\n%s", want, out)
		}
	}
	// Offboarding ran: the disabled user is deactivated.
	if u := w.Account(mails0[0]); u.DeleteAt == 0 {
		t.Errorf("%s is disabled in Entra ID but still active", mails0[0])
	}
	// The frozen line removed nobody; the good line did.
	if !slices.Contains(w.ChannelEmails(secret.ID), mails0[1]) {
		t.Errorf("%s was removed from eng/secret, whose line is broken", mails0[1])
	}
	if slices.Contains(w.ChannelEmails(general.ID), mails1[0]) {
		t.Errorf("%s left mm-team-1 but is still in eng/general, whose line resolves:\n%s", mails1[0], out)
	}
	rep := w.Report()
	if len(rep.Broken) != 2 || rep.Status != "failure" {
		t.Errorf("report: status %s, broken %+v", rep.Status, rep.Broken)
	}
}

// Item 2: the owner renames the group that is the scope. The scope is
// unknown: nobody is created and nobody leaves, but a disabled user and a
// deleted one are still deactivated, and the run fails naming the fix.
func TestUnresolvedScopeGroupStillOffboards(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	w.Env["INPUT_GROUPS"] = "mm-team-0"
	w.MustRun(0)
	ids0, mails0 := w.GroupMembersWithMail(world.Group0ID)
	active := len(w.AccountEmails())

	w.Graph.RenameGroup(world.Group0ID, "mm-team-zero")
	w.Edit(mails0[0], func(u fakegraph.User) { u["accountEnabled"] = false })
	// A new hire joins the group: with the scope unknown, not created.
	var hire fakegraph.User
	for _, u := range w.Users {
		if m, _ := u["mail"].(string); m != "" && u["accountEnabled"] == true && u["userType"] != "Guest" && !slices.Contains(mails0, strings.ToLower(m)) {
			hire = u
			break
		}
	}
	groups := slices.Clone(w.Groups)
	for i := range groups {
		if groups[i].ID == world.Group0ID {
			groups[i].DisplayName = "mm-team-zero"
			groups[i].Members = append(slices.Clone(groups[i].Members), hire.ID())
		}
	}
	w.SetGroups(groups)
	w.Graph.DeleteUser(ids0[1])
	w.MustRun(1)
	out := w.Stdout.String()
	if !strings.Contains(out, `::error::input groups: Entra ID has no group named "mm-team-0"`) || !strings.Contains(out, "object id") || !strings.Contains(out, "scope is unknown") {
		t.Errorf("the errors do not name the input and the fix:\n%s", out)
	}
	if w.OutputInt("created") != 0 || w.OutputInt("deactivated") != 2 {
		t.Errorf("created %d, deactivated %d; want 0 and 2 (the disabled and the deleted user)", w.OutputInt("created"), w.OutputInt("deactivated"))
	}
	for _, m := range mails0[:2] {
		if w.Account(m).DeleteAt == 0 {
			t.Errorf("%s is disabled or deleted but active", m)
		}
	}
	if n := len(w.AccountEmails()); n != active-2 {
		t.Errorf("%d active accounts, want %d: nobody else leaves an unknown scope", n, active-2)
	}
	if hm, _ := hire["mail"].(string); slices.Contains(w.AccountEmails(), strings.ToLower(hm)) {
		t.Errorf("%s was created although the scope is unknown", hm)
	}
	// Fixed with the object id, the scope is known again.
	w.Env["INPUT_GROUPS"] = world.Group0ID
	w.MustRun(0)
	if w.OutputInt("created") != 1 {
		t.Errorf("after the fix: created %d, want the new hire", w.OutputInt("created"))
	}
}

// A group owner removes every member of a group. In groups, the scope is
// unknown: nobody is created and nobody leaves by absence, but a disabled
// user is still deactivated. In group-teams, its team is frozen while the
// other line and offboarding run. Each is an error annotation naming the
// group and the fix, and the run exits 1.
func TestEmptiedGroupFailsAlone(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	w.MM.SetMaxUsersPerTeam(1000)
	eng := w.MM.AddTeam(fakemm.Team{Name: "eng", DisplayName: "Engineering"})
	ops := w.MM.AddTeam(fakemm.Team{Name: "ops", DisplayName: "Operations"})
	w.Env["INPUT_GROUPS"] = world.Group0ID + "\n" + world.Group1ID
	w.Env["INPUT_GROUP-TEAMS"] = world.Group0ID + ": eng\n" + world.Group1ID + ": ops"
	w.Env["INPUT_REMOVE-FROM-TEAMS"] = "true"
	w.MustRun(0)
	ids0, _ := w.GroupMembersWithMail(world.Group0ID)
	ids1, mails1 := w.GroupMembersWithMail(world.Group1ID)
	only1 := -1 // in mm-team-1 alone: it will leave ops
	for i, id := range ids1 {
		if !slices.Contains(ids0, id) {
			only1 = i
			break
		}
	}
	if only1 < 0 || len(w.TeamMemberIDs(eng.ID)) == 0 {
		t.Fatal("fixture: mm-team-1 has no member outside mm-team-0, or eng is empty")
	}
	engBefore := len(w.TeamMemberIDs(eng.ID))
	active := len(w.AccountEmails())
	full := slices.Clone(w.Groups)

	// mm-team-0's owner empties it; a member of mm-team-1 is disabled.
	groups := slices.Clone(w.Groups)
	for i := range groups {
		if groups[i].ID == world.Group0ID {
			groups[i].Members = nil
		}
	}
	w.SetGroups(groups)
	disabled := mails1[only1]
	w.Edit(disabled, func(u fakegraph.User) { u["accountEnabled"] = false })
	w.MustRun(1)
	out := w.Stdout.String()
	for _, want := range []string{
		"::error::input groups: group \"" + world.Group0ID + "\" read no members",
		"::error::input group-teams: group \"" + world.Group0ID + "\" read no members",
		"remove it from groups", "remove its line", "The scope is unknown",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in the output:\n%s", want, out)
		}
	}
	if w.Account(disabled).DeleteAt == 0 || w.OutputInt("deactivated") != 1 {
		t.Errorf("the disabled user must be deactivated (deactivated %d)", w.OutputInt("deactivated"))
	}
	if n := len(w.AccountEmails()); n != active-1 {
		t.Errorf("%d active accounts, want %d: nobody leaves an unknown scope by absence", n, active-1)
	}
	if n := len(w.TeamMemberIDs(eng.ID)); n != engBefore {
		t.Errorf("eng has %d members, had %d: its line is frozen", n, engBefore)
	}
	// Members back: the run is green again; ops lost nobody meanwhile.
	w.SetGroups(full)
	w.MustRun(0)
	if n := len(w.TeamMemberIDs(ops.ID)); n == 0 {
		t.Errorf("ops is empty")
	}
	w.Noop()
}

// Item 3: user-filter is an advanced query whose index lags. A user missing
// from it while still enabled and selected stays; one who really left the
// filter, or was deleted, goes, each after a direct read.
func TestLaggingUserFilterOffboardsNobody(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	w.Env["INPUT_USER-FILTER"] = "userType eq 'Member'"
	w.MustRun(0)
	_, mails := w.GroupMembersWithMail(world.Group0ID)
	lagging, leaver, deleted := w.UserByMail(mails[0]), mails[1], w.UserByMail(mails[2])
	w.Graph.ResetCounters()
	w.Noop()
	if n := w.Batches(); n != 0 {
		t.Errorf("a no-op run sent %d batches of direct reads", n)
	}

	w.Graph.SetLagging(lagging.ID())
	w.Edit(leaver, func(u fakegraph.User) { u["userType"] = "Guest" }) // leaves the filter
	w.Graph.DeleteUser(deleted.ID())
	w.Graph.ResetCounters()
	w.MustRun(0)
	if u := w.Account(mails[0]); u.DeleteAt != 0 {
		t.Errorf("%s is enabled and selected, only missing from a lagging listing, but was deactivated", mails[0])
	}
	for _, m := range []string{leaver, mails[2]} {
		if u := w.Account(m); u.DeleteAt == 0 {
			t.Errorf("%s left the filter or the tenant, but is active", m)
		}
	}
	if !regexp.MustCompile(`::warning::[^\n]*: missing from the scope's listing \(` + regexp.QuoteMeta(lagging.ID())).MatchString(w.Stdout.String()) {
		t.Errorf("no warning for the unconfirmed departure:\n%s", w.Stdout.String())
	}
	if n := w.Batches(); n != 2 { // one of GETs, one of user-filter re-checks
		t.Errorf("%d batches of direct reads, want 2: %v", n, w.Graph.Requests())
	}
	w.Graph.SetLagging()
	w.Noop()
}

// Item 3: group member lists lag too. A member missing from the scope
// group's list, or from a channel line's group, stays until a direct read
// (checkMemberGroups) confirms they left.
func TestLaggingGroupListsRemoveNobody(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	w.MM.SetMaxUsersPerTeam(1000)
	eng := w.MM.AddTeam(fakemm.Team{Name: "eng", DisplayName: "Engineering"})
	ops := w.MM.AddChannel(fakemm.Channel{TeamID: eng.ID, Name: "ops", Type: "P"})
	w.Env["INPUT_GROUPS"] = world.Group0ID + "\n" + world.Group1ID
	w.Env["INPUT_GROUP-CHANNELS"] = world.Group1ID + ": eng/ops"
	w.Env["INPUT_REMOVE-FROM-CHANNELS"] = "true"
	w.Env["INPUT_MAX-REMOVALS"] = "100%"
	w.MustRun(0)
	// One member of both groups (the channel's), one of mm-team-0 alone.
	ids0, mails0 := w.GroupMembersWithMail(world.Group0ID)
	ids1, _ := w.GroupMembersWithMail(world.Group1ID)
	var both, alone int = -1, -1
	for i, id := range ids0 {
		switch in1 := slices.Contains(ids1, id); {
		case in1 && both < 0:
			both = i
		case !in1 && alone < 0:
			alone = i
		}
	}
	if both < 0 || alone < 0 {
		t.Fatal("fixture: mm-team-0 and mm-team-1 share no member, or are equal")
	}
	w.MM.ResetCounters()
	w.Graph.SetLagging(ids0[both], ids0[alone])
	w.MustRun(0)
	if w.Account(mails0[alone]).DeleteAt != 0 || !slices.Contains(w.ChannelEmails(ops.ID), mails0[both]) {
		t.Fatalf("a lagging member list offboarded someone:\n%s", w.Stdout.String())
	}
	if n := w.MM.Writes(); n != 0 {
		t.Errorf("%d writes from lagging lists", n)
	}
	// Really gone from the groups: a direct read confirms, they go.
	w.Graph.SetLagging()
	w.SetGroups(world.WithoutMember(world.WithoutMember(w.Groups, world.Group0ID, ids0[alone]), world.Group1ID, ids0[both]))
	w.MustRun(0)
	if slices.Contains(w.ChannelEmails(ops.ID), mails0[both]) {
		t.Errorf("%s left mm-team-1 but is still in eng/ops", mails0[both])
	}
	if w.Account(mails0[alone]).DeleteAt == 0 {
		t.Errorf("%s left the scope but is active", mails0[alone])
	}
	w.Noop()
}

// Item 3: a channel line's group list lags for a user who stays in scope:
// they are not removed from the channel until checkMemberGroups confirms.
func TestLaggingChannelGroupRemovesNobody(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	w.MM.SetMaxUsersPerTeam(1000)
	eng := w.MM.AddTeam(fakemm.Team{Name: "eng", DisplayName: "Engineering"})
	ops := w.MM.AddChannel(fakemm.Channel{TeamID: eng.ID, Name: "ops", Type: "P"})
	w.Env["INPUT_GROUP-CHANNELS"] = world.Group1ID + ": eng/ops"
	w.Env["INPUT_GROUP-TEAMS"] = world.Group1ID + ": eng"
	w.Env["INPUT_REMOVE-FROM-CHANNELS"] = "true"
	w.Env["INPUT_REMOVE-FROM-TEAMS"] = "true"
	w.Env["INPUT_MAX-REMOVALS"] = "100%"
	w.MustRun(0)
	ids1, mails1 := w.GroupMembersWithMail(world.Group1ID)
	w.Graph.SetLagging(ids1[0])
	w.MM.ResetCounters()
	w.MustRun(0)
	if !slices.Contains(w.ChannelEmails(ops.ID), mails1[0]) || w.MM.Writes() != 0 {
		t.Fatalf("a lagging member list removed someone (%d writes):\n%s", w.MM.Writes(), w.Stdout.String())
	}
	if !strings.Contains(w.Stdout.String(), "by a direct read (the group's member list lags)") {
		t.Errorf("no warning for the skipped removal:\n%s", w.Stdout.String())
	}
	w.Graph.SetLagging()
	w.SetGroups(world.WithoutMember(w.Groups, world.Group1ID, ids1[0]))
	w.MustRun(0)
	if slices.Contains(w.ChannelEmails(ops.ID), mails1[0]) || w.OutputInt("failed") != 0 {
		t.Errorf("%s left mm-team-1 but is still in eng/ops", mails1[0])
	}
	w.Noop()
}

// GitHub shows at most ten error annotations per step: twelve broken lines
// are eight annotations and one that says how many more and where they are
// all listed, leaving room for a failed change; the report has all twelve.
func TestBrokenLineAnnotationsCapped(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	w.MM.SetMaxUsersPerTeam(1000)
	w.MM.AddTeam(fakemm.Team{Name: "eng", DisplayName: "Engineering"})
	var lines []string
	for i := range 12 {
		lines = append(lines, world.Group0ID+": eng/gone-"+strconv.Itoa(i))
	}
	w.Env["INPUT_GROUP-CHANNELS"] = strings.Join(lines, "\n")
	w.MustRun(1)
	out := w.Stdout.String()
	if n := strings.Count(out, "::error::"); n != 9 {
		t.Errorf("%d error annotations, want 9 (8 lines and the rest in one):\n%s", n, out)
	}
	if !strings.Contains(out, "::error::4 more broken mapping lines") || !strings.Contains(out, "broken_mappings") {
		t.Errorf("no annotation for the rest:\n%s", out)
	}
	if rep := w.Report(); len(rep.Broken) != 12 {
		t.Errorf("the report lists %d broken lines, want 12", len(rep.Broken))
	}
	if s := w.Summary(); strings.Count(s, "gone-") < 12 {
		t.Errorf("the summary does not list every broken line:\n%s", s)
	}
}

// Graph throttles the requests inside a JSON batch one by one (the batch
// answers 200). A throttled direct read is asked again after the item's
// Retry-After, on the run's clock; one still throttled after the run's
// patience stays unconfirmed: a warning, the account left as it is.
func TestThrottledDirectReadsRetried(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	w.Env["INPUT_GROUPS"] = world.Group0ID
	w.MustRun(0)
	ids, mails := w.GroupMembersWithMail(world.Group0ID)
	// Two members really leave the group.
	w.SetGroups(world.WithoutMember(world.WithoutMember(w.Groups, world.Group0ID, ids[0]), world.Group0ID, ids[1]))
	w.Graph.ThrottleBatchItems(2, 20)
	clock := &world.SleepClock{}
	if code := w.RunWith(context.Background(), world.Edges{Clock: clock}); code != 0 {
		t.Fatalf("exit %d\n%s", code, w.Stdout.String())
	}
	for _, m := range mails[:2] {
		if w.Account(m).DeleteAt == 0 {
			t.Errorf("%s left the group, confirmed after the throttle, but is active", m)
		}
	}
	if !slices.Contains(clock.Slept(), 20*time.Second) {
		t.Errorf("waits %v: the items' Retry-After (20 s) was not honoured", clock.Slept())
	}

	// Throttled for longer than a run waits: unconfirmed, left active.
	w.SetGroups(world.WithoutMember(w.Groups, world.Group0ID, ids[2]))
	w.Graph.ThrottleBatchItems(1000, 100)
	clock = &world.SleepClock{}
	if code := w.RunWith(context.Background(), world.Edges{Clock: clock}); code != 0 {
		t.Fatalf("exit %d\n%s", code, w.Stdout.String())
	}
	if w.Account(mails[2]).DeleteAt != 0 {
		t.Errorf("%s was deactivated although no read confirmed it", mails[2])
	}
	if out := w.Stdout.String(); !strings.Contains(out, "::warning::the direct reads that confirm departures failed") || !strings.Contains(out, "429") {
		t.Errorf("no warning naming the throttled reads:\n%s", out)
	}
	w.Graph.ThrottleBatchItems(0, 0)
	w.MustRun(0)
	if w.Account(mails[2]).DeleteAt == 0 {
		t.Errorf("%s left the group but is active once Graph answers", mails[2])
	}
}
