// Command entra-mattermost-sync reconciles Microsoft Entra ID users into a
// Mattermost server. It runs as a Docker GitHub Action (inputs arrive as
// INPUT_* variables) and as a plain CLI (flags, then the environment).
//
// This file and run.go only wire things together: config → Graph source and
// Mattermost target → sync.BuildPlan → sync.Apply → report. Every decision
// about users lives in package sync.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], deps{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv})
	stop()
	os.Exit(code)
}
