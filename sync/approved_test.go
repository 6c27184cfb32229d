package sync

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// kinds lists the plan's actions as "kind username", in order.
func kinds(actions []Action) []string {
	out := make([]string, len(actions))
	for i, a := range actions {
		out[i] = string(a.Kind) + " " + a.Username
		if a.Team != "" {
			out[i] += " " + a.Team
		}
	}
	return out
}

func TestApproveOnly(t *testing.T) {
	jane := user("id-jane", "jane.doe@contoso.example", "Jane Doe")
	jane.JobTitle = "Engineer"
	janeAcct := linkedTo(Account{ID: "mm-jane", Username: "jane.doe", Email: "jane.doe@contoso.example", Nickname: "Jane Doe", Position: "Engineer", Roles: "system_user", EmailVerified: true}, "id-jane")
	janeOff := jane
	janeOff.AccountEnabled = BoolFalse
	lead := jane
	lead.JobTitle = "Lead"
	sam := user("id-sam", "sam@contoso.example", "Sam")
	samOff := sam
	samOff.AccountEnabled = BoolFalse
	samAcct := linkedTo(Account{ID: "mm-sam", Username: "sam", Email: "sam@contoso.example", Nickname: "Sam", Roles: "system_user", EmailVerified: true}, "id-sam")
	deact := func(a Account) Account { a.DeleteAt = 5; return a }
	movedAway := func(a Account) Account { a.Email = "jane@elsewhere.example"; return a }
	teams := func(o *Options) { o.Teams = &TeamPolicy{Everyone: []string{"eng"}, Remove: true} }
	leaveEng := func(o *Options) {
		o.Teams = &TeamPolicy{Remove: true, ByGroup: []GroupMembership{{Group: "G", ID: "g", Members: map[string]bool{"id-sam": true}, Teams: []string{"eng"}}}}
	}
	engWith := func(ids ...string) map[string]TeamState {
		m := map[string]bool{}
		for _, id := range ids {
			m[id] = true
		}
		return map[string]TeamState{"eng": {ID: "t-eng", Name: "eng", Members: m}}
	}

	type side struct {
		dir      []DirectoryUser
		accounts []Account
		teams    map[string]TeamState
	}
	tests := []struct {
		name               string
		plan, apply        side
		opts               func(*Options)
		want               []string // applied
		changed, notInPlan int
	}{
		// create
		{name: "create approved and still planned", plan: side{dir: []DirectoryUser{jane}}, apply: side{dir: []DirectoryUser{jane}}, want: []string{"create jane.doe"}},
		{name: "create approved, username taken since", plan: side{dir: []DirectoryUser{jane}},
			apply: side{dir: []DirectoryUser{jane}, accounts: []Account{{ID: "x", Username: "jane.doe", Email: "other@contoso.example", Roles: "system_user"}}}, changed: 1, notInPlan: 1},
		{name: "create new since the plan", apply: side{dir: []DirectoryUser{jane}}, notInPlan: 1},
		{name: "create gone (user disabled since)", plan: side{dir: []DirectoryUser{jane}}, apply: side{dir: []DirectoryUser{janeOff}}, changed: 1},
		// update
		{name: "update approved and still planned", plan: side{dir: []DirectoryUser{lead}, accounts: []Account{janeAcct}}, apply: side{dir: []DirectoryUser{lead}, accounts: []Account{janeAcct}}, want: []string{"update jane.doe"}},
		{name: "update approved, account's address changed", plan: side{dir: []DirectoryUser{lead}, accounts: []Account{janeAcct}},
			apply: side{dir: []DirectoryUser{lead}, accounts: []Account{movedAway(janeAcct)}}, changed: 1, notInPlan: 1},
		{name: "update approved, directory changed again", plan: side{dir: []DirectoryUser{lead}, accounts: []Account{janeAcct}},
			apply: side{dir: []DirectoryUser{func() DirectoryUser { u := lead; u.JobTitle = "CTO"; return u }()}, accounts: []Account{janeAcct}}, changed: 1, notInPlan: 1},
		{name: "update new since the plan", plan: side{dir: []DirectoryUser{jane}, accounts: []Account{janeAcct}}, apply: side{dir: []DirectoryUser{lead}, accounts: []Account{janeAcct}}, notInPlan: 1},
		{name: "update gone (done by hand)", plan: side{dir: []DirectoryUser{lead}, accounts: []Account{janeAcct}},
			apply: side{dir: []DirectoryUser{lead}, accounts: []Account{func() Account { a := janeAcct; a.Position = "Lead"; return a }()}}, changed: 1},
		// deactivate
		{name: "deactivation approved and still planned", plan: side{dir: []DirectoryUser{janeOff}, accounts: []Account{janeAcct}}, apply: side{dir: []DirectoryUser{janeOff}, accounts: []Account{janeAcct}}, want: []string{"deactivate jane.doe"}},
		{name: "deactivation approved, account deactivated by hand since", plan: side{dir: []DirectoryUser{janeOff}, accounts: []Account{janeAcct}},
			apply: side{dir: []DirectoryUser{janeOff}, accounts: []Account{deact(janeAcct)}}, changed: 1},
		// The leaver moved their own address: the fresh plan still
		// deactivates the same account for the same directory user, and an
		// edit of one's own profile holds back no approved offboarding.
		{name: "deactivation approved, the leaver changed their own address since", plan: side{dir: []DirectoryUser{janeOff}, accounts: []Account{janeAcct}},
			apply: side{dir: []DirectoryUser{janeOff}, accounts: []Account{movedAway(janeAcct)}}, want: []string{"deactivate jane.doe"}},
		{name: "deactivation approved, the leaver renamed themselves since", plan: side{dir: []DirectoryUser{janeOff}, accounts: []Account{janeAcct}},
			apply: side{dir: []DirectoryUser{janeOff}, accounts: []Account{func() Account { a := janeAcct; a.Username = "not.jane"; return a }()}}, want: []string{"deactivate not.jane"}},
		{name: "update approved, the user renamed themselves since", plan: side{dir: []DirectoryUser{lead}, accounts: []Account{janeAcct}},
			apply: side{dir: []DirectoryUser{lead}, accounts: []Account{func() Account { a := janeAcct; a.Username = "jd"; return a }()}}, want: []string{"update jd"}},
		{name: "deactivation new since the plan", plan: side{dir: []DirectoryUser{jane, sam}, accounts: []Account{janeAcct, samAcct}},
			apply: side{dir: []DirectoryUser{jane, samOff}, accounts: []Account{janeAcct, samAcct}}, notInPlan: 1},
		{name: "deactivation gone (re-enabled)", plan: side{dir: []DirectoryUser{janeOff}, accounts: []Account{janeAcct}}, apply: side{dir: []DirectoryUser{jane}, accounts: []Account{janeAcct}}, changed: 1},
		// reactivate
		{name: "reactivation approved and still planned", plan: side{dir: []DirectoryUser{jane}, accounts: []Account{deact(janeAcct)}},
			apply: side{dir: []DirectoryUser{jane}, accounts: []Account{deact(janeAcct)}}, want: []string{"reactivate jane.doe"}},
		{name: "reactivation gone (reactivated by hand)", plan: side{dir: []DirectoryUser{jane}, accounts: []Account{deact(janeAcct)}},
			apply: side{dir: []DirectoryUser{jane}, accounts: []Account{janeAcct}}, changed: 1},
		// team membership: a create's team-add goes with its create
		{name: "create and team-add approved", opts: teams, plan: side{dir: []DirectoryUser{jane}, teams: engWith()}, apply: side{dir: []DirectoryUser{jane}, teams: engWith()},
			want: []string{"create jane.doe", "team-add jane.doe eng"}},
		{name: "create changed takes its team-add with it", opts: teams, plan: side{dir: []DirectoryUser{jane}, teams: engWith()},
			apply: side{dir: []DirectoryUser{func() DirectoryUser { u := jane; u.JobTitle = "CTO"; return u }()}, teams: engWith()}, changed: 2, notInPlan: 1},
		{name: "team-remove approved and still planned", opts: leaveEng, plan: side{dir: []DirectoryUser{jane}, accounts: []Account{janeAcct}, teams: engWith("mm-jane")},
			apply: side{dir: []DirectoryUser{jane}, accounts: []Account{janeAcct}, teams: engWith("mm-jane")}, want: []string{"team-remove jane.doe eng"}},
		{name: "team-remove gone (removed by hand)", opts: leaveEng, plan: side{dir: []DirectoryUser{jane}, accounts: []Account{janeAcct}, teams: engWith("mm-jane")},
			apply: side{dir: []DirectoryUser{jane}, accounts: []Account{janeAcct}, teams: engWith()}, changed: 1},
		{name: "team-add new since the plan", opts: teams, plan: side{dir: []DirectoryUser{jane}, accounts: []Account{janeAcct}, teams: engWith("mm-jane")},
			apply: side{dir: []DirectoryUser{jane}, accounts: []Account{janeAcct}, teams: engWith()}, notInPlan: 1},
		{name: "team-add gone (added by hand)", opts: teams, plan: side{dir: []DirectoryUser{jane}, accounts: []Account{janeAcct}, teams: engWith()},
			apply: side{dir: []DirectoryUser{jane}, accounts: []Account{janeAcct}, teams: engWith("mm-jane")}, changed: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := opts()
			if tt.opts != nil {
				tt.opts(&o)
			}
			obs := func(s side) Observed { return Observed{Accounts: s.accounts, SelfID: "self", Teams: s.teams} }
			saved := BuildPlan(Directory{Users: tt.plan.dir}, obs(tt.plan), o)
			dir := Directory{Users: tt.apply.dir}
			fresh := BuildPlan(dir, obs(tt.apply), o)
			got, ap := ApproveOnly(saved.Actions, fresh, Capacity{})
			want := tt.want
			if !slices.Equal(kinds(got.Actions), want) && !(len(want) == 0 && len(got.Actions) == 0) {
				t.Errorf("applied %v, want %v\nsaved %v\nfresh %v", kinds(got.Actions), want, kinds(saved.Actions), kinds(fresh.Actions))
			}
			if len(ap.Changed) != tt.changed || len(ap.NotApproved) != tt.notInPlan {
				t.Errorf("changed %v, not approved %v; want %d and %d", kinds(ap.Changed), kinds(ap.NotApproved), tt.changed, tt.notInPlan)
			}
			if err := got.Check(dir, obs(tt.apply), o); err != nil {
				t.Error(err)
			}
			if len(fresh.Actions) != len(got.Actions)+len(ap.NotApproved)+countIn(ap.Changed, fresh.Actions) {
				t.Errorf("the fresh plan's %d actions are not all accounted for", len(fresh.Actions))
			}
		})
	}
}

// countIn counts the actions of xs that the plan ys holds too (approved
// actions left out as dependents).
func countIn(xs, ys []Action) int {
	n := 0
	for i := range xs {
		for j := range ys {
			if approvalKey(&xs[i]) == approvalKey(&ys[j]) {
				n++
				break
			}
		}
	}
	return n
}

// A cycle of address moves (a swap) is applied whole or not at all: the
// parking on a temporary address never goes without the move that takes the
// account on.
func TestApproveOnlyKeepsAddressCyclesWhole(t *testing.T) {
	a := linkedTo(Account{ID: "m-a", Username: "ann", Email: "ann@x.example", Roles: "system_user", EmailVerified: true}, "u-a")
	b := linkedTo(Account{ID: "m-b", Username: "bob", Email: "bob@x.example", Roles: "system_user", EmailVerified: true}, "u-b")
	swapped := []DirectoryUser{user("u-a", "bob@x.example", "Ann"), user("u-b", "ann@x.example", "Bob")}
	obs := Observed{Accounts: []Account{a, b}, SelfID: "self"}
	saved := BuildPlan(Directory{Users: swapped}, obs, opts())
	if !slices.ContainsFunc(saved.Actions, func(x Action) bool { return x.Temporary }) {
		t.Fatalf("no parking in the swap: %v", kinds(saved.Actions))
	}
	// As approved: everything.
	got, ap := ApproveOnly(saved.Actions, BuildPlan(Directory{Users: swapped}, obs, opts()), Capacity{})
	if len(got.Actions) != len(saved.Actions) || len(ap.Changed)+len(ap.NotApproved) != 0 {
		t.Fatalf("applied %v of %v", kinds(got.Actions), kinds(saved.Actions))
	}
	// Each link missing from the approval in turn: nothing of the cycle goes.
	for i := range saved.Actions {
		partial := slices.Delete(slices.Clone(saved.Actions), i, i+1)
		fresh := BuildPlan(Directory{Users: swapped}, obs, opts())
		got, ap := ApproveOnly(partial, fresh, Capacity{})
		for _, x := range got.Actions {
			if _, _, move := addressMove(&x); move {
				t.Errorf("without %s %s, %s %s was applied", saved.Actions[i].Kind, saved.Actions[i].Username, x.Kind, x.Username)
			}
		}
		if len(ap.NotApproved) != 1 {
			t.Errorf("not approved: %v, want the one left out", kinds(ap.NotApproved))
		}
		if err := got.Check(Directory{Users: swapped}, obs, opts()); err != nil {
			t.Error(err)
		}
	}
}

func TestCountRails(t *testing.T) {
	var accts []Account
	for i := range 10 {
		accts = append(accts, linkedTo(Account{ID: fmt.Sprintf("m%d", i), Username: fmt.Sprintf("user%d", i), Email: fmt.Sprintf("u%d@x.example", i), Roles: "system_user"}, fmt.Sprintf("u%d", i)))
	}
	o := opts()
	o.MaxDeactivations = Threshold{Count: 2}
	obs := Observed{Accounts: accts, SelfID: "self"}
	stopped := BuildPlan(Directory{Users: []DirectoryUser{user("u9", "u9@x.example", "")}}, obs, o)
	if stopped.ThresholdError == "" {
		t.Fatal("the rail did not stop the plan")
	}
	full := BuildPlan(Directory{Users: []DirectoryUser{user("u9", "u9@x.example", "")}}, obs, Unrailed(o))
	rails := CountRails(full, obs, o)
	if r := rails[0]; r.Rail != RailDeactivations || r.Planned != 9 || r.Base != 10 || !r.Exceeded || r.Threshold != "2" {
		t.Fatalf("deactivations rail %+v", r)
	}
	for _, tt := range []struct {
		in   string
		want bool
	}{{"9", true}, {"8", false}, {"90%", true}, {"80%", false}, {"100%", true}} {
		th, _ := ParseThreshold(tt.in)
		if got := rails[0].AllowedBy(th); got != tt.want {
			t.Errorf("%s allows 9 of 10: %v, want %v", tt.in, got, tt.want)
		}
	}
	if rails[1].Planned != 0 || rails[1].Exceeded {
		t.Errorf("removals rail %+v", rails[1])
	}
	// Unrailed keeps the empty-read guard.
	if p := BuildPlan(Directory{}, obs, Unrailed(o)); p.StopError == "" {
		t.Error("an empty directory is acted on under Unrailed")
	}
}

// Applying a saved plan never performs an action that is not in it, nor one
// whose preconditions changed; applying it twice writes nothing the second
// time.
func TestPropApplyingApprovedPlan(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w := drawWorld(t)
		target := memberTargetFor(w)
		observe := target.observed
		if w.opts.Channels != nil {
			observe = func() Observed { return target.observedWith(propTeams, propChannels) }
		}
		saved, _ := planReading(w.dir, observe(), Unrailed(w.opts), target)

		// Between the plan and its approval the world moves on: directory
		// users change, some accounts are changed by hand.
		dir := w.dir
		dir.Users = slices.Clone(dir.Users)
		for i := range dir.Users {
			switch rapid.IntRange(0, 5).Draw(t, "dirChange") {
			case 0:
				dir.Users[i].AccountEnabled = rapid.SampledFrom([]Bool{BoolTrue, BoolFalse, BoolUnknown}).Draw(t, "enabled2")
			case 1:
				dir.Users[i].Mail = rapid.SampledFrom(propAddrs).Draw(t, "mail2")
			case 2:
				dir.Users[i].JobTitle = "Changed"
			}
		}
		for _, id := range slices.Sorted(maps.Keys(target.accounts)) {
			a := target.accounts[id]
			// Insiders too: a person renames themselves, or deletes
			// the sync's marks from their own props.
			switch rapid.IntRange(0, 8).Draw(t, "acctChange") {
			case 0:
				a.DeleteAt = 0
			case 1:
				a.DeleteAt = 77
			case 2:
				a.Email = strings.Replace(a.Email, "@", ".moved@", 1)
			case 3:
				a.Username += "x"
			case 4:
				props := map[string]string{}
				for k, v := range a.Props {
					if !IsSyncProp(k) {
						props[k] = v
					}
				}
				a.Props = props
			}
		}
		// Each run reads the server's active-user count again.
		recount := func(obs Observed) {
			if w.opts.Capacity.HardLimit > 0 {
				active := 0
				for _, a := range obs.Accounts {
					if a.Active() && !a.IsBot {
						active++
					}
				}
				w.opts.Capacity.Active = int64(active)
			}
		}
		before := observe()
		recount(before)
		fresh, obs := planReading(dir, before, Unrailed(w.opts), target)
		// The approver may also have approved only part of it (a plan
		// edited before signing, in effect): what depends on a missing
		// action must go with it.
		approved := saved.Actions
		if rapid.Bool().Draw(t, "partial") {
			approved = nil
			for _, a := range saved.Actions {
				if rapid.IntRange(0, 3).Draw(t, "drop") > 0 {
					approved = append(approved, a)
				}
			}
		}
		applied, _ := ApproveOnly(approved, fresh, w.opts.Capacity)
		if err := applied.Check(dir, obs, Unrailed(w.opts)); err != nil {
			t.Fatal(err)
		}
		savedKeys := map[string]int{}
		for i := range approved {
			savedKeys[approvalKey(&approved[i])]++
		}
		byID := map[string]Account{}
		for _, a := range before.Accounts {
			byID[a.ID] = a
		}
		for i := range applied.Actions {
			a := &applied.Actions[i]
			k := approvalKey(a)
			if savedKeys[k] == 0 {
				t.Fatalf("applied %s %s, which the saved plan does not hold", a.Kind, a.Username)
			}
			savedKeys[k]--
			if a.Observed != nil && a.AccountID != "" {
				now := byID[a.AccountID]
				// What takes something away is keyed on the account and the
				// directory user, not on the address its owner may change
				// (approvalKey); it still needs the account as it was read.
				addressMoved := !strings.EqualFold(now.Email, a.Observed.Email) && !takesAway(a.Kind)
				if addressMoved || now.DeleteAt != a.Observed.DeleteAt {
					t.Fatalf("applied %s %s whose precondition changed: %+v, now %s/%d", a.Kind, a.Username, a.Observed, now.Email, now.DeleteAt)
				}
			}
		}
		// Against a faithful server every applied action succeeds: nothing
		// applied needed an action left out.
		for _, r := range Apply(context.Background(), applied, target, ApplyOptions{Options: Unrailed(w.opts), SelfID: "self", Workers: 2, CreateWorkers: 2}) {
			if r.Status != StatusDone && r.Status != StatusAdopted {
				t.Fatalf("%s %s: %s %s\napplied %v", r.Kind, r.Username, r.Status, r.Error, kinds(applied.Actions))
			}
		}

		after := observe()
		recount(after)
		again, _ := planReading(dir, after, Unrailed(w.opts), target)
		second, _ := ApproveOnly(approved, again, w.opts.Capacity)
		writes := target.writes
		Apply(context.Background(), second, target, ApplyOptions{Options: Unrailed(w.opts), SelfID: "self", Workers: 2, CreateWorkers: 2})
		if target.writes != writes {
			t.Fatalf("applying the saved plan twice wrote %d times the second time: %v\nsaved %s\nfresh %s\napplied %s\nagain %s", target.writes-writes, kinds(second.Actions), planJSON(saved), planJSON(fresh), planJSON(applied), planJSON(again))
		}
	})
}

// A wave of address moves: an approved move into an address is not applied
// when the move that frees the address changed since the plan.
func TestApproveOnlyKeepsWavesWhole(t *testing.T) {
	a := linkedTo(Account{ID: "m-a", Username: "ann", Email: "ann@x.example", Roles: "system_user", EmailVerified: true}, "u-a")
	b := linkedTo(Account{ID: "m-b", Username: "bob", Email: "bob@x.example", Roles: "system_user", EmailVerified: true}, "u-b")
	obs := Observed{Accounts: []Account{a, b}, SelfID: "self"}
	planned := []DirectoryUser{user("u-a", "bob@x.example", "Ann"), user("u-b", "cy@x.example", "Bob")}
	saved := BuildPlan(Directory{Users: planned}, obs, opts())
	if saved.Count(KindUpdate) != 2 || !slices.ContainsFunc(saved.Actions, func(x Action) bool { return x.Wave == 1 }) {
		t.Fatalf("no wave: %v", kinds(saved.Actions))
	}
	got, ap := ApproveOnly(saved.Actions, BuildPlan(Directory{Users: planned}, obs, opts()), Capacity{})
	if len(got.Actions) != 2 || len(ap.Changed) != 0 {
		t.Fatalf("applied %v", kinds(got.Actions))
	}
	// Bob's new address changes again before the approval is applied: his
	// move is not the approved one, so Ann's move into his address waits.
	now := []DirectoryUser{user("u-a", "bob@x.example", "Ann"), user("u-b", "dee@x.example", "Bob")}
	got, ap = ApproveOnly(saved.Actions, BuildPlan(Directory{Users: now}, obs, opts()), Capacity{})
	if len(got.Actions) != 0 || len(ap.Changed) != 2 || len(ap.NotApproved) != 1 {
		t.Fatalf("applied %v, changed %v, not approved %v", kinds(got.Actions), kinds(ap.Changed), kinds(ap.NotApproved))
	}
	if err := got.Check(Directory{Users: now}, obs, opts()); err != nil {
		t.Fatal(err)
	}
}

// When an approved deactivation is left out, the creates it made room for
// under the server's user limit are left out with it.
func TestApproveOnlyKeepsWithinTheUserLimit(t *testing.T) {
	leaver := linkedTo(Account{ID: "m-l", Username: "lee", Email: "lee@x.example", Roles: "system_user", EmailVerified: true}, "u-l")
	obs := Observed{Accounts: []Account{leaver}, SelfID: "self"}
	o := opts()
	o.Capacity = Capacity{HardLimit: 1, Active: 1}
	dir := Directory{Users: []DirectoryUser{user("u-n", "new@x.example", "New")}}
	saved := BuildPlan(dir, obs, o)
	if saved.Count(KindDeactivate) != 1 || saved.Count(KindCreate) != 1 {
		t.Fatalf("plan %v", kinds(saved.Actions))
	}
	// The approval lacks the deactivation (say, it was approved without it).
	var approved []Action
	for _, x := range saved.Actions {
		if x.Kind != KindDeactivate {
			approved = append(approved, x)
		}
	}
	got, ap := ApproveOnly(approved, BuildPlan(dir, obs, o), o.Capacity)
	if got.Count(KindCreate) != 0 || len(ap.NotApproved) != 1 {
		t.Fatalf("applied %v, not approved %v", kinds(got.Actions), kinds(ap.NotApproved))
	}
	if err := got.Check(dir, obs, o); err != nil {
		t.Fatal(err)
	}
}

// An onboarding of an adopted account (a new password) goes with the
// adoption: never a new password on an account the run does not link.
func TestApproveOnlyOnboardsOnlyWithItsAdoption(t *testing.T) {
	acct := Account{ID: "m-j", Username: "jane", Email: "jane@x.example", Roles: "system_user", EmailVerified: true}
	obs := Observed{Accounts: []Account{acct}, SelfID: "self"}
	o := opts()
	o.Onboarding, o.Onboard = OnboardingGraphMail, OnboardNewAndAdopted
	jane := user("u-j", "jane@x.example", "Jane")
	saved := BuildPlan(Directory{Users: []DirectoryUser{jane}}, obs, o)
	if !slices.Equal(kinds(saved.Actions), []string{"update jane", "onboard jane"}) {
		t.Fatalf("plan %v", kinds(saved.Actions))
	}
	// Jane's title changes before the approved plan is applied: the
	// adoption is no longer the approved one.
	jane.JobTitle = "Lead"
	got, ap := ApproveOnly(saved.Actions, BuildPlan(Directory{Users: []DirectoryUser{jane}}, obs, o), Capacity{})
	if len(got.Actions) != 0 || len(ap.Changed) != 2 {
		t.Fatalf("applied %v, changed %v", kinds(got.Actions), kinds(ap.Changed))
	}
}

// takesAway reports whether an action kind takes something away from a
// person: approvalKey matches these on the account, not its address.
func takesAway(k Kind) bool {
	return k == KindDeactivate || k == KindTeamRemove || k == KindChannelRemove
}
