// Package daemon is photoproc's command line and wiring: it reads configuration from the
// environment and flags (the only place that does), builds every component in one straight
// line, registers each teardown step, and runs them in reverse when the process is told to stop.
//
// It holds no business logic: processing lives in pool, HTTP in api, SQL in store, AMQP in
// queue, image work in imaging.
package daemon
