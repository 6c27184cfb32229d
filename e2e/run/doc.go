// Package run holds end-to-end tests: the real program (cli.Run, as main
// calls it) against the fake Entra ID, Graph and Mattermost of package world.
package run
