package sync

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// A returner is reactivated only once every membership it must lose is
// gone: whichever team removals fail, no reactivation succeeds for an
// account one of whose planned removals did not.
func TestPropReturnerRemovalsBeforeReactivation(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		// Linked users, some deactivated (returners), all in team eng and
		// some in its private channel; the group decides who stays.
		var w world
		group := map[string]bool{}
		for i := range rapid.IntRange(1, 6).Draw(t, "users") {
			u := user(fmt.Sprintf("u%d", i), propAddrs[i], propNames[i])
			w.dir.Users = append(w.dir.Users, u)
			a := linkedTo(Account{ID: fmt.Sprintf("m%d", i), Username: propNames[i], Email: propAddrs[i], Nickname: propNames[i], Roles: "system_user"}, u.ID)
			if rapid.Bool().Draw(t, "returner") {
				a.DeleteAt = int64(100 + i)
			}
			w.obs.Accounts = append(w.obs.Accounts, a)
			group[u.ID] = rapid.Bool().Draw(t, "inGroup")
		}
		w.obs.SelfID = "self"
		w.opts = opts()
		w.opts.Reactivate = ReactivateAny
		w.opts.Teams = &TeamPolicy{Remove: true, ByGroup: []GroupMembership{{Group: "T", Members: group, Teams: []string{"eng"}}}}
		w.opts.Channels = &ChannelPolicy{Remove: true, ByGroup: []ChannelMembership{{Group: "G", Line: 1, Members: group, Channels: []ChannelRef{{"eng", "secret"}}}}}
		if rapid.Bool().Draw(t, "capped") {
			w.opts.MaxRemovals = Threshold{Count: rapid.IntRange(0, 8).Draw(t, "maxRemovals")}
		}
		team, secret := map[string]bool{}, map[string]bool{}
		for _, a := range w.obs.Accounts {
			team[a.ID] = true
			secret[a.ID] = rapid.Bool().Draw(t, "inSecret")
		}
		w.obs.Teams = map[string]TeamState{"eng": {ID: "t-eng", Name: "eng", Members: team}}
		w.obs.Channels = map[ChannelRef]ChannelState{
			{"eng", "secret"}:   {ID: "c-secret", TeamID: "t-eng", Team: "eng", Name: "secret", Type: "P", Members: secret},
			{"eng", TownSquare}: {ID: "c-town", TeamID: "t-eng", Team: "eng", Name: TownSquare, Type: "O", Members: maps.Clone(team)},
		}
		target := memberTargetFor(w)
		for _, a := range w.obs.Accounts {
			if rapid.IntRange(0, 2).Draw(t, "failRemoval") == 0 {
				target.failFor["remove:t-eng:"+a.ID] = errors.New("400 refused")
			}
		}
		plan, obs := planReading(w.dir, target.observedWith(propTeams, propChannels), w.opts, target)
		if err := plan.Check(w.dir, obs, w.opts); err != nil {
			t.Fatal(err)
		}
		Apply(context.Background(), plan, target, ApplyOptions{Options: w.opts, SelfID: "self", Workers: 2, CreateWorkers: 2})
		// Whoever is active after the run is in no room the mappings no
		// longer give them.
		after := target.observedWith(propTeams, propChannels)
		for _, a := range after.Accounts {
			id := strings.TrimPrefix(a.ID, "m")
			if a.Active() && !group["u"+id] && (after.Teams["eng"].Members[a.ID] || after.Channels[ChannelRef{"eng", "secret"}].Members[a.ID]) {
				was := false
				for _, b := range w.obs.Accounts {
					was = was || b.ID == a.ID && b.DeleteAt != 0
				}
				if was {
					t.Fatalf("%s was reactivated into rooms it must lose", a.Username)
				}
			}
		}
	})
}
