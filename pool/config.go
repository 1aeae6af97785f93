package pool

import (
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/photoproc/photoproc/internal/field"
	"github.com/photoproc/photoproc/retry"
)

// Config says how many photos are worked on at once and how long a claim lasts.
type Config struct {
	// Workers is the number of photos processed at once (PHOTOPROC_WORKERS); default: the
	// number of CPUs Go may use.
	Workers int
	// Downloads is how many photos may be claimed and downloaded ahead of the workers, so that
	// network and database waits overlap with thumbnailing; default Workers. As many writers
	// as workers store finished thumbnails (file sync, database commit) while the workers go on.
	// The broker prefetch is 2×Workers+Downloads: no more deliveries than that are ever held,
	// and at most Downloads downloaded photos wait in memory for a worker.
	Downloads int
	// Lease is how long a claim on a photo lasts before another worker or the sweeper may take
	// it over (a visibility timeout), PHOTOPROC_LEASE; default 5m. It is extended every third
	// of itself while the photo is in flight, so it bounds how long a dead worker's photo waits,
	// not how long a photo may take. A retry whose message has not claimed its photo a Lease
	// after it was due is published again.
	Lease time.Duration
	// SweepInterval is how often photos whose lease expired, and retries whose message was
	// lost, are looked for; default 1m.
	SweepInterval time.Duration
	// ShutdownTimeout is how long a stop waits for in-flight photos before handing them back
	// to the queue (PHOTOPROC_SHUTDOWN_TIMEOUT); default 25s.
	ShutdownTimeout time.Duration
	// Retry is how many attempts a photo gets before it is failed and dead-lettered, and how
	// long each retry waits; default retry.DefaultPolicy. Each claim is one attempt, counted in
	// the database, so an attempt cut short by its worker dying counts too; one our own
	// infrastructure cut short (the database or the broker down, a stop) is given back. The
	// broker's delay queues are made from the same policy (queue.Config.RetryDelays).
	Retry retry.Policy
}

// maxWorkers bounds Workers: more photos at once than this is a typo, not a machine.
const maxWorkers = 1024

// DefaultConfig returns the defaults documented on Config.
func DefaultConfig() Config {
	return Config{
		Workers:         runtime.GOMAXPROCS(0),
		Lease:           5 * time.Minute,
		SweepInterval:   time.Minute,
		ShutdownTimeout: 25 * time.Second,
		Retry:           retry.DefaultPolicy(),
	}
}

// Prefetch is the broker prefetch count that keeps every download, worker and writer slot fed
// (there are as many writers as workers).
func (c Config) Prefetch() int { return 2*c.Workers + c.downloads() }

func (c Config) downloads() int {
	if c.Downloads > 0 {
		return c.Downloads
	}
	return c.Workers
}

// Validate reports every problem with c.
func (c Config) Validate() error {
	var errs []error
	errs = append(errs, field.Range("Workers", "workers", c.Workers, 1, maxWorkers, ""))
	if c.Downloads < 0 {
		errs = append(errs, fmt.Errorf("downloads must not be negative, got %d", c.Downloads))
	}
	// A shorter lease would be renewed (every third of it) faster than the database should
	// be asked, and outrun the sweeper, which looks at most once a second.
	errs = append(errs, field.Range("Lease", "lease", c.Lease, time.Second, 24*time.Hour, ""))
	if c.SweepInterval <= 0 {
		errs = append(errs, fmt.Errorf("sweep interval must be positive, got %s", c.SweepInterval))
	}
	errs = append(errs, field.Range("ShutdownTimeout", "shutdown timeout", c.ShutdownTimeout, 0, time.Hour, ""))
	errs = append(errs, field.Nest("Retry", c.Retry.Validate()))
	return errors.Join(errs...)
}
