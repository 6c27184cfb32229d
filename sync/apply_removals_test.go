package sync

import (
	"context"
	"errors"
	"slices"
	"testing"
)

// removalTarget is a memberTarget whose removals answer err[kind+":"+room id]
// when set.
type removalTarget struct {
	*memberTarget
	err map[string]error
}

func (r *removalTarget) RemoveTeamMember(ctx context.Context, teamID, id string) error {
	if err := r.err["team:"+teamID]; err != nil {
		return err
	}
	return r.memberTarget.RemoveTeamMember(ctx, teamID, id)
}

func (r *removalTarget) RemoveChannelMember(ctx context.Context, channelID, id string) error {
	if err := r.err["channel:"+channelID]; err != nil {
		return err
	}
	return r.memberTarget.RemoveChannelMember(ctx, channelID, id)
}

// TestRemovalAnswers pins what a team or channel removal reports, as it did
// before the removals shared one path (apply_removals.go): the error texts
// an administrator reads, the error id, the status of a removal the server
// refused, never received or could not be given, and the order (team adds,
// team removals, channel adds, channel removals).
func TestRemovalAnswers(t *testing.T) {
	teamRemove := Action{Kind: KindTeamRemove, EntraID: "u1", Username: "ann", Email: "ann@x.example", AccountID: "m1", Team: "eng", TeamID: "t-eng"}
	channelRemove := Action{Kind: KindChannelRemove, EntraID: "u1", Username: "ann", Email: "ann@x.example", AccountID: "m1", Team: "eng", TeamID: "t-eng", Channel: "secret", ChannelID: "c-secret"}
	teamAdd := Action{Kind: KindTeamAdd, EntraID: "u1", Username: "ann", Email: "ann@x.example", AccountID: "m1", Team: "ops", TeamID: "t-ops"}
	channelAdd := Action{Kind: KindChannelAdd, EntraID: "u1", Username: "ann", Email: "ann@x.example", AccountID: "m1", Team: "ops", TeamID: "t-ops", Channel: "town-square", ChannelID: "c-ops-town"}
	plan := &Plan{Actions: []Action{channelRemove, teamRemove, channelAdd, teamAdd}}
	type want struct {
		status  Status
		err     string
		errID   string
		account string
	}
	tests := []struct {
		name    string
		err     map[string]error
		cancel  bool
		noRooms bool // the target manages neither teams nor channels
		team    want
		channel want
	}{
		{name: "done",
			team:    want{StatusDone, "", "", "m1"},
			channel: want{StatusDone, "", "", "m1"}},
		{name: "refused", err: map[string]error{"team:t-eng": errors.New("400 boom"), "channel:c-secret": idError{"api.channel.remove.default.app_error"}},
			team:    want{StatusFailed, "remove ann from team eng: 400 boom", "", "m1"},
			channel: want{StatusFailed, "remove ann from channel eng/secret: server said api.channel.remove.default.app_error", "api.channel.remove.default.app_error", "m1"}},
		{name: "unavailable", err: map[string]error{"team:t-eng": ErrUnavailable, "channel:c-secret": ErrUnavailable},
			team:    want{StatusNotAttempted, "not attempted: Mattermost unavailable", "", "m1"},
			channel: want{StatusNotAttempted, "not attempted: Mattermost unavailable", "", "m1"}},
		{name: "cancelled", cancel: true,
			team:    want{StatusNotAttempted, "not attempted: context canceled", "", "m1"},
			channel: want{StatusNotAttempted, "not attempted: context canceled", "", "m1"}},
		{name: "target without teams or channels", noRooms: true,
			team:    want{StatusFailed, "this target cannot manage teams", "", ""},
			channel: want{StatusFailed, "this target cannot manage channels", "", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mt := newMemberTarget(Account{ID: "m1", Username: "ann", Email: "ann@x.example", Roles: "system_user"})
			mt.addTeam("t-eng", "m1")
			mt.addTeam("t-ops")
			mt.addChannel(ChannelState{ID: "c-secret", TeamID: "t-eng", Team: "eng", Name: "secret", Type: "P", Members: map[string]bool{"m1": true}})
			mt.addChannel(ChannelState{ID: "c-ops-town", TeamID: "t-ops", Team: "ops", Name: TownSquare, Type: "O"})
			var target Target = &removalTarget{memberTarget: mt, err: tt.err}
			if tt.noRooms {
				target = mt.memTarget
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.cancel {
				cancel()
			}
			var order []Kind
			results := Apply(ctx, plan, target, ApplyOptions{Options: opts(), SelfID: "self", OnResult: func(r Result) { order = append(order, r.Kind) }})
			for _, c := range []struct {
				i    int
				want want
			}{{1, tt.team}, {0, tt.channel}} {
				r := results[c.i]
				if r.Status != c.want.status || r.Error != c.want.err || r.ErrorID != c.want.errID || r.AccountID != c.want.account || r.Action.Kind != plan.Actions[c.i].Kind {
					t.Errorf("%s: got %s %q id %q account %q, want %s %q id %q account %q", r.Kind, r.Status, r.Error, r.ErrorID, r.AccountID,
						c.want.status, c.want.err, c.want.errID, c.want.account)
				}
			}
			wantOrder := []Kind{KindTeamAdd, KindTeamRemove, KindChannelAdd, KindChannelRemove}
			if tt.noRooms {
				// Each pass fails its own kinds in plan order.
				wantOrder = []Kind{KindTeamRemove, KindTeamAdd, KindChannelRemove, KindChannelAdd}
			}
			if !slices.Equal(order, wantOrder) {
				t.Errorf("order %v, want %v", order, wantOrder)
			}
			if tt.name == "done" && (mt.teams["t-eng"]["m1"] || mt.channels["c-secret"].Members["m1"]) {
				t.Errorf("still a member: team %v channel %v", mt.teams["t-eng"]["m1"], mt.channels["c-secret"].Members["m1"])
			}
		})
	}
}

// TestReturnerRemovalAnswers: a returner's removals run before its
// reactivation on the same path, team removals first, and the first that
// does not go through keeps the account deactivated, named in the
// reactivation's error.
func TestReturnerRemovalAnswers(t *testing.T) {
	reactivate := Action{Kind: KindReactivate, EntraID: "u1", Username: "ann", Email: "ann@x.example", AccountID: "m1"}
	channelRemove := Action{Kind: KindChannelRemove, EntraID: "u1", Username: "ann", AccountID: "m1", Team: "eng", TeamID: "t-eng", Channel: "secret", ChannelID: "c-secret"}
	teamRemove := Action{Kind: KindTeamRemove, EntraID: "u1", Username: "ann", AccountID: "m1", Team: "eng", TeamID: "t-eng"}
	plan := &Plan{Actions: []Action{reactivate, channelRemove, teamRemove}}
	tests := []struct {
		name       string
		err        map[string]error
		noRooms    bool
		order      []string
		reactivate string // the reactivation's error ("" when done)
	}{
		{name: "removals first, then the reactivation",
			order: []string{"team-remove:done", "channel-remove:done", "reactivate:done"}},
		{name: "a refused channel removal keeps it deactivated", err: map[string]error{"channel:c-secret": errors.New("500 boom")},
			order: []string{"team-remove:done", "channel-remove:failed", "reactivate:failed"},
			reactivate: "not reactivated in this run: removing it from channel eng/secret (remove ann from channel eng/secret: 500 boom) did not succeed first, " +
				"and a returner is reactivated only once the memberships it must lose are gone; the next run tries again"},
		{name: "a target without teams keeps it deactivated", noRooms: true,
			order: []string{"team-remove:failed", "channel-remove:failed", "reactivate:failed"},
			reactivate: "not reactivated in this run: removing it from team eng (this target cannot manage teams) did not succeed first, " +
				"and a returner is reactivated only once the memberships it must lose are gone; the next run tries again"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mt := newMemberTarget(Account{ID: "m1", Username: "ann", Email: "ann@x.example", Roles: "system_user", DeleteAt: 9})
			mt.addTeam("t-eng", "m1")
			mt.addChannel(ChannelState{ID: "c-secret", TeamID: "t-eng", Team: "eng", Name: "secret", Type: "P", Members: map[string]bool{"m1": true}})
			var target Target = &removalTarget{memberTarget: mt, err: tt.err}
			if tt.noRooms {
				target = mt.memTarget
			}
			var order []string
			results := Apply(context.Background(), plan, target, ApplyOptions{Options: opts(), SelfID: "self",
				OnResult: func(r Result) { order = append(order, string(r.Kind)+":"+string(r.Status)) }})
			if !slices.Equal(order, tt.order) {
				t.Errorf("order %v, want %v", order, tt.order)
			}
			if r := results[0]; r.Error != tt.reactivate || (tt.reactivate != "") != !mt.accounts["m1"].Active() {
				t.Errorf("reactivation %s %q (active %v), want %q", r.Status, r.Error, mt.accounts["m1"].Active(), tt.reactivate)
			}
		})
	}
}
