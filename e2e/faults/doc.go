// Package faults holds end-to-end tests of a run under faults: throttling,
// gateway errors, dropped connections, a run killed mid-apply, a Mattermost
// restart and a server that dies (the circuit breaker), all on virtual time.
// Each runs the real program (cli.Run, as main calls it) against the fake
// Entra ID, Graph and Mattermost of package world.
package faults
