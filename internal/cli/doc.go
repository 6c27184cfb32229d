// Package cli is the entra-mattermost-sync program, for the GitHub Action
// and the command line alike: Run reads the inputs (flags, then INPUT_*
// variables, then the environment), reads Entra ID and Mattermost in full,
// plans with package sync, applies, and reports (step outputs, job summary,
// JSON report, webhook). Its edges default to the process's (standard
// streams, environment, wall clock, default transports): main.go adds only
// the release's version (WithVersion); tests and the demo pass fakes'
// transports and a virtual clock through the options, so they run the same
// code path.
package cli
