package rooms

import (
	"slices"
	"strings"
	"testing"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/e2e/world"
	fakemm "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/mattermost"
)

// Groups of tenant-2000.json.
const (
	big0ID = "de621a1b-1673-4cba-bd72-57b374c21e45" // mm-team-0, 621 members
	big1ID = "d4b92de4-7000-457b-b118-d30639c27964" // mm-team-1, 627 members
)

// Request keys of the fake for the channel endpoints.
const (
	reqChannelByName    = "GET /api/v4/teams/name/{team}/channels/name/{channel}"
	reqChannelMembers   = "GET /api/v4/channels/{channel_id}/members"
	reqChannelAdd       = "POST /api/v4/channels/{channel_id}/members"
	reqChannelRemove    = "DELETE /api/v4/channels/{channel_id}/members/{user_id}"
	channelMembersPage  = 200
	channelAddBatchSize = 1000
)

func union(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// memberPages is how many pages of 200 a member listing of n takes: the
// last page is the first short one, so 200 members take two.
func memberPages(n int) int { return n/channelMembersPage + 1 }

func TestChannelsFromGroupsAt2000(t *testing.T) {
	w := world.New(t, "tenant-2000.json")
	w.MM.SetMaxUsersPerTeam(5000)
	eng := w.MM.AddTeam(fakemm.Team{Name: "eng", DisplayName: "Engineering"})
	ops := w.MM.AddTeam(fakemm.Team{Name: "ops", DisplayName: "Operations"})
	internal := w.MM.AddChannel(fakemm.Channel{TeamID: eng.ID, Name: "eng-internal", Type: "P"})
	alerts := w.MM.AddChannel(fakemm.Channel{TeamID: ops.ID, Name: "alerts"})
	w.Env["INPUT_GROUP-CHANNELS"] = "# GROUP: team/channel\nmm-team-0: eng/eng-internal\n" + big1ID + ": eng/eng-internal, ops/alerts"
	w.Env["INPUT_REMOVE-FROM-CHANNELS"] = "true"
	w.MustRun(0)

	want0, want1 := w.GroupAccounts(big0ID), w.GroupAccounts(big1ID)
	if len(want0) < 550 || len(want1) < 550 {
		t.Fatalf("the groups have %d and %d accounts: the fixture changed", len(want0), len(want1))
	}
	if got, want := w.ChannelEmails(internal.ID), union(want0, want1); !slices.Equal(got, want) {
		t.Fatalf("eng/eng-internal: %d members, want %d (the union of both groups)", len(got), len(want))
	}
	if got := w.ChannelEmails(alerts.ID); !slices.Equal(got, want1) {
		t.Fatalf("ops/alerts: %d members, want %d", len(got), len(want1))
	}
	// The channels' teams were joined first, as a teams mapping would.
	if n := len(w.MM.TeamMembers(ops.ID)); n != len(want1) {
		t.Errorf("team ops has %d members, want %d", n, len(want1))
	}
	// Batch adds: at most one request per 1,000 users per channel.
	adds := len(union(want0, want1)) + len(want1)
	if n, most := w.MM.Requests()[reqChannelAdd], (len(union(want0, want1))+channelAddBatchSize-1)/channelAddBatchSize+(len(want1)+channelAddBatchSize-1)/channelAddBatchSize; n > most {
		t.Errorf("%d channel add requests for %d adds, want at most %d", n, adds, most)
	}
	if got := w.Outputs()["report"]; got == "" || !strings.Contains(w.Summary(), "Channel memberships: ") {
		t.Errorf("the summary does not count channel memberships:\n%.1500s", w.Summary())
	}
	// Every add posted a system message; the second run posts none.
	posts := w.MM.SystemMessages(internal.ID)
	if posts != len(union(want0, want1)) {
		t.Errorf("%d system messages in eng/eng-internal, want one per add (%d)", posts, len(union(want0, want1)))
	}

	w.Noop()
	if n := w.MM.SystemMessages(internal.ID); n != posts {
		t.Errorf("a no-op posted %d system messages", n-posts)
	}
	// A no-op reads each mapped channel once and its members once.
	reqs := w.MM.Requests()
	members := memberPages(len(w.MM.ChannelMembers(internal.ID))) + memberPages(len(w.MM.ChannelMembers(alerts.ID)))
	if reqs[reqChannelByName] != 2 || reqs[reqChannelMembers] != members {
		t.Errorf("no-op reads: %d channel lookups (want 2), %d member pages (want %d: each channel once, 200 a page)", reqs[reqChannelByName], reqs[reqChannelMembers], members)
	}
	if reqs[reqChannelAdd]+reqs[reqChannelRemove] != 0 {
		t.Errorf("a no-op changed channels: %v", reqs)
	}
}

func TestChannelRemovalAndEmptyGroup(t *testing.T) {
	w := world.New(t, "tenant-60.json")
	w.MM.SetMaxUsersPerTeam(1000)
	eng := w.MM.AddTeam(fakemm.Team{Name: "eng", DisplayName: "Engineering"})
	oncall := w.MM.AddChannel(fakemm.Channel{TeamID: eng.ID, Name: "on-call", Type: "P"})
	w.Env["INPUT_GROUP-CHANNELS"] = "mm-team-0: eng/on-call"
	w.Env["INPUT_REMOVE-FROM-CHANNELS"] = "true"
	w.Env["INPUT_MAX-REMOVALS"] = "100%"
	w.MustRun(0)
	if got, want := w.ChannelEmails(oncall.ID), w.ExpectedMembers(world.Group0ID); !slices.Equal(got, want) {
		t.Fatalf("on-call\n got %v\nwant %v", got, want)
	}
	// An account the sync does not manage, in the channel by hand, stays.
	manual := w.MM.AddUser(fakemm.User{Username: "manual", Email: "manual@elsewhere.example"})
	w.MM.AddTeamMember(eng.ID, manual.ID)
	w.MM.AddChannelMember(oncall.ID, manual.ID)

	// Mary leaves the group: she leaves the channel (not the team).
	mary := w.Account("mary.smith@contoso.example")
	groups := world.WithoutMember(w.Groups, world.Group0ID, mary.Props["entra_object_id"])
	w.SetGroups(groups)
	w.MustRun(0)
	got := w.ChannelEmails(oncall.ID)
	if slices.Contains(got, mary.Email) || !slices.Contains(got, "manual@elsewhere.example") {
		t.Fatalf("after mary left the group: %v", got)
	}
	if !strings.Contains(w.Stdout.String(), "- channel-remove  mary.smith") || !strings.Contains(w.Stdout.String(), "eng/on-call") {
		t.Errorf("the plan does not show the removal:\n%s", w.Stdout.String())
	}
	w.Noop()

	// The group reads empty: nothing changes and the run fails.
	for i, g := range groups {
		if g.ID == world.Group0ID {
			groups[i].Members = nil
		}
	}
	w.SetGroups(groups)
	w.Env["INPUT_MAX-REMOVALS"] = "10%"
	w.MM.ResetCounters()
	w.MustRun(1)
	if w.MM.Writes() != 0 || !strings.Contains(w.Stdout.String(), "group-channels line 1") {
		t.Fatalf("empty group: %d writes\n%s", w.MM.Writes(), w.Stdout.String())
	}
	if got := w.ChannelEmails(oncall.ID); len(got) < 2 {
		t.Fatalf("the channel was emptied: %v", got)
	}
}

// Both forms of the add converge: a 5.x–9.10 server answers the batch form
// 400 and takes one user per request, a current one takes the batch.
func TestChannelAddFormsConverge(t *testing.T) {
	for _, tt := range []struct {
		name string
		gen  fakemm.Generation
	}{{"5.x single adds", fakemm.Generation5}, {"11.x batch adds", fakemm.Generation11}} {
		t.Run(tt.name, func(t *testing.T) {
			w := world.New(t, "tenant-60.json")
			w.UseMattermost(fakemm.Options{Generation: tt.gen, MaxUsersPerTeam: 1000})
			eng := w.MM.AddTeam(fakemm.Team{Name: "eng", DisplayName: "Engineering"})
			a := w.MM.AddChannel(fakemm.Channel{TeamID: eng.ID, Name: "a", Type: "P"})
			b := w.MM.AddChannel(fakemm.Channel{TeamID: eng.ID, Name: "b"})
			w.Env["INPUT_CHANNELS"] = "eng/b"
			w.Env["INPUT_GROUP-CHANNELS"] = "mm-team-0: eng/a"
			w.MustRun(0)
			want := w.ExpectedMembers(world.Group0ID)
			if got := w.ChannelEmails(a.ID); !slices.Equal(got, want) {
				t.Fatalf("eng/a\n got %v\nwant %v", got, want)
			}
			everyone := w.AccountEmails()
			if got := w.ChannelEmails(b.ID); !slices.Equal(got, everyone) {
				t.Fatalf("eng/b has %d members, want every synced user (%d)", len(got), len(everyone))
			}
			adds, posts := len(want)+len(everyone), w.MM.Requests()[reqChannelAdd]
			if tt.gen == fakemm.Generation5 {
				// One request per user, plus at most one refused batch per channel.
				if posts < adds || posts > adds+2 {
					t.Errorf("%d add requests for %d adds on a single-add server", posts, adds)
				}
			} else if posts != 2 {
				t.Errorf("%d add requests, want one batch per channel", posts)
			}
			w.Noop()
		})
	}
}

// A channel or group that no longer resolves breaks its own line only: the
// run fails naming the line and the fix, while accounts and every other
// line are still synced. Input that is malformed fails before any change.
func TestBrokenChannelLineFailsAlone(t *testing.T) {
	for _, tt := range []struct{ name, input, value, want string }{
		{"unknown channel", "INPUT_GROUP-CHANNELS", "mm-team-0: eng/eng-internal\nmm-team-1: eng/on-cal", `input group-channels line 2: team "eng" has no channel named "on-cal"`},
		{"unknown team", "INPUT_CHANNELS", "engg/on-call", `input channels: Mattermost has no team named "engg"`},
		{"archived channel", "INPUT_GROUP-CHANNELS", "mm-team-0: eng/eng-internal\nmm-team-1: eng/old", "input group-channels line 2: channel eng/old is archived"},
		{"no such group", "INPUT_GROUP-CHANNELS", "# GROUP: team/channel\nmm-team-0: eng/eng-internal\nNo Such Group: eng/on-call", `input group-channels line 3: Entra ID has no group named "No Such Group"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := world.New(t, "tenant-60.json")
			eng := w.MM.AddTeam(fakemm.Team{Name: "eng", DisplayName: "Engineering"})
			internal := w.MM.AddChannel(fakemm.Channel{TeamID: eng.ID, Name: "eng-internal"})
			oncall := w.MM.AddChannel(fakemm.Channel{TeamID: eng.ID, Name: "on-call"})
			old := w.MM.AddChannel(fakemm.Channel{TeamID: eng.ID, Name: "old"})
			w.MM.ArchiveChannel(old.ID)
			w.Env[tt.input] = tt.value
			w.MustRun(1)
			if !strings.Contains(w.Stdout.String(), "::error::"+tt.want) || w.OutputInt("created") == 0 {
				t.Fatalf("want an error annotation %q and the accounts created:\n%s", tt.want, w.Stdout.String())
			}
			if strings.Contains(tt.value, "mm-team-0: eng/eng-internal") && !slices.Equal(w.ChannelEmails(internal.ID), w.ExpectedMembers(world.Group0ID)) {
				t.Errorf("the line that resolves was not applied: eng/eng-internal has %d members", len(w.ChannelEmails(internal.ID)))
			}
			if n := len(w.ChannelEmails(oncall.ID)) + len(w.ChannelEmails(old.ID)); n != 0 {
				t.Errorf("a broken line added %d members", n)
			}
			if !strings.Contains(w.Summary(), "did not resolve") {
				t.Errorf("the summary does not list the broken line:\n%.1500s", w.Summary())
			}
		})
	}
	w := world.New(t, "tenant-60.json")
	w.Env["INPUT_GROUP-CHANNELS"] = "mm-team-0: eng/On Call"
	if code := w.Run(); code == 0 || w.MM.Writes() != 0 || !strings.Contains(w.Stdout.String(), "group-channels") {
		t.Errorf("malformed input: exit %d, %d writes:\n%s", code, w.MM.Writes(), w.Stdout.String())
	}
}
