// Package metrics defines photoproc's Prometheus collectors. Everything is registered on a
// registerer passed in (never the global default), so a test can run two daemons in one process.
//
// It is not a place for logic: packages record into the collectors here, and the daemon decides
// which registry is served on the admin listener.
package metrics
