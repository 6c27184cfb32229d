// Command entra-mattermost-sync reconciles Microsoft Entra ID users into a
// Mattermost server. It runs as a Docker GitHub Action (inputs arrive as
// INPUT_* variables) and as a plain CLI (flags, then the environment).
//
// This file only starts the process: the program is internal/cli (config →
// Graph source and Mattermost target → sync.BuildPlan → sync.Apply →
// report), and every decision about users lives in package sync.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/entra-mattermost-sync/entra-mattermost-sync/internal/cli"
)

// defaultMemoryLimit is the soft heap limit when GOMEMLIMIT is not set. A
// 100,000-user run has a live heap of about 120–145 MB; without a limit the
// default GOGC lets the heap reach twice that before collecting, past the
// 300 MB budget (BENCHMARKS.md). A soft limit only makes the collector work
// harder near it, so larger tenants still run, just with more GC.
const defaultMemoryLimit = 200 << 20

// version is the release's tag, set by the release build:
// go build -ldflags "-X main.version=v1.2.3" (Dockerfile, build argument
// VERSION). Empty in any other build: cli then asks Go (cli.WithVersion).
var version string

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], cli.WithVersion(version))
	stop()
	os.Exit(code)
}
