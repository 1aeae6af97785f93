package pool

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/photoproc/photoproc/imaging"
	"github.com/photoproc/photoproc/internal/testphotos"
	"github.com/photoproc/photoproc/metrics"
	"github.com/photoproc/photoproc/store"
)

// BenchmarkPool runs 12 MP photos through the pool — real thumbnails written to disk, with
// the database and the download replaced by memory — at pool sizes from 1 to twice the CPUs,
// and reports photos per second. It shows the pool size at which the CPUs are saturated; the
// real services' share is measured by make bench-e2e.
func BenchmarkPool(b *testing.B) {
	photo := testphotos.Read(b, "camera-4032x3024.jpg")
	maker, err := imaging.New(imaging.DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	for workers := 1; workers <= 2*runtime.GOMAXPROCS(0); workers++ {
		b.Run(fmt.Sprintf("workers-%d", workers), func(b *testing.B) {
			cfg := DefaultConfig()
			cfg.Workers, cfg.ThumbsDir = workers, b.TempDir()
			p, err := New(cfg, Deps{
				Store: memStore{}, Fetcher: memFetcher(photo), Thumbnailer: maker, Intake: benchIntake{},
				Metrics: metrics.New(prometheus.NewRegistry()), Logger: slog.New(slog.DiscardHandler),
			})
			if err != nil {
				b.Fatal(err)
			}
			defer p.Stop(context.Background())

			// Like the consumer, hold at most Prefetch deliveries at once.
			slots := make(chan struct{}, cfg.Prefetch())
			var done sync.WaitGroup
			var failures atomic.Int64
			start := time.Now()
			for range b.N {
				slots <- struct{}{}
				done.Add(1)
				p.Handle(&benchDelivery{id: uuid.New(), settled: func(acked bool) {
					if !acked {
						failures.Add(1)
					}
					<-slots
					done.Done()
				}})
			}
			done.Wait()
			if n := failures.Load(); n > 0 {
				b.Fatalf("%d photos were not completed", n)
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "photos/s")
		})
	}
}

// memStore claims every photo and records nothing.
type memStore struct{}

func (memStore) Claim(_ context.Context, id uuid.UUID, _ time.Duration, _ bool) (store.Photo, store.ClaimResult, error) {
	return store.Photo{UUID: id, URL: "mem:" + id.String(), Status: store.StatusProcessing}, store.ClaimAcquired, nil
}
func (memStore) Complete(context.Context, uuid.UUID, store.Thumbnail) error { return nil }
func (memStore) Fail(context.Context, uuid.UUID, string) error              { return nil }
func (memStore) Release(context.Context, uuid.UUID, string) error           { return nil }
func (memStore) Ping(context.Context) error                                 { return nil }
func (memStore) ExpiredLeases(context.Context, time.Duration, int) ([]uuid.UUID, error) {
	return nil, nil
}

// memFetcher "downloads" the same photo for every URL.
type memFetcher []byte

func (f memFetcher) Fetch(context.Context, string) ([]byte, error) { return f, nil }

type benchIntake struct{}

func (benchIntake) Pause()  {}
func (benchIntake) Resume() {}

// benchDelivery calls settled once it is settled, saying whether it was acked.
type benchDelivery struct {
	id      uuid.UUID
	settled func(acked bool)
}

func (d *benchDelivery) Photo() uuid.UUID { return d.id }
func (d *benchDelivery) Attempts() int    { return 1 }
func (d *benchDelivery) Redelivery() bool { return false }
func (d *benchDelivery) Ack() error       { d.settled(true); return nil }
func (d *benchDelivery) Requeue() error   { d.settled(false); return nil }
func (d *benchDelivery) Retry(context.Context, string) (time.Duration, error) {
	d.settled(false)
	return 0, nil
}
func (d *benchDelivery) DeadLetter(context.Context, string) error { d.settled(false); return nil }
