package metrics

import (
	"context"
	"math"
	"slices"
	"sync"
	"time"

	dto "github.com/prometheus/client_model/go"
)

// History keeps the last hour of throughput, latency and failures, a minute a point, in
// memory: what the admin page charts without a Prometheus server. It survives no restart.
//
// It reads the same collectors /metrics exports (photoproc_photos_processed_total and
// photoproc_processing_duration_seconds), so the charts agree with the dashboards: a minute's
// latency percentiles are interpolated in that minute's histogram buckets, as Prometheus's
// histogram_quantile does.
type History struct {
	m      *Metrics
	step   time.Duration
	points int

	mu     sync.Mutex
	start  time.Time // of the current step
	base   sample    // the collectors at start
	closed []Point   // completed steps, oldest first, at most points-1
}

// Point is one step of History: what happened from Start to Start+step.
type Point struct {
	Start     time.Time `json:"start"`
	Completed float64   `json:"completed"` // photos completed
	Failed    float64   `json:"failed"`    // photos failed (permanent errors, attempts exhausted)
	Retried   float64   `json:"retried"`   // transient failures scheduled again
	// P50 and P95 are processing latencies in seconds (claim to ack, every outcome); nil when
	// no photo finished in the step.
	P50 *float64 `json:"p50_seconds"`
	P95 *float64 `json:"p95_seconds"`
}

// sample is the cumulative state of the collectors at one time.
type sample struct {
	outcomes map[string]float64
	buckets  []bucket // cumulative counts by upper bound, ascending
}

type bucket struct {
	upper float64
	count float64
}

// NewHistory keeps points steps of step each (the admin page: 60 of a minute), starting now.
func NewHistory(m *Metrics, step time.Duration, points int, now time.Time) *History {
	h := &History{m: m, step: step, points: points}
	h.start = now.Truncate(step)
	h.base = h.read()
	return h
}

// Step is the span of one point.
func (h *History) Step() time.Duration { return h.step }

// Run closes each step as it ends, until ctx ends.
func (h *History) Run(ctx context.Context, now func() time.Time) {
	for {
		h.mu.Lock()
		next := h.start.Add(h.step)
		h.mu.Unlock()
		t := time.NewTimer(next.Sub(now()))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
			h.Advance(now())
		}
	}
}

// Advance closes every step that ended by now. The step under way gets what happened since
// it started; steps that passed with no sample at all (a suspended process) are recorded empty.
func (h *History) Advance(now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if now.Before(h.start.Add(h.step)) {
		return
	}
	cur := h.read()
	h.push(between(h.start, h.base, cur))
	h.start, h.base = h.start.Add(h.step), cur
	for !now.Before(h.start.Add(h.step)) {
		h.push(Point{Start: h.start})
		h.start = h.start.Add(h.step)
	}
}

func (h *History) push(p Point) {
	h.closed = append(h.closed, p)
	if over := len(h.closed) - (h.points - 1); over > 0 {
		h.closed = slices.Delete(h.closed, 0, over)
	}
}

// Points returns the closed steps, oldest first, and last the step under way so far.
func (h *History) Points(now time.Time) []Point {
	h.Advance(now)
	h.mu.Lock()
	defer h.mu.Unlock()
	return append(slices.Clone(h.closed), between(h.start, h.base, h.read()))
}

// between is what happened from sample a to sample b.
func between(start time.Time, a, b sample) Point {
	p := Point{
		Start:     start,
		Completed: b.outcomes[OutcomeCompleted] - a.outcomes[OutcomeCompleted],
		Failed:    b.outcomes[OutcomeFailed] - a.outcomes[OutcomeFailed],
		Retried:   b.outcomes[OutcomeRetried] - a.outcomes[OutcomeRetried],
	}
	delta := make([]bucket, len(b.buckets))
	for i, bk := range b.buckets {
		delta[i] = bucket{upper: bk.upper, count: bk.count}
		if i < len(a.buckets) {
			delta[i].count -= a.buckets[i].count
		}
	}
	p.P50, p.P95 = quantile(delta, 0.5), quantile(delta, 0.95)
	return p
}

// quantile interpolates the q-quantile in cumulative buckets, as histogram_quantile does:
// linearly within the bucket it falls in, from 0 for the first; the last finite upper bound
// when it falls in +Inf. Nil when the buckets hold nothing.
func quantile(buckets []bucket, q float64) *float64 {
	if len(buckets) == 0 || buckets[len(buckets)-1].count <= 0 {
		return nil
	}
	rank := q * buckets[len(buckets)-1].count
	lower, below := 0.0, 0.0
	for _, b := range buckets {
		if b.count >= rank {
			v := b.upper
			if math.IsInf(v, 1) {
				v = lower
			} else if b.count > below {
				v = lower + (b.upper-lower)*(rank-below)/(b.count-below)
			}
			return &v
		}
		lower, below = b.upper, b.count
	}
	return &lower
}

// read takes the collectors' current values.
func (h *History) read() sample {
	s := sample{outcomes: map[string]float64{}}
	for _, o := range []string{OutcomeCompleted, OutcomeFailed, OutcomeRetried} {
		var m dto.Metric
		if h.m.PhotosProcessed.WithLabelValues(o).Write(&m) == nil {
			s.outcomes[o] = m.GetCounter().GetValue()
		}
	}
	var m dto.Metric
	if h.m.ProcessingDuration.Write(&m) == nil {
		for _, b := range m.GetHistogram().GetBucket() {
			s.buckets = append(s.buckets, bucket{upper: b.GetUpperBound(), count: float64(b.GetCumulativeCount())})
		}
		s.buckets = append(s.buckets, bucket{upper: math.Inf(1), count: float64(m.GetHistogram().GetSampleCount())})
	}
	return s
}
