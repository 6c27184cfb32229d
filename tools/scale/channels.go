package scale

import (
	"fmt"
	"strings"

	fakegraph "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/graph"
	fakemm "github.com/entra-mattermost-sync/entra-mattermost-sync/internal/fake/mattermost"
)

// MapChannels gives the tenant n groups and the server n private channels
// in one team ("scale"), group i holding the i-th of n equal blocks of
// users and mapped to channel ch-i, so that each user is in one mapped
// channel and the channels are the same size (disabled users, every tenth,
// spread evenly). It returns the product's extra
// environment (GROUP_CHANNELS, one line per group by object id) and raises
// the server's MaxUsersPerTeam above the tenant's size.
func (e *Env) MapChannels(n int) map[string]string {
	if n <= 0 {
		return nil
	}
	team := e.MM.AddTeam(fakemm.Team{Name: "scale", DisplayName: "Scale"})
	e.MM.SetMaxUsersPerTeam(len(e.Users) + 100)
	groups := make([]fakegraph.Group, n)
	var lines []string
	for i := range groups {
		// Not the users' id range (GenerateUsers counts from 1 in the last field).
		groups[i] = fakegraph.Group{ID: fmt.Sprintf("00000000-0000-4000-9000-%012d", i), DisplayName: fmt.Sprintf("scale-group-%d", i)}
		e.MM.AddChannel(fakemm.Channel{TeamID: team.ID, Name: fmt.Sprintf("ch-%d", i), Type: "P"})
		lines = append(lines, fmt.Sprintf("%s: scale/ch-%d", groups[i].ID, i))
	}
	block := (len(e.Users) + n - 1) / n
	for j, u := range e.Users {
		groups[j/block].Members = append(groups[j/block].Members, u.ID())
	}
	e.Graph.SetGroups(groups)
	return map[string]string{"GROUP_CHANNELS": strings.Join(lines, "\n")}
}
