package world

import "github.com/entra-mattermost-sync/entra-mattermost-sync/report"

// Text helpers for failure messages.

func FirstFailure(rep report.Report) string {
	for _, r := range rep.Results {
		if r.Status == "failed" {
			return r.Error
		}
	}
	return ""
}

func Tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
