package sync

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// Failing input 7: the threshold's base is the active managed accounts, in
// integer arithmetic.
func TestThresholdBaseIsActiveManagedAccounts(t *testing.T) {
	var accts []Account
	for i := range 500 {
		a := linkedTo(Account{ID: fmt.Sprintf("m%03d", i), Username: fmt.Sprintf("u%03d", i), Email: fmt.Sprintf("u%03d@x.example", i)}, fmt.Sprintf("id%03d", i))
		if i >= 100 {
			a.DeleteAt = 5 // 400 deactivated linked accounts
		}
		accts = append(accts, a)
	}
	o := opts()
	o.MaxDeactivations = Percent(10)
	// Everyone gone: 100 active accounts to deactivate, 10% of 100 = 10 allowed.
	dir := Directory{Users: []DirectoryUser{user("other", "other@x.example", "Other")}}
	p := BuildPlan(dir, Observed{Accounts: accts, SelfID: "self"}, o)
	if p.Managed != 100 || !strings.Contains(p.ThresholdError, "10% of 100 active managed accounts = 10") || len(p.Withheld) != 100 {
		t.Fatalf("managed %d, withheld %d: %s", p.Managed, len(p.Withheld), p.ThresholdError)
	}
	if p.Count(KindDeactivate) != 0 {
		t.Fatal("deactivations went through")
	}
}

func TestThresholdIsExact(t *testing.T) {
	for _, tt := range []struct {
		in   string
		base int
		want int
	}{{"1.1%", 3000, 33}, {"1.1%", 3001, 34}, {"0.1%", 1000, 1}, {"33.333%", 3, 1}, {"100%", 7, 7}, {"12.5%", 80, 10}} {
		th, err := ParseThreshold(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := th.Limit(tt.base); got != tt.want {
			t.Errorf("%s of %d = %d, want %d", tt.in, tt.base, got, tt.want)
		}
	}
	for _, bad := range []string{"1e1%", "1/2%", "0x10%", "-1%", "1.%", ".5%"} {
		if _, err := ParseThreshold(bad); err == nil {
			t.Errorf("ParseThreshold(%q) accepted", bad)
		}
	}
}

// Failing input 7: team removals have a cap, all or nothing, and an empty
// group read fails closed.
func TestMaxRemovalsAndEmptyGroups(t *testing.T) {
	var accts []Account
	var dir []DirectoryUser
	members := map[string]bool{}
	groupMembers := map[string]bool{}
	for i := range 20 {
		id := fmt.Sprintf("id%02d", i)
		a := linkedTo(Account{ID: fmt.Sprintf("m%02d", i), Username: fmt.Sprintf("u%02d", i), Email: fmt.Sprintf("u%02d@x.example", i)}, id)
		accts = append(accts, a)
		dir = append(dir, user(id, a.Email, a.Username))
		members[a.ID] = true
		if i < 15 {
			groupMembers[id] = true
		}
	}
	members["manual"] = true // an unmanaged member: never counted, never removed
	teams := map[string]TeamState{"eng": {ID: "t1", Name: "eng", Members: members}}
	policy := func(m map[string]bool) *TeamPolicy {
		return &TeamPolicy{ByGroup: []GroupMembership{{Group: "Engineering", Members: m, Teams: []string{"eng"}}}, Remove: true}
	}
	o := opts()
	o.MaxRemovals = Percent(10) // of 20 managed members = 2
	o.Teams = policy(groupMembers)
	// Unread channel memberships cannot be counted: nothing is removed,
	// and the plan names what to read.
	p := BuildPlan(Directory{Users: dir}, Observed{Accounts: accts, SelfID: "self", Teams: teams}, o)
	if p.Count(KindTeamRemove) != 0 || len(p.WithheldRemovals) != 5 || len(p.NeedTeamChannels) != 5 || !strings.Contains(p.RemovalError, "were not read") {
		t.Fatalf("unread: removals %d withheld %d need %d: %s", p.Count(KindTeamRemove), len(p.WithheldRemovals), len(p.NeedTeamChannels), p.RemovalError)
	}
	read := map[TeamAccount][]string{}
	for _, ta := range p.NeedTeamChannels {
		read[ta] = nil // in no channel of the team
	}
	obs := Observed{Accounts: accts, SelfID: "self", Teams: teams, TeamChannels: read}
	p = BuildPlan(Directory{Users: dir}, obs, o)
	if p.Count(KindTeamRemove) != 0 || len(p.WithheldRemovals) != 5 || !strings.Contains(p.RemovalError, "10% of 20 memberships of managed users in the mapped teams and channels, and in the channels of the teams they leave = 2") {
		t.Fatalf("removals %d withheld %d: %s", p.Count(KindTeamRemove), len(p.WithheldRemovals), p.RemovalError)
	}
	if !p.Failed() {
		t.Error("a withheld removal does not fail the plan")
	}
	o.MaxRemovals = Threshold{Count: 5}
	if p := BuildPlan(Directory{Users: dir}, obs, o); p.Count(KindTeamRemove) != 5 || p.RemovalError != "" {
		t.Fatalf("within the cap: removals %d: %s", p.Count(KindTeamRemove), p.RemovalError)
	}
	// Issue 15, item 4: each leaver is in 3 of the team's channels, which
	// Mattermost empties with the team. 5 team removals take 20
	// memberships: a cap of 5 no longer lets them through.
	for ta := range read {
		read[ta] = []string{"c1", "c2", "c3"}
	}
	p = BuildPlan(Directory{Users: dir}, obs, o)
	if p.Count(KindTeamRemove) != 0 || !strings.Contains(p.RemovalError, "20 membership removals planned (5 team and 0 channel removals") ||
		!strings.Contains(p.RemovalError, "of 35 memberships") {
		t.Fatalf("channel memberships must count: %d removals: %s", p.Count(KindTeamRemove), p.RemovalError)
	}
	if err := p.Check(Directory{Users: dir}, obs, o); err != nil {
		t.Fatal(err)
	}
	o.MaxRemovals = Threshold{Count: 20}
	if p := BuildPlan(Directory{Users: dir}, obs, o); p.Count(KindTeamRemove) != 5 || p.RemovalError != "" {
		t.Fatalf("within the cap in memberships: removals %d: %s", p.Count(KindTeamRemove), p.RemovalError)
	} else if err := p.Check(Directory{Users: dir}, obs, o); err != nil {
		t.Fatal(err)
	}
	o.MaxRemovals = Threshold{Count: 5}
	// Issue 15: the group reads empty (its owner removed everyone): the
	// line is broken alone. Its team is frozen, the run fails, and
	// everything else goes on.
	o.Teams = policy(map[string]bool{})
	p = BuildPlan(Directory{Users: dir}, Observed{Accounts: accts, SelfID: "self", Teams: teams}, o)
	if p.StopError != "" || p.Count(KindTeamRemove) != 0 || len(p.Broken) != 1 || !p.Failed() ||
		!strings.Contains(p.Broken[0].String(), `input group-teams: group "Engineering" read no members`) || !slices.Equal(p.Broken[0].Teams, []string{"eng"}) {
		t.Fatalf("empty group: stop %q, %d removals, broken %+v", p.StopError, p.Count(KindTeamRemove), p.Broken)
	}
	// An empty scope group makes the scope unknown: nobody is created and
	// nobody leaves by absence, but a disabled user is still deactivated.
	o2 := opts()
	o2.MaxDeactivations = Percent(100)
	if p := BuildPlan(Directory{Users: dir, ScopeGroups: map[string]int{"Everyone": 0}}, Observed{Accounts: accts, SelfID: "self"}, o2); p.StopError != "" || len(p.Broken) != 0 {
		t.Fatalf("100%% accepts an empty group: %q %+v", p.StopError, p.Broken)
	}
	o2.MaxDeactivations = Percent(10)
	off := slices.Clone(dir[:5])
	off[0].AccountEnabled = BoolFalse
	newcomer := user("id-new", "new@x.example", "New")
	gone := Directory{Users: append(off, newcomer), OutOfScope: dir[5:], ScopeGroups: map[string]int{"Everyone": 0, "Staff": 6}}
	p = BuildPlan(gone, Observed{Accounts: accts, SelfID: "self"}, o2)
	if p.StopError != "" || p.ScopeUnknown == "" || !strings.Contains(p.ScopeUnknown, "Everyone") || !p.Failed() {
		t.Fatalf("empty scope group: stop %q, scope unknown %q", p.StopError, p.ScopeUnknown)
	}
	if got := kindUsers(p, KindDeactivate); !slices.Equal(got, []string{"u00"}) || p.Count(KindCreate) != 0 {
		t.Fatalf("deactivations %v (want the disabled user only), creates %d (want none)", got, p.Count(KindCreate))
	}
	if err := p.Check(gone, Observed{Accounts: accts, SelfID: "self"}, o2); err != nil {
		t.Fatal(err)
	}
	// An empty tenant read still changes nothing.
	if p := BuildPlan(Directory{ScopeGroups: map[string]int{"Everyone": 0}}, Observed{Accounts: accts, SelfID: "self"}, o2); p.StopError == "" || len(p.Actions) != 0 {
		t.Fatalf("empty tenant: stop %q, %d actions", p.StopError, len(p.Actions))
	}
}

// Found by review: the user limit blocks a reactivation that would free an
// address another update takes; the update's address change becomes a
// conflict, and the plan passes its own check.
func TestCapacityBlocksTheMoverAndItsDependents(t *testing.T) {
	u0 := user("u0", "b@x.example", "U0") // renamed a@ → b@, returning
	u1 := user("u1", "a@x.example", "U1") // now has a@
	a := linkedTo(Account{ID: "m0", Username: "ann", Email: "a@x.example", Nickname: "U0", DeleteAt: 7, Roles: "system_user"}, "u0")
	a.Props[PropDeactivated] = testLinker.DeactivatedMark("m0", "u0", 7)
	b := linkedTo(Account{ID: "m1", Username: "bob", Email: "c@x.example", Nickname: "U1", Roles: "system_user"}, "u1")
	o := opts()
	o.Reactivate = ReactivateBySync
	o.Capacity = Capacity{HardLimit: 250, Active: 250}
	dir := Directory{Users: []DirectoryUser{u0, u1}}
	obs := Observed{Accounts: []Account{a, b}, SelfID: "self"}
	p := BuildPlan(dir, obs, o)
	if err := p.Check(dir, obs, o); err != nil {
		t.Fatal(err)
	}
	if len(p.Blocked) != 1 || p.Blocked[0].AccountID != "m0" || len(p.Conflicts) != 1 || p.Conflicts[0].HolderUsername != "ann" || len(p.Actions) != 0 {
		t.Fatalf("blocked %+v, conflicts %+v, actions %v", p.Blocked, p.Conflicts, kindsOf(p))
	}
	target := newFakeTarget(a, b)
	for _, r := range Apply(context.Background(), p, target, ApplyOptions{Options: o, SelfID: "self"}) {
		t.Errorf("unexpected write: %s %s", r.Kind, r.Username)
	}
}

// Found by review: the first run after a hand-made script adopts everyone,
// and those adoptions are the threshold's base, so its one leaver fits.
func TestFirstRunAdoptionsCountInTheBase(t *testing.T) {
	var users []DirectoryUser
	var accts []Account
	for i := range 100 {
		u := user(fmt.Sprintf("u%d", i), fmt.Sprintf("p%d@x.example", i), fmt.Sprintf("P%d", i))
		if i == 0 {
			u.AccountEnabled = BoolFalse
		}
		users = append(users, u)
		accts = append(accts, Account{ID: fmt.Sprintf("m%d", i), Username: fmt.Sprintf("p%d", i), Email: u.Mail, Nickname: u.DisplayName, Roles: "system_user"})
	}
	o := opts()
	o.MaxDeactivations = Percent(10)
	o.AdoptUnverified = true // a script's accounts are unverified: the one-time move
	p := BuildPlan(Directory{Users: users}, Observed{Accounts: accts, SelfID: "self"}, o)
	if p.Managed != 99 || p.Count(KindDeactivate) != 1 || p.ThresholdError != "" {
		t.Fatalf("managed %d, deactivations %d: %q", p.Managed, p.Count(KindDeactivate), p.ThresholdError)
	}
}
