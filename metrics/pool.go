package metrics

import "github.com/prometheus/client_golang/prometheus"

// PoolStats is what the worker pool reports; pond's Pool satisfies it.
type PoolStats interface {
	RunningWorkers() int64
	WaitingTasks() uint64
	MaxConcurrency() int
	CompletedTasks() uint64
}

// RegisterPool exports the worker pool's figures, read at scrape time.
func RegisterPool(reg prometheus.Registerer, p PoolStats) {
	reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "photoproc_pool_running_workers",
			Help: "Workers busy with a photo right now.",
		}, func() float64 { return float64(p.RunningWorkers()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "photoproc_pool_waiting_tasks",
			Help: "Downloaded photos waiting for a free worker.",
		}, func() float64 { return float64(p.WaitingTasks()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "photoproc_pool_size",
			Help: "Configured number of workers (PHOTOPROC_WORKERS).",
		}, func() float64 { return float64(p.MaxConcurrency()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "photoproc_pool_tasks_completed_total",
			Help: "Pool tasks finished, whatever their outcome.",
		}, func() float64 { return float64(p.CompletedTasks()) }),
	)
}

// RegisterDownloads exports how many photos are being claimed and downloaded ahead of the
// workers, or waiting to be.
func RegisterDownloads(reg prometheus.Registerer, downloading func() int64) {
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "photoproc_pool_downloading",
		Help: "Photos being claimed and downloaded ahead of the workers, or waiting to be.",
	}, func() float64 { return float64(downloading()) }))
}

// RegisterWriting exports how many finished thumbnails are being written and recorded behind
// the workers, or waiting to be.
func RegisterWriting(reg prometheus.Registerer, writing func() int64) {
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "photoproc_pool_writing",
		Help: "Thumbnails being written to disk and recorded behind the workers, or waiting to be.",
	}, func() float64 { return float64(writing()) }))
}
