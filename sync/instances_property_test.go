package sync

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// instance is one sync of a two-instance world: its linker, scope and
// options. Both read the same tenant.
type instance struct {
	name string
	dir  Directory
	opts Options
}

// drawInstances draws one tenant, a server with a few pre-existing
// accounts and memberships, and two instances over random overlapping
// scopes with their own keys (and names: one may be the unnamed instance).
func drawInstances(t *rapid.T) (a, b instance, target *memberTarget) {
	var users []DirectoryUser
	for i := range rapid.IntRange(1, 6).Draw(t, "users") {
		u := user(fmt.Sprintf("u%d", i), propAddrs[i], fmt.Sprintf("User %d", i))
		u.AccountEnabled = rapid.SampledFrom([]Bool{BoolTrue, BoolTrue, BoolTrue, BoolFalse}).Draw(t, "enabled")
		users = append(users, u)
	}
	// Users deleted from the tenant, on addresses no live user has: the
	// address rule for deleted users must reach whoever holds them.
	var deleted []DeletedUser
	for i := len(users); i < len(propAddrs); i++ {
		if rapid.IntRange(0, 2).Draw(t, "deletedUser") == 0 {
			deleted = append(deleted, DeletedUser{ID: fmt.Sprintf("d%d", i), Mail: propAddrs[i]})
		}
	}
	var accts []Account
	for i := range rapid.IntRange(0, 3).Draw(t, "accounts") {
		email := rapid.SampledFrom(propAddrs).Draw(t, "email")
		dup := false
		for _, x := range accts {
			dup = dup || x.Email == email
		}
		if dup {
			continue
		}
		acct := Account{ID: fmt.Sprintf("m%d", i), Username: propNames[i], Email: email, Roles: "system_user"}
		if rapid.IntRange(0, 3).Draw(t, "insider") == 0 {
			// An account whose user wrote another instance's name into
			// its own props (the object id of a live user, of a deleted
			// one, or none with a made-up link).
			acct.Props = map[string]string{PropLink: strings.Repeat("ab", 32), PropInstance: rapid.SampledFrom([]string{"b", "a", "other"}).Draw(t, "insiderInstance")}
			if id := rapid.SampledFrom([]string{"u0", "d5", ""}).Draw(t, "insiderObject"); id != "" {
				acct.Props[PropEntraID] = id
			}
		}
		accts = append(accts, acct)
	}
	target = newMemberTarget(accts...)
	target.addTeam("t-eng")
	target.addChannel(ChannelState{ID: "c-secret", TeamID: "t-eng", Team: "eng", Name: "secret", Type: "P"})
	target.addChannel(ChannelState{ID: "c-town", TeamID: "t-eng", Team: "eng", Name: TownSquare, Type: "O"})
	for _, x := range accts {
		if rapid.Bool().Draw(t, "inTeam") {
			target.teams["t-eng"][x.ID] = true
			target.channels["c-town"].Members[x.ID] = true
			if rapid.Bool().Draw(t, "inSecret") {
				target.channels["c-secret"].Members[x.ID] = true
			}
		}
	}
	mk := func(label, name string, key string) instance {
		in := instance{name: name}
		in.dir.Deleted = deleted
		group := map[string]bool{}
		for _, u := range users {
			if rapid.Bool().Draw(t, label+"Scope") {
				in.dir.Users = append(in.dir.Users, u)
				if rapid.Bool().Draw(t, label+"Group") {
					group[u.ID] = true
				}
			} else {
				in.dir.OutOfScope = append(in.dir.OutOfScope, u)
			}
		}
		in.opts = Options{Linker: NewLinkerKeys(name, []byte(key)), Deactivate: true, MaxDeactivations: Percent(100), MaxRemovals: Percent(100),
			ReleaseAddresses: true, AdoptExisting: rapid.Bool().Draw(t, label+"Adopt"),
			Reactivate: rapid.SampledFrom([]ReactivatePolicy{ReactivateBySync, ReactivateAny}).Draw(t, label+"Reactivate")}
		if rapid.Bool().Draw(t, label+"Memberships") {
			in.opts.Teams = &TeamPolicy{Remove: true, ByGroup: []GroupMembership{{Group: "G" + label, Members: group, Teams: []string{"eng"}}}}
			in.opts.Channels = &ChannelPolicy{Remove: true, ByGroup: []ChannelMembership{{Group: "G" + label, Line: 1, Members: group, Channels: []ChannelRef{{"eng", "secret"}}}}}
		}
		return in
	}
	a = mk("a", rapid.SampledFrom([]string{"", "a"}).Draw(t, "nameA"), "key of instance a")
	b = mk("b", "b", "key of instance b")
	return a, b, target
}

// managedBy reports whether inst's linker owns the account.
func managedBy(inst instance, acct *Account) bool {
	if _, ok := inst.opts.Linker.Linked(acct); ok {
		return true
	}
	_, ok := inst.opts.Linker.CreatedBy(acct)
	return ok
}

// Two instances over random overlapping scopes of one tenant: every plan
// passes Check; no plan of one touches an account the other manages, but
// to deactivate it under the address rule (its address is a disabled
// user's); and alternating runs converge to no writes.
func TestPropTwoInstancesConverge(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a, b, target := drawInstances(t)
		observe := func() Observed { return target.observedWith(propTeams, propChannels) }
		// The addresses the address rule reaches whatever an account's
		// props say: of users disabled or deleted.
		disabled := map[string]bool{}
		for _, u := range append(append([]DirectoryUser(nil), a.dir.Users...), a.dir.OutOfScope...) {
			if u.AccountEnabled == BoolFalse {
				disabled[strings.ToLower(u.Mail)] = true
			}
		}
		for _, d := range a.dir.Deleted {
			disabled[strings.ToLower(d.Mail)] = true
		}
		runs := []instance{a, b, a, b, a, b}
		for i, in := range runs {
			other := runs[(i+1)%2]
			obs := observe()
			plan := BuildPlan(in.dir, obs, in.opts)
			if err := plan.Check(in.dir, obs, in.opts); err != nil {
				t.Fatalf("run %d (%q): %v", i, in.name, err)
			}
			byID := map[string]*Account{}
			for k := range obs.Accounts {
				byID[obs.Accounts[k].ID] = &obs.Accounts[k]
			}
			for _, act := range plan.Actions {
				acct := byID[act.AccountID]
				if acct == nil || !managedBy(other, acct) {
					continue
				}
				if act.Kind != KindDeactivate || !disabled[strings.ToLower(acct.Email)] {
					t.Fatalf("run %d (%q): %s %s touches an account instance %q manages", i, in.name, act.Kind, acct.Username, other.name)
				}
			}
			if len(plan.Actions) == 0 {
				continue
			}
			for _, r := range Apply(context.Background(), plan, target, ApplyOptions{Options: in.opts, SelfID: "self", Workers: 2, CreateWorkers: 2}) {
				if r.Status != StatusDone && r.Status != StatusAdopted {
					t.Fatalf("run %d (%q): %s %s: %s", i, in.name, r.Kind, r.Email, r.Error)
				}
			}
		}
		for _, in := range []instance{a, b} {
			if plan := BuildPlan(in.dir, observe(), in.opts); len(plan.Actions) != 0 {
				t.Fatalf("instance %q does not converge: %+v", in.name, plan.Actions)
			}
		}
		// No prop an employee can write keeps an account active on the
		// address of a user disabled or deleted: no instance has an
		// account of its own for the deleted users of this world, so the
		// rule reaches every holder.
		for _, acct := range target.accounts {
			if acct.Active() && disabled[strings.ToLower(acct.Email)] {
				t.Fatalf("%s (props %v) stays active on the address of a disabled or deleted user", acct.Username, acct.Props)
			}
		}
		if a.name != "" || !rapid.Bool().Draw(t, "rename") {
			return
		}
		// The unnamed instance is named, with the explicit claim: it writes
		// only its own accounts, and both converge again.
		renamed := a
		renamed.name = "a"
		renamed.opts.Linker = NewLinkerKeys("a", []byte("key of instance a")).ClaimingUnnamed()
		obs := observe()
		plan := BuildPlan(renamed.dir, obs, renamed.opts)
		if err := plan.Check(renamed.dir, obs, renamed.opts); err != nil {
			t.Fatal(err)
		}
		byID := map[string]*Account{}
		for k := range obs.Accounts {
			byID[obs.Accounts[k].ID] = &obs.Accounts[k]
		}
		for _, act := range plan.Actions {
			if acct := byID[act.AccountID]; acct != nil && managedBy(b, acct) {
				t.Fatalf("the claim touched %s, which b manages", acct.Username)
			}
		}
		for _, r := range Apply(context.Background(), plan, target, ApplyOptions{Options: renamed.opts, SelfID: "self", Workers: 2}) {
			if r.Status != StatusDone {
				t.Fatalf("the claim's %s %s: %s %s", r.Kind, r.Username, r.Status, r.Error)
			}
		}
		renamed.opts.Linker = NewLinkerKeys("a", []byte("key of instance a"))
		for _, in := range []instance{renamed, b} {
			if plan := BuildPlan(in.dir, observe(), in.opts); len(plan.Actions) != 0 {
				t.Fatalf("instance %q does not converge after the rename: %+v", in.name, plan.Actions)
			}
		}
	})
}
