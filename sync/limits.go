package sync

// Mattermost's limits for one batch add. The applier never gives a target
// more accounts in one AddTeamMembers or AddChannelMembers call, and the
// client (mattermost) never sends more in one request: both take them from
// here, so that the fact lives in one place.
const (
	// MaxTeamAddBatch is the most user ids one POST
	// /teams/{id}/members/batch takes (server/channels/api4/team.go,
	// MaxAddMembersBatch).
	MaxTeamAddBatch = 256
	// MaxChannelAddBatch is the most user ids one POST
	// /channels/{id}/members takes in its batch form {"user_ids": […]}
	// (server/channels/api4/channel.go, maxListSize).
	MaxChannelAddBatch = 1000
)
