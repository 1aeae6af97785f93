//go:build !race

package daemon

// raceEnabled says the tests run with the race detector; child processes are built with it too.
const raceEnabled = false
