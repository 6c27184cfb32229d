package world

import "github.com/entra-mattermost-sync/entra-mattermost-sync/report"

// Text helpers for failure messages.

// FirstFailure is the error of the report's first failed action, or "".
func FirstFailure(rep report.Report) string {
	for _, r := range rep.Results {
		if r.Status == "failed" {
			return r.Error
		}
	}
	return ""
}

// Tail is the last n bytes of s, marked with an ellipsis when cut.
func Tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
