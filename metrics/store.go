package metrics

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// RegisterDBPool exports the Postgres connection pool's figures, read at scrape time.
func RegisterDBPool(reg prometheus.Registerer, stat func() *pgxpool.Stat) {
	reg.MustRegister(&dbPoolCollector{stat: stat})
}

var (
	dbAcquired = prometheus.NewDesc("photoproc_db_pool_acquired_connections", "Postgres connections in use.", nil, nil)
	dbIdle     = prometheus.NewDesc("photoproc_db_pool_idle_connections", "Postgres connections idle in the pool.", nil, nil)
	dbTotal    = prometheus.NewDesc("photoproc_db_pool_total_connections", "Postgres connections open.", nil, nil)
	dbMax      = prometheus.NewDesc("photoproc_db_pool_max_connections", "Most Postgres connections the pool may open.", nil, nil)
	dbWaits    = prometheus.NewDesc("photoproc_db_pool_acquire_waits_total", "Acquires that had to wait for a connection.", nil, nil)
	dbWaitSecs = prometheus.NewDesc("photoproc_db_pool_acquire_wait_seconds_total", "Time spent waiting for a connection.", nil, nil)
)

type dbPoolCollector struct{ stat func() *pgxpool.Stat }

func (c *dbPoolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{dbAcquired, dbIdle, dbTotal, dbMax, dbWaits, dbWaitSecs} {
		ch <- d
	}
}

func (c *dbPoolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stat()
	ch <- prometheus.MustNewConstMetric(dbAcquired, prometheus.GaugeValue, float64(s.AcquiredConns()))
	ch <- prometheus.MustNewConstMetric(dbIdle, prometheus.GaugeValue, float64(s.IdleConns()))
	ch <- prometheus.MustNewConstMetric(dbTotal, prometheus.GaugeValue, float64(s.TotalConns()))
	ch <- prometheus.MustNewConstMetric(dbMax, prometheus.GaugeValue, float64(s.MaxConns()))
	ch <- prometheus.MustNewConstMetric(dbWaits, prometheus.CounterValue, float64(s.EmptyAcquireCount()))
	ch <- prometheus.MustNewConstMetric(dbWaitSecs, prometheus.CounterValue, s.EmptyAcquireWaitTime().Seconds())
}

// RegisterPhotoCounts exports photos by status from count, read at scrape time. count must be
// cheap: the daemon passes a cache (store.CountCache, 15s) that the admin page shares, so
// frequent scrapes never load the database.
func RegisterPhotoCounts(reg prometheus.Registerer, count func(ctx context.Context) (map[string]int64, error)) {
	reg.MustRegister(&countsCollector{count: count})
}

var photosDesc = prometheus.NewDesc("photoproc_photos", "Photos in the database by status (cached up to 15s).", []string{"status"}, nil)

type countsCollector struct {
	count func(ctx context.Context) (map[string]int64, error)
}

func (c *countsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- photosDesc }

func (c *countsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err := c.count(ctx)
	if err != nil {
		return // not counted yet: the series appear with the first count
	}
	for status, n := range counts {
		ch <- prometheus.MustNewConstMetric(photosDesc, prometheus.GaugeValue, float64(n), status)
	}
}
