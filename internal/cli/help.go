package cli

import (
	"fmt"
	"io"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/config"
)

// Exit codes: the README's "Exit codes" lists them too (TestExitCodesAreDocumented).
const (
	// ExitOK: the sync (or the dry run) finished and nothing failed.
	// Conflicts and skips that need an administrator are warnings.
	ExitOK = 0
	// ExitFailure: the run failed or was stopped: an invalid input, a
	// sign-in or read that failed, a rail or a broken mapping that held
	// changes back, a change that failed or was not attempted. A dry run
	// exits 1 where the real run would.
	ExitFailure = 1
	// ExitUsage: the command line could not be read (an unknown flag, a
	// flag without its value, a stray argument); nothing ran.
	ExitUsage = 2
)

// exitCodes are the help page's lines for the exit codes, wrapped by hand.
var exitCodes = []struct {
	code  int
	lines []string
}{
	{ExitOK, []string{"the sync (or dry run) finished and nothing failed; conflicts and skips",
		"that need an administrator are warnings"}},
	{ExitFailure, []string{"the run failed or was stopped: an invalid input, a failed sign-in or",
		"read, a rail (max-deactivations, max-removals, the user limit) or a",
		"broken mapping held changes back, or a change failed or was not",
		"attempted; a dry run exits 1 where the real run would"}},
	{ExitUsage, []string{"the command line could not be read (an unknown flag, a flag without",
		"its value, a stray argument); nothing ran"}},
}

// writeHelp prints --help: how to call the program, every option grouped
// (the required ones marked), and the exit codes.
func writeHelp(w io.Writer, version string) {
	fmt.Fprintf(w, `Usage: entra-mattermost-sync [options]
       entra-mattermost-sync demo [--keep-report]
       entra-mattermost-sync --version

Reconciles Microsoft Entra ID users into Mattermost (version %s). Every option
falls back to the GitHub Actions input of the same name (INPUT_<NAME>), then to
the environment variable shown. Options marked (required) must be set one of
these ways. Booleans work as switches: --dry-run, --dry-run=false.

`, version)
	_ = config.WriteOptions(w)
	fmt.Fprint(w, `
General:
  --version
      Print the version and exit.
  --help, -h
      Print this help and exit.

Exit codes:
`)
	for _, e := range exitCodes {
		for i, line := range e.lines {
			if i == 0 {
				fmt.Fprintf(w, "  %d   %s\n", e.code, line)
			} else {
				fmt.Fprintf(w, "      %s\n", line)
			}
		}
	}
}
