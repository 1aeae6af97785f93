package queue_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/photoproc/photoproc/queue"
	"github.com/photoproc/photoproc/queue/queuetest"
)

// BenchmarkPublish measures confirmed publishes (persistent, so each confirm waits for the
// broker's disk) for the batch sizes the API sends.
func BenchmarkPublish(b *testing.B) {
	for _, size := range []int{1, 10, 100, 256, 1000} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			cfg := queuetest.Config(b)
			pub := queuetest.Publisher(b, cfg, nil)
			ids := newIDs(size)
			b.ResetTimer()
			for b.Loop() {
				if got, err := pub.Publish(context.Background(), ids); err != nil || len(got) != size {
					b.Fatalf("Publish: %d confirmed, %v", len(got), err)
				}
			}
			b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}

// BenchmarkParallelPublish measures many API requests publishing one photo each at once,
// sharing the channel pool.
func BenchmarkParallelPublish(b *testing.B) {
	cfg := queuetest.Config(b)
	pub := queuetest.Publisher(b, cfg, nil)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ids := newIDs(1)
		for pb.Next() {
			if _, err := pub.Publish(context.Background(), ids); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkConsume measures delivering and acking, prefetch 32.
func BenchmarkConsume(b *testing.B) {
	cfg := queuetest.Config(b)
	cfg.Prefetch = 32
	pub := queuetest.Publisher(b, cfg, nil)
	c, err := queue.NewConsumer(cfg, pub, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	for n := b.N; n > 0; n -= 1000 {
		if _, err := pub.Publish(context.Background(), newIDs(min(n, 1000))); err != nil {
			b.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	b.ResetTimer()
	acked := 0
	go func() {
		done <- c.Run(ctx, func(d *queue.Delivery) {
			if err := d.Ack(); err != nil {
				b.Error(err)
			}
			if acked++; acked == b.N {
				cancel()
			}
		})
	}()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
