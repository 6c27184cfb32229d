// Package run holds end-to-end tests of a whole run as an administrator
// meets it: the first sync and the no-op after it, bad input, the outputs,
// summary, JSON report and webhook, saved plans (approve, then apply),
// onboarding, and the scale benchmarks. Each runs the real program
// (cli.Run, as main calls it) against the fake Entra ID, Graph and
// Mattermost of package world.
package run
