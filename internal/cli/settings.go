package cli

import (
	"errors"
	"slices"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/config"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/entra"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/onboard"
	"github.com/entra-mattermost-sync/entra-mattermost-sync/snapshot"
	mmsync "github.com/entra-mattermost-sync/entra-mattermost-sync/sync"
)

// settings is one run's configuration in the types of the packages it
// configures. config, a leaf, validates the inputs into plain values; the
// inputs whose grammar belongs to another package are parsed here by that
// package (sync: the thresholds, username-from, attribute-map, team names
// and the team and channel mappings; onboard: the onboarding template;
// entra: the cloud's endpoints), and their errors name the input as
// config's own do, in one list.
type settings struct {
	*config.Config

	MaxDeactivations, MaxRemovals mmsync.Threshold
	UsernameFrom                  mmsync.Attribute
	Attributes                    mmsync.AttributeMap
	GroupTeams                    []mmsync.GroupTeams
	Channels                      []mmsync.ChannelRef
	GroupChannels                 []mmsync.GroupChannels
	// OnboardingMail is the graph-mail template (nil unless graph-mail).
	OnboardingMail *onboard.Template
	// LinkKeys sign the links, newest first: the first signs, all verify.
	LinkKeys [][]byte
	// EntraAuthority and EntraGraph are the endpoints in effect: the
	// explicit inputs, else the cloud's.
	EntraAuthority, EntraGraph string
}

// loadSettings validates raw values (config.Raw) into settings. Its error
// is config.Errors, every invalid input in the option table's order.
func loadSettings(vals map[string]string) (*settings, error) {
	cfg, err := config.Parse(vals)
	var errs config.Errors
	if err != nil && !errors.As(err, &errs) {
		return nil, err
	}
	s := &settings{Config: cfg}
	bad := func(name, format string, args ...any) { errs = append(errs, config.Invalid(name, format, args...)) }
	parseInput(&s.MaxDeactivations, vals, "max-deactivations", mmsync.ParseThreshold, &errs)
	parseInput(&s.MaxRemovals, vals, "max-removals", mmsync.ParseThreshold, &errs)
	parseInput(&s.UsernameFrom, vals, "username-from", mmsync.ParseUsernameFrom, &errs)
	parseInput(&s.Attributes, vals, "attribute-map", mmsync.ParseAttributeMap, &errs)
	for _, t := range cfg.Teams {
		if !mmsync.ValidTeamName(t) {
			bad("teams", "%q is not a team name: use the team's URL name (lower-case letters, digits, -)", t)
		}
	}
	parseInput(&s.GroupTeams, vals, "group-teams", mmsync.ParseGroupTeams, &errs)
	parseInput(&s.Channels, vals, "channels", mmsync.ParseChannels, &errs)
	parseInput(&s.GroupChannels, vals, "group-channels", mmsync.ParseGroupChannels, &errs)
	if cfg.Onboarding == config.OnboardingGraphMail {
		s.OnboardingMail = onboard.Default()
		if path := vals["onboarding-template"]; path != "" && !slices.ContainsFunc(errs, func(e *config.Error) bool { return e.Input == "onboarding-template" }) {
			if s.OnboardingMail, err = onboard.Parse(cfg.OnboardingTemplate, true); err != nil {
				bad("onboarding-template", "%s: %v", path, err)
			}
		}
	}
	s.LinkKeys = linkKeys(cfg.LinkKeyEntries, cfg.MattermostToken)
	if s.EntraAuthority, s.EntraGraph, err = entra.CloudEndpoints(cfg.Cloud); err != nil {
		// config accepts only the clouds entra knows (TestConfigValuesAreThePlanners).
		bad("azure-cloud", "%v", err)
	}
	if cfg.AuthorityHost != "" {
		s.EntraAuthority = cfg.AuthorityHost
	}
	if cfg.GraphURL != "" {
		s.EntraGraph = cfg.GraphURL
	}
	if len(errs) > 0 {
		errs.Sort()
		return nil, errs
	}
	return s, nil
}

// parseInput sets *dst to parse's reading of input name in vals; a parse
// error is recorded in errs as an invalid name, as config's own are.
func parseInput[T any](dst *T, vals map[string]string, name string, parse func(string) (T, error), errs *config.Errors) {
	v, err := parse(vals[name])
	*dst = v
	if err != nil {
		*errs = append(*errs, config.Invalid(name, "%v", err))
	}
}

// linkKeys are the keys of link-key's entries (config.ParseLinkKeys): each
// as given, the entry "derived" (and no entry at all) the key derived from
// mattermost-token.
func linkKeys(entries []string, token string) [][]byte {
	if len(entries) == 0 {
		return [][]byte{mmsync.DeriveLinkKey(token)}
	}
	keys := make([][]byte, len(entries))
	for i, e := range entries {
		if e == config.DerivedKeyEntry {
			keys[i] = mmsync.DeriveLinkKey(token)
		} else {
			keys[i] = []byte(e)
		}
	}
	return keys
}

// planOptions are the planner's options from the settings; the snapshot
// adds what it read (the team and channel policies, the broken mappings,
// the resolved groups) and the preflight the server's capacity.
func (s *settings) planOptions() mmsync.Options {
	l := mmsync.NewLinkerKeys(s.Instance, s.LinkKeys...)
	if s.ClaimUnnamedLinks {
		l = l.ClaimingUnnamed()
	}
	return mmsync.Options{
		ManageAdmins: s.ManageAdmins, Ignore: s.IgnoreUsers,
		Linker: l, AdoptExisting: s.AdoptExisting, AdoptUnverified: s.AdoptUnverified,
		Deactivate: s.Deactivate, Reactivate: mmsync.ReactivatePolicy(s.Reactivate), ReleaseAddresses: s.ReleaseAddresses,
		MaxDeactivations: s.MaxDeactivations, MaxRemovals: s.MaxRemovals,
		Attributes: s.Attributes, UsernameFrom: s.UsernameFrom,
		Onboarding: mmsync.Onboarding(s.Onboarding), Onboard: mmsync.OnboardScope(s.Onboard),
	}
}

// snapshotInputs are the inputs the read needs, and nothing else.
func (s *settings) snapshotInputs() snapshot.Inputs {
	return snapshot.Inputs{
		MattermostURL: s.MattermostURL,
		Groups:        s.Groups, UserFilter: s.UserFilter, IncludeGuests: s.IncludeGuests, OnlyUsers: s.OnlyUsers,
		Deactivate: s.Deactivate,
		Teams:      s.Teams, GroupTeams: s.GroupTeams, RemoveFromTeams: s.RemoveFromTeams,
		Channels: s.Channels, GroupChannels: s.GroupChannels, RemoveFromChannels: s.RemoveFromChannels,
	}
}
