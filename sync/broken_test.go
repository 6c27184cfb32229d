package sync

import (
	"slices"
	"strings"
	"testing"
)

func kindUsers(p *Plan, k Kind) []string {
	var out []string
	for _, a := range p.Actions {
		if a.Kind == k {
			who := a.Username
			if who == "" {
				who = a.Email
			}
			if a.Channel != "" {
				who += "@" + a.Team + "/" + a.Channel
			} else if a.Team != "" {
				who += "@" + a.Team
			}
			out = append(out, who)
		}
	}
	return out
}

// A broken line freezes what it names; the rest of the plan stands.
func TestBrokenMappingFreezesItsLine(t *testing.T) {
	dir, obs := channelWorld()
	onCall, secret := ChannelRef{"eng", "on-call"}, ChannelRef{"eng", "secret"}
	for _, tt := range []struct {
		name   string
		broken []BrokenMapping
		want   []string // channel removals
	}{
		{"nothing broken: bob leaves both channels no line puts him in", nil, []string{"ann@eng/on-call", "bob@eng/on-call", "bob@eng/secret", "cy@eng/secret"}},
		{"a broken line naming secret freezes secret only", []BrokenMapping{{Input: InputGroupChannels, Line: 2, Entry: "Gone", Error: "no group", Channels: []ChannelRef{secret}}},
			[]string{"ann@eng/on-call", "bob@eng/on-call"}},
		{"a broken channels entry freezes that channel", []BrokenMapping{{Input: InputChannels, Entry: "eng/on-call", Error: "archived", Channels: []ChannelRef{onCall}}},
			[]string{"bob@eng/secret", "cy@eng/secret"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := opts()
			o.MaxRemovals = Threshold{Count: 100}
			o.Channels = &ChannelPolicy{Remove: true, ByGroup: []ChannelMembership{{Group: "New", Line: 1, Members: map[string]bool{"n": true}, Channels: []ChannelRef{onCall, secret}}}}
			o.Broken = tt.broken
			plan := BuildPlan(dir, obs, o)
			if err := plan.Check(dir, obs, o); err != nil {
				t.Fatal(err)
			}
			if got := kindUsers(plan, KindChannelRemove); !slices.Equal(got, tt.want) {
				t.Errorf("removals %v, want %v", got, tt.want)
			}
			if got := kindUsers(plan, KindChannelAdd); !slices.Equal(got, []string{"new@eng/on-call", "new@eng/secret"}) {
				t.Errorf("adds %v: the resolved line must still add", got)
			}
			if plan.Failed() != (len(tt.broken) > 0) || len(plan.Broken) != len(tt.broken) {
				t.Errorf("failed %v, broken %v: %s %s %s", plan.Failed(), plan.Broken, plan.StopError, plan.RemovalError, plan.ThresholdError)
			}
		})
	}
}

// A groups entry that does not resolve makes the scope unknown: nobody is
// created or adopted, nobody merely out of scope leaves, but users read as
// disabled or deleted are deactivated.
func TestUnknownScope(t *testing.T) {
	stay := linkedTo(Account{ID: "m-stay", Username: "stay", Email: "stay@x.example"}, "u-out")
	off := linkedTo(Account{ID: "m-off", Username: "off", Email: "off@x.example"}, "u-off")
	del := linkedTo(Account{ID: "m-del", Username: "del", Email: "del@x.example"}, "u-del")
	unl := Account{ID: "m-unl", Username: "unl", Email: "new2@x.example"}
	in := user("u-in", "new@x.example", "New")
	in.AccountEnabled = BoolTrue
	in2 := user("u-in2", "new2@x.example", "New 2")
	in2.AccountEnabled = BoolTrue
	out := user("u-out", "stay@x.example", "Out")
	out.AccountEnabled = BoolTrue
	offUser := user("u-off", "off@x.example", "Off")
	offUser.AccountEnabled = BoolFalse
	dir := Directory{Users: []DirectoryUser{in, in2}, OutOfScope: []DirectoryUser{out, offUser}, Deleted: []DeletedUser{{ID: "u-del", Mail: "del@x.example"}}}
	obs := Observed{Accounts: []Account{stay, off, del, unl}, SelfID: "self"}
	o := opts()
	o.MaxDeactivations = Percent(100)
	o.Broken = []BrokenMapping{{Input: InputGroups, Entry: "Renamed", Error: "no group named"}}
	for _, confirm := range []bool{false, true} {
		o.ConfirmDepartures = confirm
		plan := BuildPlan(dir, obs, o)
		if err := plan.Check(dir, obs, o); err != nil {
			t.Fatal(err)
		}
		if got := kindUsers(plan, KindDeactivate); !slices.Equal(got, []string{"del", "off"}) {
			t.Errorf("confirm=%v: deactivations %v, want the disabled and the deleted user only", confirm, got)
		}
		if n := plan.Count(KindCreate) + plan.Count(KindUpdate); n != 0 {
			t.Errorf("confirm=%v: %d creates or adoptions with the scope unknown", confirm, n)
		}
		if !plan.Failed() || plan.ScopeUnknown == "" || !strings.Contains(plan.ScopeUnknown, "Renamed") {
			t.Errorf("confirm=%v: failed %v, scope %q", confirm, plan.Failed(), plan.ScopeUnknown)
		}
	}
	// Check refuses a plan that creates with the scope unknown.
	bad := &Plan{Actions: []Action{{Kind: KindCreate, EntraID: "u-in", Email: "new@x.example", Username: "new"}}}
	if err := bad.Check(dir, obs, o); err == nil || !strings.Contains(err.Error(), "scope is unknown") {
		t.Errorf("Check: %v", err)
	}
}

// With ConfirmDepartures, a departure from a listing waits for a direct
// read: unconfirmed it is skipped and listed, confirmed it goes, disproved
// it stays.
func TestDeparturesWaitForConfirmation(t *testing.T) {
	gone := linkedTo(Account{ID: "m-gone", Username: "gone", Email: "gone@x.example"}, "u-gone")
	member := linkedTo(Account{ID: "m-mem", Username: "mem", Email: "mem@x.example"}, "u-mem")
	mem := user("u-mem", "mem@x.example", "Mem")
	mem.AccountEnabled = BoolTrue
	dir := Directory{Users: []DirectoryUser{mem}}
	obs := Observed{Accounts: []Account{gone, member}, SelfID: "self",
		Teams: map[string]TeamState{"eng": {ID: "t-eng", Name: "eng", Members: map[string]bool{"m-mem": true}}}}
	o := opts()
	o.ConfirmDepartures = true
	o.Teams = &TeamPolicy{Remove: true, ByGroup: []GroupMembership{{Group: "Eng", ID: "g-eng", Members: map[string]bool{}, Teams: []string{"eng"}}}}
	for _, tt := range []struct {
		name            string
		conf            *Confirmations
		deacts, removes []string
		unconfirmed     int
	}{
		{"nothing read yet: both wait, both listed", nil, nil, nil, 2},
		{"the read failed for both", &Confirmations{}, nil, nil, 2},
		{"confirmed: deleted, and gone from the group", &Confirmations{Left: map[string]string{"u-gone": LeftDeleted}, MemberOf: map[string]map[string]bool{"u-mem": {"g-eng": false}}},
			[]string{"gone"}, []string{"mem@eng"}, 0},
		{"read, but not about the group the removal depends on", &Confirmations{Left: map[string]string{"u-gone": LeftDeleted}, MemberOf: map[string]map[string]bool{"u-mem": {"g-other": false}}},
			[]string{"gone"}, nil, 1},
		{"disproved: still a member", &Confirmations{Left: map[string]string{"u-gone": LeftDisabled}, MemberOf: map[string]map[string]bool{"u-mem": {"g-eng": true}}},
			[]string{"gone"}, nil, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := dir
			d.Confirmed = tt.conf
			plan := BuildPlan(d, obs, o)
			if err := plan.Check(d, obs, o); err != nil {
				t.Fatal(err)
			}
			if got := kindUsers(plan, KindDeactivate); !slices.Equal(got, tt.deacts) {
				t.Errorf("deactivations %v, want %v", got, tt.deacts)
			}
			if got := kindUsers(plan, KindTeamRemove); !slices.Equal(got, tt.removes) {
				t.Errorf("removals %v, want %v", got, tt.removes)
			}
			if len(plan.Unconfirmed) != tt.unconfirmed {
				t.Errorf("unconfirmed %+v", plan.Unconfirmed)
			}
		})
	}
	// Check refuses an unconfirmed deactivation.
	bad := &Plan{Actions: []Action{{Kind: KindDeactivate, EntraID: "u-gone", AccountID: "m-gone", Username: "gone"}}, ThresholdError: "-"}
	if err := bad.Check(dir, obs, o); err == nil || !strings.Contains(err.Error(), "without a direct read") {
		t.Errorf("Check: %v", err)
	}
}
