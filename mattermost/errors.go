package mattermost

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
)

// Error ids the sync branches on.
const (
	IDEmailExists        = "app.user.save.email_exists.app_error"
	IDUsernameExists     = "app.user.save.username_exists.app_error"
	IDMissingAccount     = "app.user.missing_account.const"
	IDRouteNotFound      = "api.context.404.app_error"
	IDUserLimitExceeded  = "api.user.create_user.user_limits.exceeded"
	IDReactivationLimit  = "app.user.update_active.user_limit.exceeded"
	IDSessionExpired     = "api.context.session_expired.app_error"
	IDPermissions        = "api.context.permissions.app_error"
	IDTeamMaxAccounts    = "app.team.join_user_to_team.max_accounts.app_error"
	IDTeamMaxAccountsNew = "app.team.join_user_to_team.save_member.max_accounts.app_error"
)

// AppError is an error answer from Mattermost. For JSON bodies the fields
// come from Mattermost's AppError; for other bodies (the plain-text 429
// "limit exceeded", a proxy's HTML 502) ID is empty and Message holds the
// start of the body.
type AppError struct {
	ID            string `json:"id"`
	Message       string `json:"message"`
	DetailedError string `json:"detailed_error"`
	RequestID     string `json:"request_id"`
	StatusCode    int    `json:"status_code"`
	Method        string `json:"-"`
	Path          string `json:"-"`
}

// Error renders e.g.
// "POST /api/v4/users: 400 app.user.save.email_exists.app_error: An account with that email already exists."
func (e *AppError) Error() string {
	var b strings.Builder
	if e.Method != "" || e.Path != "" {
		fmt.Fprintf(&b, "%s %s: ", e.Method, e.Path)
	}
	fmt.Fprintf(&b, "%d", e.StatusCode)
	if e.ID != "" {
		b.WriteString(" " + e.ID)
		if e.Message != "" {
			b.WriteString(": " + e.Message)
		}
	} else if e.Message != "" {
		b.WriteString(" " + e.Message)
	}
	if e.DetailedError != "" {
		b.WriteString(" (" + truncate(e.DetailedError, maxErrorBody) + ")")
	}
	return b.String()
}

// ErrorID returns Mattermost's error id (implements sync.ErrorIDer).
func (e *AppError) ErrorID() string { return e.ID }

// Is maps Mattermost error ids onto the sync package's sentinel errors.
func (e *AppError) Is(target error) bool {
	switch target {
	case mmsync.ErrEmailExists:
		return e.ID == IDEmailExists
	case mmsync.ErrUsernameExists:
		return e.ID == IDUsernameExists
	case mmsync.ErrNotFound:
		return e.StatusCode == http.StatusNotFound && e.ID != "" && e.ID != IDRouteNotFound &&
			strings.HasPrefix(e.Path, APIPrefix+"/users/")
	}
	return false
}

// IsRateLimited reports whether err is a 429 answer (after retries ran out).
func IsRateLimited(err error) bool {
	var ae *AppError
	return errors.As(err, &ae) && ae.StatusCode == http.StatusTooManyRequests
}

// StatusCode returns the HTTP status of an *AppError in err's chain, or 0.
func StatusCode(err error) int {
	var ae *AppError
	if errors.As(err, &ae) {
		return ae.StatusCode
	}
	return 0
}

func randDuration(n time.Duration) time.Duration {
	if n <= 0 {
		return 0
	}
	return time.Duration(rand.Int64N(int64(n) + 1))
}

// IsTransient reports whether err is a failure that may not recur: a
// gateway or availability status (429 once the client's retries ran out, 502,
// 503, 504) or a transport error with no answer at all. Context cancellation
// is not transient: the caller is stopping.
func IsTransient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var ae *AppError
	if errors.As(err, &ae) {
		switch ae.StatusCode {
		case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return true
		}
		return false
	}
	// No HTTP answer: a refused, reset or dropped connection.
	return true
}
