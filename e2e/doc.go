// Package e2e holds the tests that run the whole daemon against the real Postgres and
// RabbitMQ: in this process (daemon.Serve) or as real photoproc processes built from
// cmd/photoproc, which they kill, stop, restart and run side by side. It has no code of its
// own; each package's unit tests live beside it.
//
// The tests here are the end-to-end pipeline, fault injection (broker and database cut,
// SIGKILL, SIGTERM, several workers), the admin page and /docs in headless Chromium, the
// metrics scrape and the JSON logs.
package e2e
