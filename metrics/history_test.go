package metrics

import (
	"math"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func TestHistoryPointsPerStep(t *testing.T) {
	t.Parallel()
	m := New(prometheus.NewRegistry())
	t0 := time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)
	h := NewHistory(m, time.Minute, 3, t0.Add(10*time.Second))

	// First minute: 4 completed in 40 ms each, one failed after 1.5 s, one retried.
	for range 4 {
		m.PhotosProcessed.WithLabelValues(OutcomeCompleted).Inc()
		m.ProcessingDuration.Observe(0.04)
	}
	m.PhotosProcessed.WithLabelValues(OutcomeFailed).Inc()
	m.ProcessingDuration.Observe(1.5)
	m.PhotosProcessed.WithLabelValues(OutcomeRetried).Inc()
	m.PhotosProcessed.WithLabelValues(OutcomeSkipped).Inc() // not charted

	pts := h.Points(t0.Add(50 * time.Second))
	if len(pts) != 1 {
		t.Fatalf("%d points within the first minute, want the one under way", len(pts))
	}
	p := pts[0]
	if !p.Start.Equal(t0) || p.Completed != 4 || p.Failed != 1 || p.Retried != 1 {
		t.Fatalf("first minute %+v, want start %v, 4 completed, 1 failed, 1 retried", p, t0)
	}
	// 5 samples: the median (rank 2.5) is in the 30–40 ms bucket, which holds 4; p95 (rank
	// 4.75) in the 1–2.5 s bucket, which holds the fifth.
	if want := 0.03 + 0.01*2.5/4; p.P50 == nil || math.Abs(*p.P50-want) > 1e-9 {
		t.Errorf("p50 %v, want %v", deref(p.P50), want)
	}
	if want := 1 + 1.5*0.75; p.P95 == nil || math.Abs(*p.P95-want) > 1e-9 {
		t.Errorf("p95 %v, want %v", deref(p.P95), want)
	}

	// The next minute starts empty; what follows counts in it alone.
	h.Advance(t0.Add(time.Minute))
	m.PhotosProcessed.WithLabelValues(OutcomeCompleted).Inc()
	m.ProcessingDuration.Observe(0.012)
	pts = h.Points(t0.Add(70 * time.Second))
	if len(pts) != 2 || pts[0].Completed != 4 || pts[1].Completed != 1 || pts[1].Failed != 0 {
		t.Fatalf("points %+v, want the first minute's 4 and the second's 1", pts)
	}
	if want := 0.01 + 0.005*0.5; math.Abs(*pts[1].P50-want) > 1e-9 {
		t.Errorf("second minute p50 %v, want %v", *pts[1].P50, want)
	}

	// Minutes with nothing have no latency; only the last 3 minutes are kept.
	pts = h.Points(t0.Add(5*time.Minute + time.Second))
	if len(pts) != 3 {
		t.Fatalf("%d points, want 3", len(pts))
	}
	for i, p := range pts {
		if want := t0.Add(time.Duration(3+i) * time.Minute); !p.Start.Equal(want) || p.Completed != 0 || p.P50 != nil {
			t.Errorf("point %d: %+v, want an empty minute from %v", i, p, want)
		}
	}
}

func deref(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}
