package pool

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/photoproc/photoproc/imaging"
	"github.com/photoproc/photoproc/internal/testphotos"
	"github.com/photoproc/photoproc/metrics"
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
			cfg.Workers = workers
			p, err := New(cfg, Deps{
				Store: newFakeStore(), Broker: &fakeBroker{}, Fetcher: memFetcher(photo), Thumbnailer: maker, ThumbStore: localStorage(b), Intake: &fakeIntake{},
				Metrics: metrics.New(prometheus.NewRegistry()), Logger: slog.New(slog.DiscardHandler),
			})
			if err != nil {
				b.Fatal(err)
			}
			defer p.Stop(context.Background())

			// Like the consumer, hold at most Prefetch deliveries at once: past that, each new
			// one waits for one to be settled.
			settled := make(chan settledAs, cfg.Prefetch())
			check := func() {
				if s := <-settled; s.how != "ack" || s.published != "" {
					b.Fatalf("photo settled with %+v, want an ack", s)
				}
			}
			start := time.Now()
			for i := range b.N {
				if i >= cfg.Prefetch() {
					check()
				}
				p.Handle(&fakeDelivery{id: uuid.New(), settled: settled})
			}
			for range min(b.N, cfg.Prefetch()) {
				check()
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "photos/s")
		})
	}
}

// memFetcher "downloads" the same photo for every URL.
type memFetcher []byte

func (f memFetcher) Fetch(context.Context, string) ([]byte, error) { return f, nil }

func (memFetcher) Release([]byte) {}
