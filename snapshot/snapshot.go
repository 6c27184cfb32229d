// Package snapshot reads what a run needs before it plans, in full or not at
// all: the directory (users in and out of scope, group members, recently
// deleted users) and Mattermost (accounts, mapped teams and channels with
// their members), after a preflight that proves the token and the server.
// Its errors name the input an administrator must fix. Nothing here writes.
package snapshot

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/entra"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/mattermost"
	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
)

// Snapshot is everything a run reads before it plans: both sides in full,
// or an error. Nothing is written before a snapshot is complete.
type Snapshot struct {
	Users      []mmsync.DirectoryUser // in scope
	Read       int                    // directory users read before scoping
	OutOfScope int
	Observed   mmsync.Observed
	Teams      *mmsync.TeamPolicy
	Channels   *mmsync.ChannelPolicy
	// Deleted are the tenant's recently deleted users (nil if unreadable);
	// ScopeGroups the member count of each group in the groups input.
	Deleted     []mmsync.DeletedUser
	ScopeGroups map[string]int
	// Warnings are reads that failed without failing the run (the deleted
	// users: without them fewer accounts are deactivated, never more).
	Warnings []string
	// Broken are the mapping entries and lines that did not resolve: the
	// planner freezes them (see mmsync.BrokenMapping). ResolvedGroups are
	// the groups named by display name, with the object id each resolved to.
	Broken         []mmsync.BrokenMapping
	ResolvedGroups []mmsync.ResolvedGroup
	// outside are the users read but out of scope.
	outside []mmsync.DirectoryUser
	// scope is the scope applied; scopeGroupIDs the object ids of the
	// groups input that resolved: what confirming a departure re-reads.
	scope         mmsync.Scope
	scopeGroupIDs []string
}

// Inputs are what Read needs of the configuration: the scope (groups,
// user-filter, include-guests, only-users), whether deactivation is on (the
// deleted users are read only then), the team and channel mappings with
// their removal switches, and mattermost-url, which messages name.
type Inputs struct {
	MattermostURL string

	Groups        []string
	UserFilter    string
	IncludeGuests bool
	OnlyUsers     []string
	Deactivate    bool

	Teams              []string
	GroupTeams         []mmsync.GroupTeams
	RemoveFromTeams    bool
	Channels           []mmsync.ChannelRef
	GroupChannels      []mmsync.GroupChannels
	RemoveFromChannels bool
}

// Directory is the snapshot's Entra ID side, as the planner takes it.
func (s *Snapshot) Directory() mmsync.Directory {
	return mmsync.Directory{Users: s.Users, OutOfScope: s.outside, Deleted: s.Deleted, ScopeGroups: s.ScopeGroups}
}

// Read reads the directory (users, and the members of every group the
// configuration names) and Mattermost (users, and the members of every team
// it names) concurrently. A team, channel or group that does not resolve
// (unknown, renamed, archived, deleted, or a name several groups share) is
// not an error here: it is listed in Broken, for the planner to freeze
// what it names. Failed reads are errors, before any change.
func Read(ctx context.Context, in Inputs, src *entra.Source, mm *mattermost.Client, selfID string) (*Snapshot, error) {
	teamNames := append([]string(nil), in.Teams...)
	for _, gt := range in.GroupTeams {
		teamNames = append(teamNames, gt.Teams...)
	}
	teams := map[string]mmsync.TeamState{}
	chans, err := lookupChannels(ctx, in, mm, teams) // channels.go; adds the channels' teams
	if err != nil {
		return nil, err
	}
	brokenTeams := map[string]string{} // team → what failed, and the fix
	for _, name := range teamNames {
		if _, done := teams[name]; done || brokenTeams[name] != "" {
			continue
		}
		t, err := mm.GetTeamByName(ctx, name)
		switch {
		case mattermost.StatusCode(err) == 404:
			brokenTeams[name] = fmt.Sprintf("Mattermost has no team named %q (renamed or deleted? use the team's URL name, as in https://chat.example.com/<name>, or remove it)", name)
			continue
		case err != nil:
			return nil, DescribeMattermostError(err, in.MattermostURL, "look up team "+name)
		case t.DeleteAt != 0:
			brokenTeams[name] = fmt.Sprintf("team %q is archived; unarchive it or remove it from the input", name)
			continue
		}
		teams[name] = mmsync.TeamState{ID: t.ID, Name: name}
	}

	groupRefs := append([]string(nil), in.Groups...)
	for _, gt := range in.GroupTeams {
		groupRefs = append(groupRefs, gt.Group)
	}
	groupRefs = append(groupRefs, chans.groupRefs()...)

	s := &Snapshot{}
	members := map[string]map[string]bool{} // group ref → member ids
	groupIDs := map[string]string{}         // group ref → object id
	brokenGroups := map[string]string{}     // group ref → what failed, and the fix
	var users []mmsync.DirectoryUser
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		var err error
		if users, err = src.ListUsersFiltered(gctx, in.UserFilter); err != nil {
			return DescribeGraphError(err)
		}
		return nil
	})
	g.Go(func() error {
		// Graph throttles per app: group reads go one at a time.
		for _, ref := range groupRefs {
			if _, done := members[ref]; done || brokenGroups[ref] != "" {
				continue
			}
			id, m, why, err := groupMembers(gctx, src, ref, chans.groupInput(ref))
			switch {
			case err != nil:
				return err
			case why != "":
				brokenGroups[ref] = why
				continue
			}
			members[ref], groupIDs[ref] = m, id
			if !entra.IsObjectID(ref) {
				s.ResolvedGroups = append(s.ResolvedGroups, mmsync.ResolvedGroup{Name: ref, ObjectID: id})
			}
		}
		return nil
	})
	if in.Deactivate {
		g.Go(func() error {
			var err error
			if s.Deleted, err = src.ListDeletedUsers(gctx); err != nil {
				s.Deleted = nil
				if gctx.Err() != nil {
					return gctx.Err()
				}
				s.Warnings = append(s.Warnings, deletedUsersWarning(err))
			}
			return nil
		})
	}
	g.Go(func() error {
		var err error
		if s.Observed, err = mm.ObserveAs(gctx, selfID); err != nil {
			return DescribeMattermostError(err, in.MattermostURL, "read Mattermost users")
		}
		return nil
	})
	g.Go(func() error { return chans.readMembers(gctx, mm) })
	g.Go(func() error {
		for name, t := range teams {
			list, err := mm.GetTeamMembers(gctx, t.ID)
			if err != nil {
				return DescribeMattermostError(err, in.MattermostURL, "read the members of team "+name)
			}
			t.Members = make(map[string]bool, len(list))
			for _, m := range list {
				if m.DeleteAt == 0 {
					t.Members[m.UserID] = true
				}
			}
			teams[name] = t
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	// What was read decides, in sync, the scope, the policies and which
	// entries and lines are broken.
	reads := make(map[string]mmsync.GroupRead, len(members)+len(brokenGroups))
	for ref, m := range members {
		reads[ref] = mmsync.GroupRead{ID: groupIDs[ref], Members: m}
	}
	for ref, why := range brokenGroups {
		reads[ref] = mmsync.GroupRead{Broken: why}
	}
	var brokenChannels []mmsync.BrokenMapping
	s.Observed.Channels = chans.observed()
	if s.Observed.Channels != nil {
		s.Channels, brokenChannels = mmsync.AssembleChannelPolicy(in.Channels, in.GroupChannels, in.RemoveFromChannels, chans.broken, reads)
	}
	sc := mmsync.AssembleScope(in.Groups, reads, in.IncludeGuests, in.OnlyUsers)
	s.scope, s.ScopeGroups, s.scopeGroupIDs, s.Broken = sc.Scope, sc.Sizes, sc.GroupIDs, sc.Broken
	s.Read = len(users)
	s.Users, s.outside = sc.Scope.Split(users)
	s.OutOfScope = len(s.outside)
	var brokenTeamLines []mmsync.BrokenMapping
	if len(teams) > 0 || len(brokenTeams) > 0 {
		s.Observed.Teams = teams
		s.Teams, brokenTeamLines = mmsync.AssembleTeamPolicy(in.Teams, in.GroupTeams, in.RemoveFromTeams, brokenTeams, reads)
	}
	s.Broken = append(append(s.Broken, brokenTeamLines...), brokenChannels...)
	return s, nil
}

// groupMembers resolves a group reference (object id or display name) and
// returns its object id and its transitive user members as lower-case
// object ids. A reference that does not resolve (no group of that name,
// several, or a deleted group) is not an error: why says what failed and
// the fix, for the lines naming it. input names where the reference comes
// from, for errors ("groups/group-teams").
func groupMembers(ctx context.Context, src *entra.Source, ref, input string) (id string, members map[string]bool, why string, err error) {
	id = ref
	if !entra.IsObjectID(ref) {
		found, err := src.FindGroupsByName(ctx, ref)
		if err != nil {
			return "", nil, "", fmt.Errorf("input %s: look up group %q: %w", input, ref, err)
		}
		switch len(found) {
		case 0:
			return "", nil, fmt.Sprintf("Entra ID has no group named %q (renamed or deleted?); name the group by its object id, which a rename does not change", ref), nil
		case 1:
			id = found[0].ID
		default:
			ids := make([]string, len(found))
			for i, g := range found {
				ids[i] = g.ID
			}
			return "", nil, fmt.Sprintf("%d groups are named %q (%s): anyone can create a group with a taken name; use the object id of the group you mean", len(found), ref, strings.Join(ids, ", ")), nil
		}
	}
	list, err := src.ListGroupMembers(ctx, id)
	var ge *entra.GraphError
	if errors.As(err, &ge) && ge.Status == 404 {
		return "", nil, fmt.Sprintf("group %q (object id %s) was not found in Entra ID: deleted, or not this tenant's; fix or remove the line", ref, id), nil
	}
	if err != nil {
		return "", nil, "", fmt.Errorf("input %s: read the members of group %q: %w", input, ref, err)
	}
	m := make(map[string]bool, len(list))
	for _, u := range list {
		m[strings.ToLower(u)] = true
	}
	return strings.ToLower(id), m, "", nil
}

// deletedUsersWarning explains a failed read of the deleted users: the run
// goes on, but unlinked accounts of people deleted from the tenant are not
// deactivated this time.
func deletedUsersWarning(err error) string {
	var pe *entra.PermissionError
	if errors.As(err, &pe) {
		return fmt.Sprintf("%v. Until then, accounts that are not linked but hold the address of a user deleted from Entra ID are not deactivated; linked accounts of deleted users still are", err)
	}
	return fmt.Sprintf("reading the deleted users failed (%v); unlinked accounts holding a deleted user's address are not deactivated in this run", err)
}
