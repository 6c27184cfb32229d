package sync

import (
	"strings"
	"testing"
)

// Check's own rules on returners and on whose account an action writes
// (README: Identity and links, Listings that lag, When a mapping breaks,
// Returners lose old rooms first) refuse each of these plans, which the
// planner would not make.
func TestCheckRefusesReturnersAndOwners(t *testing.T) {
	ann := user("u-ann", "ann@x.example", "Ann")
	bob := user("u-bob", "bob@x.example", "Bob")
	dir := Directory{Users: []DirectoryUser{ann, bob}}
	annBack := linkedTo(Account{ID: "m-ann", Username: "ann", Email: "ann@x.example", Roles: "system_user", DeleteAt: 7}, "u-ann")
	annAcct := linkedTo(Account{ID: "m-ann", Username: "ann", Email: "ann@x.example", Roles: "system_user"}, "u-ann")
	annTwin := linkedTo(Account{ID: "m-ann2", Username: "ann2", Email: "ann2@x.example", Roles: "system_user"}, "u-ann")
	stranger := Account{ID: "m-str", Username: "str", Email: "str@x.example", Roles: "system_user", EmailVerified: true}
	back := Action{Kind: KindReactivate, EntraID: "u-ann", AccountID: "m-ann", Username: "ann", Email: "ann@x.example"}
	secret := ChannelRef{"eng", "secret"}
	oldTeam := map[string]TeamState{"old": {ID: "t-old", Name: "old", Members: map[string]bool{"m-ann": true}}}
	inSecret := map[ChannelRef]ChannelState{secret: {ID: "c-secret", TeamID: "t-eng", Team: "eng", Name: "secret", Type: "P", Members: map[string]bool{"m-ann": true}}}
	groupTeams := func(x *Options) {
		x.Teams = &TeamPolicy{Remove: true, ByGroup: []GroupMembership{{Group: "G", ID: "g-old", Members: map[string]bool{"u-bob": true}, Teams: []string{"old"}}}}
	}
	groupChannels := func(x *Options) {
		x.Channels = &ChannelPolicy{Remove: true, ByGroup: []ChannelMembership{{Group: "S", ID: "g-sec", Line: 1, Members: map[string]bool{"u-bob": true}, Channels: []ChannelRef{secret}}}}
	}
	confirm := func(x *Options) { x.ConfirmDepartures = true }
	custom := map[string]string{}
	for k, v := range annAcct.Props {
		custom[k] = v
	}
	custom["customStatus"] = "gone fishing"
	nick := "Ann"
	annPending := linkedTo(Account{ID: "m-ann", Username: "ann", Email: "ann.old@x.example", Roles: "system_user"}, "u-ann")
	annPending.Props[PropPendingEmail] = testLinker.PendingMark("m-ann", "ann@x.example")
	tests := []struct {
		name      string
		accounts  []Account
		teams     map[string]TeamState
		channels  map[ChannelRef]ChannelState
		confirmed *Confirmations
		opts      []func(*Options)
		plan      Plan
		want      string
	}{
		{"reactivate while a team removal waits for a direct read", []Account{annBack}, oldTeam, nil, nil,
			[]func(*Options){groupTeams, confirm}, Plan{Actions: []Action{back}},
			"still in team old, which its mappings no longer give it: its removal waits for a direct read"},
		{"reactivate while the read asked about another group only", []Account{annBack}, oldTeam, nil,
			&Confirmations{MemberOf: map[string]map[string]bool{"u-ann": {"g-other": false}}},
			[]func(*Options){groupTeams, confirm}, Plan{Actions: []Action{back}},
			"its removal waits for a direct read"},
		{"reactivate while a channel removal waits for a direct read", []Account{annBack}, nil, inSecret, nil,
			[]func(*Options){groupChannels, confirm}, Plan{Actions: []Action{back}},
			"still in channel eng/secret, which its mappings no longer give it: its removal waits for a direct read"},
		{"reactivate while a broken line freezes an old team", []Account{annBack}, oldTeam, nil, nil,
			[]func(*Options){func(x *Options) {
				x.Teams = &TeamPolicy{Remove: true}
				x.Broken = []BrokenMapping{{Input: "group-teams", Line: 1, Entry: "G", Teams: []string{"old"}}}
			}}, Plan{Actions: []Action{back}},
			"still in team old, which its mappings no longer give it: a broken mapping line freezes it"},
		{"reactivate keeping an old channel the plan does not remove", []Account{annBack}, nil, inSecret, nil,
			[]func(*Options){groupChannels}, Plan{Actions: []Action{back}},
			"still in channel eng/secret, which its mappings no longer give it: the plan does not remove it"},
		{"change the user's own props key", []Account{annAcct}, nil, nil, nil, nil,
			Plan{Actions: []Action{{Kind: KindUpdate, EntraID: "u-ann", AccountID: "m-ann", Username: "ann", Patch: Patch{Props: custom}}}},
			`writes the user's own props key "customStatus"`},
		{"write a profile onto an account nobody linked", []Account{annAcct, stranger}, nil, nil, nil, nil,
			Plan{Actions: []Action{{Kind: KindUpdate, EntraID: "u-ann", AccountID: "m-str", Username: "str", Patch: Patch{Nickname: &nick}}}},
			"writes the profile of u-ann onto an account that is not theirs"},
		{"touch one of two accounts linked to one user", []Account{annAcct, annTwin}, nil, nil, nil, nil,
			Plan{Actions: []Action{{Kind: KindUpdate, EntraID: "u-ann", AccountID: "m-ann2", Username: "ann2", Patch: Patch{Nickname: &nick}}}},
			"one of 2 accounts linked to u-ann, a conflict"},
		{"ask again for an address change that waits for verification", []Account{annPending}, nil, nil, nil, nil,
			Plan{Actions: []Action{{Kind: KindUpdate, EntraID: "u-ann", AccountID: "m-ann", Username: "ann", Patch: Patch{Email: ptr("ann@x.example")}}}},
			"asks again for the address change to ann@x.example"},
		{"add a user to a channel only another group's line gives", []Account{annAcct}, nil,
			map[ChannelRef]ChannelState{secret: {ID: "c-secret", TeamID: "t-eng", Team: "eng", Name: "secret", Type: "P", Members: map[string]bool{}}}, nil,
			[]func(*Options){groupChannels},
			Plan{Actions: []Action{{Kind: KindChannelAdd, EntraID: "u-ann", AccountID: "m-ann", Username: "ann", Team: "eng", TeamID: "t-eng", Channel: "secret", ChannelID: "c-secret"}}},
			"no resolved mapping gives u-ann this room"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := opts()
			for _, f := range tt.opts {
				f(&o)
			}
			d := dir
			d.Confirmed = tt.confirmed
			obs := Observed{Accounts: tt.accounts, SelfID: "self", Teams: tt.teams, Channels: tt.channels}
			err := tt.plan.Check(d, obs, o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Check = %v, want %q", err, tt.want)
			}
		})
	}
}

// The same returner passes once the removal is settled: a direct read
// confirmed the user gone from the group and the plan removes them, or the
// read found them still a member (the listing lagged) and they stay.
func TestCheckAcceptsSettledReturners(t *testing.T) {
	dir := Directory{Users: []DirectoryUser{user("u-ann", "ann@x.example", "Ann")}}
	annBack := linkedTo(Account{ID: "m-ann", Username: "ann", Email: "ann@x.example", Roles: "system_user", DeleteAt: 7}, "u-ann")
	obs := Observed{Accounts: []Account{annBack}, SelfID: "self",
		Teams:        map[string]TeamState{"old": {ID: "t-old", Name: "old", Members: map[string]bool{"m-ann": true}}},
		TeamChannels: map[TeamAccount][]string{{"t-old", "m-ann"}: nil}}
	o := opts()
	o.ConfirmDepartures = true
	o.Teams = &TeamPolicy{Remove: true, ByGroup: []GroupMembership{{Group: "G", ID: "g-old", Members: map[string]bool{"u-bob": true}, Teams: []string{"old"}}}}
	back := Action{Kind: KindReactivate, EntraID: "u-ann", AccountID: "m-ann", Username: "ann", Email: "ann@x.example"}
	remove := Action{Kind: KindTeamRemove, EntraID: "u-ann", AccountID: "m-ann", Username: "ann", Team: "old", TeamID: "t-old"}
	for _, tt := range []struct {
		name   string
		member bool
		plan   Plan
	}{
		{"confirmed gone, removed first", false, Plan{Actions: []Action{remove, back}}},
		{"still a member by a direct read", true, Plan{Actions: []Action{back}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := dir
			d.Confirmed = &Confirmations{MemberOf: map[string]map[string]bool{"u-ann": {"g-old": tt.member}}}
			if err := tt.plan.Check(d, obs, o); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// ignore-users names an account the sync manages by its Entra ID user's
// address as read, not by a username its user can change: Check lets a
// leaver who renamed themselves to an ignore-users entry be deactivated, and
// refuses to touch one whose directory address is listed.
func TestCheckIgnoreUsersNamesManagedAccountsByTheirDirectoryAddress(t *testing.T) {
	old := user("u-old", "old@x.example", "Old")
	old.AccountEnabled = BoolFalse
	dir := Directory{Users: []DirectoryUser{user("u-ann", "ann@x.example", "Ann"), old}}
	renamed := linkedTo(Account{ID: "m-old", Username: "svc-backup", Email: "old@x.example", Roles: "system_user", EmailVerified: true}, "u-old")
	obs := Observed{Accounts: []Account{renamed}, SelfID: "self"}
	plan := Plan{Actions: []Action{{Kind: KindDeactivate, EntraID: "u-old", AccountID: "m-old", Username: "svc-backup", Email: "old@x.example"}}}
	o := opts()
	o.Ignore = []string{"svc-backup"}
	if err := plan.Check(dir, obs, o); err != nil {
		t.Fatalf("renamed into ignore-users: %v", err)
	}
	o.Ignore = []string{"OLD@x.example"}
	if err := plan.Check(dir, obs, o); err == nil || !strings.Contains(err.Error(), "protected account (in ignore-users)") {
		t.Fatalf("listed by directory address: Check = %v", err)
	}
}
