package mattermost

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
)

// IDTeamChannelsNone is the error a user's channel listing in a team
// answers when the user is in none of them (404; SqlChannelStore.GetChannels
// returns not-found for an empty result, app/channel.go
// GetChannelsForTeamForUser maps it to this id).
const IDTeamChannelsNone = "app.channel.get_channels.not_found.app_error"

// GetTeamChannelsForUser returns the ids of the channels of team teamID the
// user is a member of, archived ones included: the memberships Mattermost
// removes with the user's team membership (App.LeaveTeam leaves every
// channel of the team, archived ones too, but direct and group messages).
// One request, GET /users/{user_id}/teams/{team_id}/channels?include_deleted=true
// (api4/channel.go getChannelsForTeamForUser, unpaged); the answer also holds
// the user's direct and group messages (team_id ""), which are left out. A
// system admin may read any user's list.
func (c *Client) GetTeamChannelsForUser(ctx context.Context, userID, teamID string) ([]string, error) {
	var list []Channel
	path := "/users/" + url.PathEscape(userID) + "/teams/" + url.PathEscape(teamID) + "/channels"
	q := url.Values{"include_deleted": {"true"}}
	if _, err := c.do(ctx, http.MethodGet, path, q, nil, &list); err != nil {
		var ae *AppError
		if errors.As(err, &ae) && ae.StatusCode == http.StatusNotFound && ae.ID == IDTeamChannelsNone {
			return nil, nil
		}
		return nil, fmt.Errorf("list the channels of user %s in team %s: %w", userID, teamID, err)
	}
	ids := make([]string, 0, len(list))
	for _, ch := range list {
		if ch.TeamID == teamID {
			ids = append(ids, ch.ID)
		}
	}
	return ids, nil
}
