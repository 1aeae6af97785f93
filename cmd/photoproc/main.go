// Command photoproc is a thumbnail worker daemon: an HTTP API that queues photos on RabbitMQ
// and a worker pool that turns them into thumbnails recorded in Postgres. See README.md.
//
//	go install github.com/photoproc/photoproc/cmd/photoproc@latest
//
// Each subcommand lives in a file of its own; the daemon itself (configuration, wiring,
// lifecycle) is package daemon.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	// SIGINT and SIGTERM stop a command gracefully.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], &cliEnv{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv})
	stop()
	os.Exit(code)
}
