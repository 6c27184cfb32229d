// Package accounts holds end-to-end tests of an account's life: create,
// update, deactivate, reactivate, adoption and drift between runs, and what
// insiders (an employee editing their own profile, several syncs on one
// server) cannot change. Each runs the real program (cli.Run, as main calls
// it) against the fake Entra ID, Graph and Mattermost of package world.
package accounts
