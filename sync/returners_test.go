package sync

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// A rehired user moved to another group: the old team must go before the
// account is active again.
func returnerWorld() (Directory, *memberTarget, Options) {
	acct := linkedTo(Account{ID: "m1", Username: "ann", Email: "ann@x.example", Nickname: "Ann", Roles: "system_user", DeleteAt: 9}, "u1")
	acct.Props[PropDeactivated] = testLinker.DeactivatedMark("m1", "u1", 9)
	stay := linkedTo(Account{ID: "m2", Username: "bob", Email: "bob@x.example", Nickname: "Bob", Roles: "system_user"}, "u2")
	target := newMemberTarget(acct, stay)
	target.addTeam("t-eng", "m1", "m2")
	target.addTeam("t-ops")
	target.addChannel(ChannelState{ID: "c-secret", TeamID: "t-eng", Team: "eng", Name: "secret", Type: "P", Members: map[string]bool{"m1": true, "m2": true}})
	dir := Directory{Users: []DirectoryUser{user("u1", "ann@x.example", "Ann"), user("u2", "bob@x.example", "Bob")}}
	o := opts()
	o.Reactivate = ReactivateBySync
	o.Teams = &TeamPolicy{Remove: true, ByGroup: []GroupMembership{
		{Group: "Eng", Members: map[string]bool{"u2": true}, Teams: []string{"eng"}},
		{Group: "Ops", Members: map[string]bool{"u1": true}, Teams: []string{"ops"}},
	}}
	return dir, target, o
}

var returnerTeams = map[string]string{"eng": "t-eng", "ops": "t-ops"}

func TestReturnerLosesOldTeamBeforeReactivation(t *testing.T) {
	tests := []struct {
		name       string
		failRemove bool
		cap        Threshold
		reactivate bool // the account is active after the run
		inEng      bool // still in the old team after the run
	}{
		{"removal first, then reactivation", false, Percent(100), true, false},
		{"removal fails: not reactivated", true, Percent(100), false, true},
		{"removal withheld by the cap: not reactivated", false, Threshold{Count: 0}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, target, o := returnerWorld()
			o.MaxRemovals = tt.cap
			if tt.failRemove {
				target.failFor["remove:t-eng:m1"] = errors.New("503 Service Unavailable")
			}
			var order []string
			obs := target.observedWith(returnerTeams, nil)
			p := BuildPlan(dir, obs, o)
			if err := p.Check(dir, obs, o); err != nil {
				t.Fatal(err)
			}
			results := Apply(context.Background(), p, target, ApplyOptions{Options: o, SelfID: "self", OnResult: func(r Result) { order = append(order, string(r.Kind)+":"+string(r.Status)) }})
			after := target.observedWith(returnerTeams, nil)
			active := false
			for _, a := range after.Accounts {
				if a.ID == "m1" {
					active = a.Active()
				}
			}
			if active != tt.reactivate || after.Teams["eng"].Members["m1"] != tt.inEng {
				t.Fatalf("active %v in eng %v; order %v; results %+v; skipped %+v", active, after.Teams["eng"].Members["m1"], order, results, p.Skipped)
			}
			if tt.reactivate && (len(order) < 2 || order[0] != "team-remove:done" || order[1] != "reactivate:done") {
				t.Fatalf("the removal must run before the reactivation: %v", order)
			}
			if tt.failRemove {
				for _, r := range results {
					if r.Kind == KindReactivate && (r.Status != StatusFailed || !strings.Contains(r.Error, "not reactivated in this run: removing it from team eng")) {
						t.Fatalf("the reactivation must say why it did not happen: %+v", r)
					}
				}
			}
			if tt.cap.Count == 0 && !tt.cap.All() {
				if p.Count(KindReactivate) != 0 || p.Count(KindTeamAdd) != 0 || len(p.Skipped) != 1 || !p.Skipped[0].Attention ||
					!strings.Contains(p.Skipped[0].Reason, "not reactivated in this run: its removal from team eng was withheld by max-removals") {
					t.Fatalf("the held reactivation must be listed: %+v %+v", p.Actions, p.Skipped)
				}
			}
		})
	}
}
