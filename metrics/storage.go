package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// storageBuckets span a local write (a millisecond) to an upload that hits its deadline.
var storageBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}

func newStorageMetrics() (*prometheus.HistogramVec, *prometheus.CounterVec) {
	return prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "photoproc_storage_duration_seconds",
			Help:    "Time of one thumbnail storage operation (put, probe, open, stat, check, presign, cleanup), successful or not.",
			Buckets: storageBuckets,
		}, []string{"operation"}),
		prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "photoproc_storage_errors_total",
			Help: "Failed thumbnail storage operations, by operation and kind (not_found, full, read_only, refused, unavailable, timeout, unreachable, server, canceled, other).",
		}, []string{"operation", "kind"})
}

// ObserveStorage records one storage operation; kind is "" when it succeeded.
func (m *Metrics) ObserveStorage(operation string, took time.Duration, kind string) {
	m.StorageDuration.WithLabelValues(operation).Observe(took.Seconds())
	if kind != "" {
		m.StorageErrors.WithLabelValues(operation, kind).Inc()
	}
}
