package admin

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"
	dto "github.com/prometheus/client_model/go"

	"github.com/photoproc/photoproc/enqueue"
	"github.com/photoproc/photoproc/internal/httpx"
)

// Status is everything the admin page shows, in one read.
type Status struct {
	Time           time.Time          `json:"time"`
	Storage        string             `json:"storage" doc:"Where thumbnails are stored: a local directory, or s3://BUCKET/PREFIX and its endpoint."`
	Counts         map[string]int64   `json:"counts" doc:"Photos by status."`
	Pool           *PoolStatus        `json:"pool,omitempty" doc:"Absent on an api-only process."`
	Queue          *QueueStatus       `json:"queue,omitempty" doc:"Absent while the broker is unreachable."`
	Processed      map[string]float64 `json:"processed" doc:"Photos processed since start, by outcome."`
	Latency        LatencyTotals      `json:"latency" doc:"Sums for computing mean latency between two reads."`
	Ready          map[string]string  `json:"ready"`
	RecentFailures []FailedPhoto      `json:"recent_failures"`
}

// PoolStatus is the worker pool's state.
type PoolStatus struct {
	Size          int      `json:"size"`
	Running       int64    `json:"running"`
	Waiting       uint64   `json:"waiting"`
	Paused        bool     `json:"paused"`
	PausedReasons []string `json:"paused_reasons"`
}

// QueueStatus is the broker's view of the queues.
type QueueStatus struct {
	Name      string `json:"name"`
	Messages  int    `json:"messages" doc:"Ready messages in the main queue."`
	Consumers int    `json:"consumers"`
	Dead      int    `json:"dead" doc:"Messages in the dead-letter queue."`
}

// LatencyTotals are cumulative sums and counts of the processing and resize histograms.
type LatencyTotals struct {
	ProcessingSeconds float64 `json:"processing_seconds"`
	ProcessingCount   uint64  `json:"processing_count"`
	ResizeSeconds     float64 `json:"resize_seconds"`
	ResizeCount       uint64  `json:"resize_count"`
}

// FailedPhoto is a photo that failed, and why.
type FailedPhoto struct {
	UUID      uuid.UUID `json:"uuid"`
	URL       string    `json:"url"`
	Reason    string    `json:"reason"`
	Attempts  int       `json:"attempts"`
	UpdatedAt time.Time `json:"updated_at"`
}

type statusOutput struct{ Body Status }

type actionOutput struct {
	Body struct {
		Paused  bool     `json:"paused"`
		Reasons []string `json:"reasons"`
	}
}

type requeueInput struct {
	Body struct {
		OlderThan string `json:"older_than" default:"5m" doc:"Requeue photos in processing not updated for this long (Go duration)."`
	}
}

type requeueOutput struct {
	Body struct {
		Requeued []uuid.UUID `json:"requeued"`
	}
}

func (ad *admin) register(h huma.API) {
	huma.Register(h, huma.Operation{OperationID: "status", Method: http.MethodGet, Path: "/api/status",
		Summary: "Counts, pool, queue depth, throughput totals and recent failures"}, ad.status)
	huma.Register(h, huma.Operation{OperationID: "pause", Method: http.MethodPost, Path: "/api/pause",
		Summary: "Stop taking photos from the queue", Errors: []int{401, 403, 409, 415}}, ad.pause(true))
	huma.Register(h, huma.Operation{OperationID: "resume", Method: http.MethodPost, Path: "/api/resume",
		Summary: "Take photos from the queue again", Errors: []int{401, 403, 409, 415}}, ad.pause(false))
	huma.Register(h, huma.Operation{OperationID: "retry-failed", Method: http.MethodPost, Path: "/api/retry-failed",
		Summary: "Queue failed photos again (all, or the ones given)", DefaultStatus: http.StatusAccepted,
		Errors: []int{401, 403, 404, 415, 422, 503}}, ad.retryFailed)
	huma.Register(h, huma.Operation{OperationID: "requeue-stuck", Method: http.MethodPost, Path: "/api/requeue-stuck",
		Summary: "Queue again photos stuck in processing", Errors: []int{401, 403, 415, 422, 503}}, ad.requeueStuck)
}

func (ad *admin) status(ctx context.Context, _ *struct{}) (*statusOutput, error) {
	st := Status{Time: time.Now().UTC(), Storage: ad.deps.ThumbStoreName, Counts: map[string]int64{}, Processed: map[string]float64{}, RecentFailures: []FailedPhoto{}}
	counts, err := ad.deps.Store.CountByStatus(ctx)
	if err != nil {
		return nil, ad.internal(ctx, "count photos", err)
	}
	for s, n := range counts {
		st.Counts[string(s)] = n
	}
	failures, err := ad.deps.Store.RecentFailures(ctx, 20)
	if err != nil {
		return nil, ad.internal(ctx, "recent failures", err)
	}
	for _, p := range failures {
		st.RecentFailures = append(st.RecentFailures, FailedPhoto{UUID: p.UUID, URL: p.URL, Reason: p.FailureReason, Attempts: p.Attempts, UpdatedAt: p.UpdatedAt})
	}
	if p := ad.deps.Pool; p != nil {
		paused, reasons := p.Paused()
		s := p.Stats()
		st.Pool = &PoolStatus{Size: s.MaxConcurrency(), Running: s.RunningWorkers(), Waiting: s.WaitingTasks(), Paused: paused, PausedReasons: append([]string{}, reasons...)}
	}
	if ad.deps.Queue != nil {
		if q, err := ad.deps.Queue.QueueStats(ctx); err == nil {
			st.Queue = &QueueStatus{Name: q.Queue, Messages: q.Messages, Consumers: q.Consumers, Dead: q.DeadMessages}
		}
	}
	st.Ready = httpx.Readiness(ctx, ad.deps.Ready, ad.log).Checks
	ad.readTotals(&st)
	return &statusOutput{Body: st}, nil
}

// readTotals reads the processing counters from the registry the daemon serves, so the page
// and /metrics can never disagree.
func (ad *admin) readTotals(st *Status) {
	if ad.deps.Gatherer == nil {
		return
	}
	families, err := ad.deps.Gatherer.Gather()
	if err != nil {
		return
	}
	for _, f := range families {
		switch f.GetName() {
		case "photoproc_photos_processed_total":
			for _, m := range f.GetMetric() {
				st.Processed[label(m, "outcome")] = m.GetCounter().GetValue()
			}
		case "photoproc_processing_duration_seconds":
			h := f.GetMetric()[0].GetHistogram()
			st.Latency.ProcessingSeconds, st.Latency.ProcessingCount = h.GetSampleSum(), h.GetSampleCount()
		case "photoproc_resize_duration_seconds":
			h := f.GetMetric()[0].GetHistogram()
			st.Latency.ResizeSeconds, st.Latency.ResizeCount = h.GetSampleSum(), h.GetSampleCount()
		}
	}
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

func (ad *admin) pause(on bool) func(context.Context, *struct{}) (*actionOutput, error) {
	return func(ctx context.Context, _ *struct{}) (*actionOutput, error) {
		p := ad.deps.Pool
		if p == nil {
			return nil, huma.Error409Conflict("This process runs no workers (role api): there is nothing to pause or resume.")
		}
		if on {
			p.Pause()
		} else {
			p.Resume()
		}
		ad.logger(ctx).Info("admin action", "action", map[bool]string{true: "pause", false: "resume"}[on])
		out := &actionOutput{}
		out.Body.Paused, out.Body.Reasons = p.Paused()
		out.Body.Reasons = append([]string{}, out.Body.Reasons...)
		return out, nil
	}
}

func (ad *admin) requeueStuck(ctx context.Context, in *requeueInput) (*requeueOutput, error) {
	older, err := time.ParseDuration(in.Body.OlderThan)
	if err != nil || older < 0 {
		return nil, huma.Error422UnprocessableEntity(fmt.Sprintf("older_than must be a duration such as 5m, got %q", in.Body.OlderThan))
	}
	if ad.deps.Publisher == nil || !ad.deps.Publisher.Connected() {
		return nil, huma.Error503ServiceUnavailable("The message broker is unavailable; nothing was requeued. Try again shortly.")
	}
	ids, err := ad.deps.Store.StuckPhotos(ctx, older, enqueue.MaxBatch)
	if err != nil {
		return nil, ad.internal(ctx, "find stuck photos", err)
	}
	out := &requeueOutput{}
	out.Body.Requeued = []uuid.UUID{}
	if len(ids) == 0 {
		return out, nil
	}
	confirmed, err := ad.deps.Publisher.Publish(ctx, ids)
	out.Body.Requeued = append(out.Body.Requeued, confirmed...)
	if err != nil {
		ad.logger(ctx).Error("requeue stuck: publish failed", "queued", len(confirmed), "found", len(ids), "err", err)
		return nil, huma.Error503ServiceUnavailable(fmt.Sprintf("The broker failed: %d of %d stuck photos were requeued. Try again shortly.", len(confirmed), len(ids)))
	}
	ad.logger(ctx).Info("admin action", "action", "requeue-stuck", "requeued", len(confirmed))
	return out, nil
}
