package mattermost_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	fakemm "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/mattermost"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/mattermost"
)

// chanFixture is a fake with team "eng" (town-square, an open, a private
// and an archived channel) and users: in (team member), out (never in the
// team), left (removed from the team), gone (deactivated team member).
type chanFixture struct {
	srv                      *fakemm.Server
	c                        *mattermost.Client
	team                     fakemm.Team
	town, open, priv, arch   fakemm.Channel
	in, out, left, gone      string
	channelPath, membersPath string
}

func newChanFixture(t *testing.T, fo fakemm.Options) *chanFixture {
	t.Helper()
	srv := fakemm.New(fo)
	t.Cleanup(srv.Close)
	c, err := mattermost.New(srv.URL(), srv.AdminToken(), mattermost.Options{
		RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond, Timeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	f := &chanFixture{srv: srv, c: c, team: srv.AddTeam(fakemm.Team{Name: "eng"})}
	f.town = srv.AddChannel(fakemm.Channel{TeamID: f.team.ID, Name: "town-square"})
	f.open = srv.AddChannel(fakemm.Channel{TeamID: f.team.ID, Name: "general-chat"})
	f.priv = srv.AddChannel(fakemm.Channel{TeamID: f.team.ID, Name: "finance-internal", Type: "P", DisplayName: "Finance (internal)"})
	f.arch = srv.AddChannel(fakemm.Channel{TeamID: f.team.ID, Name: "old-project", DeleteAt: 1})
	user := func(name string, deleteAt int64, inTeam bool) string {
		id := srv.AddUser(fakemm.User{Username: name, Email: name + "@example.com", DeleteAt: deleteAt}).ID
		if inTeam {
			srv.AddTeamMember(f.team.ID, id)
		}
		return id
	}
	f.in, f.out, f.left, f.gone = user("in", 0, true), user("out", 0, false), user("left", 0, true), user("gone", 7, true)
	if err := c.RemoveTeamMember(context.Background(), f.team.ID, f.left); err != nil {
		t.Fatal(err)
	}
	f.membersPath = "GET /api/v4/channels/{channel_id}/members"
	f.channelPath = "POST /api/v4/channels/{channel_id}/members"
	return f
}

// teamMembers seeds n active team members and returns their ids.
func (f *chanFixture) teamMembers(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = f.srv.AddUser(fakemm.User{Username: fmt.Sprintf("m%05d", i), Email: fmt.Sprintf("m%05d@example.com", i)}).ID
		f.srv.AddTeamMember(f.team.ID, ids[i])
	}
	return ids
}

func errID(err error) string {
	var ae *mattermost.AppError
	if errors.As(err, &ae) {
		return ae.ID
	}
	return ""
}

func TestGetChannelByTeamAndName(t *testing.T) {
	f := newChanFixture(t, fakemm.Options{})
	ctx := context.Background()
	tests := []struct {
		team, channel        string
		wantID, wantErrID    string
		archived, private    bool
		wantErrMentionsInput bool
	}{
		{team: "eng", channel: "general-chat", wantID: f.open.ID},
		{team: "eng", channel: "finance-internal", wantID: f.priv.ID, private: true},
		{team: "eng", channel: "old-project", wantID: f.arch.ID, archived: true},
		{team: "eng", channel: "nope", wantErrID: mattermost.IDChannelByNameMissing, wantErrMentionsInput: true},
		{team: "nope", channel: "general-chat", wantErrID: mattermost.IDTeamByNameMissing, wantErrMentionsInput: true},
	}
	for _, tt := range tests {
		ch, err := f.c.GetChannelByTeamAndName(ctx, tt.team, tt.channel)
		if tt.wantErrID != "" {
			if errID(err) != tt.wantErrID || mattermost.StatusCode(err) != 404 ||
				!strings.Contains(err.Error(), tt.team+"/"+tt.channel) {
				t.Errorf("%s/%s: %v, want 404 %s naming the channel", tt.team, tt.channel, err, tt.wantErrID)
			}
			continue
		}
		if err != nil || ch.ID != tt.wantID || ch.TeamID != f.team.ID || ch.Archived() != tt.archived || ch.Private() != tt.private {
			t.Errorf("%s/%s: %+v %v", tt.team, tt.channel, ch, err)
		}
	}
}

func TestGetChannelMembersPaging(t *testing.T) {
	for _, n := range []int{0, 199, 200, 450} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			f := newChanFixture(t, fakemm.Options{})
			for _, id := range f.teamMembers(n) {
				f.srv.AddChannelMember(f.open.ID, id)
			}
			f.srv.ResetCounters()
			ms, err := f.c.GetChannelMembers(context.Background(), f.open.ID)
			if err != nil || len(ms) != n {
				t.Fatalf("%d members, %v; want %d", len(ms), err, n)
			}
			if got, want := f.srv.Requests()[f.membersPath], n/200+1; got != want {
				t.Errorf("%d requests, want %d (pages of 200 until a short one)", got, want)
			}
		})
	}
}

// repeatingTransport answers every members request with the same full
// page, as a server (or a proxy stripping the query) ignoring page would.
type repeatingTransport struct{ calls int }

func (rt *repeatingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rt.calls++
	var b strings.Builder
	b.WriteString("[")
	for i := range mattermost.PerPage {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"channel_id":"c","user_id":"u%025d"}`, i)
	}
	b.WriteString("]")
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(b.String())), Request: r}, nil
}

func TestGetChannelMembersStopsARunawayServer(t *testing.T) {
	rt := &repeatingTransport{}
	c, err := mattermost.New("https://chat.example.com", "tok", mattermost.Options{Transport: rt})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetChannelMembers(context.Background(), "cccccccccccccccccccccccccc")
	if err == nil || !strings.Contains(err.Error(), "ignores paging") || rt.calls != 2 {
		t.Fatalf("%v after %d requests, want a paging error after 2", err, rt.calls)
	}
}

func TestAddChannelMembersBatchForm(t *testing.T) {
	f := newChanFixture(t, fakemm.Options{Generation: fakemm.Generation11})
	ids := f.teamMembers(2500)
	f.srv.ResetCounters()
	res, err := f.c.AddChannelMembers(context.Background(), f.priv.ID, ids)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if e, ok := res[id]; !ok || e != nil {
			t.Fatalf("%s: %v (reported %v)", id, e, ok)
		}
	}
	if got := f.srv.Requests()[f.channelPath]; got != 3 {
		t.Errorf("%d requests for 2,500 users, want 3 (1,000 a batch)", got)
	}
	if got := len(f.srv.ChannelMembers(f.priv.ID)); got != 2500 {
		t.Errorf("%d members", got)
	}
	if got := f.srv.SystemMessages(f.priv.ID); got != 2500 {
		t.Errorf("%d system messages, want one per add", got)
	}
	if f.c.BatchChannelAddRefused() {
		t.Error("batch form marked refused on a server that takes it")
	}
}

func TestAddChannelMembersFallsBackToSingleAdds(t *testing.T) {
	f := newChanFixture(t, fakemm.Options{Generation: fakemm.Generation5})
	ids := f.teamMembers(5)
	ctx := context.Background()
	f.srv.ResetCounters()
	res, err := f.c.AddChannelMembers(ctx, f.priv.ID, ids[:3])
	if err != nil || len(res) != 3 || res[ids[0]] != nil || res[ids[2]] != nil {
		t.Fatalf("%v %v", res, err)
	}
	if got := f.srv.Requests()[f.channelPath]; got != 1+3 {
		t.Errorf("first call: %d requests, want 1 refused batch + 3 single adds", got)
	}
	if !f.c.BatchChannelAddRefused() {
		t.Fatal("refusal not remembered")
	}
	// Later calls go straight to single adds: no second refused batch.
	if res, err := f.c.AddChannelMembers(ctx, f.open.ID, ids[3:]); err != nil || res[ids[3]] != nil || res[ids[4]] != nil {
		t.Fatalf("%v %v", res, err)
	}
	if got := f.srv.Requests()[f.channelPath]; got != 4+2 {
		t.Errorf("second call: %d requests in all, want 6", got)
	}
	if len(f.srv.ChannelMembers(f.priv.ID)) != 3 || len(f.srv.ChannelMembers(f.open.ID)) != 2 {
		t.Error("members missing")
	}
}

func TestAddChannelMembersPerUserErrors(t *testing.T) {
	for _, gen := range []fakemm.Generation{fakemm.Generation5, fakemm.Generation11} {
		t.Run(gen.String(), func(t *testing.T) {
			f := newChanFixture(t, fakemm.Options{Generation: gen})
			tgt := mattermost.NewTarget(f.c, mattermost.PasswordPolicy{}, mattermost.TargetOptions{})
			res, err := tgt.AddChannelMembers(context.Background(), f.priv.ID, []string{f.out, f.in, f.left, f.gone, "Not-An-Id", f.in})
			if err != nil {
				t.Fatal(err)
			}
			tests := []struct {
				user, wantID, wantText string
			}{
				{f.in, "", ""},
				{f.out, mattermost.IDChannelAddNotTeamMember, "not a member of the team"},
				{f.left, mattermost.IDChannelAddLeftTeam, "removed from the team"},
				{f.gone, mattermost.IDChannelAddDeactivated, "deactivated"},
				{"Not-An-Id", "", "not a Mattermost user id"},
			}
			for _, tt := range tests {
				e, ok := res[tt.user]
				switch {
				case !ok:
					t.Errorf("%s: not reported", tt.user)
				case tt.wantText == "" && e != nil:
					t.Errorf("%s: %v", tt.user, e)
				case tt.wantText != "" && (e == nil || errID(e) != tt.wantID || !strings.Contains(e.Error(), tt.wantText)):
					t.Errorf("%s: %v, want %s (%q)", tt.user, e, tt.wantID, tt.wantText)
				}
			}
			if len(res) != 5 {
				t.Errorf("%d results, want 5 (the duplicate once)", len(res))
			}
			if ms := f.srv.ChannelMembers(f.priv.ID); len(ms) != 1 || ms[0].UserID != f.in {
				t.Errorf("members %+v, want only in", ms)
			}
		})
	}
}

func TestAddChannelMembersChannelWideFailure(t *testing.T) {
	ctx := context.Background()
	t.Run("archived", func(t *testing.T) {
		f := newChanFixture(t, fakemm.Options{Generation: fakemm.Generation11})
		ids := f.teamMembers(50)
		f.srv.ResetCounters()
		res, err := f.c.AddChannelMembers(ctx, f.arch.ID, ids)
		if errID(err) != mattermost.IDChannelArchived {
			t.Fatalf("%v, want %s for the channel", err, mattermost.IDChannelArchived)
		}
		if len(res) != 0 {
			t.Errorf("%d users reported settled, want none: nobody was added", len(res))
		}
		if got := f.srv.Requests()[f.channelPath]; got > 2 {
			t.Errorf("%d requests: a channel-wide refusal must not be retried user by user", got)
		}
	})
	t.Run("server error", func(t *testing.T) {
		f := newChanFixture(t, fakemm.Options{Generation: fakemm.Generation11})
		// More 503s than one request's retry budget.
		f.srv.FailNext(mattermost.DefaultRetryMax+1, http.StatusServiceUnavailable, "POST /api/v4/channels/")
		tgt := mattermost.NewTarget(f.c, mattermost.PasswordPolicy{}, mattermost.TargetOptions{})
		_, err := tgt.AddChannelMembers(ctx, f.priv.ID, []string{f.in})
		var tr interface{ Transient() bool }
		if mattermost.StatusCode(err) != 503 || !errors.As(err, &tr) || !tr.Transient() {
			t.Fatalf("%v, want a transient 503", err)
		}
		if f.c.BatchChannelAddRefused() {
			t.Error("a 503 taken for a refusal of the batch form")
		}
	})
}

func TestAddChannelMembersConcurrentFallback(t *testing.T) {
	f := newChanFixture(t, fakemm.Options{Generation: fakemm.Generation5})
	ids := f.teamMembers(40)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Go(func() {
			res, err := f.c.AddChannelMembers(context.Background(), f.open.ID, ids[w*5:w*5+5])
			if err == nil {
				for _, e := range res {
					err = errors.Join(err, e)
				}
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if got := len(f.srv.ChannelMembers(f.open.ID)); got != 40 {
		t.Errorf("%d members, want 40", got)
	}
	if got := f.srv.Requests()[f.channelPath]; got > 40+8 {
		t.Errorf("%d requests, want at most 40 single adds and one refused batch per worker", got)
	}
}

func TestRemoveChannelMember(t *testing.T) {
	f := newChanFixture(t, fakemm.Options{})
	ctx := context.Background()
	f.srv.AddChannelMember(f.priv.ID, f.in)
	f.srv.AddChannelMember(f.town.ID, f.in)
	tgt := mattermost.NewTarget(f.c, mattermost.PasswordPolicy{}, mattermost.TargetOptions{})
	if err := tgt.RemoveChannelMember(ctx, f.priv.ID, f.in); err != nil {
		t.Fatal(err)
	}
	if err := tgt.RemoveChannelMember(ctx, f.priv.ID, f.in); err != nil {
		t.Fatalf("removing a non-member again: %v, want done", err)
	}
	if got := f.srv.SystemMessages(f.priv.ID); got != 1 {
		t.Errorf("%d system messages, want 1", got)
	}
	err := tgt.RemoveChannelMember(ctx, f.town.ID, f.in)
	if errID(err) != mattermost.IDChannelRemoveDefault || !strings.Contains(err.Error(), "town-square") {
		t.Errorf("town-square: %v", err)
	}
	if err := f.c.RemoveChannelMember(ctx, strings.Repeat("z", 26), f.in); errID(err) != mattermost.IDChannelMissing {
		t.Errorf("unknown channel: %v", err)
	}
}
