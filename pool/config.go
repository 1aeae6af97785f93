package pool

import (
	"errors"
	"fmt"
	"runtime"
	"time"
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
	// MaxAttempts is the number of attempts a photo gets before it is failed and dead-lettered
	// (PHOTOPROC_MAX_ATTEMPTS); default 5. Each claim is one, counted in the database, so an
	// attempt cut short by its worker dying counts too; one our own infrastructure cut short
	// (the database or the broker down, a stop) is given back.
	MaxAttempts int
}

// DefaultConfig returns the defaults documented on Config.
func DefaultConfig() Config {
	return Config{
		Workers:         runtime.GOMAXPROCS(0),
		Lease:           5 * time.Minute,
		SweepInterval:   time.Minute,
		ShutdownTimeout: 25 * time.Second,
		MaxAttempts:     5,
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
	if c.Workers < 1 {
		errs = append(errs, fmt.Errorf("workers must be at least 1, got %d", c.Workers))
	}
	if c.Downloads < 0 {
		errs = append(errs, fmt.Errorf("downloads must not be negative, got %d", c.Downloads))
	}
	if c.Lease < 3*time.Millisecond {
		errs = append(errs, fmt.Errorf("lease must be at least 3ms, got %s", c.Lease))
	}
	if c.SweepInterval <= 0 {
		errs = append(errs, fmt.Errorf("sweep interval must be positive, got %s", c.SweepInterval))
	}
	if c.ShutdownTimeout < 0 {
		errs = append(errs, fmt.Errorf("shutdown timeout must not be negative, got %s", c.ShutdownTimeout))
	}
	if c.MaxAttempts < 1 {
		errs = append(errs, fmt.Errorf("max attempts must be at least 1, got %d", c.MaxAttempts))
	}
	return errors.Join(errs...)
}
