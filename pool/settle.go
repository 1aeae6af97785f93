package pool

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/photoproc/photoproc/metrics"
	"github.com/photoproc/photoproc/store"
)

// settleTimeout bounds the database and broker calls that settle a delivery; they run even
// while stopping, so that a finished photo is recorded and its message settled.
const settleTimeout = 15 * time.Second

// settle records the outcome of one delivery and then acks, retries, dead-letters or hands
// the message back. Every path settles the delivery exactly once.
func (p *Pool) settle(d Delivery, c store.Claim, err error, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(p.work), settleTimeout)
	defer cancel()

	switch {
	case err == nil:
		p.ack(d, log, metrics.OutcomeCompleted)
		return
	case errors.Is(err, errNothingToDo):
		p.ack(d, log, metrics.OutcomeSkipped)
		return
	}

	reason := err.Error()
	var exhausted *exhaustedError
	if errors.As(err, &exhausted) {
		log.Warn("photo failed: no attempt left; dead-lettering", "reason", reason)
		p.fail(ctx, d, c, reason, log, true)
		return
	}
	switch classify(p.work, err) {
	case classStopping:
		log.Info("stopping: handing photo back to the queue")
		p.requeue(d)
	case classMissing:
		log.Warn("photo not in the database; dead-lettering its message", "reason", reason)
		if err := d.PublishDeadLetter(ctx, reason, c.Attempt); err != nil {
			log.Error("dead-letter failed; handing message back", "err", err)
			p.requeue(d)
			return
		}
		if err := d.Ack(); err != nil {
			log.Warn("ack failed; the broker will redeliver", "err", err)
		}
		p.metrics.PhotosProcessed.WithLabelValues(metrics.OutcomeFailed).Inc()
	case classDatabase:
		if pingErr := p.store.Ping(ctx); pingErr != nil || c.Attempt == 0 {
			// Nothing can be recorded: hand the photo back untouched and stop taking more
			// until the database answers again.
			log.Warn("database unreachable: handing photo back and pausing intake", "err", err)
			p.gate.storeDown()
			p.requeue(d)
			return
		}
		p.retryOrFail(ctx, d, c, reason, log)
	case classPermanent:
		log.Warn("photo failed", "reason", reason)
		p.fail(ctx, d, c, reason, log, false)
	default:
		p.retryOrFail(ctx, d, c, reason, log)
	}
}

func (p *Pool) retryOrFail(ctx context.Context, d Delivery, c store.Claim, reason string, log *slog.Logger) {
	if c.Attempt >= p.cfg.MaxAttempts {
		log.Warn("photo failed after its last attempt; dead-lettering", "reason", reason)
		p.fail(ctx, d, c, reason, log, true)
		return
	}
	delay := d.RetryIn(c.Attempt)
	if err := p.store.Release(ctx, c, reason, delay); err != nil {
		log.Warn("release failed; handing message back", "err", err)
		p.requeue(d)
		return
	}
	if err := d.PublishRetry(ctx, reason, c.Attempt, delay); err != nil {
		log.Warn("scheduling retry failed; handing message back", "err", err)
		p.requeue(d)
		return
	}
	if err := d.Ack(); err != nil {
		log.Warn("ack failed; the broker will redeliver", "err", err)
	}
	log.Info("will retry", "reason", reason, "delay", delay)
	p.metrics.PhotosProcessed.WithLabelValues(metrics.OutcomeRetried).Inc()
}

func (p *Pool) fail(ctx context.Context, d Delivery, c store.Claim, reason string, log *slog.Logger, deadLetter bool) {
	if err := p.store.Fail(ctx, c, reason); err != nil {
		log.Warn("recording failure failed; handing message back", "err", err)
		p.requeue(d)
		return
	}
	if deadLetter {
		if err := d.PublishDeadLetter(ctx, reason, c.Attempt); err != nil {
			log.Error("dead-letter failed; handing message back", "err", err)
			p.requeue(d)
			return
		}
	}
	if err := d.Ack(); err != nil {
		log.Warn("ack failed; the broker will redeliver", "err", err)
	}
	p.metrics.PhotosProcessed.WithLabelValues(metrics.OutcomeFailed).Inc()
}

func (p *Pool) ack(d Delivery, log *slog.Logger, outcome string) {
	if err := d.Ack(); err != nil {
		// The channel that delivered it is gone: the broker redelivers the message and the
		// next worker finds the photo already completed.
		log.Warn("ack failed; the broker will redeliver", "err", err)
	}
	p.metrics.PhotosProcessed.WithLabelValues(outcome).Inc()
}

func (p *Pool) requeue(d Delivery) {
	if err := d.Requeue(); err != nil {
		p.log.Warn("requeue failed; the broker will redeliver when the channel closes",
			"photo_uuid", d.Photo(), "err", err)
	}
	p.metrics.PhotosProcessed.WithLabelValues(metrics.OutcomeRequeued).Inc()
}
