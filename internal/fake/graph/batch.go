package fakegraph

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
)

// maxBatch is the most requests one JSON batch may hold (Graph's
// json-batching page: "currently limited to 20").
const maxBatch = 20

// maxCheckGroups is the most group ids one checkMemberGroups may ask about
// (user-checkmembergroups: "up to a maximum of 20 groups per request").
const maxCheckGroups = 20

// batchThrottle is how many of the next requests inside batches are
// answered 429, and the Retry-After (seconds) they carry.
type batchThrottle struct{ n, retryAfter int }

// ThrottleBatchItems answers the next n requests inside JSON batches 429
// TooManyRequests with Retry-After retryAfterSeconds in the item's own
// headers, while the batch itself answers 200: Graph evaluates each request
// of a batch against its throttling limits on its own (json-batching,
// "Throttling and batching"), so a throttled item does not fail the others.
func (s *Server) ThrottleBatchItems(n, retryAfterSeconds int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.batchThrottle = batchThrottle{n: n, retryAfter: retryAfterSeconds}
}

// batch answers POST /v1.0/$batch: each request in the body is served as if
// sent alone (with the batch's token), and the answers come back together,
// as Graph's JSON batching does: each with its own status, headers (the
// sub-request's, Retry-After included) and body.
func (s *Server) batch(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Requests []struct {
			ID      string            `json:"id"`
			Method  string            `json:"method"`
			URL     string            `json:"url"`
			Headers map[string]string `json:"headers"`
			Body    json.RawMessage   `json:"body"`
		} `json:"requests"`
	}
	body, err := requestBody(r)
	if err == nil {
		err = json.Unmarshal(body, &in)
	}
	if err != nil || len(in.Requests) == 0 {
		writeODataError(w, http.StatusBadRequest, "BadRequest", "Invalid batch payload format.")
		return
	}
	if len(in.Requests) > maxBatch {
		writeODataError(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("Number of included requests in the request body exceeds the allowed maximum of %d.", maxBatch))
		return
	}
	type answer struct {
		ID      string            `json:"id"`
		Status  int               `json:"status"`
		Headers map[string]string `json:"headers"`
		Body    json.RawMessage   `json:"body,omitempty"`
	}
	out := struct {
		Responses []answer `json:"responses"`
	}{}
	for _, q := range in.Requests {
		if !strings.HasPrefix(q.URL, "/") {
			q.URL = "/" + q.URL
		}
		sub, err := http.NewRequestWithContext(r.Context(), q.Method, "/v1.0"+q.URL, bytes.NewReader(q.Body))
		if err != nil {
			out.Responses = append(out.Responses, answer{ID: q.ID, Status: 400, Headers: map[string]string{}})
			continue
		}
		for k, v := range q.Headers {
			sub.Header.Set(k, v)
		}
		sub.Header.Set("Authorization", r.Header.Get("Authorization"))
		rec := &Request{Method: sub.Method, Path: sub.URL.Path, Query: sub.URL.Query(), Key: sub.Method + " " + sub.URL.Path}
		rr := httptest.NewRecorder()
		s.mu.Lock()
		throttled, after := s.batchThrottle.n > 0, s.batchThrottle.retryAfter
		if throttled {
			s.batchThrottle.n--
		}
		s.mu.Unlock()
		if throttled {
			rr.Header().Set("Retry-After", fmt.Sprint(after))
			writeODataError(rr, http.StatusTooManyRequests, "TooManyRequests", "Too many requests")
		} else {
			s.route(rr, sub, rec)
		}
		rec.Status = rr.Code
		s.record(*rec)
		a := answer{ID: q.ID, Status: rr.Code, Headers: map[string]string{}}
		for k, v := range rr.Header() {
			if len(v) > 0 {
				a.Headers[k] = v[0]
			}
		}
		if b := bytes.TrimSpace(rr.Body.Bytes()); len(b) > 0 {
			a.Body = b
		}
		out.Responses = append(out.Responses, a)
	}
	// Graph may answer in any order (json-batching: "the responses might
	// appear in a different order"): the fake answers last first, so that
	// only a client that matches answers by id gets them right.
	slices.Reverse(out.Responses)
	writeJSON(w, http.StatusOK, out)
}

// checkMemberGroups answers POST /v1.0/users/{id}/checkMemberGroups: which
// of the given groups the user is a member of, directly or through nested
// groups. It reads the directory itself: no lag.
func (s *Server) checkMemberGroups(w http.ResponseWriter, r *http.Request, userID string) {
	var in struct {
		GroupIDs []string `json:"groupIds"`
	}
	body, err := requestBody(r)
	if err == nil {
		err = json.Unmarshal(body, &in)
	}
	if err != nil || in.GroupIDs == nil {
		writeODataError(w, http.StatusBadRequest, "Request_BadRequest", "The request body must hold groupIds.")
		return
	}
	if len(in.GroupIDs) > maxCheckGroups {
		writeODataError(w, http.StatusBadRequest, "Request_BadRequest", fmt.Sprintf("Too many group ids: at most %d per request.", maxCheckGroups))
		return
	}
	if _, ok := s.findUser(userID); !ok {
		writeNotFound(w, userID)
		return
	}
	s.mu.Lock()
	groups := make(map[string]Group, len(s.groups))
	for _, g := range s.groups {
		groups[strings.ToLower(g.ID)] = g
	}
	s.mu.Unlock()
	var contains func(g Group, id string, seen map[string]bool) bool
	contains = func(g Group, id string, seen map[string]bool) bool {
		for _, m := range g.Members {
			k := strings.ToLower(m)
			if k == strings.ToLower(id) {
				return true
			}
			if sub, ok := groups[k]; ok && !seen[k] {
				seen[k] = true
				if contains(sub, id, seen) {
					return true
				}
			}
		}
		return false
	}
	value := []string{}
	for _, gid := range in.GroupIDs {
		if g, ok := groups[strings.ToLower(gid)]; ok && contains(g, userID, map[string]bool{strings.ToLower(gid): true}) {
			value = append(value, g.ID)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"@odata.context": s.srv.URL + "/v1.0/$metadata#Collection(Edm.String)", "value": value})
}

// requestBody reads a request's body, gunzipped when Content-Encoding says
// gzip (the Graph SDK compresses request bodies; Graph accepts that).
func requestBody(r *http.Request) ([]byte, error) {
	var rd io.Reader = r.Body
	if strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			return nil, err
		}
		defer zr.Close()
		rd = zr
	}
	return io.ReadAll(io.LimitReader(rd, 4<<20))
}
