package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

var (
	guidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	// hostRE is a DNS host name of one or more labels ("mattermost",
	// "chat.example.com"), as a URL's host must be.
	hostRE   = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$`)
	domainRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$`)
)

// instanceRE is an instance name: short, and safe in a props value and a
// log line.
var instanceRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,40}$`)

// DerivedKeyEntry is the link-key entry that stands for the key derived
// from mattermost-token (the default when link-key is empty).
const DerivedKeyEntry = "derived"

// ParseLinkKeys splits link-key into its entries, newest first (comma or
// newline separated): each a key of at least 16 characters, or
// DerivedKeyEntry (any case, returned as DerivedKeyEntry) for the key
// derived from mattermost-token, which the glue derives (sync.DeriveLinkKey);
// empty means that derived key alone (no entries).
func ParseLinkKeys(v string) ([]string, error) {
	entries := SplitList(v)
	if len(entries) == 0 {
		return nil, nil
	}
	if len(entries) == 1 && !strings.EqualFold(entries[0], DerivedKeyEntry) && len(entries[0]) >= 16 {
		// One key is used exactly as given, as before lists existed: a
		// secret stored with a trailing newline keeps verifying its links.
		return []string{v}, nil
	}
	keys := make([]string, 0, len(entries))
	seen := map[string]bool{}
	for i, e := range entries {
		switch {
		case strings.EqualFold(e, DerivedKeyEntry):
			e = DerivedKeyEntry
		case len(e) < 16:
			return nil, fmt.Errorf("key %d of %d is shorter than 16 characters; use a long random value (openssl rand -hex 32)", i+1, len(entries))
		}
		if seen[e] {
			return nil, fmt.Errorf("key %d of %d repeats an earlier key", i+1, len(entries))
		}
		seen[e] = true
		keys = append(keys, e)
	}
	return keys, nil
}

// isObjectID reports whether s has the form of an Entra ID object id (a
// GUID), as opposed to a display name.
func isObjectID(s string) bool { return guidRE.MatchString(s) }

// isWebhookURL reports whether v is an absolute http:// or https:// URL
// with a host, as report-webhook-url must be (webhook.ValidateURL checks
// the same before a send; config cannot import webhook, being a leaf).
func isWebhookURL(v string) bool {
	u, err := url.Parse(strings.TrimSpace(v))
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Hostname() != ""
}

// safeURL is v without user information, query and fragment, for a message
// (redact.BareURL's rule, repeated because config, a leaf, imports no
// package of this project; TestSafeURLIsBareURL keeps them equal).
func safeURL(v string) string {
	u, err := url.Parse(strings.TrimSpace(v))
	if err != nil {
		return "(invalid URL)"
	}
	if u.Scheme == "" && u.Host == "" {
		return "(not an absolute URL)"
	}
	return u.Scheme + "://" + u.Host + u.Path
}

// ParseURL checks that s is an absolute http(s) URL with a host and nothing
// that does not belong in a base URL. It returns it without a trailing slash.
// httpsOnly is for Microsoft endpoints, which the SDKs refuse over http.
func ParseURL(s string, httpsOnly bool) (string, error) {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return "", fmt.Errorf("%q is not a URL: %v", s, errors.Unwrap(err))
	case u.Scheme != "https" && (httpsOnly || u.Scheme != "http"):
		if httpsOnly {
			return "", fmt.Errorf("%q must start with https://", s)
		}
		return "", fmt.Errorf("%q must start with http:// or https://", s)
	case u.Host == "" || u.Hostname() == "":
		return "", fmt.Errorf("%q has no host name", s)
	case net.ParseIP(u.Hostname()) == nil && !hostRE.MatchString(u.Hostname()):
		return "", fmt.Errorf("%q: %q is not a host name (letters, digits and -, in dot-separated labels) or an IP address", s, u.Hostname())
	case u.User != nil:
		// Only scheme and host: the user information is the secret.
		return "", fmt.Errorf("%q must not carry credentials; use the token input", u.Scheme+"://"+u.Host)
	case u.RawQuery != "" || u.Fragment != "":
		return "", fmt.Errorf("%q must not have a query or fragment", s)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "", fmt.Errorf("%q has an invalid port", s)
		}
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// checkReportPath refuses, before anything changes, a report path the run
// could not write at the end: a directory, or a file under something that is
// not a directory. Missing directories are fine: the report writer creates
// them. Empty is the default (see report.DefaultPath).
func checkReportPath(path string) error {
	if path == "" {
		return nil
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("%q is a directory; give a file name, e.g. %s", path, filepath.Join(path, "entra-mattermost-sync-report.json"))
	}
	for dir := filepath.Dir(path); ; dir = filepath.Dir(dir) {
		fi, err := os.Stat(dir)
		if err == nil {
			if !fi.IsDir() {
				return fmt.Errorf("%q is not a directory, so %q cannot be written", dir, path)
			}
			return nil
		}
		if parent := filepath.Dir(dir); parent == dir {
			return nil
		}
	}
}

// CleartextWarning returns a warning when a validated URL sends a secret
// in clear text: http:// to a host that is not loopback. In-cluster service
// URLs (http://mattermost.chat.svc:8065) are a common, deliberate choice on
// a trusted network, so this warns rather than refuses. "" when the URL is
// https:// or loopback.
func CleartextWarning(input, rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "http" {
		return ""
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return ""
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return ""
	}
	return fmt.Sprintf("input %s: %s uses http:// to a host that is not loopback, so the admin token crosses the network in clear text; "+
		"use https:// unless this is an in-cluster service address on a network you trust", input, rawURL)
}

// ParseBool accepts the spellings YAML and admins use for booleans.
func ParseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "yes", "y", "on", "1":
		return true, nil
	case "false", "no", "n", "off", "0", "":
		return false, nil
	}
	return false, fmt.Errorf("%q is not true or false", s)
}

// SplitList splits a list given one per line or comma separated, trimming
// blanks and dropping empty entries and lines that start with #. A # inside
// an entry is kept: group names such as "Team #1" exist.
func SplitList(s string) []string {
	var out []string
	for _, line := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		for _, item := range strings.Split(line, ",") {
			if item = strings.TrimSpace(item); item != "" {
				out = append(out, item)
			}
		}
	}
	return out
}
