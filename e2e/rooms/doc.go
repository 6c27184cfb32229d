// Package rooms holds end-to-end tests of scope and rooms: who is in scope
// (groups by name or id, nested groups, guests, the pilot list,
// user-filter) and which teams and channels they are in (mappings from
// groups, removals and their cap, returners). Each runs the real program
// (cli.Run, as main calls it) against the fake Entra ID, Graph and
// Mattermost of package world.
package rooms
