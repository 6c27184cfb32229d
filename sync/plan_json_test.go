package sync

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// drawPlanWorld draws a world with everything a plan can hold in reach:
// onboarding, broken lines, lagging listings, unread team channels.
func drawPlanWorld(t *rapid.T) (Directory, Observed, Options) {
	w := drawWorld(t)
	w.opts = breakLines(t, w.opts)
	if rapid.Bool().Draw(t, "onboarding") {
		w.opts.Onboarding = rapid.SampledFrom([]Onboarding{OnboardingResetEmail, OnboardingGraphMail}).Draw(t, "method")
		w.opts.Onboard = rapid.SampledFrom([]OnboardScope{OnboardNew, OnboardNewAndAdopted}).Draw(t, "onboard")
	}
	if rapid.IntRange(0, 3).Draw(t, "confirm") == 0 {
		w.opts.ConfirmDepartures = true
		w.dir.Confirmed = drawConfirmations(t)
	}
	return w.dir, w.obs, w.opts
}

// roundTrip marshals p and reads it back.
func roundTrip(t interface {
	Helper()
	Fatalf(string, ...any)
}, p *Plan) *Plan {
	t.Helper()
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	var back Plan
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("unmarshal: %v\n%s", err, b)
	}
	return &back
}

// Real plans, from worlds drawn until every part of a plan has occurred,
// marshal to JSON and back to an equal value: nothing an action needs is
// lost (profile, patch, username base, preconditions), and Apply of the
// copy is Apply of the original.
func TestPlanJSONRoundTrip(t *testing.T) {
	gen := rapid.Custom(func(t *rapid.T) *Plan {
		dir, obs, o := drawPlanWorld(t)
		return BuildPlan(dir, obs, o)
	})
	want := []string{"withheld", "withheld-removals", "blocked", "conflicts", "broken", "unconfirmed", "need-team-channels",
		"temporary", "unverified", "taken-usernames", "stop", "skipped", "patch-props", "profile", "username-base", "observed"}
	for _, k := range []Kind{KindDeactivate, KindRelease, KindReactivate, KindCreate, KindUpdate, KindTeamAdd, KindTeamRemove, KindChannelAdd, KindChannelRemove, KindOnboard} {
		want = append(want, string(k))
	}
	seen := map[string]bool{}
	for seed := 0; seed < 20000 && len(seen) < len(want); seed++ {
		p := gen.Example(seed)
		back := roundTrip(t, p)
		if !reflect.DeepEqual(p, back) {
			a, _ := json.MarshalIndent(p, "", " ")
			t.Fatalf("seed %d: the plan read back differs:\n%s\n%#v\n%#v", seed, a, p, back)
		}
		mark := func(ok bool, what string) {
			if ok {
				seen[what] = true
			}
		}
		mark(len(p.Withheld) > 0, "withheld")
		mark(len(p.WithheldRemovals) > 0, "withheld-removals")
		mark(len(p.Blocked) > 0, "blocked")
		mark(len(p.Conflicts) > 0, "conflicts")
		mark(len(p.Broken) > 0, "broken")
		mark(len(p.Unconfirmed) > 0, "unconfirmed")
		mark(len(p.NeedTeamChannels) > 0, "need-team-channels")
		mark(len(p.TakenUsernames) > 0, "taken-usernames")
		mark(p.StopError != "", "stop")
		mark(len(p.Skipped) > 0, "skipped")
		for _, a := range p.Actions {
			for k := range a.Patch.Props {
				if !IsSyncProp(k) {
					t.Fatalf("seed %d: %s %s carries the user's prop %s", seed, a.Kind, a.Username, k)
				}
			}
			if a.AccountID != "" && a.Observed == nil {
				t.Fatalf("seed %d: %s %s does not say what it was planned from", seed, a.Kind, a.Username)
			}
			seen[string(a.Kind)] = true
			mark(a.Temporary, "temporary")
			mark(a.Unverified, "unverified")
			mark(a.Patch.Props != nil, "patch-props")
			mark(a.Profile != Profile{}, "profile")
			mark(a.UsernameBase != "", "username-base")
			mark(a.Observed != nil, "observed")
		}
	}
	for _, w := range want {
		if !seen[w] {
			t.Errorf("no drawn plan had %s: the round trip was not shown for it", w)
		}
	}
}

// The lists every plan has are [] in JSON, never null.
func TestPlanJSONEmptyLists(t *testing.T) {
	b, err := json.Marshal(BuildPlan(Directory{}, Observed{}, opts()))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte("null")) || !bytes.Contains(b, []byte(`"actions":[]`)) || !bytes.Contains(b, []byte(`"skipped":[]`)) {
		t.Fatalf("%s", b)
	}
	// A patch's props: absent is "leave alone", {} is "write an empty map".
	for _, p := range []Patch{{}, {Props: map[string]string{}}, {Props: map[string]string{"k": "v"}}} {
		back := roundTrip(t, &Plan{Actions: []Action{{Kind: KindUpdate, Patch: p}}})
		if !reflect.DeepEqual(back.Actions[0].Patch, p) {
			t.Errorf("patch %#v read back as %#v", p, back.Actions[0].Patch)
		}
	}
}

// Any JSON that reads as a plan writes back to JSON that reads as the same
// plan.
func FuzzPlanJSON(f *testing.F) {
	f.Add([]byte(`{"actions":[],"skipped":[]}`))
	f.Add([]byte(`{"actions":[{"action":"update","email":"a@x","username":"a","mattermost_id":"m1","changes":[],"patch":{"email":"b@x","props":{}},"observed":{"email":"a@x","delete_at":0}}],"skipped":null}`))
	f.Add([]byte(`{"actions":[{"action":"create","email":"a@x","username":"a2","profile":{"first_name":"A"},"username_base":"a"}],"taken_usernames":["a"],"broken_mappings":[{"input":"groups","entry":"S","error":"x","frozen_teams":[]}]}`))
	gen := rapid.Custom(func(t *rapid.T) *Plan {
		dir, obs, o := drawPlanWorld(t)
		return BuildPlan(dir, obs, o)
	})
	for seed := range 40 {
		b, err := json.Marshal(gen.Example(seed))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var p Plan
		if json.Unmarshal(b, &p) != nil {
			return
		}
		out, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		var back Plan
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("the plan's own JSON does not read: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(p, back) {
			t.Fatalf("not stable:\n%#v\n%#v\n%s", p, back, out)
		}
		again, _ := json.Marshal(back)
		if !bytes.Equal(out, again) {
			t.Fatalf("the JSON changes on a second round:\n%s\n%s", out, again)
		}
		if strings.Contains(string(out), `"actions":null`) {
			t.Fatalf("null actions: %s", out)
		}
	})
}
