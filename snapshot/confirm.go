package snapshot

import (
	"context"
	"fmt"
	"strings"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/entra"
	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
)

// Confirm reads directly what a first plan's departures depend on (see
// mmsync.Departure) and returns the answers for the second plan, with a
// warning for the departures no read could settle (they stay unconfirmed:
// skipped in this run). For a user who left the scope:
//   - not in the users listing at all: GET /users/{id}; 404 is deleted,
//     accountEnabled false is disabled; enabled, they left the scope only if
//     the local rules (guests, only-users) leave them out, or user-filter,
//     re-checked without the lagging index, no longer selects them;
//   - read but outside the groups input: checkMemberGroups on those groups.
//
// For a membership removal: checkMemberGroups on the groups of the lines
// naming the team or channel. Requests go in JSON batches; none is sent
// when deps is empty.
func Confirm(ctx context.Context, userFilter string, src *entra.Source, s *Snapshot, deps []mmsync.Departure) (*mmsync.Confirmations, []string) {
	conf := &mmsync.Confirmations{Left: map[string]string{}, MemberOf: map[string]map[string]bool{}}
	outside := make(map[string]mmsync.DirectoryUser, len(s.outside))
	for _, u := range s.outside {
		outside[strings.ToLower(u.ID)] = u
	}
	local := s.scope
	local.Members = nil // the rules that need no listing
	excludedLocally := func(u mmsync.DirectoryUser) bool {
		in, _ := local.Split([]mmsync.DirectoryUser{u})
		return len(in) == 0
	}
	groupChecks := map[string][]string{} // user → groups to check
	scopeCheck := map[string]bool{}      // users whose scope departure rides on groupChecks
	var unread []string
	for _, d := range deps {
		id := strings.ToLower(d.EntraID)
		if len(d.Groups) > 0 {
			groupChecks[id] = append(groupChecks[id], d.Groups...)
		}
		if !d.Scope {
			continue
		}
		u, read := outside[id]
		switch {
		case !read:
			unread = append(unread, id)
		case excludedLocally(u):
			conf.Left[id] = mmsync.LeftScope
		case len(s.scopeGroupIDs) > 0:
			groupChecks[id] = append(groupChecks[id], s.scopeGroupIDs...)
			scopeCheck[id] = true
		}
	}
	var failed []string
	var filterChecks []string
	if len(unread) > 0 {
		reads, err := src.ReadUsers(ctx, unread)
		if err != nil {
			return conf, []string{confirmWarning(len(deps), err)}
		}
		for _, id := range unread {
			r := reads[id]
			switch {
			case r.Err != nil:
				failed = append(failed, fmt.Sprintf("%s (%v)", id, r.Err))
			case !r.Found:
				conf.Left[id] = mmsync.LeftDeleted
			case r.User.AccountEnabled == mmsync.BoolFalse:
				conf.Left[id] = mmsync.LeftDisabled
			case excludedLocally(r.User):
				conf.Left[id] = mmsync.LeftScope
			case userFilter != "":
				filterChecks = append(filterChecks, id)
			}
			// Enabled, selected by no filter, and missing from a plain
			// listing: the listing is what lags; they stay.
		}
	}
	if len(filterChecks) > 0 {
		match, err := src.MatchFilter(ctx, filterChecks, userFilter)
		if err != nil {
			return conf, []string{confirmWarning(len(deps), err)}
		}
		for _, id := range filterChecks {
			switch m := match[id]; {
			case m.Err != nil:
				failed = append(failed, fmt.Sprintf("%s (user-filter re-check: %v)", id, m.Err))
			case !m.Match:
				conf.Left[id] = mmsync.LeftScope
			}
		}
	}
	if len(groupChecks) > 0 {
		for id, g := range groupChecks {
			groupChecks[id] = dedupeStrings(g)
		}
		member, err := src.CheckMemberGroups(ctx, groupChecks)
		if err != nil {
			return conf, []string{confirmWarning(len(deps), err)}
		}
		for id := range groupChecks {
			m := member[id]
			if m.Err != nil {
				failed = append(failed, fmt.Sprintf("%s (checkMemberGroups: %v)", id, m.Err))
				continue
			}
			// Every group asked about is answered, false when not a
			// member: a group not asked about stays unread.
			in := make(map[string]bool, len(groupChecks[id]))
			for _, g := range groupChecks[id] {
				in[strings.ToLower(g)] = m.Groups[strings.ToLower(g)]
			}
			conf.MemberOf[id] = in
			if scopeCheck[id] && !anyOf(m.Groups, s.scopeGroupIDs) {
				conf.Left[id] = mmsync.LeftScope
			}
		}
	}
	if len(failed) > 0 {
		return conf, []string{fmt.Sprintf("the direct reads that confirm departures failed for %d users (%s); their accounts and memberships are left as they are in this run",
			len(failed), strings.Join(failed[:min(len(failed), 5)], "; "))}
	}
	return conf, nil
}

func confirmWarning(n int, err error) string {
	return fmt.Sprintf("the direct reads that confirm %d departures failed (%v); nobody missing from a listing is deactivated or removed in this run", n, err)
}

func anyOf(set map[string]bool, ids []string) bool {
	for _, id := range ids {
		if set[strings.ToLower(id)] {
			return true
		}
	}
	return false
}

func dedupeStrings(in []string) []string {
	seen := map[string]bool{}
	out := in[:0:0]
	for _, s := range in {
		if k := strings.ToLower(s); !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}
