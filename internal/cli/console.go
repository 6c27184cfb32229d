package cli

import (
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/progress"
	"github.com/sethvargo/go-githubactions"
)

// console writes workflow commands inside GitHub Actions and plain lines
// elsewhere: an "::error::" line means nothing in a terminal, and
// "::add-mask::" would print the very secret it is meant to hide.
type console struct {
	gha      *githubactions.Action
	actions  bool
	out, err io.Writer
	errors   int // annotations emitted, capped by the caller
	// maskMu serialises masks: passwords are masked from the apply's
	// workers as they are made.
	maskMu sync.Mutex
}

// newConsole writes to stdout and stderr; getenv tells Actions from a
// terminal and gives go-githubactions its file-command paths.
func newConsole(stdout, stderr io.Writer, getenv func(string) string) *console {
	gha := githubactions.New(githubactions.WithGetenv(getenv), githubactions.WithWriter(stdout))
	return &console{gha: gha, actions: inActions(getenv), out: stdout, err: stderr}
}

// inActions reports whether the process runs as an Actions step. The runner
// sets GITHUB_ACTIONS; a harness that only provides the inputs and the
// file-command paths is treated the same way.
func inActions(getenv func(string) string) bool {
	if getenv("GITHUB_ACTIONS") == "true" {
		return true
	}
	for _, k := range []string{"GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "INPUT_MATTERMOST-URL", "INPUT_AZURE-TENANT-ID"} {
		if getenv(k) != "" {
			return true
		}
	}
	return false
}

// progress reports long work: plain lines in the Actions log, a bar on a
// terminal, nothing for work that ends within a few seconds.
func (c *console) progress(label string, total int) *progress.Reporter {
	var opts []progress.Option
	if c.actions {
		opts = append(opts, progress.WithTerminal(false))
	}
	return progress.New(c.out, label, total, opts...)
}

func (c *console) mask(secret string) {
	if c.actions && secret != "" {
		c.maskMu.Lock()
		defer c.maskMu.Unlock()
		c.gha.AddMask(secret)
	}
}

func (c *console) errorf(format string, args ...any) {
	c.errors++
	if c.actions {
		c.gha.Errorf(format, args...)
		return
	}
	fmt.Fprintf(c.err, "error: "+format+"\n", args...)
}

func (c *console) warningf(format string, args ...any) {
	if c.actions {
		c.gha.Warningf(format, args...)
		return
	}
	fmt.Fprintf(c.err, "warning: "+format+"\n", args...)
}

func (c *console) infof(format string, args ...any) {
	fmt.Fprintf(c.out, format+"\n", args...)
}

func (c *console) group(title string) func() {
	if c.actions {
		c.gha.Group(title)
		return c.gha.EndGroup
	}
	fmt.Fprintf(c.out, "\n== %s ==\n", title)
	return func() {}
}

// writer returns where long plain text goes.
func (c *console) writer() io.Writer { return c.out }

// setOutput writes a step output when GITHUB_OUTPUT is set. go-githubactions
// panics when it is not, which is every run outside Actions.
func (c *console) setOutput(name, value string) {
	if c.gha.Getenv("GITHUB_OUTPUT") != "" {
		c.gha.SetOutput(name, value)
	}
}

func (c *console) addSummary(md string) {
	if c.gha.Getenv("GITHUB_STEP_SUMMARY") != "" {
		c.gha.AddStepSummary(md)
	}
}

// firstLine keeps annotations to one readable line.
func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
