//go:build !race

package imaging

// raceEnabled says the tests run with the race detector.
const raceEnabled = false
