package mattermost

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
)

// Team is the subset of Mattermost's team object the sync uses.
type Team struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	DisplayName string `json:"display_name"`
	Type        string `json:"type"`
	DeleteAt    int64  `json:"delete_at"`
}

// TeamMember is one membership.
type TeamMember struct {
	TeamID      string `json:"team_id"`
	UserID      string `json:"user_id"`
	Roles       string `json:"roles"`
	DeleteAt    int64  `json:"delete_at"`
	SchemeGuest bool   `json:"scheme_guest"`
	SchemeUser  bool   `json:"scheme_user"`
	SchemeAdmin bool   `json:"scheme_admin"`
}

// TeamMemberResult is one entry of a graceful batch add: Member on success,
// Error otherwise.
type TeamMemberResult struct {
	UserID string      `json:"user_id"`
	Member *TeamMember `json:"member,omitempty"`
	Error  *AppError   `json:"error,omitempty"`
}

// GetTeamByName reads a team by its URL name.
func (c *Client) GetTeamByName(ctx context.Context, name string) (Team, error) {
	var t Team
	_, err := c.do(ctx, http.MethodGet, "/teams/name/"+url.PathEscape(name), nil, nil, &t)
	return t, err
}

// GetTeamMembers lists every membership of a team, page by page, at most
// MaxPages pages.
func (c *Client) GetTeamMembers(ctx context.Context, teamID string) ([]TeamMember, error) {
	var all []TeamMember
	seen := map[string]bool{}
	for page := 0; ; page++ {
		var batch []TeamMember
		q := url.Values{"page": {strconv.Itoa(page)}, "per_page": {strconv.Itoa(PerPage)}}
		if _, err := c.do(ctx, http.MethodGet, "/teams/"+url.PathEscape(teamID)+"/members", q, nil, &batch); err != nil {
			return nil, fmt.Errorf("list team members page %d: %w", page, err)
		}
		for _, m := range batch {
			if seen[m.UserID] {
				continue
			}
			seen[m.UserID] = true
			all = append(all, m)
		}
		if len(batch) < PerPage {
			return all, nil
		}
		if page+1 >= c.maxPages {
			return nil, fmt.Errorf("list team members: still full pages after %d pages of %d; stopped", c.maxPages, PerPage)
		}
	}
}

// AddTeamMembersGracefully adds users in chunks of at most 256 with
// ?graceful=true and returns one result per user. Per-user failures are in
// the results; the error is for a whole-request failure (earlier chunks'
// results are still returned).
func (c *Client) AddTeamMembersGracefully(ctx context.Context, teamID string, userIDs []string) ([]TeamMemberResult, error) {
	type member struct {
		TeamID string `json:"team_id"`
		UserID string `json:"user_id"`
	}
	var out []TeamMemberResult
	path := "/teams/" + url.PathEscape(teamID) + "/members/batch"
	for start := 0; start < len(userIDs); start += mmsync.MaxTeamAddBatch {
		end := min(start+mmsync.MaxTeamAddBatch, len(userIDs))
		body := make([]member, 0, end-start)
		for _, id := range userIDs[start:end] {
			body = append(body, member{TeamID: teamID, UserID: id})
		}
		var res []TeamMemberResult
		if _, err := c.do(ctx, http.MethodPost, path, url.Values{"graceful": {"true"}}, body, &res); err != nil {
			return out, fmt.Errorf("add team members %d-%d: %w", start, end-1, err)
		}
		for i := range res {
			if res[i].Error != nil {
				res[i].Error.Method, res[i].Error.Path = http.MethodPost, APIPrefix+path
			}
		}
		out = append(out, res...)
	}
	return out, nil
}

// RemoveTeamMember removes a user from a team.
func (c *Client) RemoveTeamMember(ctx context.Context, teamID, userID string) error {
	if teamID == "" || userID == "" {
		return errors.New("remove team member: empty team or user id")
	}
	_, err := c.do(ctx, http.MethodDelete, "/teams/"+url.PathEscape(teamID)+"/members/"+url.PathEscape(userID), nil, nil, nil)
	return err
}
