package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Outcome label values of photoproc_photos_processed_total.
const (
	OutcomeCompleted = "completed" // thumbnail made and recorded
	OutcomeFailed    = "failed"    // given up: permanent error or attempts exhausted
	OutcomeRetried   = "retried"   // transient error: scheduled again after a backoff
	OutcomeRequeued  = "requeued"  // handed back to the queue, no attempt spent (shutdown, database down)
	OutcomeSkipped   = "skipped"   // nothing to do: already completed, or held by another worker
)

// Metrics holds the collectors the daemon records into.
type Metrics struct {
	PhotosProcessed    *prometheus.CounterVec // by outcome
	ProcessingDuration prometheus.Histogram   // one photo, claim to ack
	DownloadDuration   prometheus.Histogram
	DecodeDuration     prometheus.Histogram
	ResizeDuration     prometheus.Histogram
	EncodeDuration     prometheus.Histogram
	DownloadBytes      prometheus.Histogram
	PhotosPublished    prometheus.Counter
	PublishFailures    prometheus.Counter
	LeasesRequeued     prometheus.Counter
	RetriesRequeued    prometheus.Counter
	TaskPanics         prometheus.Counter
	StorageDuration    *prometheus.HistogramVec // by operation
	StorageErrors      *prometheus.CounterVec   // by operation and kind
}

// imageBuckets span a few milliseconds (a small photo on the fast path) to several seconds
// (a 50 MP photo on the pure-Go path).
var imageBuckets = []float64{0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// New creates the collectors and registers them on reg.
func New(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		PhotosProcessed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "photoproc_photos_processed_total",
			Help: "Photos taken from the queue, by outcome (completed, failed, retried, requeued, skipped).",
		}, []string{"outcome"}),
		ProcessingDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "photoproc_processing_duration_seconds",
			Help: "Time to process one photo end to end: claim, download, thumbnail, store, record.",
			// Fine below a second, where photos are, so that percentiles read from the buckets
			// (histogram_quantile, the admin page's charts) are close to the true ones.
			Buckets: []float64{0.005, 0.01, 0.015, 0.02, 0.03, 0.04, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60},
		}),
		DownloadDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "photoproc_download_duration_seconds",
			Help:    "Time to download one photo, successful or not.",
			Buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
		}),
		DecodeDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "photoproc_decode_duration_seconds",
			Help:    "Time to decode one source photo.",
			Buckets: imageBuckets,
		}),
		ResizeDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "photoproc_resize_duration_seconds",
			Help:    "Time to resize one decoded photo to its thumbnail.",
			Buckets: imageBuckets,
		}),
		EncodeDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "photoproc_encode_duration_seconds",
			Help:    "Time to encode one thumbnail as JPEG.",
			Buckets: imageBuckets,
		}),
		DownloadBytes: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "photoproc_download_size_bytes",
			Help:    "Size of downloaded photos.",
			Buckets: prometheus.ExponentialBuckets(16<<10, 4, 8), // 16 KiB .. 256 MiB
		}),
		PhotosPublished: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "photoproc_photos_published_total",
			Help: "Photo messages the broker confirmed.",
		}),
		PublishFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "photoproc_publish_failures_total",
			Help: "Photo messages that were not confirmed by the broker.",
		}),
		LeasesRequeued: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "photoproc_leases_requeued_total",
			Help: "Photos found in processing past their lease with no worker behind them, queued again.",
		}),
		RetriesRequeued: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "photoproc_retries_requeued_total",
			Help: "Photos whose retry was long overdue with no message behind it (a purged delay queue, a delivery limit), queued again.",
		}),
		TaskPanics: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "photoproc_task_panics_total",
			Help: "Photo tasks that panicked; each is retried like a transient failure.",
		}),
	}
	m.StorageDuration, m.StorageErrors = newStorageMetrics()
	m.StorageDuration.WithLabelValues("put") // export the write path from the first scrape
	for _, o := range []string{OutcomeCompleted, OutcomeFailed, OutcomeRetried, OutcomeRequeued, OutcomeSkipped} {
		m.PhotosProcessed.WithLabelValues(o) // export zeros so rate() works from the first scrape
	}
	reg.MustRegister(m.PhotosProcessed, m.ProcessingDuration, m.DownloadDuration, m.DecodeDuration,
		m.ResizeDuration, m.EncodeDuration, m.DownloadBytes, m.PhotosPublished, m.PublishFailures, m.LeasesRequeued, m.RetriesRequeued, m.TaskPanics,
		m.StorageDuration, m.StorageErrors)
	return m
}
