// Command photoproc is a thumbnail worker daemon: an HTTP API that queues photos on RabbitMQ
// and a worker pool that turns them into thumbnails recorded in Postgres. See README.md.
package main

import (
	"os"
	"runtime"

	"github.com/photoproc/photoproc/daemon"
)

func main() {
	// bild's package init sets GOMAXPROCS to the number of host CPUs; put back Go's own,
	// container-aware default (cgroup CPU limits, or the GOMAXPROCS variable).
	runtime.SetDefaultGOMAXPROCS()
	os.Exit(daemon.Main(os.Args[1:], os.Stdout, os.Stderr))
}
