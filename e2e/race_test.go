//go:build race

package e2e

// raceEnabled says the tests run with the race detector; child processes are built with it too.
const raceEnabled = true
