// Package demo bundles a few sample photos and serves them over HTTP on loopback, so that
// `photoproc demo` shows thumbnails being made on a machine with no internet access. It also
// serves a truncated photo and a missing one, so the demo shows how failures look.
//
// It is not used by the daemon proper.
package demo
