package sync

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// channelWorld: team eng (ann, bob, cy, manual, the bot, the token owner)
// with channels on-call (ann, bob), secret (bob, cy, manual, the bot, the
// token owner) and town-square (everyone in eng); team ops (nobody) with
// channel alerts. cy's account is deactivated and stays so (reactivate:
// never). new has no account yet.
func channelWorld() (Directory, Observed) {
	ann := linkedTo(Account{ID: "mm-ann", Username: "ann", Email: "ann@x.example", Nickname: "Ann"}, "a")
	bob := linkedTo(Account{ID: "mm-bob", Username: "bob", Email: "bob@x.example", Nickname: "Bob"}, "b")
	cy := linkedTo(Account{ID: "mm-cy", Username: "cy", Email: "cy@x.example", Nickname: "Cy", DeleteAt: 5}, "c")
	manual := Account{ID: "mm-man", Username: "manual", Email: "man@x.example"}
	bot := Account{ID: "mm-bot", Username: "bot", Email: "bot@x.example", IsBot: true}
	self := Account{ID: "self", Username: "admin", Email: "admin@x.example", Roles: "system_admin system_user"}
	dir := Directory{Users: []DirectoryUser{user("a", "ann@x.example", "Ann"), user("b", "bob@x.example", "Bob"),
		user("c", "cy@x.example", "Cy"), user("n", "new@x.example", "New")}}
	set := func(ids ...string) map[string]bool {
		m := map[string]bool{}
		for _, id := range ids {
			m[id] = true
		}
		return m
	}
	everyone := set("mm-ann", "mm-bob", "mm-cy", "mm-man", "mm-bot", "self")
	obs := Observed{Accounts: []Account{ann, bob, cy, manual, bot, self}, SelfID: "self",
		Teams: map[string]TeamState{
			"eng": {ID: "t-eng", Name: "eng", Members: everyone},
			"ops": {ID: "t-ops", Name: "ops", Members: set()},
		},
		Channels: map[ChannelRef]ChannelState{
			{"eng", "on-call"}:     {ID: "c-oncall", TeamID: "t-eng", Team: "eng", Name: "on-call", Type: "O", Members: set("mm-ann", "mm-bob")},
			{"eng", "secret"}:      {ID: "c-secret", TeamID: "t-eng", Team: "eng", Name: "secret", Type: "P", Members: set("mm-bob", "mm-cy", "mm-man", "mm-bot", "self")},
			{"eng", "town-square"}: {ID: "c-town", TeamID: "t-eng", Team: "eng", Name: "town-square", Type: "O", Members: everyone},
			{"ops", "alerts"}:      {ID: "c-alerts", TeamID: "t-ops", Team: "ops", Name: "alerts", Type: "O", Members: set()},
		}}
	return dir, obs
}

// membershipLines renders a plan's team and channel actions, and its
// withheld removals, one line each.
func membershipLines(p *Plan) string {
	var out []string
	line := func(prefix string, a Action) {
		where := a.Team
		if a.Channel != "" {
			where += "/" + a.Channel
		}
		out = append(out, prefix+string(a.Kind)+" "+a.Username+" "+where+" ("+a.Reason+")")
	}
	for _, a := range p.Actions {
		switch a.Kind {
		case KindTeamAdd, KindTeamRemove, KindChannelAdd, KindChannelRemove:
			line("", a)
		}
	}
	for _, a := range p.WithheldRemovals {
		line("withheld ", a)
	}
	return strings.Join(out, "\n")
}

func TestPlanChannels(t *testing.T) {
	ref := func(s string) ChannelRef { r, _ := ParseChannelRef(s); return r }
	group := func(line int, name string, members []string, refs ...string) ChannelMembership {
		g := ChannelMembership{Group: name, Line: line, Members: map[string]bool{}}
		for _, m := range members {
			g.Members[m] = true
		}
		for _, r := range refs {
			g.Channels = append(g.Channels, ref(r))
		}
		return g
	}
	tests := []struct {
		name   string
		pol    ChannelPolicy
		teams  *TeamPolicy
		max    Threshold
		want   string
		errHas string
	}{{
		name: "a group line adds its members, and the team a channel needs first",
		pol:  ChannelPolicy{ByGroup: []ChannelMembership{group(1, "Sec", []string{"a", "n"}, "eng/secret"), group(2, "Ops", []string{"b"}, "ops/alerts")}},
		want: `team-add bob ops (group-channels line 2 (Ops): channel ops/alerts needs its team)
team-add new eng (group-channels line 1 (Sec): channel eng/secret needs its team)
channel-add ann eng/secret (group-channels line 1 (Sec))
channel-add bob ops/alerts (group-channels line 2 (Ops))
channel-add new eng/secret (group-channels line 1 (Sec))`,
	}, {
		name: "several groups on one channel: one add per user, naming the first line; channels applies to everyone",
		pol: ChannelPolicy{Everyone: []ChannelRef{ref("eng/on-call")},
			ByGroup: []ChannelMembership{group(1, "A", []string{"a"}, "ops/alerts"), group(4, "AB", []string{"A", "b"}, "ops/alerts", "eng/on-call")}},
		want: `team-add ann ops (group-channels line 1 (A): channel ops/alerts needs its team)
team-add bob ops (group-channels line 4 (AB): channel ops/alerts needs its team)
team-add new eng (channels: channel eng/on-call needs its team)
channel-add ann ops/alerts (group-channels line 1 (A))
channel-add bob ops/alerts (group-channels line 4 (AB))
channel-add new eng/on-call (channels)`,
	}, {
		name: "deactivated accounts are never added; a team only a channel names is never left",
		// bob is in no mapping, but eng is only a channel's team: he stays.
		pol: ChannelPolicy{ByGroup: []ChannelMembership{group(1, "All", []string{"a", "c"}, "eng/on-call")}},
		teams: &TeamPolicy{ByGroup: []GroupMembership{{Group: "Ops", Members: map[string]bool{}, Teams: []string{"nowhere"}}},
			Remove: true},
		want: ``,
	}, {
		name: "remove-from-channels takes out only managed members of mapped channels, never town-square",
		pol: ChannelPolicy{Remove: true, ByGroup: []ChannelMembership{group(1, "Sec", []string{"a"}, "eng/secret", "eng/town-square"),
			group(2, "Call", []string{"a"}, "eng/on-call")}},
		// bob leaves secret and on-call; cy (deactivated, a leaver's
		// account), manual, the bot and the token owner stay in secret;
		// nobody leaves town-square.
		want: `team-add new eng (mapped to team eng)
channel-add ann eng/secret (group-channels line 1 (Sec))
channel-remove bob eng/on-call (no mapping puts this user in channel eng/on-call any more (remove-from-channels))
channel-remove bob eng/secret (no mapping puts this user in channel eng/secret any more (remove-from-channels))`,
		teams: &TeamPolicy{Everyone: []string{"eng"}},
	}, {
		name:  "a user leaving the team is not also removed from its channels",
		pol:   ChannelPolicy{Remove: true, ByGroup: []ChannelMembership{group(1, "Sec", []string{"a"}, "eng/secret")}},
		teams: &TeamPolicy{ByGroup: []GroupMembership{{Group: "Eng", Members: map[string]bool{"a": true}, Teams: []string{"eng"}}}, Remove: true},
		want: `team-remove bob eng (no mapping puts this user in team eng any more)
channel-add ann eng/secret (group-channels line 1 (Sec))`,
	}, {
		name:  "team and channel removals share max-removals, all or nothing",
		pol:   ChannelPolicy{Remove: true, ByGroup: []ChannelMembership{group(1, "Sec", []string{"a"}, "eng/secret", "eng/on-call")}},
		teams: &TeamPolicy{ByGroup: []GroupMembership{{Group: "Eng", Members: map[string]bool{"a": true, "b": true}, Teams: []string{"eng"}}, {Group: "Ops", Members: map[string]bool{"a": true}, Teams: []string{"ops"}}}, Remove: true},
		// Base: ann and bob in eng (2), in on-call (2) and in secret (1) = 5;
		// 20% of 5 = 1, and 2 removals are planned.
		max: Percent(20),
		want: `team-add ann ops (mapped to team ops)
channel-add ann eng/secret (group-channels line 1 (Sec))
withheld channel-remove bob eng/on-call (no mapping puts this user in channel eng/on-call any more (remove-from-channels))
withheld channel-remove bob eng/secret (no mapping puts this user in channel eng/secret any more (remove-from-channels))`,
		errHas: "2 membership removals planned (0 team and 2 channel removals; a team removal also takes the user's channel memberships in that team), more than max-removals allows (20% of 5 memberships of managed users in the mapped teams and channels, and in the channels of the teams they leave = 1)",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, obs := channelWorld()
			o := opts()
			o.Reactivate = ReactivateNever
			o.Channels, o.Teams = &tt.pol, tt.teams
			if tt.max != (Threshold{}) {
				o.MaxRemovals = tt.max
			}
			p := BuildPlan(dir, obs, o)
			if got := membershipLines(p); got != tt.want {
				t.Errorf("membership actions\n got:\n%s\nwant:\n%s", got, tt.want)
			}
			if !strings.Contains(p.RemovalError, tt.errHas) || (tt.errHas == "") != (p.RemovalError == "") {
				t.Errorf("removal error %q, want one containing %q", p.RemovalError, tt.errHas)
			}
			if err := p.Check(dir, obs, o); err != nil {
				t.Error(err)
			}
		})
	}
}

// Issue 15: a group owner can empty a group. A group-channels line whose
// group reads empty freezes that line's channels, as a broken line does,
// and fails the run; every other line and the lifecycle still run.
func TestPlanChannelsEmptyGroupFreezesItsLine(t *testing.T) {
	dir, obs := channelWorld()
	o := opts()
	o.Channels = &ChannelPolicy{Remove: true, ByGroup: []ChannelMembership{
		{Group: "Finance", Line: 3, Members: map[string]bool{}, Channels: []ChannelRef{{"eng", "secret"}}},
		{Group: "Oncall", Line: 4, Members: map[string]bool{"a": true}, Channels: []ChannelRef{{"eng", "on-call"}}},
	}}
	o.MaxRemovals = Threshold{Count: 5}
	p := BuildPlan(dir, obs, o)
	if p.StopError != "" || len(p.Broken) != 1 || !p.Failed() {
		t.Fatalf("stop %q, broken %+v: want the line broken alone, the run failed", p.StopError, p.Broken)
	}
	if b := p.Broken[0]; b.Where() != "input group-channels line 3" || !strings.Contains(b.Error, `group "Finance" read no members`) ||
		!strings.Contains(b.Error, "eng/secret") || !strings.Contains(b.Error, "remove its line") {
		t.Errorf("the error must name the line, group, channel and fix: %s", b)
	}
	if got := kindUsers(p, KindChannelRemove); !slices.Equal(got, []string{"bob@eng/on-call"}) {
		t.Errorf("channel removals %v: want bob out of on-call (the other line) and nobody out of the frozen secret", got)
	}
	if got := kindUsers(p, KindCreate); len(got) != 1 {
		t.Errorf("creates %v: the lifecycle must still run", got)
	}
	if err := p.Check(dir, obs, o); err != nil {
		t.Fatal(err)
	}
	// Without removals an empty group takes nothing away: nothing breaks.
	o.Channels.Remove = false
	if p := BuildPlan(dir, obs, o); len(p.Broken) != 0 {
		t.Errorf("broken without remove-from-channels: %+v", p.Broken)
	}
	// 100% is the administrator saying "really empty".
	o.Channels.Remove, o.MaxRemovals = true, Percent(100)
	if p := BuildPlan(dir, obs, o); len(p.Broken) != 0 || !slices.Contains(kindUsers(p, KindChannelRemove), "bob@eng/secret") {
		t.Errorf("with max-removals 100%%: broken %+v, channel removals %v", p.Broken, kindUsers(p, KindChannelRemove))
	}
}

func TestCheckRefusesBadChannelRemovals(t *testing.T) {
	dir, obs := channelWorld()
	o := opts()
	o.Channels = &ChannelPolicy{Remove: true, ByGroup: []ChannelMembership{{Group: "G", Line: 1, Members: map[string]bool{"a": true}, Channels: []ChannelRef{{"eng", "secret"}, {"eng", "town-square"}}}}}
	rm := func(user, id, channel string) Action {
		return Action{Kind: KindChannelRemove, Username: user, AccountID: id, Team: "eng", Channel: channel}
	}
	tests := []struct {
		name string
		a    []Action
		want string
	}{
		{"protected", []Action{rm("bot", "mm-bot", "secret")}, "protected account"},
		{"town-square", []Action{rm("bob", "mm-bob", "town-square")}, "nobody leaves town-square"},
		{"unmapped channel", []Action{rm("bob", "mm-bob", "on-call")}, "no mapping names the channel"},
		{"also leaves the team", []Action{rm("bob", "mm-bob", "secret"), {Kind: KindTeamRemove, Username: "bob", AccountID: "mm-bob", Team: "eng"}}, "also removes the user from the team"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := BuildPlan(dir, obs, o)
			p.Actions = tt.a
			if err := p.Check(dir, obs, o); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Check = %v, want %q", err, tt.want)
			}
		})
	}
	t.Run("over max-removals", func(t *testing.T) {
		o := o
		o.MaxRemovals = Threshold{Count: 0}
		p := BuildPlan(dir, obs, o)
		p.RemovalError, p.Actions = "", []Action{rm("bob", "mm-bob", "secret")}
		if err := p.Check(dir, obs, o); err == nil || !strings.Contains(err.Error(), "exceed max-removals") {
			t.Errorf("Check = %v, want a max-removals breach", err)
		}
	})
}

// TestApplyChannels runs a plan against a target that answers like
// Mattermost: the new account joins the team first and then the channel,
// one user's refusal stops nobody else, a second plan is empty.
func TestApplyChannels(t *testing.T) {
	dir, obs := channelWorld()
	f := newMemberTarget(obs.Accounts...)
	f.addTeam("t-eng", "mm-ann", "mm-bob", "mm-cy", "mm-man", "mm-bot", "self")
	f.addTeam("t-ops")
	for _, ch := range obs.Channels {
		f.addChannel(ch)
	}
	teamIDs := map[string]string{"eng": "t-eng", "ops": "t-ops"}
	refs := map[ChannelRef]string{{"eng", "secret"}: "c-secret", {"eng", "on-call"}: "c-oncall", {"ops", "alerts"}: "c-alerts"}
	o := opts()
	o.Reactivate = ReactivateNever
	o.Channels = &ChannelPolicy{Remove: true, ByGroup: []ChannelMembership{
		{Group: "Sec", Line: 1, Members: map[string]bool{"a": true, "n": true, "c": true}, Channels: []ChannelRef{{"eng", "secret"}}},
		{Group: "Ops", Line: 2, Members: map[string]bool{"a": true, "b": true}, Channels: []ChannelRef{{"ops", "alerts"}, {"eng", "on-call"}}},
	}}
	plan := BuildPlan(dir, f.observedWith(teamIDs, refs), o)
	if err := plan.Check(dir, obs, o); err != nil {
		t.Fatal(err)
	}
	results := Apply(context.Background(), plan, f, ApplyOptions{Options: o, SelfID: "self", Workers: 2})
	for _, r := range results {
		if r.Status != StatusDone {
			t.Errorf("%s %s %s/%s: %s %s", r.Kind, r.Username, r.Team, r.Channel, r.Status, r.Error)
		}
	}
	if !f.channels["c-secret"].Members[results[0].AccountID] && plan.Count(KindCreate) == 1 {
		t.Error("the account created in this run was not added to eng/secret")
	}
	if f.channels["c-secret"].Members["mm-bob"] {
		t.Error("bob is still in eng/secret")
	}
	// cy is deactivated: still a member (Mattermost keeps it), never added.
	if f.addCalls != 2 {
		t.Errorf("%d add calls, want one per channel with adds (eng/secret, ops/alerts)", f.addCalls)
	}
	again := BuildPlan(dir, f.observedWith(teamIDs, refs), o)
	if len(again.Actions) != 0 {
		t.Errorf("second plan not empty:\n%s", membershipLines(again))
	}
}

func TestApplyChannelsIsolatesFailures(t *testing.T) {
	dir, obs := channelWorld()
	f := newMemberTarget(obs.Accounts...)
	f.addTeam("t-eng", "mm-ann", "mm-bob")
	f.addTeam("t-ops")
	for _, ch := range obs.Channels {
		f.addChannel(ch)
	}
	delete(f.channels["c-secret"].Members, "mm-bob")
	f.failChannel["c-alerts"] = ErrUnavailable
	o := opts()
	o.Channels = &ChannelPolicy{ByGroup: []ChannelMembership{
		{Group: "All", Line: 1, Members: map[string]bool{"a": true, "b": true}, Channels: []ChannelRef{{"ops", "alerts"}, {"eng", "secret"}}},
	}}
	obsNow := f.observedWith(map[string]string{"eng": "t-eng", "ops": "t-ops"}, map[ChannelRef]string{{"eng", "secret"}: "c-secret", {"ops", "alerts"}: "c-alerts"})
	plan := BuildPlan(dir, obsNow, o)
	// bob left team eng after the read: the server refuses him alone.
	delete(f.teams["t-eng"], "mm-bob")
	results := Apply(context.Background(), plan, f, ApplyOptions{Options: o, SelfID: "self", Workers: 1})
	got := map[string]Status{}
	for _, r := range results {
		if r.Kind == KindChannelAdd {
			got[r.Username+" "+r.Team+"/"+r.Channel] = r.Status
		}
	}
	want := map[string]Status{
		"ann eng/secret": StatusDone, "bob eng/secret": StatusFailed, // not in the team: refused alone
		"ann ops/alerts": StatusNotAttempted, "bob ops/alerts": StatusNotAttempted, // Mattermost unavailable
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: %s, want %s", k, got[k], w)
		}
	}
}

func TestApplyChannelsBatchesOf1000(t *testing.T) {
	var accts []Account
	var users []DirectoryUser
	members := map[string]bool{}
	team := map[string]bool{}
	for i := range 2500 {
		id := "u" + strconv.Itoa(i)
		users = append(users, user(id, id+"@x.example", id))
		accts = append(accts, linkedTo(Account{ID: "mm-" + id, Username: id, Email: id + "@x.example", Nickname: id}, id))
		members[id], team["mm-"+id] = true, true
	}
	f := newMemberTarget(accts...)
	f.teams["t-eng"] = team
	f.addChannel(ChannelState{ID: "c-big", TeamID: "t-eng", Team: "eng", Name: "big"})
	o := opts()
	o.Channels = &ChannelPolicy{ByGroup: []ChannelMembership{{Group: "All", Line: 1, Members: members, Channels: []ChannelRef{{"eng", "big"}}}}}
	obs := f.observedWith(map[string]string{"eng": "t-eng"}, map[ChannelRef]string{{"eng", "big"}: "c-big"})
	plan := BuildPlan(Directory{Users: users}, obs, o)
	if n := plan.Count(KindChannelAdd); n != 2500 {
		t.Fatalf("%d channel adds, want 2500", n)
	}
	Apply(context.Background(), plan, f, ApplyOptions{Options: o, SelfID: "self"})
	if f.addCalls != 3 || len(f.channels["c-big"].Members) != 2500 {
		t.Errorf("%d calls, %d members; want 3 calls (1000+1000+500) and 2500 members", f.addCalls, len(f.channels["c-big"].Members))
	}
}
