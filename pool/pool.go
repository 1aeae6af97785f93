package pool

import (
	"context"
	"errors"
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
	Complete(ctx context.Context, id uuid.UUID, t store.Thumbnail) error
	Fail(ctx context.Context, c store.Claim, reason string) error
	Release(ctx context.Context, c store.Claim, reason string, retryIn time.Duration) error
	Ping(ctx context.Context) error
	ExpiredLeases(ctx context.Context, lease time.Duration, limit int) ([]uuid.UUID, error)
}

// Fetcher downloads a photo.
type Fetcher interface {
	Fetch(ctx context.Context, url string) ([]byte, error)
}

// Thumbnailer makes a thumbnail from a photo's bytes.
type Thumbnailer interface {
	Make(src []byte) (imaging.Thumbnail, error)
}

// Intake is the consumer feeding the pool; the pool pauses it while the database is down and
// when an operator asks.
type Intake interface {
	Pause()
	Resume()
}

// Deps are the pool's collaborators.
type Deps struct {
	Store       Store
	Fetcher     Fetcher
	Thumbnailer Thumbnailer
	Intake      Intake
	Metrics     *metrics.Metrics
	Logger      *slog.Logger
}

// Pool processes deliveries in three bounded stages, each a pond pool: downloads (claim the
// photo, fetch its bytes: network and database waits), workers (decode, resize, encode: CPU)
// and writers (write the file and sync it, record it in Postgres, ack: disk and database
// waits). Splitting them keeps the CPUs busy while other photos download and are stored.
type Pool struct {
	cfg       Config
	log       *slog.Logger
	store     Store
	fetch     Fetcher
	thumbs    Thumbnailer
	metrics   *metrics.Metrics
	downloads pond.Pool
	workers   pond.Pool
	writers   pond.Pool
	gate      *gate
	flights   *flights // deliveries of one photo held at once, in order

	// work is the context of every task. It is cancelled only when a stop has waited
	// ShutdownTimeout, so that in-flight photos are handed back instead of finished.
	work     context.Context
	stopWork context.CancelFunc
	stopOnce sync.Once
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
	p := &Pool{
		cfg:     cfg,
		log:     log,
		store:   d.Store,
		fetch:   d.Fetcher,
		thumbs:  d.Thumbnailer,
		metrics: d.Metrics,
		// The pond pools get no context of their own: cancelling one would silently drop queued
		// tasks, and each of those holds a delivery that must be acked or handed back. Their
		// queues are bounded by the broker prefetch, so a submit never waits.
		downloads: pond.NewPool(cfg.Downloads, pond.WithQueueSize(cfg.Prefetch())),
		workers:   pond.NewPool(cfg.Workers, pond.WithQueueSize(cfg.Prefetch())),
		writers:   pond.NewPool(cfg.Workers, pond.WithQueueSize(cfg.Prefetch())),
		gate:      newGate(d.Intake, d.Store, log),
		flights:   newFlights(),
		work:      work,
		stopWork:  stop,
	}
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

// Resume undoes Pause. Intake stays paused while the database is unreachable.
func (p *Pool) Resume() { p.gate.set(reasonOperator, false) }

// Paused reports whether intake is paused, and why.
func (p *Pool) Paused() (bool, []string) { return p.gate.paused() }

// Handle starts one delivery on its way: download, thumbnail, write. It does not block while
// the broker prefetch is Config.Prefetch.
func (p *Pool) Handle(d Delivery) {
	start := time.Now()
	log := p.log.With("photo_uuid", d.Photo())
	var (
		job   *job
		made  *made
		claim store.Claim // set once the photo is claimed
	)
	prev := p.flights.join(d)
	err := p.downloads.Go(func() {
		if prev != nil {
			// Another copy of this message is still being processed here: let it settle first.
			select {
			case <-prev:
			case <-p.work.Done():
			}
		}
		if err := p.safely(log, func() (err error) { job, err = p.download(p.work, d, &claim, log); return err }); err != nil {
			p.finish(d, claim, start, err, log)
			return
		}
		p.next(p.workers, d, claim, start, log, func() (err error) { made, err = p.thumbnail(p.work, job); return err }, func() {
			p.next(p.writers, d, claim, start, log, func() error { return p.write(p.work, made, log) }, nil)
		})
	})
	if err != nil {
		log.Warn("pool stopped, handing message back", "err", err)
		p.requeue(d)
		p.flights.leave(d)
	}
}

// next runs step in stage; when it succeeds more runs, or the delivery is settled if more is
// nil (the photo is done). A failure, or a stage that stopped, settles the delivery.
func (p *Pool) next(stage pond.Pool, d Delivery, c store.Claim, start time.Time, log *slog.Logger, step func() error, more func()) {
	err := stage.Go(func() {
		if err := p.safely(log, step); err != nil || more == nil {
			p.finish(d, c, start, err, log)
			return
		}
		more()
	})
	if err != nil {
		p.finish(d, c, start, err, log)
	}
}

// Stop waits for queued and in-flight photos to finish; once ctx ends or ShutdownTimeout
// passes, the rest are handed back to the queue. Stop the consumer first, so that nothing new
// arrives.
func (p *Pool) Stop(ctx context.Context) {
	p.stopOnce.Do(func() {
		ctx, cancel := context.WithTimeout(ctx, p.cfg.ShutdownTimeout)
		defer cancel()
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
		case <-ctx.Done():
			p.log.Warn("shutdown timeout: handing in-flight photos back to the queue",
				"running", p.workers.RunningWorkers(), "downloading", p.Downloading())
			p.stopWork()
			<-done
		}
		p.stopWork()
		p.gate.close()
	})
}

func (p *Pool) finish(d Delivery, c store.Claim, start time.Time, err error, log *slog.Logger) {
	p.settle(d, c, err, log)
	p.flights.leave(d)
	p.metrics.ProcessingDuration.Observe(time.Since(start).Seconds())
}

// safely turns a panic in fn into an error, so the delivery is settled like any other
// transient failure: retried after a backoff, dead-lettered after MaxAttempts — never lost,
// and never a hot loop of redeliveries.
func (p *Pool) safely(log *slog.Logger, fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			p.metrics.TaskPanics.Inc()
			log.Error("task panicked", "panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("internal error: %v", r)
		}
	}()
	return fn()
}

var errNothingToDo = errors.New("nothing to do")

// exhaustedError is a claim refused because the photo has had all its attempts: the last ones
// ended with their worker gone before it could settle them (a crash, a kill).
type exhaustedError struct{ attempts int }

func (e *exhaustedError) Error() string {
	return fmt.Sprintf("gave up after %d attempts: the worker processing it died before finishing, each time it tried the last", e.attempts)
}
