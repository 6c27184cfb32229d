// Package world is the end-to-end harness: a World is one fake Entra ID and
// Microsoft Graph, one fake Mattermost and the GitHub Actions environment a
// run sees; World.Run runs the real program (cli.Run, as main calls it) on
// virtual time (virtualtime.go), and the helpers change the directory
// between runs and read what a run left (outputs, summary, report, the
// accounts). It imports package testing, so only tests import it
// (layers_test.go keeps it out of the shipped binary).
//
// A test reads as an administrator's day:
//
//	w := world.New(t, "tenant-60.json") // testdata/tenant-60.json; Mattermost has only the token owner
//	w.MustRun(0)                         // the first sync, which must exit 0
//	w.Edit("rkowalski@contoso.example", func(u fakegraph.User) { u["jobTitle"] = "Director" })
//	w.MustRun(0)
//	if got := w.Account("rkowalski@contoso.example").Position; got != "Director" {
//		t.Errorf("position %q, want the new job title", got)
//	}
//	w.Noop() // a further run writes nothing
//
// Inputs are environment variables as the runner sets them
// (w.Env["INPUT_DRY-RUN"] = "true"). What a run left is in w.Stdout,
// w.Outputs, w.Summary and w.Report; the fakes are w.Graph and w.MM. The
// directory changes through Edit, Remove, SetUsers and SetGroups (they keep
// w.Users and w.Groups in step with the fake); Account, TeamMemberIDs and
// ChannelEmails read Mattermost; RunWith sets a run's transports, clock or
// time (Edges).
package world
