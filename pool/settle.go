package pool

import (
	"context"
	"errors"
	"time"

	"github.com/photoproc/photoproc/metrics"
	"github.com/photoproc/photoproc/queue"
	"github.com/photoproc/photoproc/store"
)

// The rule for settling a delivery:
//
//  1. Decide the outcome once (plan: classify the error) — completed, failed, retried,
//     dead-lettered, nothing to do, or handed back.
//  2. Record it in the database, then publish what it needs (a retry's or a dead letter's copy),
//     then ack. Attempts are spent only on what the photo did: the claim counted it, and a
//     failure of ours never adds one.
//  3. When the database or the broker cannot take a step, or the thumbnail storage cannot take
//     the thumbnail (pool/thumbstore.go), the delivery is held — not acked, not handed back —
//     and the step tried again with a backoff; intake pauses for that cause and resumes once a
//     probe finds it gone. Nothing is redelivered in a loop meanwhile.
//  4. A delivery held when the pool stops is handed back to the queue, its claim undone.
//
// Failing to ack is not a failure to settle: the broker redelivers the message, and its next
// claim finds the outcome recorded (completed, failed, or a retry not yet due) and does nothing.

const (
	// settleTimeout bounds one try of a step; a Postgres call is bounded by the store's own
	// timeout too.
	settleTimeout = 15 * time.Second
	// handBackTimeout bounds undoing a claim when the pool stops.
	handBackTimeout = 5 * time.Second
)

// settlement is how one delivery is settled.
type settlement struct {
	outcome string                      // photoproc_photos_processed_total label
	record  func(context.Context) error // the database step; nil for none
	publish func(context.Context) error // the broker step, before the ack; nil for none
	// handBack requeues the message instead of acking it, once after (if it is set) the cause
	// that kept the photo from being claimed is gone.
	handBack bool
	after    *cause
}

func (p *Pool) settle(a *attempt, err error) {
	s := p.plan(a, err)
	if s.handBack {
		p.handBack(a, s.after)
		return
	}
	for _, step := range []struct {
		fn   func(context.Context) error
		kind string
	}{{s.record, "record"}, {s.publish, "publish"}} {
		if step.fn == nil {
			continue
		}
		switch p.persist(a, step.kind, step.fn) {
		case stepDone:
		case stepMoot:
			p.ack(a, metrics.OutcomeSkipped)
			return
		case stepStopped:
			p.handBack(a, nil)
			return
		}
	}
	p.ack(a, s.outcome)
}

// plan decides how a delivery that ended with err is settled.
func (p *Pool) plan(a *attempt, err error) settlement {
	switch {
	case err == nil:
		return settlement{outcome: metrics.OutcomeCompleted}
	case errors.Is(err, errNothingToDo):
		return settlement{outcome: metrics.OutcomeSkipped}
	}
	reason := err.Error()
	switch classify(p.work, err) {
	case classStopping:
		a.log.Info("stopping: handing photo back to the queue")
		return settlement{handBack: true}
	case classDatabase:
		if a.written {
			// The thumbnails are written; recording them is tried again until the database takes it.
			a.log.Warn("cannot record the outcome; holding the message and trying again", "err", err)
			return settlement{outcome: metrics.OutcomeCompleted, record: func(ctx context.Context) error {
				return p.complete(ctx, a)
			}}
		}
		// Nothing was claimed, and not for the database's state (that is held in claim): a bug,
		// a schema problem. The message goes back after the longest backoff.
		a.log.Warn("cannot claim the photo; handing its message back", "err", err)
		return settlement{handBack: true, after: &cause{}}
	case classMissing:
		a.log.Warn("photo not in the database; dead-lettering its message", "reason", reason)
		return settlement{outcome: metrics.OutcomeFailed, publish: p.deadLetter(a, reason, 0)}
	case classExhausted:
		a.log.Warn("photo failed: no attempt left; dead-lettering", "reason", reason, "attempts", a.photo.Attempts)
		c := a.photo.Claim()
		return settlement{outcome: metrics.OutcomeFailed, record: p.fail(c, reason), publish: p.deadLetter(a, reason, c.Attempt)}
	}
	if !a.claimed() {
		// It failed before its photo was claimed (a panic in the claim): nothing to record, and
		// no attempt to count; the message goes back after the longest backoff.
		a.log.Warn("failed before claiming the photo; handing its message back", "reason", reason)
		return settlement{handBack: true, after: &cause{}}
	}
	if classify(p.work, err) == classPermanent {
		a.log.Warn("photo failed", "reason", reason)
		return settlement{outcome: metrics.OutcomeFailed, record: p.fail(a.claim, reason)}
	}
	if p.cfg.Retry.LastAttempt(a.claim.Attempt) {
		a.log.Warn("photo failed after its last attempt; dead-lettering", "reason", reason)
		return settlement{outcome: metrics.OutcomeFailed, record: p.fail(a.claim, reason),
			publish: p.deadLetter(a, reason, a.claim.Attempt)}
	}
	wait := p.cfg.Retry.Wait(a.claim.Attempt)
	a.log.Info("will retry", "reason", reason, "delay", wait)
	return settlement{outcome: metrics.OutcomeRetried,
		record: func(ctx context.Context) error { return p.store.Release(ctx, a.claim, reason, wait) },
		publish: func(ctx context.Context) error {
			return a.d.PublishRetry(ctx, reason, a.claim.Attempt, wait)
		}}
}

func (p *Pool) fail(c store.Claim, reason string) func(context.Context) error {
	return func(ctx context.Context) error { return p.store.Fail(ctx, c, reason) }
}

func (p *Pool) deadLetter(a *attempt, reason string, attempts int) func(context.Context) error {
	return func(ctx context.Context) error { return a.d.PublishDeadLetter(ctx, reason, attempts) }
}

// stepResult is how persist ended.
type stepResult int

const (
	stepDone    stepResult = iota
	stepMoot               // the claim is no longer this attempt's: its outcome is not ours to record
	stepStopped            // the pool stopped before the step could be done
)

// persist runs one step until it is done. While the database or the broker cannot take it,
// intake is paused for that cause and the delivery is held, the step tried again once the cause
// is gone; the delay between tries grows from probeMin to probeMax, so that a cause a probe
// cannot see (or any other failure) never makes a loop.
func (p *Pool) persist(a *attempt, kind string, step func(context.Context) error) stepResult {
	delay := probeMin
	for try := 1; ; try++ {
		ctx, cancel := context.WithTimeout(p.work, settleTimeout)
		err := step(ctx)
		cancel()
		c, isCause := p.causeOf(kind, err)
		switch {
		case err == nil:
			p.healthy(kind)
			return stepDone
		case errors.Is(err, store.ErrNotClaimed), kind == "record" && errors.Is(err, store.ErrNotFound):
			a.log.Info("photo taken over by another worker, or gone, meanwhile; dropping this message", "err", err)
			return stepMoot
		case p.work.Err() != nil:
			return stepStopped
		}
		a.log.Warn("cannot "+kind+" the outcome; holding the message and trying again",
			"err", err, "try", try, "retry_in", delay)
		var cleared <-chan struct{} = closed
		if isCause {
			p.gate.down(c)
			cleared = p.gate.cleared(c.reason)
		}
		if !p.wait(cleared, delay) {
			return stepStopped
		}
		delay = min(2*delay, probeMax)
	}
}

// handBack undoes the attempt's claim, if it holds one, and requeues its message. When after
// is set, it first waits until that cause (which kept the photo from being claimed) is gone,
// or for the longest backoff if it has no probe; when the pool stops, it waits no more.
func (p *Pool) handBack(a *attempt, after *cause) {
	if after != nil {
		var cleared <-chan struct{} = closed
		wait := probeMax
		if after.probe != nil {
			p.gate.down(*after)
			cleared, wait = p.gate.cleared(after.reason), probeMin
		}
		p.wait(cleared, wait)
	}
	if a.claimed() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(p.work), handBackTimeout)
		if err := p.store.Unclaim(ctx, a.claim); err != nil && !errors.Is(err, store.ErrNotClaimed) {
			// Its message takes it over when it comes back; this attempt counts.
			a.log.Warn("undoing the claim failed", "err", err)
		}
		cancel()
	}
	if err := a.d.Requeue(); err != nil {
		a.log.Warn("requeue failed; the broker will redeliver when the channel closes", "err", err)
	}
	p.metrics.PhotosProcessed.WithLabelValues(metrics.OutcomeRequeued).Inc()
}

func (p *Pool) ack(a *attempt, outcome string) {
	if err := a.d.Ack(); err != nil {
		// The channel that delivered it is gone: the broker redelivers the message, and its
		// claim finds the outcome recorded.
		a.log.Warn("ack failed; the broker will redeliver", "err", err)
	}
	p.metrics.PhotosProcessed.WithLabelValues(outcome).Inc()
}

// causeOf says which cause, if any, kept a step of kind ("record": the database; "publish":
// the broker) from being done.
func (p *Pool) causeOf(kind string, err error) (cause, bool) {
	switch {
	case err == nil:
		return cause{}, false
	case kind == "record" && errors.Is(err, store.ErrReadOnly):
		return cause{reason: reasonReadOnly, probe: p.store.PingWrite}, true
	case kind == "record" && errors.Is(err, store.ErrUnavailable):
		return cause{reason: reasonDatabase, probe: p.store.Ping}, true
	case kind == "publish" && (errors.Is(err, queue.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded)):
		return cause{reason: reasonBroker, probe: func(context.Context) error { return p.broker.CanPublish() }}, true
	}
	return cause{}, false
}

// healthy tells the gate that a step of kind went through: the causes it would have failed
// with are gone for real.
func (p *Pool) healthy(kind string) {
	if kind == "publish" {
		p.gate.healthy(reasonBroker)
		return
	}
	p.gate.healthy(reasonDatabase)
	p.gate.healthy(reasonReadOnly)
}

// wait waits until ready is closed and d has passed; false when the pool stops first.
func (p *Pool) wait(ready <-chan struct{}, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	elapsed := timer.C
	for ready != nil || elapsed != nil {
		select {
		case <-ready:
			ready = nil
		case <-elapsed:
			elapsed = nil
		case <-p.work.Done():
			return false
		}
	}
	return true
}
