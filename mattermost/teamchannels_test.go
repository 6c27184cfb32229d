package mattermost_test

import (
	"context"
	"slices"
	"testing"

	fakemm "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/mattermost"
)

// A team leaver's channels, archived ones included, in one request; a user
// in none of them reads as none (the server answers 404 not_found).
func TestGetTeamChannelsForUser(t *testing.T) {
	f := newChanFixture(t, fakemm.Options{})
	ctx := context.Background()
	f.srv.AddChannelMember(f.priv.ID, f.in)
	f.srv.AddChannelMember(f.arch.ID, f.in)
	f.srv.AddChannelMember(f.open.ID, f.in)
	got, err := f.c.GetTeamChannelsForUser(ctx, f.in, f.team.ID)
	want := []string{f.open.ID, f.priv.ID, f.arch.ID}
	slices.Sort(got)
	slices.Sort(want)
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("got %v, %v; want %v", got, err, want)
	}
	if got, err := f.c.GetTeamChannelsForUser(ctx, f.out, f.team.ID); err != nil || len(got) != 0 {
		t.Fatalf("a user in no channel: %v, %v", got, err)
	}
	if n := f.srv.Requests()["GET /api/v4/users/{id}/teams/{team_id}/channels"]; n != 2 {
		t.Errorf("%d requests, want one per read", n)
	}
}
