package sync

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// The property tests draw small worlds where the interesting collisions are
// likely: a handful of addresses and names shared by directory users,
// deleted users and accounts, with valid, forged and removed links, every
// accountEnabled value, admins, bots, the token owner and ignore-users.
// Run more cases with: go test ./sync -run Prop -rapid.checks=5000

var (
	propAddrs = []string{"ann@x.example", "bob@x.example", "cy@x.example", "dee@x.example", "eve@x.example", "fay@y.example"}
	propNames = []string{"ann", "bob", "cy", "dee", "eve", "fay", "gus"}
)

type world struct {
	dir  Directory
	obs  Observed
	opts Options
}

func drawWorld(t *rapid.T) world {
	var w world
	nUsers := rapid.IntRange(0, 6).Draw(t, "users")
	for i := range nUsers {
		u := DirectoryUser{ID: fmt.Sprintf("u%d", i), UserType: "Member", DisplayName: fmt.Sprintf("User %d", i)}
		u.AccountEnabled = rapid.SampledFrom([]Bool{BoolTrue, BoolTrue, BoolFalse, BoolUnknown}).Draw(t, "enabled")
		if rapid.IntRange(0, 4).Draw(t, "hasMail") > 0 {
			u.Mail = rapid.SampledFrom(propAddrs).Draw(t, "mail")
		}
		u.UserPrincipalName = rapid.SampledFrom(append([]string{"u" + fmt.Sprint(i) + "@x.onmicrosoft.com"}, propAddrs...)).Draw(t, "upn")
		u.JobTitle = rapid.SampledFrom([]string{"", "Engineer", "Lead"}).Draw(t, "title")
		if rapid.IntRange(0, 4).Draw(t, "outOfScope") == 0 {
			w.dir.OutOfScope = append(w.dir.OutOfScope, u) // read, but not in scope
			continue
		}
		w.dir.Users = append(w.dir.Users, u)
	}
	for i := range rapid.IntRange(0, 2).Draw(t, "deleted") {
		w.dir.Deleted = append(w.dir.Deleted, DeletedUser{ID: fmt.Sprintf("d%d", i), Mail: rapid.SampledFrom(propAddrs).Draw(t, "deletedMail")})
	}
	owners := []string{"u0", "u1", "u2", "u3", "d0", "gone"}
	usedEmail, usedName := map[string]bool{}, map[string]bool{}
	for i := range rapid.IntRange(0, 6).Draw(t, "accounts") {
		a := Account{ID: fmt.Sprintf("m%d", i), Roles: "system_user"}
		if i == 0 && rapid.Bool().Draw(t, "self") {
			a.ID = "self"
		}
		a.Username = rapid.SampledFrom(propNames).Draw(t, "username")
		a.Email = rapid.SampledFrom(propAddrs).Draw(t, "email")
		if usedName[a.Username] || usedEmail[a.Email] {
			continue // the server keeps both unique
		}
		usedName[a.Username], usedEmail[a.Email] = true, true
		a.Position = rapid.SampledFrom([]string{"", "Engineer"}).Draw(t, "position")
		a.EmailVerified = rapid.IntRange(0, 2).Draw(t, "verified") > 0
		if rapid.IntRange(0, 3).Draw(t, "inactive") == 0 {
			a.DeleteAt = 1000 + int64(i)
		}
		switch rapid.IntRange(0, 9).Draw(t, "special") {
		case 0:
			a.Roles = "system_admin system_user"
		case 1:
			a.IsBot = true
		}
		switch rapid.IntRange(0, 5).Draw(t, "link") {
		case 1, 2:
			a = linkedTo(a, rapid.SampledFrom(owners).Draw(t, "owner"))
		case 3: // forged: a link copied from another account
			b := linkedTo(Account{ID: "other"}, rapid.SampledFrom(owners).Draw(t, "forgedOwner"))
			a.Props = b.Props
		case 4: // link removed by the user, id left
			a.Props = map[string]string{PropEntraID: rapid.SampledFrom(owners).Draw(t, "strippedOwner")}
		case 5:
			if a.DeleteAt != 0 && rapid.Bool().Draw(t, "markedBySync") {
				owner := rapid.SampledFrom(owners).Draw(t, "deactOwner")
				a = linkedTo(a, owner)
				a.Props[PropDeactivated] = testLinker.DeactivatedMark(a.ID, owner, a.DeleteAt)
			}
		}
		w.obs.Accounts = append(w.obs.Accounts, a)
	}
	if rapid.IntRange(0, 2).Draw(t, "cycle") == 0 {
		drawCycle(t, &w, usedEmail, usedName, false)
	}
	w.obs.SelfID = "self"
	w.opts = opts()
	w.opts.Deactivate = rapid.IntRange(0, 4).Draw(t, "deactivate") > 0
	w.opts.AdoptExisting = rapid.Bool().Draw(t, "adopt")
	w.opts.AdoptUnverified = w.opts.AdoptExisting && rapid.IntRange(0, 2).Draw(t, "adoptAny") == 0
	w.opts.ReleaseAddresses = rapid.Bool().Draw(t, "release")
	w.opts.ManageAdmins = rapid.IntRange(0, 4).Draw(t, "manageAdmins") == 0
	w.opts.Reactivate = rapid.SampledFrom([]ReactivatePolicy{ReactivateBySync, ReactivateAny, ReactivateNever}).Draw(t, "reactivate")
	if rapid.IntRange(0, 3).Draw(t, "capped") == 0 {
		w.opts.MaxDeactivations = Threshold{Count: rapid.IntRange(0, 2).Draw(t, "max")}
	}
	if rapid.IntRange(0, 4).Draw(t, "ignore") == 0 {
		w.opts.Ignore = []string{rapid.SampledFrom(propNames).Draw(t, "ignored")}
	}
	if rapid.IntRange(0, 3).Draw(t, "capacity") == 0 {
		active := 0
		for _, a := range w.obs.Accounts {
			if a.Active() && !a.IsBot {
				active++
			}
		}
		w.opts.Capacity = Capacity{HardLimit: int64(active + rapid.IntRange(-1, 2).Draw(t, "room")), Active: int64(active)}
	}
	if rapid.Bool().Draw(t, "memberships") {
		drawMemberships(t, &w)
	}
	return w
}

// drawCycle adds k linked accounts whose directory users have each other's
// addresses in a ring (a swap when k is 2). A clean cycle uses addresses no
// one else has and members the sync may move; otherwise the members draw
// their state (disabled, deactivated, admin) and their addresses come from
// the shared pool where possible, so that cycles meet every other rule.
func drawCycle(t *rapid.T, w *world, usedEmail, usedName map[string]bool, clean bool) []string {
	k := rapid.IntRange(2, 3).Draw(t, "cycleLen")
	addrs := make([]string, k)
	for i := range addrs {
		addrs[i] = fmt.Sprintf("ring%d@z.example", i)
		if clean {
			continue
		}
		for _, a := range propAddrs {
			if !usedEmail[a] && rapid.Bool().Draw(t, "ringShared") {
				addrs[i] = a
				break
			}
		}
		usedEmail[addrs[i]] = true
	}
	for i := range k {
		id := fmt.Sprintf("c%d", i)
		u := DirectoryUser{ID: id, AccountEnabled: BoolTrue, UserType: "Member", DisplayName: "Ring " + id, Mail: addrs[(i+1)%k], UserPrincipalName: id + "@x.onmicrosoft.com"}
		a := Account{ID: "mc" + fmt.Sprint(i), Username: fmt.Sprintf("ring%d", i), Email: addrs[i], Roles: "system_user", EmailVerified: true}
		if !clean {
			u.AccountEnabled = rapid.SampledFrom([]Bool{BoolTrue, BoolTrue, BoolTrue, BoolFalse, BoolUnknown}).Draw(t, "ringEnabled")
			switch rapid.IntRange(0, 5).Draw(t, "ringState") {
			case 0:
				a.DeleteAt = 2000 + int64(i)
			case 1:
				a.Roles = "system_admin system_user"
			}
		}
		a = linkedTo(a, id)
		if a.DeleteAt != 0 && rapid.Bool().Draw(t, "ringMarked") {
			a.Props[PropDeactivated] = testLinker.DeactivatedMark(a.ID, id, a.DeleteAt)
		}
		usedName[a.Username] = true
		w.dir.Users = append(w.dir.Users, u)
		w.obs.Accounts = append(w.obs.Accounts, a)
	}
	return addrs
}

// A clean cycle of address moves, whatever else the world holds, completes
// in one run with one extra (placeholder) write, and the plan passes Check
// at every step of Apply's order.
func TestPropAddressCyclesComplete(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w := drawWorld(t)
		usedEmail, usedName := map[string]bool{}, map[string]bool{}
		for _, a := range w.obs.Accounts {
			usedEmail[a.Email], usedName[a.Username] = true, true
		}
		if usedName["ring0"] {
			return // the world already has a ring
		}
		addrs := drawCycle(t, &w, usedEmail, usedName, true)
		w.opts.Capacity = Capacity{}
		target := newFakeTarget(w.obs.Accounts...)
		// Check judges a plan against what it was built from: this target
		// holds the accounts, not the world's memberships.
		seen := target.observed()
		plan := BuildPlan(w.dir, seen, w.opts)
		if err := plan.Check(w.dir, seen, w.opts); err != nil {
			t.Fatal(err)
		}
		if plan.StopError != "" {
			return // an empty group read stops every change
		}
		temporary := 0
		for _, a := range plan.Actions {
			if a.Temporary && strings.HasPrefix(a.AccountID, "mc") { // the world may hold other cycles
				temporary++
			}
		}
		if temporary != 1 {
			t.Fatalf("%d placeholder writes for one cycle", temporary)
		}
		for _, r := range Apply(context.Background(), plan, target, ApplyOptions{Options: w.opts, SelfID: "self", Workers: 3, CreateWorkers: 2}) {
			if r.Status != StatusDone && r.Status != StatusAdopted {
				t.Fatalf("%s %s: %s %s", r.Kind, r.Email, r.Status, r.Error)
			}
		}
		for i := range addrs {
			if got, want := target.accounts[fmt.Sprintf("mc%d", i)].Email, addrs[(i+1)%len(addrs)]; got != want {
				t.Fatalf("ring%d has %s, want %s", i, got, want)
			}
		}
	})
}

// Membership worlds: team eng with channels secret and town-square, members
// drawn from the accounts (town-square holds every team member, as
// Mattermost keeps it), mapped by a group of drawn directory users, with or
// without a team policy, removals and a removal cap.
var (
	propTeams    = map[string]string{"eng": "t-eng"}
	propChannels = map[ChannelRef]string{{"eng", "secret"}: "c-secret", {"eng", TownSquare}: "c-town"}
)

func drawMemberships(t *rapid.T, w *world) {
	team, secret := map[string]bool{}, map[string]bool{}
	for _, a := range w.obs.Accounts {
		if rapid.Bool().Draw(t, "inTeam") {
			team[a.ID] = true
			if rapid.Bool().Draw(t, "inSecret") {
				secret[a.ID] = true
			}
		}
	}
	w.obs.Teams = map[string]TeamState{"eng": {ID: "t-eng", Name: "eng", Members: team}}
	w.obs.Channels = map[ChannelRef]ChannelState{
		{"eng", "secret"}:   {ID: "c-secret", TeamID: "t-eng", Team: "eng", Name: "secret", Type: "P", Members: secret},
		{"eng", TownSquare}: {ID: "c-town", TeamID: "t-eng", Team: "eng", Name: TownSquare, Type: "O", Members: maps.Clone(team)},
	}
	group := map[string]bool{}
	for i := range 6 {
		if rapid.Bool().Draw(t, "inGroup") {
			group[fmt.Sprintf("u%d", i)] = true
		}
	}
	pol := &ChannelPolicy{Remove: rapid.Bool().Draw(t, "removeFromChannels"),
		ByGroup: []ChannelMembership{{Group: "G", Line: 1, Members: group, Channels: []ChannelRef{{"eng", "secret"}}}}}
	if rapid.Bool().Draw(t, "everyoneTownSquare") {
		pol.Everyone = []ChannelRef{{"eng", TownSquare}}
	}
	w.opts.Channels = pol
	if rapid.Bool().Draw(t, "teamPolicy") {
		w.opts.Teams = &TeamPolicy{Remove: rapid.Bool().Draw(t, "removeFromTeams"),
			ByGroup: []GroupMembership{{Group: "T", Members: group, Teams: []string{"eng"}}}}
	}
	if rapid.Bool().Draw(t, "removalCap") {
		w.opts.MaxRemovals = Threshold{Count: rapid.IntRange(0, 2).Draw(t, "maxRemovals")}
	}
}

// memberTargetFor seeds a target with the world's accounts and memberships.
func memberTargetFor(w world) *memberTarget {
	f := newMemberTarget(w.obs.Accounts...)
	for name, id := range propTeams {
		f.addTeam(id)
		for m := range w.obs.Teams[name].Members {
			f.teams[id][m] = true
		}
	}
	for ref, id := range propChannels {
		ch := w.obs.Channels[ref]
		ch.ID, ch.TeamID = id, "t-eng"
		f.addChannel(ch)
	}
	return f
}

// planJSON renders what a plan does, for comparisons.
func planJSON(p *Plan) string {
	b, _ := json.Marshal(struct {
		A  []Action
		S  []Skip
		C  []Conflict
		W  []Action
		U  int
		E1 string
	}{p.Actions, p.Skipped, p.Conflicts, p.Withheld, p.Unchanged, p.ThresholdError + p.StopError})
	return string(b)
}

func TestPropPlanIsSafe(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w := drawWorld(t)
		plan := BuildPlan(w.dir, w.obs, w.opts)
		if err := plan.Check(w.dir, w.obs, w.opts); err != nil {
			t.Fatal(err)
		}
		checkAdoptions(t, w, plan)
		// (e) The plan does not depend on the order of the inputs.
		perm := rapid.Permutation(w.dir.Users).Draw(t, "dirOrder")
		accts := rapid.Permutation(w.obs.Accounts).Draw(t, "accountOrder")
		again := BuildPlan(Directory{Users: perm, OutOfScope: w.dir.OutOfScope, Deleted: w.dir.Deleted}, Observed{Accounts: accts, SelfID: "self", Teams: w.obs.Teams, Channels: w.obs.Channels}, w.opts)
		if planJSON(plan) != planJSON(again) {
			t.Fatalf("the plan depends on input order:\n%s\n%s", planJSON(plan), planJSON(again))
		}
	})
}

func TestPropApplyConverges(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w := drawWorld(t)
		target := memberTargetFor(w)
		target.loseCreates = rapid.IntRange(0, 2).Draw(t, "lostAnswers")
		observe := target.observed
		if w.opts.Channels != nil {
			observe = func() Observed { return target.observedWith(propTeams, propChannels) }
		}
		plan, _ := planReading(w.dir, observe(), w.opts, target)
		if rapid.Bool().Draw(t, "savedPlan") {
			plan = roundTrip(t, plan) // a saved plan applies as the plan itself
		}
		before := observe()
		results := Apply(context.Background(), plan, target, ApplyOptions{Options: w.opts, SelfID: "self", Workers: 3, CreateWorkers: 2})

		// (c) Apply executes exactly the plan: one result per action, the
		// same action, and every one succeeds against a faithful server.
		if len(results) != len(plan.Actions) {
			t.Fatalf("%d results for %d actions", len(results), len(plan.Actions))
		}
		for i, r := range results {
			if r.Kind != plan.Actions[i].Kind || r.Action.AccountID != plan.Actions[i].AccountID {
				t.Fatalf("result %d is for another action: %+v vs %+v", i, r.Action, plan.Actions[i])
			}
			if r.Status != StatusDone && r.Status != StatusAdopted {
				t.Fatalf("%s %s: %s %s", r.Kind, r.Email, r.Status, r.Error)
			}
		}
		after := observe()
		checkProtectedUnchanged(t, w, before, after)
		checkProtectedMemberships(t, w, before, after)
		checkNoActiveLeaverAddress(t, w, plan, before, after)

		// (b) A second plan over the result is empty, unless a rail held work back.
		second, _ := planReading(w.dir, after, w.opts, target)
		if !plan.Failed() && len(second.Actions) != 0 {
			t.Fatalf("second plan not empty: %+v\nfirst: %+v", second.Actions, plan.Actions)
		}
	})
}

// (d) Protected and unmanaged accounts keep their channel memberships, and
// nobody leaves town-square but by leaving the team.
func checkProtectedMemberships(t *rapid.T, w world, before, after Observed) {
	// Managed as the run leaves it: an account adopted in this run is the
	// sync's from then on.
	for ref, ch := range before.Channels {
		for i := range after.Accounts {
			a := &after.Accounts[i]
			if !ch.Members[a.ID] || after.Channels[ref].Members[a.ID] {
				continue
			}
			switch {
			case !oracleManaged(w.opts, w.dir, "self", a):
				t.Fatalf("%s left %s, but the sync does not manage it", a.Username, ref)
			case ref.Channel == TownSquare && after.Teams[ref.Team].Members[a.ID]:
				t.Fatalf("%s left %s but is still in the team", a.Username, ref)
			}
		}
	}
}

// (f) Under adopt-existing: verified no account whose address Mattermost
// reports unverified is linked to a new owner (only the sync's own creation
// mark vouches for one), and an account that neither belongs to a directory
// user nor is adopted by this plan joins no team or channel.
func checkAdoptions(t *rapid.T, w world, plan *Plan) {
	byID := map[string]*Account{}
	for i := range w.obs.Accounts {
		byID[w.obs.Accounts[i].ID] = &w.obs.Accounts[i]
	}
	owned := func(a *Account) string {
		if id, ok := testLinker.Linked(a); ok {
			return id
		}
		id, _ := testLinker.CreatedBy(a)
		return id
	}
	adopted := map[string]bool{}
	for _, a := range plan.Actions {
		acct := byID[a.AccountID]
		if acct == nil || a.Patch.Props[PropLink] == "" || a.Kind == KindDeactivate {
			continue
		}
		if owned(acct) != a.EntraID {
			if !acct.EmailVerified && !w.opts.AdoptUnverified {
				t.Fatalf("%s adopts %s, whose address is unverified, under adopt-existing: verified", a.EntraID, acct.Username)
			}
			if a.Unverified != !acct.EmailVerified {
				t.Fatalf("adoption of %s: unverified flag %v, email_verified %v", acct.Username, a.Unverified, acct.EmailVerified)
			}
		}
		adopted[acct.ID] = true
	}
	for _, a := range plan.Actions {
		if a.Kind != KindTeamAdd && a.Kind != KindChannelAdd {
			continue
		}
		if acct := byID[a.AccountID]; acct != nil && owned(acct) == "" && !adopted[acct.ID] {
			t.Fatalf("%s %s: the account belongs to nobody and is not adopted", a.Kind, acct.Username)
		}
	}
}

// (d) Protected accounts are unchanged, field for field.
func checkProtectedUnchanged(t *rapid.T, w world, before, after Observed) {
	now := map[string]Account{}
	for _, a := range after.Accounts {
		now[a.ID] = a
	}
	for _, a := range before.Accounts {
		if oracleProtected(w.opts, w.dir, "self", &a) && !reflect.DeepEqual(a, now[a.ID]) {
			t.Fatalf("protected account %s changed:\n%+v\n%+v", a.Username, a, now[a.ID])
		}
	}
}

// (a) No disabled or deleted user's address keeps an active, unprotected
// account (one that belongs to no enabled directory user), unless a rail
// stopped the run, in which case none of those deactivations happened.
func checkNoActiveLeaverAddress(t *rapid.T, w world, plan *Plan, before, after Observed) {
	if !w.opts.Deactivate {
		return
	}
	if plan.ThresholdError != "" || plan.StopError != "" {
		was := map[string]int64{}
		for _, a := range before.Accounts {
			was[a.ID] = a.DeleteAt
		}
		for _, a := range after.Accounts {
			if was[a.ID] == 0 && a.DeleteAt != 0 {
				t.Fatalf("a rail withheld deactivations, but %s was deactivated", a.Username)
			}
		}
		return
	}
	claimed := map[string]Bool{} // address → the strongest claim by a directory user
	leaverAddr := map[string]bool{}
	enabled := map[string]bool{}
	for _, u := range w.dir.Users {
		e := oracleAddress(u.Mail, u.UserPrincipalName)
		if e == "" {
			continue
		}
		if u.AccountEnabled != BoolFalse {
			claimed[e] = BoolTrue
			enabled[u.ID] = true
		} else if claimed[e] != BoolTrue {
			claimed[e] = BoolFalse
		}
	}
	for _, u := range w.dir.OutOfScope {
		e := oracleAddress(u.Mail, u.UserPrincipalName)
		if e == "" {
			continue
		}
		if u.AccountEnabled != BoolFalse {
			claimed[e] = BoolTrue // a live person, though the sync does not manage them
		} else if claimed[e] != BoolTrue {
			claimed[e] = BoolFalse
		}
	}
	for e, c := range claimed {
		if c == BoolFalse {
			leaverAddr[e] = true
		}
	}
	for _, d := range w.dir.Deleted {
		if e := oracleAddress(d.Mail, ""); e != "" && claimed[e] == BoolUnknown {
			leaverAddr[e] = true
		}
	}
	for _, a := range after.Accounts {
		if !a.Active() || oracleProtected(w.opts, w.dir, "self", &a) || !leaverAddr[strings.ToLower(a.Email)] {
			continue
		}
		owner, _ := testLinker.Linked(&a)
		if owner == "" {
			owner, _ = testLinker.CreatedBy(&a)
		}
		if !enabled[owner] {
			t.Fatalf("account %s <%s> is active although its address belongs to a disabled or deleted user (owner %q)", a.Username, a.Email, owner)
		}
	}
}

// With a concurrent writer (an account appears while Apply runs, holding an
// address of the pool) the applier never adopts what the plan's rule would
// not, never touches a protected account, and reports every action.
func TestPropApplyWithConcurrentWriter(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w := drawWorld(t)
		target := newFakeTarget(w.obs.Accounts...)
		intruder := Account{ID: "zz-intruder", Username: "intruder", Email: rapid.SampledFrom(propAddrs).Draw(t, "intruderEmail"), Roles: "system_user",
			EmailVerified: rapid.Bool().Draw(t, "intruderVerified")}
		switch rapid.IntRange(0, 3).Draw(t, "intruderKind") {
		case 1:
			intruder.DeleteAt = 99
		case 2:
			intruder.Roles = "system_admin system_user"
		case 3:
			w.opts.Ignore = append(w.opts.Ignore, "intruder")
		}
		target.beforeWrite = func(m *memTarget) {
			if m.byEmail(intruder.Email) == nil {
				m.Add(intruder)
			}
		}
		plan := BuildPlan(w.dir, target.observed(), w.opts)
		results := Apply(context.Background(), plan, target, ApplyOptions{Options: w.opts, SelfID: "self", Workers: 3, CreateWorkers: 2})
		if len(results) != len(plan.Actions) {
			t.Fatalf("%d results for %d actions", len(results), len(plan.Actions))
		}
		after := target.observed()
		var now *Account
		for i := range after.Accounts {
			if after.Accounts[i].ID == intruder.ID {
				now = &after.Accounts[i]
			}
		}
		if now == nil {
			return // no write happened
		}
		// The intruder appeared at the first write, before any create: a
		// create for its address meets it, and adopts it exactly when the
		// README's adoption rule allows; a move to its address fails.
		may := oracleMayAdopt(w.opts, w.dir, "self", &intruder)
		adopted := now.Props[PropLink] != ""
		if adopted && !may {
			t.Fatalf("the intruder was adopted although the adoption rule says no: %+v", now)
		}
		creates := 0
		for _, r := range results {
			switch {
			case r.Status == StatusNotAttempted:
			case r.Kind == KindCreate && strings.EqualFold(r.Email, intruder.Email):
				creates++
				if got := r.Status == StatusAdopted && r.AccountID == intruder.ID; got != may {
					t.Fatalf("create %s met the intruder: adopted %v, the adoption rule says %v (%s %s)", r.Email, got, may, r.Status, r.Error)
				}
				if !may && r.Status != StatusFailed {
					t.Fatalf("create %s met an intruder it may not adopt, yet is %s", r.Email, r.Status)
				}
			case (r.Kind == KindUpdate || r.Kind == KindReactivate) && r.Patch.Email != nil && strings.EqualFold(*r.Patch.Email, intruder.Email):
				if r.Status != StatusFailed {
					t.Fatalf("%s %s moved to the intruder's address %s: %s", r.Kind, r.Username, intruder.Email, r.Status)
				}
			}
		}
		if adopted != (may && creates > 0) {
			t.Fatalf("intruder linked %v, but the rule says %v and %d creates met it", adopted, may, creates)
		}
		if oracleProtected(w.opts, w.dir, "self", &intruder) && !reflect.DeepEqual(*now, intruder) {
			t.Fatalf("a protected intruder was changed: %+v", now)
		}
	})
}

// breakLines breaks mapping lines at random, as snapshot reports them: a
// broken line leaves the policy and what it names freezes. A broken groups
// entry makes the scope unknown.
func breakLines(t *rapid.T, o Options) Options {
	if o.Channels != nil && len(o.Channels.ByGroup) > 0 && rapid.Bool().Draw(t, "breakChannelLine") {
		c := *o.Channels
		g := c.ByGroup[0]
		c.ByGroup = nil
		o.Channels = &c
		o.Broken = append(o.Broken, BrokenMapping{Input: InputGroupChannels, Line: g.Line, Entry: g.Group, Error: "renamed", Channels: g.Channels})
	}
	if o.Teams != nil && len(o.Teams.ByGroup) > 0 && rapid.Bool().Draw(t, "breakTeamLine") {
		p := *o.Teams
		g := p.ByGroup[0]
		p.ByGroup = nil
		o.Teams = &p
		o.Broken = append(o.Broken, BrokenMapping{Input: InputGroupTeams, Line: 1, Entry: g.Group, Error: "ambiguous", Teams: g.Teams})
	}
	if rapid.IntRange(0, 3).Draw(t, "breakScope") == 0 {
		o.Broken = append(o.Broken, BrokenMapping{Input: InputGroups, Entry: "S", Error: "deleted"})
	}
	return o
}

// membershipKey identifies a membership change, whatever its reason.
func membershipKey(a Action) string {
	return string(a.Kind) + " " + a.EntraID + " " + a.AccountID + " " + a.Team + "/" + a.Channel
}

func isMembership(k Kind) bool {
	return k == KindTeamAdd || k == KindTeamRemove || k == KindChannelAdd || k == KindChannelRemove
}

// Random mapping breakage: the plan stays safe; a broken line freezes only
// its own memberships (with the scope known, the account lifecycle is the
// same as without the breakage, and every membership change is one the
// intact mapping would make too); nothing a broken line names loses a
// member; with the scope unknown nobody is created.
func TestPropBrokenLineFreezesOnlyItsMemberships(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w := drawWorld(t)
		broken := breakLines(t, w.opts)
		whole := BuildPlan(w.dir, w.obs, w.opts)
		plan := BuildPlan(w.dir, w.obs, broken)
		if err := plan.Check(w.dir, w.obs, broken); err != nil {
			t.Fatal(err)
		}
		if len(broken.Broken) > 0 && plan.StopError == "" && !plan.Failed() {
			t.Fatal("a plan with broken lines does not fail the run")
		}
		frozenTeams, frozenChannels, scopeUnknown := oracleFrozen(broken.Broken)
		for _, a := range plan.Actions {
			switch {
			case a.Kind == KindTeamRemove && frozenTeams[a.Team],
				a.Kind == KindChannelRemove && frozenChannels[ChannelRef{a.Team, a.Channel}]:
				t.Fatalf("%s from a frozen %s/%s", a.Kind, a.Team, a.Channel)
			case a.Kind == KindCreate && scopeUnknown:
				t.Fatalf("create %s with the scope unknown", a.Email)
			}
		}
		if scopeUnknown || whole.StopError != "" || plan.StopError != "" {
			return
		}
		allowed := map[string]bool{}
		for _, list := range [][]Action{whole.Actions, whole.WithheldRemovals} {
			for _, a := range list {
				if isMembership(a.Kind) {
					allowed[membershipKey(a)] = true
				}
				if a.Kind == KindTeamRemove {
					// Leaving the team takes them out of its channels: with the
					// team frozen, a channel line may remove them itself.
					allowed["team-channels "+a.AccountID+" "+a.Team] = true
				}
			}
		}
		// A returner stays deactivated while a broken line freezes rooms it
		// may have to lose (issue 15.5), listed under skipped: those
		// reactivations are the one lifecycle change a broken line may
		// cause, and each must be explained.
		held := map[string]bool{}
		for _, s := range plan.Skipped {
			if strings.HasPrefix(s.Reason, "not reactivated in this run") {
				held[s.AccountID] = true
			}
		}
		for _, s := range whole.Skipped {
			if strings.HasPrefix(s.Reason, "not reactivated in this run") {
				// The cap held returners in the intact plan: which address
				// changes wait on them differs with the base, so the two
				// lifecycles are not comparable action by action.
				return
			}
		}
		// What needed an address a held returner would have given up is a
		// conflict instead (holdReactivations → dropClaimsOn).
		newConflict := map[string]bool{}
		if len(held) > 0 {
			for _, c := range plan.Conflicts {
				newConflict[c.EntraID] = true
			}
			for _, c := range whole.Conflicts {
				delete(newConflict, c.EntraID)
			}
		}
		var lifeWhole, lifeBroken []string
		for _, a := range whole.Actions {
			if held[a.AccountID] || newConflict[a.EntraID] {
				continue
			}
			if !isMembership(a.Kind) {
				lifeWhole = append(lifeWhole, string(a.Kind)+" "+a.AccountID+" "+a.Email)
			}
		}
		for _, a := range plan.Actions {
			if held[a.AccountID] && !isMembership(a.Kind) {
				continue // a held returner's own actions: explained by its skip
			}
			if newConflict[a.EntraID] && !isMembership(a.Kind) {
				// Its address claim became the conflict; the rest of the
				// change (a return, a profile) goes ahead without it.
				if a.Patch.Email != nil || a.Kind == KindCreate {
					t.Fatalf("%s %s takes an address although that claim is a conflict", a.Kind, a.Username)
				}
				continue
			}
			if !isMembership(a.Kind) {
				lifeBroken = append(lifeBroken, string(a.Kind)+" "+a.AccountID+" "+a.Email)
			} else if !allowed[membershipKey(a)] && !(a.Kind == KindChannelRemove && allowed["team-channels "+a.AccountID+" "+a.Team]) {
				t.Fatalf("%s: the intact mapping would not make it", membershipKey(a))
			}
		}
		if !reflect.DeepEqual(lifeWhole, lifeBroken) {
			dump := func(p *Plan) string {
				var b strings.Builder
				for _, a := range p.Actions {
					fmt.Fprintf(&b, "  %s %s %s %s\n", a.Kind, a.AccountID, a.Email, a.Reason)
				}
				for _, a := range p.WithheldRemovals {
					fmt.Fprintf(&b, "  withheld %s %s %s/%s\n", a.Kind, a.AccountID, a.Team, a.Channel)
				}
				for _, s := range p.Skipped {
					fmt.Fprintf(&b, "  skip %s %s\n", s.AccountID, s.Reason)
				}
				for _, c := range p.Conflicts {
					fmt.Fprintf(&b, "  conflict %s %s\n", c.EntraID, c.Reason)
				}
				return b.String()
			}
			t.Fatalf("a broken line changed the account lifecycle:\n%v\n%v\nintact:\n%sbroken:\n%s", lifeWhole, lifeBroken, dump(whole), dump(plan))
		}
	})
}

// drawConfirmations answers direct reads at random: some users confirmed
// gone (deleted, disabled, out of scope), some still members of some groups,
// the rest unread.
func drawConfirmations(t *rapid.T) *Confirmations {
	if rapid.IntRange(0, 4).Draw(t, "nothingRead") == 0 {
		return nil
	}
	c := &Confirmations{Left: map[string]string{}, MemberOf: map[string]map[string]bool{}}
	for _, id := range []string{"u0", "u1", "u2", "u3", "u4", "u5", "d0", "gone"} {
		switch rapid.IntRange(0, 3).Draw(t, "left") {
		case 1:
			c.Left[id] = rapid.SampledFrom([]string{LeftDeleted, LeftDisabled, LeftScope}).Draw(t, "how")
		case 2:
			m := map[string]bool{}
			for _, g := range []string{"g", "t"} {
				// Asked and a member, asked and not, or not asked.
				switch rapid.IntRange(0, 2).Draw(t, "stillMember") {
				case 1:
					m[g] = true
				case 2:
					m[g] = false
				}
			}
			c.MemberOf[id] = m
		}
	}
	return c
}

// Lagging listings: nobody a direct read did not confirm gone is deactivated
// as a leaver or removed from a group-mapped team or channel, and once every
// departure the first plan lists is confirmed, the plan does what trusting
// the listings would.
func TestPropLaggingListingsOffboardNobodyUnconfirmed(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w := drawWorld(t)
		w.opts = breakLines(t, w.opts)
		o := w.opts
		o.ConfirmDepartures = true
		dir := w.dir
		dir.Confirmed = drawConfirmations(t)
		plan := BuildPlan(dir, w.obs, o)
		if err := plan.Check(dir, w.obs, o); err != nil {
			t.Fatal(err)
		}
		readGone := map[string]bool{}
		for _, u := range append(append([]DirectoryUser(nil), w.dir.Users...), w.dir.OutOfScope...) {
			if u.AccountEnabled == BoolFalse {
				readGone[u.ID] = true
			}
		}
		for _, d := range w.dir.Deleted {
			readGone[d.ID] = true
		}
		for _, a := range plan.Actions {
			switch a.Kind {
			case KindDeactivate:
				if !readGone[a.EntraID] && oracleConfirmedGone(dir.Confirmed, a.EntraID) == "" {
					t.Fatalf("deactivate %s (%s): neither read as gone nor confirmed", a.Username, a.EntraID)
				}
			case KindTeamRemove, KindChannelRemove:
				if dir.Confirmed == nil {
					t.Fatalf("%s %s with nothing read: a group-mapped removal needs a direct read", a.Kind, a.Username)
				}
			}
		}

		// A returner comes back only once every room it must leave (as
		// trusting the listings says) is left in this plan, or a read shows
		// it still belongs there.
		trusted := BuildPlan(w.dir, w.obs, w.opts)
		planned := map[string]bool{}
		for _, a := range plan.Actions {
			planned[membershipKey(a)] = true
		}
		for _, r := range plan.Actions {
			if r.Kind != KindReactivate {
				continue
			}
			for _, a := range trusted.Actions {
				if a.AccountID != r.AccountID || planned[membershipKey(a)] {
					continue
				}
				if a.Kind != KindTeamRemove && a.Kind != KindChannelRemove {
					continue
				}
				if !oracleReadMember(dir.Confirmed, a.EntraID, oracleGroupsNaming(o, a)) {
					t.Fatalf("%s reactivated, but %s waits (no read shows it still belongs there)", r.Username, membershipKey(a))
				}
			}
		}

		// Confirm everything the first plan asks: the same changes as
		// trusting the listings.
		first := BuildPlan(w.dir, w.obs, o)
		all := &Confirmations{Left: map[string]string{}, MemberOf: map[string]map[string]bool{}}
		for _, d := range first.Unconfirmed {
			if d.Scope {
				all.Left[strings.ToLower(d.EntraID)] = LeftDeleted
			}
			for _, g := range d.Groups {
				if all.MemberOf[strings.ToLower(d.EntraID)] == nil {
					all.MemberOf[strings.ToLower(d.EntraID)] = map[string]bool{}
				}
				all.MemberOf[strings.ToLower(d.EntraID)][g] = false
			}
		}
		dir.Confirmed = all
		confirmed := BuildPlan(dir, w.obs, o)
		keys := func(p *Plan) []string {
			var out []string
			for _, a := range p.Actions {
				out = append(out, membershipKey(a)+" "+a.Email)
			}
			return out
		}
		if _, _, scopeUnknown := oracleFrozen(o.Broken); !scopeUnknown && !reflect.DeepEqual(keys(confirmed), keys(trusted)) {
			t.Fatalf("confirmed departures plan otherwise than trusted listings:\n%v\n%v", keys(confirmed), keys(trusted))
		}
	})
}
