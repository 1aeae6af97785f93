// Command photoproc is a thumbnail worker daemon: an HTTP API that queues photos on RabbitMQ
// and a worker pool that turns them into thumbnails recorded in Postgres. See README.md.
package main

import (
	"os"
	"runtime"
	"strconv"

	"github.com/photoproc/photoproc/daemon"
)

func main() {
	// bild's package init sets GOMAXPROCS to the number of host CPUs. Put back what the Go
	// runtime would have chosen: the GOMAXPROCS variable when it is set, else its
	// container-aware default (cgroup CPU limits).
	if n, err := strconv.Atoi(os.Getenv("GOMAXPROCS")); err == nil && n > 0 {
		runtime.GOMAXPROCS(n)
	} else {
		runtime.SetDefaultGOMAXPROCS()
	}
	os.Exit(daemon.Main(os.Args[1:], os.Stdout, os.Stderr))
}
