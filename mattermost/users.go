package mattermost

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// User is Mattermost's user object as the API sends it (the subset the sync
// uses). Password is only sent on create and never returned by the server.
type User struct {
	ID                  string            `json:"id,omitempty"`
	CreateAt            int64             `json:"create_at,omitempty"`
	UpdateAt            int64             `json:"update_at,omitempty"`
	DeleteAt            int64             `json:"delete_at"`
	Username            string            `json:"username"`
	Password            string            `json:"password,omitempty"`
	AuthData            *string           `json:"auth_data,omitempty"`
	AuthService         string            `json:"auth_service"`
	Email               string            `json:"email"`
	EmailVerified       bool              `json:"email_verified"`
	Nickname            string            `json:"nickname"`
	FirstName           string            `json:"first_name"`
	LastName            string            `json:"last_name"`
	Position            string            `json:"position"`
	Roles               string            `json:"roles"`
	Props               map[string]string `json:"props,omitempty"`
	IsBot               bool              `json:"is_bot,omitempty"`
	RemoteID            *string           `json:"remote_id,omitempty"`
	DisableWelcomeEmail bool              `json:"disable_welcome_email,omitempty"`
}

// String never includes the password, so a User can be printed safely.
func (u User) String() string {
	return fmt.Sprintf("User{id=%s username=%s email=%s delete_at=%d}", u.ID, u.Username, u.Email, u.DeleteAt)
}

// GoString keeps %#v from printing the password.
func (u User) GoString() string { return u.String() }

// Active reports whether the user is not deactivated.
func (u User) Active() bool { return u.DeleteAt == 0 }

// UserPatch is the body of PUT /users/{id}/patch. Nil fields are left alone;
// a non-nil Props (even empty) replaces the whole props map.
type UserPatch struct {
	Email     *string
	Nickname  *string
	FirstName *string
	LastName  *string
	Position  *string
	Props     map[string]string
}

// MarshalJSON sends only the set fields.
func (p UserPatch) MarshalJSON() ([]byte, error) {
	m := map[string]any{}
	set := func(k string, v *string) {
		if v != nil {
			m[k] = *v
		}
	}
	set("email", p.Email)
	set("nickname", p.Nickname)
	set("first_name", p.FirstName)
	set("last_name", p.LastName)
	set("position", p.Position)
	if p.Props != nil {
		m["props"] = p.Props
	}
	return json.Marshal(m)
}

// ServerLimits is GET /limits/server.
type ServerLimits struct {
	MaxUsersLimit     int64 `json:"maxUsersLimit"`
	MaxUsersHardLimit int64 `json:"maxUsersHardLimit"`
	ActiveUserCount   int64 `json:"activeUserCount"`
}

// PasswordPolicy is the server's PasswordSettings as exposed in the client
// config.
type PasswordPolicy struct {
	MinimumLength int
	Lowercase     bool
	Uppercase     bool
	Number        bool
	Symbol        bool
}

// GetMe returns the token owner.
func (c *Client) GetMe(ctx context.Context) (User, error) {
	var u User
	_, err := c.do(ctx, http.MethodGet, "/users/me", nil, nil, &u)
	return u, err
}

// Ping checks the server is up and returns its version, e.g. "5.36.1" (see
// ServerVersion; an X-Version-Id that does not parse is returned as sent, cut
// to 64 bytes).
func (c *Client) Ping(ctx context.Context) (string, error) {
	var st struct {
		Status string `json:"status"`
	}
	h, err := c.do(ctx, http.MethodGet, "/system/ping", nil, nil, &st)
	if err != nil {
		return "", err
	}
	version, ok := ServerVersion(h.Get("X-Version-Id"))
	if !ok {
		version = truncate(h.Get("X-Version-Id"), 64)
	}
	if st.Status != "" && !strings.EqualFold(st.Status, "OK") {
		return version, fmt.Errorf("GET %s/system/ping: server status %q", APIPrefix, st.Status)
	}
	return version, nil
}

// GetClientConfig returns the limited client configuration (no admin needed).
func (c *Client) GetClientConfig(ctx context.Context) (map[string]string, error) {
	var m map[string]string
	_, err := c.do(ctx, http.MethodGet, "/config/client", url.Values{"format": {"old"}}, nil, &m)
	return m, err
}

// PasswordPolicy reads the password policy from the client config.
func (c *Client) PasswordPolicy(ctx context.Context) (PasswordPolicy, error) {
	cfg, err := c.GetClientConfig(ctx)
	if err != nil {
		return PasswordPolicy{}, fmt.Errorf("read password policy: %w", err)
	}
	return ParsePasswordPolicy(cfg), nil
}

// ParsePasswordPolicy extracts the policy from a client config map. A missing
// or bad minimum length falls back to Mattermost's default of 8.
func ParsePasswordPolicy(cfg map[string]string) PasswordPolicy {
	p := PasswordPolicy{MinimumLength: 8}
	if n, err := strconv.Atoi(strings.TrimSpace(cfg["PasswordMinimumLength"])); err == nil && n > 0 {
		p.MinimumLength = n
	}
	b := func(k string) bool { return strings.EqualFold(strings.TrimSpace(cfg[k]), "true") }
	p.Lowercase = b("PasswordRequireLowercase")
	p.Uppercase = b("PasswordRequireUppercase")
	p.Number = b("PasswordRequireNumber")
	p.Symbol = b("PasswordRequireSymbol")
	return p
}

// GetServerLimits returns the user limits, or (nil, nil) when the server is
// too old to have the endpoint (404).
func (c *Client) GetServerLimits(ctx context.Context) (*ServerLimits, error) {
	var l ServerLimits
	_, err := c.do(ctx, http.MethodGet, "/limits/server", nil, nil, &l)
	if err != nil {
		var ae *AppError
		if errors.As(err, &ae) && ae.StatusCode == http.StatusNotFound {
			return nil, nil
		}
		return nil, err
	}
	return &l, nil
}

// MaxPages bounds every paged listing: a server that keeps answering full
// pages (a bug, a proxy repeating one page) cannot keep a listing going
// forever. 100,000 pages of PerPage are 20 million entries.
const MaxPages = 100_000

// ListUsers reads every user (active, deactivated, bots, remote) page by
// page, de-duplicated by id in first-seen order.
func (c *Client) ListUsers(ctx context.Context) ([]User, error) {
	var all []User
	if err := c.eachUser(ctx, func(u *User) { all = append(all, *u) }); err != nil {
		return nil, err
	}
	return all, nil
}

// eachUser reads every user page by page, in the server's order (by
// username), and calls fn once per id, in first-seen order: a user moving
// between pages while they are read is not seen twice. The pages are read one
// after another and stop at the first short one. Only one page is held at a
// time, so a caller that keeps less than a User per user (ObserveAs) keeps
// the peak memory of a 100,000-user read down.
//
// Reading pages in parallel was measured (BenchmarkListUsers) and left out:
// with 3 ms per request, 4 pages in flight list 100,000 users in 1.2 s
// instead of 3.0 s, but the Mattermost read runs alongside the Graph read,
// which takes longer (8-12 s for 100,000 users in BENCHMARKS.md), so a run
// gains nothing, and it would send requests past the last page.
func (c *Client) eachUser(ctx context.Context, fn func(*User)) error {
	seen := map[string]struct{}{}
	for page := 0; ; page++ {
		var batch []User
		q := url.Values{"page": {strconv.Itoa(page)}, "per_page": {strconv.Itoa(PerPage)}}
		if _, err := c.do(ctx, http.MethodGet, "/users", q, nil, &batch); err != nil {
			return fmt.Errorf("list users page %d: %w", page, err)
		}
		for i := range batch {
			u := &batch[i]
			if u.ID == "" {
				continue
			}
			if _, dup := seen[u.ID]; dup {
				continue
			}
			seen[u.ID] = struct{}{}
			fn(u)
		}
		if c.progress != nil {
			c.progress(len(batch))
		}
		if len(batch) < PerPage {
			return nil
		}
		if page+1 >= c.maxPages {
			return fmt.Errorf("list users: still full pages after %d pages of %d; stopped", c.maxPages, PerPage)
		}
	}
}

// GetUser reads one user by id. A missing user gives an error matching
// sync.ErrNotFound.
func (c *Client) GetUser(ctx context.Context, id string) (User, error) {
	var u User
	_, err := c.do(ctx, http.MethodGet, "/users/"+url.PathEscape(id), nil, nil, &u)
	return u, err
}

// GetUserByEmail reads one user by email (case-insensitive on the server).
// A missing user gives an error matching sync.ErrNotFound.
func (c *Client) GetUserByEmail(ctx context.Context, email string) (User, error) {
	var u User
	_, err := c.do(ctx, http.MethodGet, "/users/email/"+url.PathEscape(email), nil, nil, &u)
	return u, err
}

// CreateUser creates a user (POST /users, 201) and returns the stored user.
func (c *Client) CreateUser(ctx context.Context, u User) (User, error) {
	var out User
	_, err := c.do(ctx, http.MethodPost, "/users", nil, u, &out, u.Password)
	return out, err
}

// PatchUser applies a partial update (PUT /users/{id}/patch).
func (c *Client) PatchUser(ctx context.Context, id string, p UserPatch) (User, error) {
	var out User
	_, err := c.do(ctx, http.MethodPut, "/users/"+url.PathEscape(id)+"/patch", nil, p, &out)
	return out, err
}

// UpdateActive activates or deactivates a user (PUT /users/{id}/active).
func (c *Client) UpdateActive(ctx context.Context, id string, active bool) error {
	_, err := c.do(ctx, http.MethodPut, "/users/"+url.PathEscape(id)+"/active", nil, map[string]bool{"active": active}, nil)
	return err
}
