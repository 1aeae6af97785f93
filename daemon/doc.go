// Package daemon is photoproc's configuration and wiring: it reads configuration from the
// environment and flags (the only place that does), builds every component in one straight
// line (Serve), registers each teardown step, and runs them in reverse when the process is
// told to stop.
//
// It holds no business logic: processing lives in pool, HTTP in api, SQL in store, AMQP in
// queue, image work in imaging. The command line is cmd/photoproc; the tests that run whole
// daemons are in e2e.
package daemon
