package pool

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/alitto/pond/v2"
	"github.com/google/uuid"

	"github.com/photoproc/photoproc/imaging"
	"github.com/photoproc/photoproc/metrics"
	"github.com/photoproc/photoproc/store"
)

// Store is what a worker needs from the database.
type Store interface {
	Claim(ctx context.Context, id uuid.UUID, o store.ClaimOpts) (store.Photo, store.ClaimResult, error)
	CompleteSet(ctx context.Context, id uuid.UUID, thumbs []store.Thumbnail, thumbHash []byte) error
	Fail(ctx context.Context, c store.Claim, reason string) error
	Release(ctx context.Context, c store.Claim, reason string, retryIn time.Duration) error
	Unclaim(ctx context.Context, c store.Claim) error
	ExtendLeases(ctx context.Context, lease time.Duration, claims []store.Claim) ([]store.Claim, error)
	Ping(ctx context.Context) error
	PingWrite(ctx context.Context) error
}

// Broker says whether a message could be published now: nil, or why not (not connected, or
// blocked by a resource alarm).
type Broker interface {
	CanPublish() error
}

// Fetcher downloads a photo. The pool releases each body it was given once the thumbnail is
// made, so that the fetcher may reuse its memory.
type Fetcher interface {
	Fetch(ctx context.Context, url string) ([]byte, error)
	Release(body []byte)
}

// Thumbnailer makes the thumbnails of a photo's bytes: every one of its Config that want
// takes (nil: all).
type Thumbnailer interface {
	MakeOnly(src []byte, want func(boxes []int, f imaging.Format) bool) (imaging.Set, error)
	// Config is what thumbnails are made with: the boxes and formats every photo gets.
	Config() imaging.Config
}

// Intake is the consumer feeding the pool; the pool pauses it while outcomes cannot be
// recorded or published, and when an operator asks.
type Intake interface {
	Pause()
	Resume()
}

// Deps are the pool's collaborators.
type Deps struct {
	Store       Store
	Broker      Broker
	Fetcher     Fetcher
	Thumbnailer Thumbnailer
	ThumbStore  ThumbStore
	Intake      Intake
	Metrics     *metrics.Metrics
	Logger      *slog.Logger
}

// Pool processes deliveries in three bounded stages, each a pond pool: downloads (claim the
// photo, fetch its bytes: network and database waits), workers (decode, resize, encode: CPU)
// and writers (store the thumbnail, record it in Postgres, ack: disk, network and database
// waits). Splitting them keeps the CPUs busy while other photos download and are stored.
type Pool struct {
	cfg         Config
	log         *slog.Logger
	store       Store
	broker      Broker
	fetch       Fetcher
	thumbnailer Thumbnailer
	thumbstore  ThumbStore
	metrics     *metrics.Metrics
	wanted      []store.Variant // every thumbnail a photo gets: the Thumbnailer's boxes × formats
	downloads   pond.Pool
	workers     pond.Pool
	writers     pond.Pool
	gate        *gate
	flights     *flights // deliveries of one photo held at once, in order
	runs        *runs    // attempts that must run alone
	leases      *leases  // the claims in flight, kept alive

	// work is the context of every task. It is cancelled only when a stop has waited
	// ShutdownTimeout, so that in-flight photos are handed back instead of finished.
	work     context.Context
	stopWork context.CancelFunc
	stopOnce sync.Once
	// background runs the lease heartbeat until the stages have stopped.
	stopBackground context.CancelFunc
	background     sync.WaitGroup
}

// New validates cfg and starts the stages.
func New(cfg Config, d Deps) (*Pool, error) {
	if cfg.Downloads == 0 {
		cfg.Downloads = cfg.Workers
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := d.Logger.With("component", "pool")
	work, stop := context.WithCancel(context.Background())
	bg, stopBg := context.WithCancel(context.Background())
	p := &Pool{
		cfg:         cfg,
		log:         log,
		store:       d.Store,
		broker:      d.Broker,
		fetch:       d.Fetcher,
		thumbnailer: d.Thumbnailer,
		thumbstore:  d.ThumbStore,
		metrics:     d.Metrics,
		wanted:      wanted(d.Thumbnailer.Config()),
		// The pond pools get no context of their own: cancelling one would silently drop queued
		// tasks, and each of those holds a delivery that must be acked or handed back. Their
		// queues are bounded by the broker prefetch, so a submit never waits.
		downloads:      pond.NewPool(cfg.Downloads, pond.WithQueueSize(cfg.Prefetch())),
		workers:        pond.NewPool(cfg.Workers, pond.WithQueueSize(cfg.Prefetch())),
		writers:        pond.NewPool(cfg.Workers, pond.WithQueueSize(cfg.Prefetch())),
		gate:           newGate(d.Intake, log),
		flights:        newFlights(),
		runs:           newRuns(),
		leases:         newLeases(d.Store, cfg.Lease, log),
		work:           work,
		stopWork:       stop,
		stopBackground: stopBg,
	}
	p.background.Go(func() { p.leases.keep(bg) })
	return p, nil
}

// Stats reports the worker stage's figures (the CPU-bound pool) for metrics and the admin page.
func (p *Pool) Stats() metrics.PoolStats { return p.workers }

// Downloading reports photos being claimed and downloaded, or waiting to be.
func (p *Pool) Downloading() int64 {
	return p.downloads.RunningWorkers() + int64(p.downloads.WaitingTasks())
}

// Writing reports thumbnails being written and recorded, or waiting to be.
func (p *Pool) Writing() int64 {
	return p.writers.RunningWorkers() + int64(p.writers.WaitingTasks())
}

// Pause stops taking new photos from the queue until Resume (an operator's action).
func (p *Pool) Pause() { p.gate.set(reasonOperator, true) }

// Resume undoes Pause. Intake stays paused while outcomes cannot be recorded or published.
func (p *Pool) Resume() { p.gate.set(reasonOperator, false) }

// Paused reports whether intake is paused, and why.
func (p *Pool) Paused() (bool, []string) { return p.gate.paused() }

// Handle starts one delivery on its way: download, thumbnail, write. It does not block while
// the broker prefetch is Config.Prefetch.
func (p *Pool) Handle(d Delivery) {
	a := &attempt{d: d, start: time.Now(), log: p.log.With("photo_uuid", d.Photo())}
	prev := p.flights.join(d)
	if err := p.downloads.Go(func() { p.begin(a, prev) }); err != nil {
		a.log.Warn("pool stopped, handing message back", "err", err)
		p.finish(a, err)
	}
}

// begin waits for an earlier copy of the same message, then claims and downloads the photo
// and passes it on to the workers, then the writers.
func (p *Pool) begin(a *attempt, prev <-chan struct{}) {
	if prev != nil {
		// Another copy of this message is still being processed here: let it settle first.
		select {
		case <-prev:
		case <-p.work.Done():
		}
	}
	if err := p.safely(a, func() error { return p.download(p.work, a) }); err != nil {
		p.finish(a, err)
		return
	}
	p.next(p.workers, a, func() error { return p.thumbnail(p.work, a) }, func() {
		p.next(p.writers, a, func() error { return p.write(p.work, a) }, nil)
	})
}

// next runs step in stage; when it succeeds more runs, or the attempt is settled if more is
// nil (the photo is done). A failure, or a stage that stopped, settles the attempt.
func (p *Pool) next(stage pond.Pool, a *attempt, step func() error, more func()) {
	err := stage.Go(func() {
		if err := p.safely(a, step); err != nil || more == nil {
			p.finish(a, err)
			return
		}
		more()
	})
	if err != nil {
		p.finish(a, err)
	}
}

// Stop waits for queued and in-flight photos to finish, for ShutdownTimeout at most: then the
// rest are handed back to the queue, which takes until ctx ends at most. Stop the consumer
// first, so that nothing new arrives.
func (p *Pool) Stop(ctx context.Context) {
	p.stopOnce.Do(func() {
		drain := time.NewTimer(p.cfg.ShutdownTimeout)
		defer drain.Stop()
		done := make(chan struct{})
		go func() {
			// In stage order: each task that finishes submits to the next stage.
			p.downloads.StopAndWait()
			p.workers.StopAndWait()
			p.writers.StopAndWait()
			close(done)
		}()
		select {
		case <-done:
		case <-drain.C:
		case <-ctx.Done():
		}
		select {
		case <-done:
		default:
			p.log.Warn("shutdown timeout: handing in-flight photos back to the queue",
				"running", p.workers.RunningWorkers(), "downloading", p.Downloading(), "writing", p.Writing())
			p.stopWork()
			select {
			case <-done:
			case <-ctx.Done():
				p.log.Error("photos still being handed back when the stop deadline passed; the broker redelivers them")
			}
		}
		p.stopWork()
		p.stopBackground()
		p.background.Wait()
		p.gate.close()
	})
}

func (p *Pool) finish(a *attempt, err error) {
	p.settle(a, err)
	p.leases.remove(a.claim)
	p.runs.leave(&a.run)
	p.flights.leave(a.d)
	p.metrics.ProcessingDuration.Observe(time.Since(a.start).Seconds())
}

// safely turns a panic in fn into an error, so the attempt is settled like any other
// transient failure: retried after a backoff, dead-lettered after MaxAttempts — never lost,
// and never a hot loop of redeliveries.
func (p *Pool) safely(a *attempt, fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			p.metrics.TaskPanics.Inc()
			a.log.Error("task panicked", "panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("internal error: %v", r)
		}
	}()
	return fn()
}
