package mattermost

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// A redirect is not followed: the token never reaches the address it names,
// and the error says which address to configure.
func TestRedirectNotFollowed(t *testing.T) {
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere.Add(1) }))
	defer other.Close()
	cases := []struct {
		name, location, suggested string
	}{
		{"same path elsewhere", other.URL + "/chat/api/v4/users/me", other.URL + "/chat"},
		{"a login page", other.URL + "/login?redirect_to=%2F", ""},
	}
	for _, tc := range cases {
		c, _, n := script(t, Options{}, func(_ int, w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, tc.location, http.StatusMovedPermanently)
		})
		_, err := c.GetMe(context.Background())
		var re *RedirectError
		if !errors.As(err, &re) || re.StatusCode != 301 || re.Location != tc.location || re.Suggested != tc.suggested {
			t.Fatalf("%s: err = %#v", tc.name, err)
		}
		want := "GET /api/v4/users/me: " + c.base + " answered 301 → " + tc.location + "; set mattermost-url to the server's own address"
		if !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: Error() = %q, want prefix %q", tc.name, err.Error(), want)
		}
		if n.Load() != 1 || elsewhere.Load() != 0 {
			t.Errorf("%s: %d requests to the server, %d to the redirect target", tc.name, n.Load(), elsewhere.Load())
		}
		if isTransient(err) {
			t.Errorf("%s: a redirect is not transient", tc.name)
		}
	}
}
