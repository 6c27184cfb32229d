package mattermost

import (
	"context"

	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
)

// ObserveAs reads every account, bots and remote users included, for the
// token owner selfID (the preflight read it with GetMe).
func (c *Client) ObserveAs(ctx context.Context, selfID string) (mmsync.Observed, error) {
	obs := mmsync.Observed{SelfID: selfID}
	// Each page is converted as it arrives and dropped: the API users are
	// never all held at once next to their accounts.
	err := c.eachUser(ctx, func(u *User) { obs.Accounts = append(obs.Accounts, toAccount(u, false)) })
	if err != nil {
		return mmsync.Observed{}, err
	}
	return obs, nil
}
