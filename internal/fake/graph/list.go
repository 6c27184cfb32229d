package fakegraph

import (
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Properties Graph returns when a request has no $select.
var (
	defaultUserProps = []string{"businessPhones", "displayName", "givenName", "jobTitle", "mail",
		"mobilePhone", "officeLocation", "preferredLanguage", "surname", "userPrincipalName", "id"}
	defaultGroupProps = []string{"id", "displayName", "mailNickname", "description", "mailEnabled", "securityEnabled", "groupTypes"}
)

const (
	defaultPageSize = 100
	maxPageSize     = 999
)

func groupJSON(g Group) map[string]any {
	return map[string]any{
		"@odata.type":     "#microsoft.graph.group",
		"id":              g.ID,
		"displayName":     g.DisplayName,
		"mailNickname":    g.MailNickname,
		"description":     nil,
		"mailEnabled":     false,
		"securityEnabled": true,
		"groupTypes":      []string{},
	}
}

func (s *Server) findUser(id string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range s.users {
		if strings.EqualFold(u.ID(), id) {
			return u, true
		}
	}
	return nil, false
}

func (s *Server) findGroup(id string) (Group, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range s.groups {
		if strings.EqualFold(g.ID, id) {
			return g, true
		}
	}
	return Group{}, false
}

// query returns the value of an OData system query option, accepting the
// name with or without "$".
func query(q url.Values, name string) (string, bool) {
	if v, ok := q["$"+name]; ok && len(v) > 0 {
		return v[0], true
	}
	if v, ok := q[name]; ok && len(v) > 0 {
		return v[0], true
	}
	return "", false
}

func selection(r *http.Request, defaults []string) ([]string, error) {
	v, ok := query(r.URL.Query(), "select")
	if !ok || strings.TrimSpace(v) == "" {
		return defaults, nil
	}
	sel := []string{"id"}
	for _, p := range strings.Split(v, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			//lint:ignore ST1005 the text is Graph's own error message, sent to the client
			return nil, errors.New("Syntax error: character ',' is not valid at this position in '$select'.")
		}
		if !strings.EqualFold(p, "id") {
			sel = append(sel, p)
		}
	}
	return sel, nil
}

// project returns only the selected properties of obj (case-insensitive),
// null for the ones it lacks, and its @odata.type if it has one.
func project(obj map[string]any, sel []string) map[string]any {
	out := make(map[string]any, len(sel)+1)
	if t, ok := obj["@odata.type"]; ok {
		out["@odata.type"] = t
	}
	for _, name := range sel {
		if v, ok := obj[name]; ok {
			out[name] = v
			continue
		}
		out[name] = nil
		for k, v := range obj {
			if strings.EqualFold(k, name) {
				delete(out, name)
				out[k] = v
				break
			}
		}
	}
	return out
}

// filter is a conjunction of "<property> eq <literal>" clauses.
type filter []struct {
	prop string
	val  any // string, bool or nil
}

func parseFilter(expr string) (filter, error) {
	var f filter
	expr = strings.TrimSpace(expr)
	if expr == "" {
		return nil, nil
	}
	for _, clause := range splitAnd(expr) {
		// A conjunction may be parenthesised: "id eq 'x' and (a eq 'b')".
		clause = strings.TrimRight(strings.TrimLeft(strings.TrimSpace(clause), "("), ")")
		clause = strings.TrimSpace(clause)
		prop, lit, ok := strings.Cut(clause, " eq ")
		if !ok {
			//lint:ignore ST1005 the text is Graph's own error message, sent to the client
			return nil, fmt.Errorf("Unsupported or invalid query filter clause specified: '%s'.", clause)
		}
		prop, lit = strings.TrimSpace(prop), strings.TrimSpace(lit)
		var val any
		switch {
		case len(lit) >= 2 && lit[0] == '\'' && lit[len(lit)-1] == '\'':
			inner := lit[1 : len(lit)-1]
			if strings.Count(strings.ReplaceAll(inner, "''", ""), "'") > 0 {
				//lint:ignore ST1005 the text is Graph's own error message, sent to the client
				return nil, fmt.Errorf("Syntax error: unterminated string literal in '%s'.", clause)
			}
			val = strings.ReplaceAll(inner, "''", "'")
		case lit == "true" || lit == "false":
			val = lit == "true"
		case lit == "null":
			val = nil
		default:
			//lint:ignore ST1005 the text is Graph's own error message, sent to the client
			return nil, fmt.Errorf("Unsupported literal in filter clause '%s'.", clause)
		}
		f = append(f, struct {
			prop string
			val  any
		}{prop, val})
	}
	return f, nil
}

// splitAnd splits on " and " outside string literals.
func splitAnd(expr string) []string {
	var parts []string
	inStr := false
	start := 0
	for i := 0; i < len(expr); i++ {
		if expr[i] == '\'' {
			inStr = !inStr
			continue
		}
		if !inStr && strings.HasPrefix(expr[i:], " and ") {
			parts = append(parts, expr[start:i])
			start = i + len(" and ")
			i = start - 1
		}
	}
	return append(parts, expr[start:])
}

func (f filter) match(obj map[string]any) bool {
	for _, c := range f {
		var v any
		found := false
		for k, x := range obj {
			if strings.EqualFold(k, c.prop) {
				v, found = x, true
				break
			}
		}
		if !found {
			v = nil
		}
		switch want := c.val.(type) {
		case nil:
			if v != nil {
				return false
			}
		case bool:
			if b, ok := v.(bool); !ok || b != want {
				return false
			}
		case string:
			if s, ok := v.(string); !ok || !strings.EqualFold(s, want) {
				return false
			}
		}
	}
	return true
}

func encodeSkipToken(page, offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("p=%d;o=%d", page, offset)))
}

func decodeSkipToken(tok string) (page, offset int, err error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err == nil {
		_, err = fmt.Sscanf(string(b), "p=%d;o=%d", &page, &offset)
	}
	if err != nil || page < 1 || offset < 0 {
		//lint:ignore ST1005 the text is Graph's own error message, sent to the client
		return 0, 0, errors.New("Invalid skip token.")
	}
	return page, offset, nil
}

// list answers one page of items with Graph's paging conventions.
func (s *Server) list(w http.ResponseWriter, r *http.Request, entitySet string, items []map[string]any, defaults []string) {
	q := r.URL.Query()
	top := defaultPageSize
	if v, ok := query(q, "top"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPageSize {
			writeODataError(w, http.StatusBadRequest, "Request_BadRequest",
				fmt.Sprintf("Invalid page size specified: '%s'. Must be between 1 and %d inclusive.", v, maxPageSize))
			return
		}
		top = n
	}
	sel, err := selection(r, defaults)
	if err != nil {
		writeODataError(w, http.StatusBadRequest, "BadRequest", err.Error())
		return
	}
	filterExpr, _ := query(q, "filter")
	f, err := parseFilter(filterExpr)
	if err != nil {
		writeODataError(w, http.StatusBadRequest, "Request_UnsupportedQuery", err.Error())
		return
	}
	page, offset := 1, 0
	if tok, ok := query(q, "skiptoken"); ok {
		if page, offset, err = decodeSkipToken(tok); err != nil {
			writeODataError(w, http.StatusBadRequest, "Request_BadRequest", err.Error())
			return
		}
	}

	s.mu.Lock()
	fault, faulted := s.pageFaults[page]
	s.mu.Unlock()
	if faulted {
		if fault.retryAfter >= 0 {
			w.Header().Set("Retry-After", strconv.Itoa(fault.retryAfter))
		}
		code := "UnknownError"
		switch fault.status {
		case http.StatusServiceUnavailable:
			code = "ServiceUnavailable"
		case http.StatusTooManyRequests:
			code = "TooManyRequests"
		case http.StatusGatewayTimeout:
			code = "GatewayTimeout"
		}
		writeODataError(w, fault.status, code, fmt.Sprintf("Injected failure of page %d.", page))
		return
	}

	if len(f) > 0 {
		kept := items[:0:0]
		for _, it := range items {
			if f.match(it) {
				kept = append(kept, it)
			}
		}
		items = kept
	}
	if offset > len(items) {
		offset = len(items)
	}
	end := min(offset+top, len(items))
	value := make([]map[string]any, 0, end-offset)
	for _, it := range items[offset:end] {
		value = append(value, project(it, sel))
	}
	body := map[string]any{
		"@odata.context": s.srv.URL + "/v1.0/$metadata#" + entitySet,
		"value":          value,
	}
	if end < len(items) {
		next := url.Values{}
		for k, v := range q {
			if k != "$skiptoken" && k != "skiptoken" {
				next[k] = v
			}
		}
		next.Set("$skiptoken", encodeSkipToken(page+1, end))
		body["@odata.nextLink"] = s.srv.URL + r.URL.Path + "?" + strings.ReplaceAll(next.Encode(), "%24", "$")
	}
	writeJSON(w, http.StatusOK, body)
}

// members answers /groups/{id}/members and /groups/{id}/transitiveMembers,
// optionally cast to users (/microsoft.graph.user or /graph.user).
func (s *Server) members(w http.ResponseWriter, r *http.Request, segs []string) {
	g, ok := s.findGroup(segs[2])
	if !ok {
		writeNotFound(w, segs[2])
		return
	}
	usersOnly := false
	if len(segs) == 5 {
		switch segs[4] {
		case "microsoft.graph.user", "graph.user":
			usersOnly = true
		default:
			writeODataError(w, http.StatusBadRequest, "Request_UnsupportedQuery", "Unsupported cast '"+segs[4]+"'.")
			return
		}
	} else if len(segs) > 5 {
		writeODataError(w, http.StatusBadRequest, "BadRequest", "Resource not found for the segment '"+segs[len(segs)-1]+"'.")
		return
	}
	transitive := segs[3] == "transitiveMembers"
	// Microsoft's advanced-query table lists "use of OData cast with
	// transitive members list" among the queries supported only with
	// ConsistencyLevel: eventual and $count=true; without them Graph
	// refuses it.
	if transitive && usersOnly && !advancedQuery(r) {
		writeODataError(w, http.StatusBadRequest, "Request_UnsupportedQuery",
			"The specified OData cast on transitive members requires advanced query parameters: the ConsistencyLevel: eventual header and $count=true.")
		return
	}

	s.mu.Lock()
	usersByID := make(map[string]User, len(s.users))
	for _, u := range s.users {
		if !s.lagging[strings.ToLower(u.ID())] { // a lagging member list leaves them out
			usersByID[strings.ToLower(u.ID())] = u
		}
	}
	groupsByID := make(map[string]Group, len(s.groups))
	for _, gg := range s.groups {
		groupsByID[strings.ToLower(gg.ID)] = gg
	}
	s.mu.Unlock()

	var items []map[string]any
	seen := map[string]bool{strings.ToLower(g.ID): true}
	var walk func(Group)
	walk = func(g Group) {
		for _, id := range g.Members {
			key := strings.ToLower(id)
			if seen[key] {
				continue
			}
			if u, ok := usersByID[key]; ok {
				seen[key] = true
				obj := map[string]any(maps.Clone(u))
				obj["@odata.type"] = "#microsoft.graph.user"
				items = append(items, obj)
				continue
			}
			if sub, ok := groupsByID[key]; ok {
				seen[key] = true
				if !usersOnly {
					items = append(items, groupJSON(sub))
				}
				if transitive {
					walk(sub)
				}
			}
		}
	}
	walk(g)
	defaults := []string{"id", "displayName"}
	if usersOnly {
		defaults = defaultUserProps
	}
	s.list(w, r, "directoryObjects", items, defaults)
}

// advancedQuery reports whether a request carries Graph's advanced query
// parameters: the ConsistencyLevel: eventual header and $count=true.
func advancedQuery(r *http.Request) bool {
	c, _ := query(r.URL.Query(), "count")
	return strings.EqualFold(r.Header.Get("ConsistencyLevel"), "eventual") && strings.EqualFold(c, "true")
}
