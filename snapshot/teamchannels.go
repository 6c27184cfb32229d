package snapshot

import (
	"context"
	gosync "sync"

	"golang.org/x/sync/errgroup"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/mattermost"
	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
)

// teamChannelReaders is how many accounts' channel lists are read at once.
const teamChannelReaders = 4

// ReadTeamChannels reads, for each team removal a plan must count under
// max-removals (Plan.NeedTeamChannels), the channels of that team the
// account is a member of: Mattermost removes those memberships with the
// team's. One request per planned team removal, none on a run that plans
// no team removal (or has max-removals 100%). Nothing is written.
func ReadTeamChannels(ctx context.Context, serverURL string, mm *mattermost.Client, pairs []mmsync.TeamAccount) (map[mmsync.TeamAccount][]string, error) {
	out := make(map[mmsync.TeamAccount][]string, len(pairs))
	var mu gosync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(teamChannelReaders)
	for _, ta := range pairs {
		g.Go(func() error {
			ids, err := mm.GetTeamChannelsForUser(gctx, ta.AccountID, ta.TeamID)
			if err != nil {
				return DescribeMattermostError(err, serverURL, "read the channels that a team removal takes with it (max-removals)")
			}
			mu.Lock()
			out[ta] = ids
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}
