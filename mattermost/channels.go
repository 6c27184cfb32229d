package mattermost

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"

	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
)

// maxChannelMemberPages caps a channel member listing, as eachUser caps the
// user listing: a server that never sends a short page must not keep the
// run reading forever.
const maxChannelMemberPages = 100000

// Channel is the subset of Mattermost's channel object the sync uses. Type
// is "O" (public) or "P" (private); DeleteAt ≠ 0 means archived.
type Channel struct {
	ID          string `json:"id"`
	TeamID      string `json:"team_id"`
	Name        string `json:"name"`
	DisplayName string `json:"display_name"`
	Type        string `json:"type"`
	DeleteAt    int64  `json:"delete_at"`
}

// Archived reports whether the channel is archived (no one can be added).
func (c Channel) Archived() bool { return c.DeleteAt != 0 }

// Private reports whether the channel is private ("P").
func (c Channel) Private() bool { return c.Type == "P" }

// ChannelMember is one channel membership (the fields the sync reads).
type ChannelMember struct {
	ChannelID   string `json:"channel_id"`
	UserID      string `json:"user_id"`
	Roles       string `json:"roles"`
	SchemeGuest bool   `json:"scheme_guest"`
	SchemeUser  bool   `json:"scheme_user"`
	SchemeAdmin bool   `json:"scheme_admin"`
}

// GetChannelByTeamAndName reads a channel by its team's and its own URL
// names (GET /teams/name/{team}/channels/name/{channel}?include_deleted=true).
// Archived channels are returned too, so that a caller can say "archived"
// rather than "not found"; check Archived. A system admin sees private
// channels it is not a member of. Errors: 404 IDTeamByNameMissing or
// IDChannelByNameMissing.
func (c *Client) GetChannelByTeamAndName(ctx context.Context, teamName, channelName string) (Channel, error) {
	var ch Channel
	path := "/teams/name/" + url.PathEscape(teamName) + "/channels/name/" + url.PathEscape(channelName)
	if _, err := c.do(ctx, http.MethodGet, path, url.Values{"include_deleted": {"true"}}, nil, &ch); err != nil {
		return Channel{}, fmt.Errorf("read channel %s/%s: %w", teamName, channelName, err)
	}
	return ch, nil
}

// GetChannelMembers lists every member of a channel, PerPage (200, the
// server's maximum) at a time, until a short page; one member per user id,
// in first-seen order. Deactivated users stay channel members and are
// listed. A server that answers full pages for ever is stopped: at a full
// page with no new member, or after maxChannelMemberPages pages.
func (c *Client) GetChannelMembers(ctx context.Context, channelID string) ([]ChannelMember, error) {
	var all []ChannelMember
	seen := map[string]bool{}
	path := "/channels/" + url.PathEscape(channelID) + "/members"
	for page := 0; ; page++ {
		var batch []ChannelMember
		q := url.Values{"page": {strconv.Itoa(page)}, "per_page": {strconv.Itoa(PerPage)}}
		if _, err := c.do(ctx, http.MethodGet, path, q, nil, &batch); err != nil {
			return nil, fmt.Errorf("list channel members page %d: %w", page, err)
		}
		fresh := 0
		for _, m := range batch {
			if m.UserID == "" || seen[m.UserID] {
				continue
			}
			seen[m.UserID] = true
			all = append(all, m)
			fresh++
		}
		if len(batch) < PerPage {
			return all, nil
		}
		if fresh == 0 {
			// A full page of members already read: the server ignores
			// page (a proxy stripping the query, say) and would answer the
			// same page for ever.
			return nil, fmt.Errorf("list channel members of %s: page %d repeats members already read; the server (or a proxy) ignores paging", channelID, page)
		}
		if page >= maxChannelMemberPages {
			return nil, fmt.Errorf("list channel members of %s: more than %d pages", channelID, maxChannelMemberPages)
		}
	}
}

// ErrInvalidUserID is the per-user error for an id that is not a Mattermost
// id (26 lower-case letters and digits); it is never sent.
var ErrInvalidUserID = errors.New("not a Mattermost user id")

// AddChannelMembers adds users to a channel and reports per user: a nil
// entry means the user was added or already was a member. Each addition
// makes the server post a system message in the channel; an existing member
// is returned unchanged, without one.
//
// Requests: one POST /channels/{id}/members with {"user_ids":[…]} per
// mmsync.MaxChannelAddBatch users where the server takes that form (about 9.11 and
// later), one {"user_id":…} request per user where it does not. A server
// that does not know the batch form answers it 400 IDInvalidBodyParam
// ("Invalid or missing user_id in request body.", measured on 5.36.1); the
// client then remembers, for its lifetime, to send single adds, and sends
// them for that batch and every later one.
//
// The server adds a batch's users one by one, skips the ones it refuses and
// answers 201 with the others; it fails the request only when it added no
// one, with the last refusal. So users missing from a 201, and every user of
// a batch refused as a whole for a per-user reason, are retried one by one:
// each gets its own error (IDChannelAddNotTeamMember, IDChannelAddLeftTeam,
// IDChannelAddDeactivated, …) and one user's refusal never stops the others.
//
// The error is for a failure that concerns the whole channel or server (no
// permission, no such channel, archived, a transport error, 5xx, 429 after
// retries); the map then holds only the users settled before it, so a user
// it does not list was not added.
func (c *Client) AddChannelMembers(ctx context.Context, channelID string, userIDs []string) (map[string]error, error) {
	out := make(map[string]error, len(userIDs))
	var ids []string
	seen := make(map[string]bool, len(userIDs))
	for _, id := range userIDs {
		if seen[id] {
			continue
		}
		seen[id] = true
		if !validID(id) {
			out[id] = fmt.Errorf("add %q to channel %s: %w", id, channelID, ErrInvalidUserID)
			continue
		}
		ids = append(ids, id)
	}
	path := "/channels/" + url.PathEscape(channelID) + "/members"
	form := c.channelAddForm()
	for start := 0; start < len(ids); start += mmsync.MaxChannelAddBatch {
		chunk := ids[start:min(start+mmsync.MaxChannelAddBatch, len(ids))]
		retry := chunk
		if !form.singleOnly.Load() {
			var added []ChannelMember
			_, err := c.do(ctx, http.MethodPost, path, nil, map[string][]string{"user_ids": chunk}, &added)
			switch {
			case err == nil:
				retry = missing(chunk, added)
				for _, m := range added {
					if seen[m.UserID] {
						out[m.UserID] = nil
					}
				}
			case batchFormRefused(err):
				form.singleOnly.Store(true)
			case channelWide(err):
				return out, fmt.Errorf("add %d members to channel %s: %w", len(chunk), channelID, err)
			}
		}
		for _, id := range retry {
			_, err := c.do(ctx, http.MethodPost, path, nil, map[string]string{"user_id": id}, nil)
			if err != nil && channelWide(err) {
				return out, fmt.Errorf("add member %s to channel %s: %w", id, channelID, err)
			}
			out[id] = err
		}
	}
	return out, nil
}

// BatchChannelAddRefused reports whether this client found that the server
// does not take the batch add form (and now adds one user per request).
func (c *Client) BatchChannelAddRefused() bool { return c.channelAddForm().singleOnly.Load() }

// missing returns the ids of chunk that added does not list.
func missing(chunk []string, added []ChannelMember) []string {
	in := make(map[string]bool, len(added))
	for _, m := range added {
		in[m.UserID] = true
	}
	var out []string
	for _, id := range chunk {
		if !in[id] {
			out = append(out, id)
		}
	}
	return out
}

// batchFormRefused reports whether err is a server's answer to a batch form
// it does not know: 400 IDInvalidBodyParam naming user_id. Current servers
// answer the same id only about the list itself (more than 1000 ids, or an
// invalid one: "user_ids", "user_id in user_ids"), which this client never
// sends; their message names user_ids, so it is not taken for a refusal.
// The parameter name is inserted untranslated, so the test holds whatever
// the server's language.
func batchFormRefused(err error) bool {
	var ae *AppError
	return errors.As(err, &ae) && ae.StatusCode == http.StatusBadRequest && ae.ID == IDInvalidBodyParam &&
		!strings.Contains(ae.Message, "user_ids")
}

// channelWide reports whether an add's error concerns the channel or the
// server rather than the user: adding anyone else would fail the same way.
func channelWide(err error) bool {
	var ae *AppError
	if !errors.As(err, &ae) {
		return true // no answer at all, or the context ended
	}
	switch ae.StatusCode {
	case http.StatusUnauthorized, http.StatusTooManyRequests:
		return true
	}
	if ae.StatusCode >= 500 {
		return true
	}
	switch ae.ID {
	case IDPermissions, IDChannelMissing, IDChannelArchived, IDRouteNotFound, "api.context.session_expired.app_error",
		"api.channel.add_user_to_channel.type.app_error":
		return true
	}
	return ae.ID == "" // a proxy's page, not a Mattermost answer about the user
}

// validID reports whether s has the form of a Mattermost id.
func validID(s string) bool {
	if len(s) != 26 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// RemoveChannelMember removes a user from a channel (DELETE
// /channels/{id}/members/{user_id}). Removing a user who is not a member is
// done already: the server's 404 IDChannelNotMember is not an error. The
// server posts a system message for every removal. town-square refuses with
// 400 IDChannelRemoveDefault.
func (c *Client) RemoveChannelMember(ctx context.Context, channelID, userID string) error {
	if channelID == "" || userID == "" {
		return errors.New("remove channel member: empty channel or user id")
	}
	_, err := c.do(ctx, http.MethodDelete, "/channels/"+url.PathEscape(channelID)+"/members/"+url.PathEscape(userID), nil, nil, nil)
	var ae *AppError
	if errors.As(err, &ae) && ae.StatusCode == http.StatusNotFound && ae.ID == IDChannelNotMember {
		return nil
	}
	return err
}

// addForm is what a client learnt about the channel add forms.
type addForm struct {
	// singleOnly: the server refused {"user_ids":[…]}; send {"user_id":…}.
	singleOnly atomic.Bool
}

func (c *Client) channelAddForm() *addForm { return &c.chanAdd }

var _ mmsync.ChannelTarget = (*Target)(nil)

// AddChannelMembers implements mmsync.ChannelTarget (see
// Client.AddChannelMembers): per-account errors say why in the admin's
// terms; the error is a whole-channel failure, marked transient when it may
// not recur (the adds are idempotent, so they can be repeated).
func (t *Target) AddChannelMembers(ctx context.Context, channelID string, accountIDs []string) (map[string]error, error) {
	res, err := t.c.AddChannelMembers(ctx, channelID, accountIDs)
	for id, e := range res {
		res[id] = explainChannelAdd(e)
	}
	if err != nil {
		return res, explainChannelAdd(err)
	}
	return res, nil
}

// RemoveChannelMember implements mmsync.ChannelTarget.
func (t *Target) RemoveChannelMember(ctx context.Context, channelID, accountID string) error {
	err := t.c.RemoveChannelMember(ctx, channelID, accountID)
	var ae *AppError
	if errors.As(err, &ae) && ae.ID == IDChannelRemoveDefault {
		return fmt.Errorf("town-square is every team member's channel; Mattermost removes no one from it: %w", err)
	}
	return err
}

// explainChannelAdd puts a refused add in the admin's terms.
func explainChannelAdd(err error) error {
	var ae *AppError
	if err == nil || !errors.As(err, &ae) {
		return err
	}
	var why string
	switch ae.ID {
	case IDChannelAddNotTeamMember:
		why = "not a member of the team; a channel mapping adds its team too, so the team add failed or was skipped"
	case IDChannelAddLeftTeam:
		why = "removed from the team; add the account to the team again first"
	case IDChannelAddDeactivated:
		why = "deactivated; Mattermost adds no deactivated account to a channel"
	case IDMissingAccount:
		why = "no such account"
	case IDChannelArchived:
		why = "the channel is archived; unarchive it or remove it from the mapping"
	case IDPermissions:
		why = "the token may not manage this channel's members (it needs a system admin)"
	default:
		return err
	}
	return fmt.Errorf("%s: %w", why, err)
}
