package entra

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	abstractions "github.com/microsoft/kiota-abstractions-go"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/internal/clock"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/internal/retryafter"
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

// batchAnswer is one answer of a JSON batch: the item's own status,
// headers and body (a batch answered 200 can hold items answered 429).
type batchAnswer struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    json.RawMessage   `json:"body"`
}

func (a batchAnswer) err() error {
	if a.Status == 0 {
		return &GraphError{Message: "no answer to this request in the JSON batch"}
	}
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.Unmarshal(a.Body, &e)
	return &GraphError{Status: a.Status, Code: e.Error.Code, Message: e.Error.Message}
}

// header returns the item's header name, whatever its case.
func (a batchAnswer) header(name string) string {
	for k, v := range a.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// again says whether an item's answer is worth asking for again: throttled
// (429), a gateway or service that was briefly unavailable (502, 503, 504),
// or no answer at all. Graph throttles each request of a batch on its own,
// answering the batch 200 (json-batching, "Throttling and batching"), so
// the retry layer below, which sees only the batch's status, cannot.
func (a batchAnswer) again() bool {
	switch a.Status {
	case 0, http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// batch sends reqs in JSON batches of BatchSize and returns the answers in
// the order of reqs. Items answered 429 (or 502, 503, 504, or left out of
// the answer) are sent again in a new batch after the longest Retry-After
// they carry (or a backoff, when none does), on Config.Clock, up to
// Config.MaxRetries rounds and MaxRetryWait of waiting in all. What is still
// unanswered then keeps its last answer: an error for that item alone
// (the caller treats it as unconfirmed, never as a departure). A batch that
// fails as a whole fails the call.
func (s *Source) batch(ctx context.Context, reqs []batchRequest) ([]batchAnswer, error) {
	out := make([]batchAnswer, len(reqs))
	pending := make([]int, len(reqs))
	for i := range pending {
		pending[i] = i
	}
	clk := clock.Or(s.cfg.Clock)
	var waited time.Duration
	for round := 0; ; round++ {
		if err := s.sendBatches(ctx, reqs, pending, out); err != nil {
			return nil, err
		}
		var again []int
		var wait time.Duration
		asked := false
		for _, i := range pending {
			if !out[i].again() {
				continue
			}
			again = append(again, i)
			if d, ok := retryafter.Parse(out[i].header("Retry-After"), clk.Now()); ok {
				wait, asked = max(wait, d), true
			}
		}
		if len(again) == 0 || round >= s.cfg.MaxRetries {
			return out, nil
		}
		if !asked {
			wait = backoffWait(round)
		}
		if waited+wait > MaxRetryWait {
			return out, nil // the server asks for more patience than a run has
		}
		if err := clk.Sleep(ctx, wait); err != nil {
			return nil, err
		}
		waited += wait
		pending = again
	}
}

// sendBatches sends the requests reqs[i] for i in pending, BatchSize to a
// batch, and puts each answer in out[i]. An item's id in the batch is its
// index in reqs.
func (s *Source) sendBatches(ctx context.Context, reqs []batchRequest, pending []int, out []batchAnswer) error {
	for start := 0; start < len(pending); start += BatchSize {
		chunk := pending[start:min(start+BatchSize, len(pending))]
		type item struct {
			ID string `json:"id"`
			batchRequest
		}
		body := struct {
			Requests []item `json:"requests"`
		}{}
		inChunk := make(map[int]bool, len(chunk))
		for _, i := range chunk {
			body.Requests = append(body.Requests, item{ID: strconv.Itoa(i), batchRequest: reqs[i]})
			inChunk[i] = true
			out[i] = batchAnswer{} // an item the answer leaves out has no answer
		}
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		ri := abstractions.NewRequestInformationWithMethodAndUrlTemplateAndPathParameters(abstractions.POST,
			"{+baseurl}/$batch", map[string]string{"baseurl": s.baseURL})
		ri.Headers.TryAdd("Accept", "application/json")
		ri.SetStreamContentAndContentType(b, "application/json")
		res, err := s.adapter.SendPrimitive(ctx, ri, "[]byte", errorMapping())
		if err != nil {
			return s.classify(err, PermUsers)
		}
		raw, _ := res.([]byte)
		var answers struct {
			Responses []struct {
				ID string `json:"id"`
				batchAnswer
			} `json:"responses"`
		}
		if err := json.Unmarshal(raw, &answers); err != nil {
			return fmt.Errorf("entra: unreadable $batch answer: %w", err)
		}
		// Graph may answer in any order: by id.
		for _, a := range answers.Responses {
			if i, err := strconv.Atoi(a.ID); err == nil && inChunk[i] {
				out[i] = a.batchAnswer
			}
		}
	}
	return nil
}
