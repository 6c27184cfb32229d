package mattermost

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// APIPrefix is the path prefix of Mattermost's REST API v4.
const APIPrefix = "/api/v4"

// NormalizeBaseURL validates a Mattermost site URL and returns it without a
// trailing slash and without a trailing /api/v4, e.g.
// "https://chat.example.com/api/v4/" → "https://chat.example.com".
// A subpath (https://example.com/mattermost) is kept.
func NormalizeBaseURL(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", errors.New("mattermost: base URL is empty (set MM_API_BASE_URL, e.g. https://chat.example.com)")
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("mattermost: base URL is not a valid URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("mattermost: base URL must start with https:// or http:// (got scheme %q)", u.Scheme)
	}
	if u.Host == "" || u.Hostname() == "" {
		return "", errors.New("mattermost: base URL has no host (expected e.g. https://chat.example.com)")
	}
	if u.User != nil {
		return "", errors.New("mattermost: base URL must not contain user information (credentials)")
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return "", errors.New("mattermost: base URL must not contain a query or fragment")
	}
	p := strings.TrimRight(u.Path, "/")
	if strings.HasSuffix(strings.ToLower(p), APIPrefix) {
		p = strings.TrimRight(p[:len(p)-len(APIPrefix)], "/")
	}
	u.Path = p
	u.RawPath = ""
	return u.Scheme + "://" + u.Host + u.EscapedPath(), nil
}
