package sync

import (
	"context"
	"strings"
	"testing"
)

var (
	oldKey = []byte("old link key, 16+")
	newKey = []byte("new link key, 16+")
)

// linkedWith returns a copy of a linked to objectID by l.
func linkedWith(l Linker, a Account, objectID string) Account {
	a.Props = l.linkProps(&a, a.ID, objectID)
	return a
}

func TestLinkerKeysAndInstances(t *testing.T) {
	acct := Account{ID: "m1", Username: "ann", Email: "ann@x.example"}
	oldOnly := NewLinkerKeys("", oldKey)
	rotated := NewLinkerKeys("", newKey, oldKey)
	newOnly := NewLinkerKeys("", newKey)
	hr := NewLinkerKeys("hr", newKey)
	ops := NewLinkerKeys("ops", []byte("ops key, sixteen+"))

	tests := []struct {
		name        string
		signer      Linker
		verifier    Linker
		linked      bool
		stale       bool
		foreign     string // "" = not foreign; "-" = the unnamed instance
		wantForeign bool
	}{
		{"same key", oldOnly, oldOnly, true, false, "", false},
		{"old key still verifies, stale", oldOnly, rotated, true, true, "", false},
		{"newest key, fresh", newOnly, rotated, true, false, "", false},
		{"dropped key: unverifiable, forged, not foreign", oldOnly, newOnly, false, false, "", false},
		{"named instance verifies its own", hr, hr, true, false, "", false},
		{"unnamed link is foreign to a named instance", newOnly, hr, false, false, "", true},
		{"claim-unnamed takes it, stale", newOnly, hr.ClaimingUnnamed(), true, true, "", false},
		{"another named instance's link is foreign", ops, hr, false, false, "ops", true},
		{"a named link is foreign to the unnamed instance", hr, newOnly, false, false, "hr", true},
		{"the unnamed instance cannot claim a named link", hr, newOnly.ClaimingUnnamed(), false, false, "hr", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := linkedWith(tt.signer, acct, "u1")
			id, v := tt.verifier.linkVerdict(&a)
			if v.ok() != tt.linked || (v == stale) != tt.stale || (tt.linked && id != "u1") {
				t.Fatalf("verdict %v id %q; want linked %v stale %v", v, id, tt.linked, tt.stale)
			}
			name, foreign := tt.verifier.Foreign(&a)
			if foreign != tt.wantForeign || name != tt.foreign {
				t.Fatalf("Foreign = %q, %v; want %q, %v", name, foreign, tt.foreign, tt.wantForeign)
			}
		})
	}
}

// An insider edits their own props: renaming the instance does not move a
// link (the HMAC covers it), and the owner puts the prop right.
func TestLinkerInstancePropTampering(t *testing.T) {
	unnamed := NewLinkerKeys("", newKey)
	a := linkedWith(unnamed, Account{ID: "m1", Username: "ann", Email: "ann@x.example"}, "u1")
	a.Props[PropInstance] = "hr" // the user's own edit
	if id, v := unnamed.linkVerdict(&a); id != "u1" || v != stale {
		t.Fatalf("a renamed instance prop must not unlink: %q %v", id, v)
	}
	if _, foreign := unnamed.Foreign(&a); foreign {
		t.Fatal("a link that verifies as this instance's is never foreign")
	}
	set, drop := unnamed.Resign(&a, "u1")
	if set[PropLink] == "" || len(drop) != 1 || drop[0] != PropInstance {
		t.Fatalf("the instance prop must be put right: set %v drop %v", set, drop)
	}
	// The other instance does not take it as its own forged link either:
	// "hr" verifies under its own key, which this link fails, so for hr it
	// is a forged link (adoptable only by the adoption rule), never its own.
	hr := NewLinkerKeys("hr", []byte("hr key, sixteen+"))
	if _, ok := hr.Linked(&a); ok {
		t.Fatal("hr must not verify the unnamed instance's link")
	}
}

func TestLinkerResign(t *testing.T) {
	old := NewLinkerKeys("", oldKey)
	rotated := NewLinkerKeys("", newKey, oldKey)
	a := linkedWith(old, Account{ID: "m1", Username: "ann", Email: "ann@x.example", DeleteAt: 7}, "u1")
	a.Props[PropCreated] = old.CreatedMark("u1", a.Email, a.Username)
	a.Props[PropDeactivated] = old.DeactivatedMark("m1", "u1", 7)
	a.Props[PropPendingEmail] = old.PendingMark("m1", "new@x.example")
	a.Props[PropOnboarded] = old.OnboardedMark("m1", "u1")
	a.Props[PropOnboardPending] = old.OnboardPendingMark("u1")
	set, _ := rotated.Resign(&a, "u1")
	for _, k := range []string{PropLink, PropCreated, PropDeactivated, PropPendingEmail, PropOnboarded, PropOnboardPending} {
		if set[k] == "" || set[k] == a.Props[k] {
			t.Fatalf("%s not re-signed: %v", k, set)
		}
	}
	b := a
	b.Props = withProps(a.Props, set)
	newOnly := NewLinkerKeys("", newKey)
	if _, ok := newOnly.Linked(&b); !ok || !newOnly.DeactivatedBySync(&b, "u1") {
		t.Fatal("after the re-sign the newest key alone must verify")
	}
	if e, ok := newOnly.PendingEmail(&b); !ok || e != "new@x.example" {
		t.Fatal("pending record lost in the re-sign")
	}
	// A rotation must not read as "never onboarded": that would mail a new
	// password to everyone once the old key is dropped.
	if !newOnly.Onboarded(&b, "u1") || !newOnly.OnboardPending(&b, "u1") {
		t.Fatal("onboarding marks lost in the re-sign")
	}
	if s, _ := rotated.Resign(&b, "u1"); s != nil {
		t.Fatalf("fresh marks re-signed again: %v", s)
	}
}

// A planned rotation loses nothing: run with the new key first, the old one
// second; every mark is re-signed in that run (one patch per account, none
// for protected accounts), and a run with the new key alone then plans
// nothing and still knows who the sync deactivated.
func TestPlanRotatesKeys(t *testing.T) {
	old := NewLinkerKeys("", oldKey)
	accts := []Account{
		linkedWith(old, Account{ID: "m1", Username: "ann", Email: "ann@x.example", Nickname: "Ann", Roles: "system_user"}, "u1"),
		linkedWith(old, Account{ID: "m2", Username: "bob", Email: "bob@x.example", Roles: "system_user", DeleteAt: 5}, "u2"),
		linkedWith(old, Account{ID: "m3", Username: "cy", Email: "cy@x.example", Nickname: "Cy", Roles: "system_admin system_user"}, "u3"),
	}
	accts[1].Props[PropDeactivated] = old.DeactivatedMark("m2", "u2", 5)
	gone := user("u2", "bob@x.example", "Bob")
	gone.AccountEnabled = BoolFalse
	dir := Directory{Users: []DirectoryUser{user("u1", "ann@x.example", "Ann"), gone, user("u3", "cy@x.example", "Cy")}}
	o := opts()
	o.Reactivate = ReactivateBySync
	o.Linker = NewLinkerKeys("", newKey, oldKey)
	p := BuildPlan(dir, Observed{Accounts: accts, SelfID: "self"}, o)
	if err := p.Check(dir, Observed{Accounts: accts, SelfID: "self"}, o); err != nil {
		t.Fatal(err)
	}
	if len(p.Actions) != 2 || p.Count(KindUpdate) != 2 {
		t.Fatalf("want one re-sign patch each for ann and bob, got %+v", p.Actions)
	}
	target := newFakeTarget(accts...)
	for _, r := range Apply(context.Background(), p, target, ApplyOptions{Options: o, SelfID: "self"}) {
		if r.Status != StatusDone || r.Reason != resignReason {
			t.Fatalf("%+v", r)
		}
	}
	o.Linker = NewLinkerKeys("", newKey)
	after := target.observed()
	if p2 := BuildPlan(dir, after, o); len(p2.Actions) != 0 {
		t.Fatalf("the old key is still needed: %+v", p2.Actions)
	}
	gone.AccountEnabled = BoolTrue
	dir.Users[1] = gone
	if p3 := BuildPlan(dir, after, o); p3.Count(KindReactivate) != 1 {
		t.Fatalf("the sync's deactivation record was lost in the rotation: %+v %+v", p3.Actions, p3.Skipped)
	}
}

// Two instances on one server: each leaves the other's accounts alone, a
// person both scopes hold is not created twice, and the address rule still
// reaches an account that names another instance.
func TestPlanInstances(t *testing.T) {
	hr := NewLinkerKeys("hr", []byte("hr key, sixteen+"))
	ops := NewLinkerKeys("ops", []byte("ops key, sixteen+"))
	shared := linkedWith(ops, Account{ID: "m1", Username: "ann", Email: "ann@x.example", Nickname: "Ann", Roles: "system_user"}, "u1")
	opsOnly := linkedWith(ops, Account{ID: "m2", Username: "bob", Email: "bob@x.example", Nickname: "Bob", Roles: "system_user"}, "u2")
	// An insider names another instance on their own account to escape
	// offboarding: their user is disabled in hr's directory.
	escapee := Account{ID: "m3", Username: "cy", Email: "cy@x.example", Roles: "system_user",
		Props: map[string]string{PropEntraID: "u3", PropLink: strings.Repeat("0", 64), PropInstance: "ops"}}
	off := user("u3", "cy@x.example", "Cy")
	off.AccountEnabled = BoolFalse
	dir := Directory{Users: []DirectoryUser{user("u1", "ann@x.example", "Ann"), off}}
	obs := Observed{Accounts: []Account{shared, opsOnly, escapee}, SelfID: "self"}
	o := opts()
	o.Linker = hr
	p := BuildPlan(dir, obs, o)
	if err := p.Check(dir, obs, o); err != nil {
		t.Fatal(err)
	}
	if len(p.Actions) != 1 || p.Actions[0].Kind != KindDeactivate || p.Actions[0].AccountID != "m3" || p.Actions[0].Patch.Props != nil {
		t.Fatalf("want only the escapee deactivated (its props left as they are): %+v", p.Actions)
	}
	var skipped []string
	for _, s := range p.Skipped {
		skipped = append(skipped, s.AccountID+": "+s.Reason)
	}
	if len(skipped) != 1 || !strings.Contains(skipped[0], `m1: managed by another sync (instance "ops")`) {
		t.Fatalf("ann must be listed once as the other instance's: %q", skipped)
	}
	// A plan that touches the other instance's account is refused.
	bad := &Plan{Actions: []Action{{Kind: KindUpdate, AccountID: "m2", Username: "bob"}}}
	if err := bad.Check(dir, obs, o); err == nil || !strings.Contains(err.Error(), "another sync manages") {
		t.Fatalf("Check must refuse: %v", err)
	}
}

// Naming an existing sync is explicit: a named instance leaves the unnamed
// instance's links alone until claim-unnamed-links hands them over (one
// patch each), and never takes what its keys do not verify.
func TestPlanClaimUnnamed(t *testing.T) {
	key := []byte("shared key, 16++")
	unnamed := NewLinkerKeys("", key)
	mine := linkedWith(unnamed, Account{ID: "m1", Username: "ann", Email: "ann@x.example", Nickname: "Ann", Roles: "system_user"}, "u1")
	other := linkedWith(NewLinkerKeys("", []byte("another key, 16+")), Account{ID: "m2", Username: "bob", Email: "bob@x.example", Nickname: "Bob", Roles: "system_user"}, "u2")
	dir := Directory{Users: []DirectoryUser{user("u1", "ann@x.example", "Ann"), user("u2", "bob@x.example", "Bob")}}
	obs := Observed{Accounts: []Account{mine, other}, SelfID: "self"}
	o := opts()
	o.Linker = NewLinkerKeys("hr", key)
	if p := BuildPlan(dir, obs, o); len(p.Actions) != 0 || len(p.Skipped) != 2 {
		t.Fatalf("without the claim nothing moves: %+v %+v", p.Actions, p.Skipped)
	}
	o.Linker = o.Linker.ClaimingUnnamed()
	p := BuildPlan(dir, obs, o)
	if err := p.Check(dir, obs, o); err != nil {
		t.Fatal(err)
	}
	if len(p.Actions) != 1 || p.Actions[0].AccountID != "m1" || p.Actions[0].Patch.Props[PropInstance] != "hr" {
		t.Fatalf("want ann's link moved to hr: %+v", p.Actions)
	}
	if len(p.Skipped) != 1 || p.Skipped[0].AccountID != "m2" {
		t.Fatalf("bob's link (another key) must stay the unnamed instance's: %+v", p.Skipped)
	}
}

// Another instance's account for the same person under another address
// (that instance maps the address from another attribute) is found by the
// object id it names: no second account.
func TestPlanInstanceSamePersonOtherAddress(t *testing.T) {
	ops := NewLinkerKeys("ops", []byte("ops key, sixteen+"))
	theirs := linkedWith(ops, Account{ID: "m1", Username: "ann", Email: "ann@upn.example", Roles: "system_user"}, "u1")
	dir := Directory{Users: []DirectoryUser{user("u1", "ann@x.example", "Ann")}}
	obs := Observed{Accounts: []Account{theirs}, SelfID: "self"}
	o := opts()
	o.Linker = NewLinkerKeys("hr", []byte("hr key, sixteen+"))
	p := BuildPlan(dir, obs, o)
	if len(p.Actions) != 0 || len(p.Skipped) != 1 || p.Skipped[0].AccountID != "m1" || !strings.Contains(p.Skipped[0].Reason, "names this Entra ID user's object id") {
		t.Fatalf("want no create and a skip naming the account: %+v %+v", p.Actions, p.Skipped)
	}
}

// A release re-signs the leaver's marks in its own patch: the released
// account stays the sync's once the older key is dropped.
func TestReleaseResignsMarks(t *testing.T) {
	old := NewLinkerKeys("", oldKey)
	leaver := linkedWith(old, Account{ID: "m1", Username: "ann", Email: "ann@x.example", Roles: "system_user", DeleteAt: 5}, "u-old")
	leaver.Props[PropDeactivated] = old.DeactivatedMark("m1", "u-old", 5)
	gone := user("u-old", "ann.old@x.example", "Ann Old")
	gone.AccountEnabled = BoolFalse
	dir := Directory{Users: []DirectoryUser{user("u-new", "ann@x.example", "Ann New"), gone}}
	obs := Observed{Accounts: []Account{leaver}, SelfID: "self"}
	o := opts()
	o.Linker = NewLinkerKeys("", newKey, oldKey)
	p := BuildPlan(dir, obs, o)
	if err := p.Check(dir, obs, o); err != nil {
		t.Fatal(err)
	}
	if p.Count(KindRelease) != 1 {
		t.Fatalf("want a release: %+v", p.Actions)
	}
	for _, a := range p.Actions {
		if a.Kind == KindUpdate && a.AccountID == "m1" {
			t.Fatalf("a second props write on the released account: %+v", a)
		}
		if a.Kind == KindRelease {
			after := leaver
			after.Props = a.Patch.Props
			newOnly := NewLinkerKeys("", newKey)
			if id, ok := newOnly.Linked(&after); !ok || id != "u-old" || !newOnly.DeactivatedBySync(&after, "u-old") {
				t.Fatalf("the release did not re-sign: %v", a.Patch.Props)
			}
		}
	}
}
