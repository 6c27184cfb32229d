package sync

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// Check's own rules refuse each of these plans, which the planner would not
// make: every case is a promise of the README that Check keeps without
// asking the planner.
func TestCheckRefuses(t *testing.T) {
	ann := user("u-ann", "ann@x.example", "Ann")
	disabled := user("u-old", "old@x.example", "Old")
	disabled.AccountEnabled = BoolFalse
	unknown := user("u-unk", "unk@x.example", "Unk")
	unknown.AccountEnabled = BoolUnknown
	annAcct := linkedTo(Account{ID: "m-ann", Username: "ann", Email: "ann@x.example", Roles: "system_user"}, "u-ann")
	oldAcct := linkedTo(Account{ID: "m-old", Username: "old", Email: "old@x.example", Roles: "system_user", DeleteAt: 5}, "u-old")
	oldActive := linkedTo(Account{ID: "m-old", Username: "old", Email: "old@x.example", Roles: "system_user"}, "u-old")
	unkAcct := linkedTo(Account{ID: "m-unk", Username: "unk", Email: "unk@x.example", Roles: "system_user"}, "u-unk")
	stranger := Account{ID: "m-str", Username: "str", Email: "str@x.example", Roles: "system_user"}
	gone := linkedTo(Account{ID: "m-gone", Username: "gone", Email: "gone@x.example", Roles: "system_user"}, "u-gone")
	annBack := linkedTo(Account{ID: "m-ann", Username: "ann", Email: "ann@x.example", Roles: "system_user", DeleteAt: 7}, "u-ann")
	title := "Lead"
	dir := Directory{Users: []DirectoryUser{ann, disabled, unknown}}
	o := opts()
	with := func(f func(*Options)) Options { x := o; f(&x); return x }
	tests := []struct {
		name     string
		accounts []Account
		opts     Options
		plan     Plan
		want     string
	}{
		{"deactivate a stranger for nobody", []Account{annAcct, stranger}, o,
			Plan{Actions: []Action{{Kind: KindDeactivate, EntraID: "u-gone", AccountID: "m-str", Username: "str"}}},
			"neither theirs nor holds the address"},
		{"deactivate with deactivate off", []Account{annAcct, oldActive}, with(func(x *Options) { x.Deactivate = false }),
			Plan{Actions: []Action{{Kind: KindDeactivate, EntraID: "u-old", AccountID: "m-old", Username: "old"}}},
			"deactivate is off"},
		{"deactivate after the threshold stopped it", []Account{annAcct, oldActive}, o,
			Plan{ThresholdError: "over", Actions: []Action{{Kind: KindDeactivate, EntraID: "u-old", AccountID: "m-old", Username: "old"}}},
			"max-deactivations stopped them"},
		{"release with release-addresses off", []Account{oldAcct}, with(func(x *Options) { x.ReleaseAddresses = false }),
			Plan{Actions: []Action{{Kind: KindRelease, EntraID: "u-old", AccountID: "m-old", Username: "old"}}},
			"release-addresses is off"},
		{"reactivate under never", []Account{annBack}, with(func(x *Options) { x.Reactivate = ReactivateNever }),
			Plan{Actions: []Action{{Kind: KindReactivate, EntraID: "u-ann", AccountID: "m-ann", Username: "ann", Email: "ann@x.example"}}},
			"reactivate is never"},
		{"reactivate an administrator's deactivation", []Account{annBack}, with(func(x *Options) { x.Reactivate = ReactivateBySync }),
			Plan{Actions: []Action{{Kind: KindReactivate, EntraID: "u-ann", AccountID: "m-ann", Username: "ann", Email: "ann@x.example"}}},
			"did not deactivate"},
		{"reactivate someone else's account", []Account{oldAcct}, o,
			Plan{Actions: []Action{{Kind: KindReactivate, EntraID: "u-ann", AccountID: "m-old", Username: "old", Email: "ann@x.example"}}},
			"does not belong to"},
		{"create for a disabled user", nil, o,
			Plan{Actions: []Action{{Kind: KindCreate, EntraID: "u-old", Email: "old@x.example", Username: "old"}}},
			"not an enabled user in scope"},
		{"create for an unknown accountEnabled", nil, o,
			Plan{Actions: []Action{{Kind: KindCreate, EntraID: "u-unk", Email: "unk@x.example", Username: "unk"}}},
			"not an enabled user in scope"},
		{"update an unknown accountEnabled", []Account{unkAcct}, o,
			Plan{Actions: []Action{{Kind: KindUpdate, EntraID: "u-unk", AccountID: "m-unk", Username: "unk", Patch: Patch{Position: &title}}}},
			"accountEnabled of u-unk is unknown"},
		{"touch an ignored address", []Account{annAcct}, with(func(x *Options) { x.Ignore = []string{" ANN@x.example "} }),
			Plan{Actions: []Action{{Kind: KindUpdate, EntraID: "u-ann", AccountID: "m-ann", Username: "ann", Patch: Patch{Position: &title}}}},
			"protected account (in ignore-users)"},
		{"remove after max-removals stopped it", []Account{annAcct}, with(func(x *Options) {
			x.Teams = &TeamPolicy{Remove: true, Everyone: []string{"eng"}}
		}),
			Plan{RemovalError: "over", Actions: []Action{{Kind: KindTeamRemove, EntraID: "u-ann", AccountID: "m-ann", Username: "ann", Team: "eng", TeamID: "t"}}},
			"max-removals stopped them"},
		{"adopt a stranger with adopt-existing off", []Account{stranger}, with(func(x *Options) { x.AdoptExisting = false }),
			Plan{Actions: []Action{{Kind: KindUpdate, EntraID: "u-ann", AccountID: "m-str", Username: "str", Patch: Patch{Props: testLinker.linkProps(&stranger, "m-str", "u-ann")}}}},
			"adopt-existing is off"},
		{"create with someone else's address", nil, o,
			Plan{Actions: []Action{{Kind: KindCreate, EntraID: "u-ann", Email: "old@x.example", Username: "ann"}}},
			"not the address of u-ann"},
		{"move an account to someone else's address", []Account{annAcct}, o,
			Plan{Actions: []Action{{Kind: KindUpdate, EntraID: "u-ann", AccountID: "m-ann", Username: "ann", Patch: Patch{Email: ptr("str@x.example")}}}},
			"not the address of u-ann"},
		{"release to a real address", []Account{oldAcct}, o,
			Plan{Actions: []Action{{Kind: KindRelease, EntraID: "u-old", AccountID: "m-old", Username: "old", Patch: Patch{Email: ptr("x@y.example")}}}},
			"not a placeholder"},
		{"empty a field", []Account{annAcct}, o,
			Plan{Actions: []Action{{Kind: KindUpdate, EntraID: "u-ann", AccountID: "m-ann", Username: "ann", Patch: Patch{Position: ptr("")}}}},
			"empties its position"},
		{"withhold silently", []Account{annAcct}, o,
			Plan{Blocked: []Action{{Kind: KindCreate, EntraID: "u-x"}}},
			"without the user-limit error"},
		{"add a deactivated account to a team", []Account{annBack}, with(func(x *Options) { x.Teams = &TeamPolicy{Everyone: []string{"eng"}} }),
			Plan{Actions: []Action{{Kind: KindTeamAdd, EntraID: "u-ann", AccountID: "m-ann", Username: "ann", Team: "eng"}}},
			"ends the run deactivated"},
		{"add someone else's account to a team", []Account{stranger}, with(func(x *Options) { x.Teams = &TeamPolicy{Everyone: []string{"eng"}} }),
			Plan{Actions: []Action{{Kind: KindTeamAdd, EntraID: "u-ann", AccountID: "m-str", Username: "str", Team: "eng"}}},
			"does not adopt it"},
		{"add to a team no mapping names", []Account{annAcct}, with(func(x *Options) { x.Teams = &TeamPolicy{Everyone: []string{"eng"}} }),
			Plan{Actions: []Action{{Kind: KindTeamAdd, EntraID: "u-ann", AccountID: "m-ann", Username: "ann", Team: "ops"}}},
			"no mapping names the team"},
		{"remove from a team only a channel mapping names", []Account{annAcct}, with(func(x *Options) {
			x.Teams = &TeamPolicy{Remove: true, Everyone: []string{"eng"}}
			x.Channels = &ChannelPolicy{Everyone: []ChannelRef{{"ops", "general"}}}
		}),
			Plan{Actions: []Action{{Kind: KindTeamRemove, EntraID: "u-ann", AccountID: "m-ann", Username: "ann", Team: "ops", TeamID: "t"}}},
			"no team mapping names the team"},
		{"a max-deactivations base larger than the managed accounts", []Account{annAcct, oldActive, gone}, with(func(x *Options) { x.MaxDeactivations = Percent(10) }),
			Plan{Managed: 30, Actions: []Action{{Kind: KindDeactivate, EntraID: "u-old", AccountID: "m-old", Username: "old"}, {Kind: KindDeactivate, EntraID: "u-gone", AccountID: "m-gone", Username: "gone"}}},
			"exceed max-deactivations (1 of 3)"},
		{"change the memberships of an unknown accountEnabled", []Account{unkAcct}, with(func(x *Options) { x.Teams = &TeamPolicy{Everyone: []string{"eng"}} }),
			Plan{Actions: []Action{{Kind: KindTeamAdd, EntraID: "u-unk", AccountID: "m-unk", Username: "unk", Team: "eng"}}},
			"not an enabled user in scope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obs := Observed{Accounts: tt.accounts, SelfID: "self", TeamChannels: map[TeamAccount][]string{{"t", "m-ann"}: nil}}
			err := tt.plan.Check(dir, obs, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Check = %v, want %q", err, tt.want)
			}
		})
	}
}

// Found by Check's own membership rule (issue 16): a three-account address
// ring whose last member is a returner held back by max-removals. The
// ring's other deactivated member (enabled again) lost its reactivation
// with its address move, while its team and channel adds stayed: an add of
// a deactivated account, which Mattermost refuses, every run. Only the
// address claims become conflicts; the return and the profile changes go
// ahead on the addresses the accounts have.
func TestHeldReturnerKeepsTheRingsOtherChanges(t *testing.T) {
	addrs := []string{"bob@x.example", "cy@x.example", "dee@x.example"}
	var dir Directory
	obs := Observed{SelfID: "self"}
	for i := range 3 {
		id := fmt.Sprintf("c%d", i)
		dir.Users = append(dir.Users, DirectoryUser{ID: id, AccountEnabled: BoolTrue, UserType: "Member", DisplayName: "Ring " + id,
			Mail: addrs[(i+1)%3], UserPrincipalName: id + "@x.onmicrosoft.com"})
		a := Account{ID: fmt.Sprintf("mc%d", i), Username: fmt.Sprintf("ring%d", i), Email: addrs[i], Roles: "system_user", EmailVerified: true, Nickname: "Ring " + id}
		if i != 1 {
			a.DeleteAt = 2000 + int64(i)
		}
		obs.Accounts = append(obs.Accounts, linkedTo(a, id))
	}
	obs.Accounts[1].Nickname = "old name"
	obs.Teams = map[string]TeamState{"eng": {ID: "t-eng", Name: "eng", Members: map[string]bool{"mc2": true}}}
	obs.Channels = map[ChannelRef]ChannelState{
		{"eng", "secret"}:   {ID: "c-secret", TeamID: "t-eng", Team: "eng", Name: "secret", Type: "P", Members: map[string]bool{"mc2": true}},
		{"eng", TownSquare}: {ID: "c-town", TeamID: "t-eng", Team: "eng", Name: TownSquare, Type: "O", Members: map[string]bool{"mc2": true}},
	}
	o := opts()
	o.Channels = &ChannelPolicy{Remove: true, Everyone: []ChannelRef{{"eng", TownSquare}},
		ByGroup: []ChannelMembership{{Group: "G", Line: 1, Members: map[string]bool{"u5": true}, Channels: []ChannelRef{{"eng", "secret"}}}}}
	o.MaxRemovals = Threshold{Count: 0}
	p := BuildPlan(dir, obs, o)
	if err := p.Check(dir, obs, o); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range p.Actions {
		got = append(got, fmt.Sprintf("%s %s %s %v", a.Kind, a.Username, a.Email, a.Patch.Email != nil))
	}
	want := []string{
		"reactivate ring0 bob@x.example false", // back, keeping its address
		"update ring1 cy@x.example false",      // its nickname, not the address
		"team-add ring0 bob@x.example false", "team-add ring1 cy@x.example false",
		"channel-add ring0 bob@x.example false", "channel-add ring1 cy@x.example false",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("plan:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(p.Conflicts) != 2 || p.Count(KindReactivate) != 1 || len(p.WithheldRemovals) != 1 {
		t.Fatalf("conflicts %+v, withheld %+v", p.Conflicts, p.WithheldRemovals)
	}
}

func ptr(s string) *string { return &s }

// Found by Check's membership rule on applied approvals (issue 16): an
// approval that held a person's team-add but not the update adopting their
// account applied the add to an account nobody owns. The adoption is now a
// dependency like a create.
func TestApprovalWithoutTheAdoptionAddsNobody(t *testing.T) {
	dir := Directory{Users: []DirectoryUser{user("u-ann", "ann@x.example", "Ann")}}
	obs := Observed{SelfID: "self", Accounts: []Account{{ID: "m-ann", Username: "ann", Email: "ann@x.example", Roles: "system_user", EmailVerified: true}},
		Teams: map[string]TeamState{"eng": {ID: "t-eng", Name: "eng", Members: map[string]bool{}}}}
	o := opts()
	o.Teams = &TeamPolicy{Everyone: []string{"eng"}}
	fresh := BuildPlan(dir, obs, o)
	if fresh.Count(KindUpdate) != 1 || fresh.Count(KindTeamAdd) != 1 {
		t.Fatalf("want an adoption and a team-add: %+v", fresh.Actions)
	}
	var approved []Action
	for _, a := range fresh.Actions {
		if a.Kind == KindTeamAdd {
			approved = append(approved, a)
		}
	}
	applied, ap := ApproveOnly(approved, fresh, Capacity{})
	if len(applied.Actions) != 0 || len(ap.Changed) != 1 {
		t.Fatalf("applied %+v, changed %+v", applied.Actions, ap.Changed)
	}
	if err := applied.Check(dir, obs, o); err != nil {
		t.Fatal(err)
	}
}
