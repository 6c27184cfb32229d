package fakemm

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
)

// The routes the fake serves (api4's paths and methods), the session check
// and the dispatch to the handlers of users.go, teams.go and channels.go.

type route struct {
	method  string
	pattern string
	segs    []string
	public  bool // no session needed
	handler func(s *Server, c *reqCtx)
}

type reqCtx struct {
	w      http.ResponseWriter
	r      *http.Request
	params map[string]string
	selfID string
	admin  bool
}

func (c *reqCtx) p(name string) string { return c.params[name] }

var routes = func() []route {
	rs := []route{
		{method: "GET", pattern: "/api/v4/system/ping", public: true, handler: (*Server).ping},
		{method: "GET", pattern: "/api/v4/config/client", public: true, handler: (*Server).clientConfig},
		{method: "GET", pattern: "/api/v4/limits/server", handler: (*Server).serverLimits},
		{method: "GET", pattern: "/api/v4/users/me", handler: (*Server).getMe},
		{method: "GET", pattern: "/api/v4/users/email/{email}", handler: (*Server).getUserByEmail},
		{method: "GET", pattern: "/api/v4/users", handler: (*Server).listUsers},
		{method: "POST", pattern: "/api/v4/users", handler: (*Server).createUser},
		{method: "GET", pattern: "/api/v4/users/{id}", handler: (*Server).getUser},
		{method: "PUT", pattern: "/api/v4/users/{id}/patch", handler: (*Server).patchUser},
		{method: "PUT", pattern: "/api/v4/users/{id}/active", handler: (*Server).updateActive},
		{method: "GET", pattern: "/api/v4/teams/name/{name}", handler: (*Server).getTeamByName},
		{method: "GET", pattern: "/api/v4/teams/{id}/members", handler: (*Server).getTeamMembers},
		{method: "POST", pattern: "/api/v4/teams/{id}/members/batch", handler: (*Server).addTeamMembers},
		{method: "DELETE", pattern: "/api/v4/teams/{id}/members/{user_id}", handler: (*Server).removeTeamMember},
		{method: "GET", pattern: "/api/v4/teams/name/{team}/channels/name/{channel}", handler: (*Server).getChannelByTeamAndName},
		{method: "GET", pattern: "/api/v4/channels/{channel_id}/members", handler: (*Server).getChannelMembers},
		{method: "GET", pattern: "/api/v4/users/{id}/teams/{team_id}/channels", handler: (*Server).getTeamChannelsForUser},
		{method: "POST", pattern: "/api/v4/channels/{channel_id}/members", handler: (*Server).addChannelMember},
		{method: "DELETE", pattern: "/api/v4/channels/{channel_id}/members/{user_id}", handler: (*Server).removeChannelMember},
		// mail.go: onboarding's endpoints.
		{method: "GET", pattern: "/api/v4/config", handler: (*Server).getConfig},
		{method: "POST", pattern: "/api/v4/email/test", handler: (*Server).testEmail},
		{method: "POST", pattern: "/api/v4/users/password/reset/send", public: true, handler: (*Server).sendPasswordReset},
		{method: "PUT", pattern: "/api/v4/users/{id}/password", handler: (*Server).updatePassword},
		{method: "POST", pattern: "/api/v4/users/login", public: true, handler: (*Server).login},
	}
	for i := range rs {
		rs[i].segs = strings.Split(strings.Trim(rs[i].pattern, "/"), "/")
	}
	return rs
}()

func match(method string, segs []string) (*route, map[string]string) {
	for i := range routes {
		rt := &routes[i]
		if rt.method != method || len(rt.segs) != len(segs) {
			continue
		}
		params := map[string]string{}
		ok := true
		for j, ps := range rt.segs {
			if strings.HasPrefix(ps, "{") {
				params[strings.Trim(ps, "{}")] = segs[j]
			} else if ps != segs[j] {
				ok = false
				break
			}
		}
		if ok {
			return rt, params
		}
	}
	return nil, nil
}

func splitPath(r *http.Request) []string {
	raw := strings.Trim(r.URL.EscapedPath(), "/")
	if raw == "" {
		return nil
	}
	parts := strings.Split(raw, "/")
	for i, p := range parts {
		if u, err := url.PathUnescape(p); err == nil {
			parts[i] = u
		}
	}
	return parts
}

func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	if len(h) > 6 && strings.EqualFold(h[:6], "token ") {
		return strings.TrimSpace(h[6:])
	}
	return ""
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	latency, sleep := s.opts.Latency, s.sleeper()
	s.mu.Unlock()
	if latency > 0 && sleep(r.Context(), latency) != nil {
		return
	}
	w.Header().Set("X-Version-Id", s.opts.ServerVersion)

	segs := splitPath(r)
	rt, params := match(r.Method, segs)
	key := r.Method + " " + r.URL.Path
	if rt != nil {
		key = r.Method + " " + rt.pattern
	}

	s.mu.Lock()
	w.Header().Set("X-Request-Id", s.newID())
	s.requests[key]++
	var fault *Fault
	for i, f := range s.faults {
		if (f.Method == "" || strings.EqualFold(f.Method, r.Method)) && strings.HasPrefix(r.URL.Path, f.PathPrefix) {
			fc := *f
			fault = &fc
			f.Count--
			if f.Count <= 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
			break
		}
	}
	outage := s.outage
	var chaos chaosOutcome
	if fault == nil && outage.Mode == 0 {
		chaos = s.drawChaos(r.Method)
	}
	rl := s.opts.RateLimit
	limited := fault == nil && outage.Mode == 0 && chaos == chaosNone && rl.Fraction > 0 && s.rng.Float64() < rl.Fraction
	var bucket bucketAnswer
	if fault == nil && outage.Mode == 0 && chaos == chaosNone && !limited && rl.PerSecond > 0 {
		bucket = s.takeToken(rl)
	}
	s.mu.Unlock()

	if outage.Mode != 0 {
		s.writeOutage(w, outage)
		return
	}
	switch chaos {
	case chaosTooMany:
		writeRateLimitedValue(w, strconv.Itoa(s.chaosRetryAfter()), 0)
		return
	case chaosBadGateway:
		writeFault(w, &Fault{Status: http.StatusBadGateway})
		return
	case chaosDrop:
		dropConnection(w)
		return
	case chaosDropAfter:
		s.dispatch(httptest.NewRecorder(), r, rt, params)
		dropConnection(w)
		return
	}
	if rl.PerSecond > 0 && fault == nil {
		bucket.setHeaders(w)
		if !bucket.ok {
			w.Header().Set("Retry-After", strconv.Itoa(bucket.retryAfter))
			http.Error(w, "limit exceeded", http.StatusTooManyRequests)
			return
		}
	}
	if rl.Fraction > 0 && !limited && rl.PerSecond <= 0 {
		limit := rl.Limit
		if limit <= 0 {
			limit = DefaultRateLimitLimit
		}
		w.Header().Set("X-RateLimit-Limit", strconv.Itoa(limit))
		w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(limit-1))
		w.Header().Set("X-RateLimit-Reset", "0")
	}
	if limited {
		writeRateLimited(w, rl.RetryAfter, rl.Limit)
		return
	}
	if fault != nil && !fault.AfterHandler {
		if fault.Drop {
			dropConnection(w)
			return
		}
		writeFault(w, fault)
		return
	}
	if fault != nil {
		rec := httptest.NewRecorder()
		for k, v := range w.Header() {
			rec.Header()[k] = v
		}
		s.dispatch(rec, r, rt, params)
		if fault.Drop {
			dropConnection(w)
			return
		}
		writeFault(w, fault)
		return
	}
	s.dispatch(w, r, rt, params)
}

func (s *Server) dispatch(w http.ResponseWriter, r *http.Request, rt *route, params map[string]string) {
	if rt == nil {
		s.writeError(w, http.StatusNotFound, "api.context.404.app_error", "")
		return
	}
	c := &reqCtx{w: w, r: r, params: params}
	if !rt.public || bearer(r) != "" {
		tok := bearer(r)
		switch {
		case tok != "" && tok == s.opts.AdminToken:
			c.selfID, c.admin = s.adminID, true
		case tok != "" && s.opts.UserToken != "" && tok == s.opts.UserToken:
			c.selfID = s.userID
		case tok != "" && s.session(tok) != "":
			c.selfID = s.session(tok)
			c.admin = s.isAdmin(c.selfID)
		default:
			if !rt.public {
				s.writeError(w, http.StatusUnauthorized, "api.context.session_expired.app_error", "token="+tok)
				return
			}
		}
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		s.mu.Lock()
		s.writes++
		s.mu.Unlock()
	}
	rt.handler(s, c)
}

// session returns the user id of a LogIn token, or "".
func (s *Server) session(tok string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions[tok]
}

func (s *Server) isAdmin(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.users[id]
	return ok && strings.Contains(" "+r.u.Roles+" ", " system_admin ")
}

// userParam resolves a {user_id} path parameter: "me" is the session's
// user, as the server's web.Params does.
func userParam(c *reqCtx, name string) string {
	if id := c.p(name); id != "me" {
		return id
	}
	return c.selfID
}
