// Package world is the end-to-end harness: a World is one fake Entra ID and
// Microsoft Graph, one fake Mattermost and the GitHub Actions environment a
// run sees; World.Run runs the real program (cli.Run, as main calls it) on
// virtual time (virtualtime.go), and the helpers change the directory
// between runs and read what a run left (outputs, summary, report, the
// accounts). It imports package testing, so only tests import it
// (layers_test.go keeps it out of the shipped binary).
package world
