package entra

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"

	abstractions "github.com/microsoft/kiota-abstractions-go"

	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
)

// Direct reads that confirm a departure before the sync acts on it: a user
// missing from a listing that can lag (an advanced query, a group member
// list) is read on its own. They go out in JSON batches
// (POST /$batch, at most BatchSize requests each; Microsoft's
// json-batching page), so a hundred departures cost five requests.

// BatchSize is the most requests one JSON batch holds (Graph's limit).
const BatchSize = 20

// MaxCheckGroups is the most group ids one checkMemberGroups asks about
// (Graph's limit).
const MaxCheckGroups = 20

// UserRead is what a direct read of one user found.
type UserRead struct {
	// Found is false when Graph answered 404: the user is deleted.
	Found bool
	User  mmsync.DirectoryUser
	// Err is why the read failed (throttled, refused); then Found says
	// nothing.
	Err error
}

// ReadUsers reads each user directly (GET /users/{id}?$select=…), in
// batches. Needs User.Read.All. The result has an entry per id.
func (s *Source) ReadUsers(ctx context.Context, ids []string) (map[string]UserRead, error) {
	reqs := make([]batchRequest, len(ids))
	for i, id := range ids {
		reqs[i] = batchRequest{Method: "GET", URL: "/users/" + url.PathEscape(id) + "?$select=" + strings.Join(userSelect, ",")}
	}
	answers, err := s.batch(ctx, reqs)
	if err != nil {
		return nil, err
	}
	out := make(map[string]UserRead, len(ids))
	for i, a := range answers {
		switch {
		case a.Status == 404:
			out[ids[i]] = UserRead{}
		case a.Status != 200:
			out[ids[i]] = UserRead{Err: a.err()}
		default:
			var u struct {
				ID             string `json:"id"`
				AccountEnabled *bool  `json:"accountEnabled"`
				UserType       string `json:"userType"`
				DisplayName    string `json:"displayName"`
				Mail           string `json:"mail"`
				UPN            string `json:"userPrincipalName"`
			}
			if err := json.Unmarshal(a.Body, &u); err != nil || u.ID == "" {
				out[ids[i]] = UserRead{Err: fmt.Errorf("GET /users/%s: unreadable answer", ids[i])}
				continue
			}
			out[ids[i]] = UserRead{Found: true, User: mmsync.DirectoryUser{ID: u.ID, AccountEnabled: mmsync.BoolOf(u.AccountEnabled),
				UserType: u.UserType, DisplayName: u.DisplayName, Mail: u.Mail, UserPrincipalName: u.UPN}}
		}
	}
	return out, nil
}

// MemberOf is what checkMemberGroups answered for one user: the groups,
// among those asked, the user is a transitive member of (lower-case object
// ids), or why the read failed.
type MemberOf struct {
	Groups map[string]bool
	Err    error
}

// CheckMemberGroups asks, for each user, which of the given groups they are
// a member of, directly or through nested groups
// (POST /users/{id}/checkMemberGroups, at most MaxCheckGroups groups a
// request; application permissions User.Read.All and GroupMember.Read.All,
// the least privileged Microsoft lists). It reads the directory, not an
// index, so it does not lag as member lists can. Sent in batches.
func (s *Source) CheckMemberGroups(ctx context.Context, groups map[string][]string) (map[string]MemberOf, error) {
	type part struct{ user string }
	var reqs []batchRequest
	var parts []part
	for _, user := range slices.Sorted(maps.Keys(groups)) {
		ids := groups[user]
		for start := 0; start < len(ids); start += MaxCheckGroups {
			body, _ := json.Marshal(map[string][]string{"groupIds": ids[start:min(start+MaxCheckGroups, len(ids))]})
			reqs = append(reqs, batchRequest{Method: "POST", URL: "/users/" + url.PathEscape(user) + "/checkMemberGroups",
				Headers: map[string]string{"Content-Type": "application/json"}, Body: body})
			parts = append(parts, part{user})
		}
	}
	answers, err := s.batch(ctx, reqs)
	if err != nil {
		return nil, err
	}
	out := make(map[string]MemberOf, len(groups))
	for i, a := range answers {
		m, seen := out[parts[i].user]
		if !seen {
			m = MemberOf{Groups: map[string]bool{}}
		}
		var v struct {
			Value []string `json:"value"`
		}
		switch {
		case m.Err != nil:
		case a.Status != 200:
			m.Err = a.err()
		case json.Unmarshal(a.Body, &v) != nil:
			m.Err = fmt.Errorf("checkMemberGroups for %s: unreadable answer", parts[i].user)
		default:
			for _, g := range v.Value {
				m.Groups[strings.ToLower(g)] = true
			}
		}
		out[parts[i].user] = m
	}
	return out, nil
}

// FilterMatch is whether a user matches user-filter by a direct read.
type FilterMatch struct {
	Match bool
	Err   error
}

// MatchFilter asks, for each user, whether user-filter still selects them,
// with a plain query (GET /users?$filter=id eq '…' and (filter)) that Graph
// serves from the directory rather than the advanced-query index. A filter
// that needs advanced query parameters is refused there (400): those users
// stay unconfirmed.
func (s *Source) MatchFilter(ctx context.Context, ids []string, filter string) (map[string]FilterMatch, error) {
	reqs := make([]batchRequest, len(ids))
	for i, id := range ids {
		f := "id eq '" + strings.ReplaceAll(id, "'", "''") + "' and (" + filter + ")"
		reqs[i] = batchRequest{Method: "GET", URL: "/users?$select=id&$filter=" + url.QueryEscape(f)}
	}
	answers, err := s.batch(ctx, reqs)
	if err != nil {
		return nil, err
	}
	out := make(map[string]FilterMatch, len(ids))
	for i, a := range answers {
		var v struct {
			Value []json.RawMessage `json:"value"`
		}
		switch {
		case a.Status != 200:
			out[ids[i]] = FilterMatch{Err: a.err()}
		case json.Unmarshal(a.Body, &v) != nil:
			out[ids[i]] = FilterMatch{Err: fmt.Errorf("user-filter check for %s: unreadable answer", ids[i])}
		default:
			out[ids[i]] = FilterMatch{Match: len(v.Value) > 0}
		}
	}
	return out, nil
}

// batchRequest is one request of a JSON batch; URL is relative to the
// version ("/users/…").
type batchRequest struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    json.RawMessage   `json:"body,omitempty"`
}

// batchAnswer is one answer of a JSON batch.
type batchAnswer struct {
	Status int             `json:"status"`
	Body   json.RawMessage `json:"body"`
}

func (a batchAnswer) err() error {
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.Unmarshal(a.Body, &e)
	return &GraphError{Status: a.Status, Code: e.Error.Code, Message: e.Error.Message}
}

// batch sends reqs in JSON batches of BatchSize and returns the answers in
// the order of reqs. An answer missing from a batch is an error answer
// (status 0). A batch that fails as a whole fails the call.
func (s *Source) batch(ctx context.Context, reqs []batchRequest) ([]batchAnswer, error) {
	out := make([]batchAnswer, len(reqs))
	for start := 0; start < len(reqs); start += BatchSize {
		chunk := reqs[start:min(start+BatchSize, len(reqs))]
		type item struct {
			ID string `json:"id"`
			batchRequest
		}
		body := struct {
			Requests []item `json:"requests"`
		}{}
		for i, r := range chunk {
			body.Requests = append(body.Requests, item{ID: fmt.Sprint(start + i), batchRequest: r})
		}
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		ri := abstractions.NewRequestInformationWithMethodAndUrlTemplateAndPathParameters(abstractions.POST,
			"{+baseurl}/$batch", map[string]string{"baseurl": s.baseURL})
		ri.Headers.TryAdd("Accept", "application/json")
		ri.SetStreamContentAndContentType(b, "application/json")
		res, err := s.adapter.SendPrimitive(ctx, ri, "[]byte", errorMapping())
		if err != nil {
			return nil, s.classify(err, PermUsers)
		}
		raw, _ := res.([]byte)
		var answers struct {
			Responses []struct {
				ID string `json:"id"`
				batchAnswer
			} `json:"responses"`
		}
		if err := json.Unmarshal(raw, &answers); err != nil {
			return nil, fmt.Errorf("entra: unreadable $batch answer: %w", err)
		}
		for _, a := range answers.Responses {
			var i int
			if _, err := fmt.Sscan(a.ID, &i); err == nil && i >= start && i < start+len(chunk) {
				out[i] = a.batchAnswer
			}
		}
	}
	return out, nil
}
