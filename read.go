package main

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/config"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/entra"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/mattermost"
	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
)

// snapshot is everything a run reads before it plans: both sides in full,
// or an error. Nothing is written before a snapshot is complete.
type snapshot struct {
	users      []mmsync.DirectoryUser // in scope
	read       int                    // directory users read before scoping
	outOfScope int
	observed   mmsync.Observed
	teams      *mmsync.TeamPolicy
	channels   *mmsync.ChannelPolicy
	// deleted are the tenant's recently deleted users (nil if unreadable);
	// scopeGroups the member count of each group in the groups input.
	deleted     []mmsync.DeletedUser
	scopeGroups map[string]int
	// warnings are reads that failed without failing the run (the deleted
	// users: without them fewer accounts are deactivated, never more).
	warnings []string
}

var guidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// readState reads the directory (users, and the members of every group the
// configuration names) and Mattermost (users, and the members of every team
// it names) concurrently. Unknown teams and unknown or ambiguous groups are
// errors here, before any change.
func readState(ctx context.Context, cfg *config.Config, src *entra.Source, mm *mattermost.Client, selfID string) (*snapshot, error) {
	teamNames := append([]string(nil), cfg.Teams...)
	for _, gt := range cfg.GroupTeams {
		teamNames = append(teamNames, gt.Teams...)
	}
	teams := map[string]mmsync.TeamState{}
	chans, err := lookupChannels(ctx, cfg, mm, teams) // read_channels.go; adds the channels' teams
	if err != nil {
		return nil, err
	}
	for _, name := range teamNames {
		if _, done := teams[name]; done {
			continue
		}
		t, err := mm.GetTeamByName(ctx, name)
		switch {
		case mattermost.StatusCode(err) == 404:
			return nil, fmt.Errorf("input teams/group-teams: Mattermost has no team named %q (use the team's URL name, as in https://chat.example.com/<name>)", name)
		case err != nil:
			return nil, describeMattermostError(err, cfg.MattermostURL, "look up team "+name)
		case t.DeleteAt != 0:
			return nil, fmt.Errorf("input teams/group-teams: team %q is archived", name)
		}
		teams[name] = mmsync.TeamState{ID: t.ID, Name: name}
	}

	groupRefs := append([]string(nil), cfg.Groups...)
	for _, gt := range cfg.GroupTeams {
		groupRefs = append(groupRefs, gt.Group)
	}
	groupRefs = append(groupRefs, chans.groupRefs()...)

	s := &snapshot{}
	members := map[string]map[string]bool{} // group ref → member ids
	var users []mmsync.DirectoryUser
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		var err error
		if users, err = src.ListUsersFiltered(gctx, cfg.UserFilter); err != nil {
			return describeGraphError(err)
		}
		return nil
	})
	g.Go(func() error {
		// Graph throttles per app: group reads go one at a time.
		for _, ref := range groupRefs {
			if _, done := members[ref]; done {
				continue
			}
			m, err := groupMembers(gctx, src, ref, chans.groupInput(ref))
			if err != nil {
				return err
			}
			members[ref] = m
		}
		return nil
	})
	if cfg.Deactivate {
		g.Go(func() error {
			var err error
			if s.deleted, err = src.ListDeletedUsers(gctx); err != nil {
				s.deleted = nil
				if gctx.Err() != nil {
					return gctx.Err()
				}
				s.warnings = append(s.warnings, deletedUsersWarning(err))
			}
			return nil
		})
	}
	g.Go(func() error {
		var err error
		if s.observed, err = mm.ObserveAs(gctx, selfID); err != nil {
			return describeMattermostError(err, cfg.MattermostURL, "read Mattermost users")
		}
		return nil
	})
	g.Go(func() error { return chans.readMembers(gctx, mm) })
	g.Go(func() error {
		for name, t := range teams {
			list, err := mm.GetTeamMembers(gctx, t.ID)
			if err != nil {
				return describeMattermostError(err, cfg.MattermostURL, "read the members of team "+name)
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
	s.observed.Channels, s.channels = chans.observed(), chans.policy(members)

	scope := mmsync.Scope{IncludeGuests: cfg.IncludeGuests, Only: cfg.OnlyUsers}
	if len(cfg.Groups) > 0 {
		scope.Members = map[string]bool{}
		s.scopeGroups = make(map[string]int, len(cfg.Groups))
		for _, ref := range cfg.Groups {
			s.scopeGroups[ref] = len(members[ref])
			for id := range members[ref] {
				scope.Members[id] = true
			}
		}
	}
	s.read = len(users)
	s.users, s.outOfScope = scope.InScope(users)
	if len(teams) > 0 {
		s.observed.Teams = teams
		s.teams = &mmsync.TeamPolicy{Everyone: cfg.Teams, Remove: cfg.RemoveFromTeams}
		for _, gt := range cfg.GroupTeams {
			s.teams.ByGroup = append(s.teams.ByGroup, mmsync.GroupMembership{Group: gt.Group, Members: members[gt.Group], Teams: gt.Teams})
		}
	}
	return s, nil
}

// groupMembers resolves a group reference (object id or display name) and
// returns its transitive user members as lower-case object ids. input names
// where the reference comes from, for errors ("groups/group-teams").
func groupMembers(ctx context.Context, src *entra.Source, ref, input string) (map[string]bool, error) {
	id := ref
	if !guidRE.MatchString(ref) {
		found, err := src.FindGroupsByName(ctx, ref)
		if err != nil {
			return nil, fmt.Errorf("input %s: look up group %q: %w", input, ref, err)
		}
		switch len(found) {
		case 0:
			return nil, fmt.Errorf("input %s: Entra ID has no group named %q", input, ref)
		case 1:
			id = found[0].ID
		default:
			ids := make([]string, len(found))
			for i, g := range found {
				ids[i] = g.ID
			}
			return nil, fmt.Errorf("input %s: %d groups are named %q (%s); use the object id instead", input, len(found), ref, strings.Join(ids, ", "))
		}
	}
	list, err := src.ListGroupMembers(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("input %s: read the members of group %q: %w", input, ref, err)
	}
	m := make(map[string]bool, len(list))
	for _, u := range list {
		m[strings.ToLower(u)] = true
	}
	return m, nil
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
