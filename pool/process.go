package pool

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/photoproc/photoproc/store"
)

// download claims the photo of an attempt and fetches its bytes. It returns errNothingToDo
// when there is nothing to do, or why it failed.
func (p *Pool) download(ctx context.Context, a *attempt) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := p.claim(ctx, a); err != nil {
		return err
	}
	start := time.Now()
	data, err := p.fetch.Fetch(ctx, a.photo.URL)
	a.took.Download = time.Since(start)
	p.metrics.DownloadDuration.Observe(a.took.Download.Seconds())
	if err != nil {
		return fmt.Errorf("download: %w", err)
	}
	p.metrics.DownloadBytes.Observe(float64(len(data)))
	a.src, a.size = data, len(data)
	return nil
}

// claim takes the attempt's photo. A redelivered message may take over a photo left in
// processing: the worker that held it died or lost its channel. A retry's message never does:
// the photo is pending by then, and one still processing is another worker's. Whatever may
// take over claims alone (see runs), and runs alone if it did.
func (p *Pool) claim(ctx context.Context, a *attempt) error {
	p.runs.enter(&a.run, a.d.Redelivery())
	photo, res, err := p.claimWhenAnswered(ctx, a)
	if err != nil {
		return err
	}
	p.healthy("record")
	a.photo = photo
	switch res {
	case store.ClaimAcquired, store.ClaimTakenOver, store.ClaimBackfill:
		a.claim = photo.Claim()
		a.log = a.log.With("attempt", photo.Attempts)
		p.leases.add(a.claim)
		if res == store.ClaimBackfill {
			a.log.Info("completed, but without some of the thumbnails the settings ask for: making them, keeping the others",
				"missing", store.Missing(p.wanted, photo.Stored))
		}
		if res == store.ClaimTakenOver {
			a.log.Warn("taking over a photo whose worker did not finish it (it died, hung or lost its connection); running it alone")
			p.runs.isolate(&a.run)
		} else {
			p.runs.share(&a.run)
		}
		return nil
	case store.ClaimExhausted:
		return &exhaustedError{attempts: photo.Attempts}
	case store.ClaimCompleted:
		a.log.Info("already completed, with every thumbnail the settings ask for; acking without work")
	case store.ClaimBusy:
		// Another worker holds a live lease: its own message comes back if it dies.
		a.log.Info("held by another worker; acking duplicate message")
	case store.ClaimWaiting:
		// The retry's own message claims it when it is due.
		a.log.Info("waiting for a retry not due yet; acking duplicate message", "retry_at", photo.RetryAt)
	case store.ClaimFailed:
		a.log.Info("failed for good; acking without work (queue it again to try again)")
	}
	return errNothingToDo
}

// claimWhenAnswered claims the photo, holding the delivery while the database cannot answer:
// intake pauses, and the claim is tried again once a probe finds the database back. It is
// tried with the same token, so that a claim that was made but whose answer was lost takes the
// photo back without counting a second attempt.
func (p *Pool) claimWhenAnswered(ctx context.Context, a *attempt) (store.Photo, store.ClaimResult, error) {
	o := store.ClaimOpts{Lease: p.cfg.Lease, Takeover: a.d.Redelivery(), MaxAttempts: p.cfg.Retry.MaxAttempts, Token: uuid.New(),
		Wanted: p.wanted}
	for delay := probeMin; ; delay = min(2*delay, probeMax) {
		if err := ctx.Err(); err != nil {
			return store.Photo{}, 0, err
		}
		photo, res, err := p.store.Claim(ctx, a.d.Photo(), o)
		c, isCause := p.causeOf("record", err)
		switch {
		case err == nil:
			return photo, res, nil
		case !isCause:
			return photo, res, &storeError{fmt.Errorf("claim: %w", err)}
		}
		a.log.Warn("cannot claim the photo; holding its message until the database answers", "err", err, "retry_in", delay)
		p.gate.down(c)
		if !p.wait(p.gate.cleared(c.reason), delay) {
			return store.Photo{}, 0, p.work.Err()
		}
	}
}

// thumbnail makes the thumbnails of a downloaded photo that it lacks: the CPU-bound stage.
func (p *Pool) thumbnail(ctx context.Context, a *attempt) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	start := time.Now()
	made, err := p.thumbnailer.MakeOnly(a.src, missing(a.photo.Stored))
	a.took.Thumbnail = time.Since(start)
	// Nothing keeps a part of the source, made or not.
	p.fetch.Release(a.src)
	a.src = nil
	if err != nil {
		return fmt.Errorf("thumbnail: %w", err)
	}
	p.metrics.DecodeDuration.Observe(made.Decode.Seconds())
	p.metrics.ResizeDuration.Observe(made.Resize.Seconds())
	p.metrics.EncodeDuration.Observe(made.Encode.Seconds())
	if c := made.Colour; c.Profile != "" {
		a.log.Debug("colour profile", "profile", c.Profile, "converted", c.Converted, "ignored", c.Ignored)
	}
	a.made = made
	a.files = p.files(a)
	return nil
}

// write stores every file, each whole or not at all, then records them all at once. It
// returns nil once they are stored and recorded, or why it failed. Until the record, the
// photo stays as it was: an attempt cut short between files leaves files no row names, which
// the next attempt writes again under the same keys.
func (p *Pool) write(ctx context.Context, a *attempt) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	start := time.Now()
	for i, f := range a.files {
		url, err := p.put(ctx, a, f.key, f.thumb.Data)
		if err != nil {
			return err
		}
		a.files[i].url = url
	}
	a.took.Store = time.Since(start)
	a.written = true
	return p.complete(ctx, a)
}

// complete records the stored thumbnails and the ThumbHash and marks the photo completed, in
// one transaction. When the database cannot take it, the error is a storeError: settling
// holds the delivery and tries again.
func (p *Pool) complete(ctx context.Context, a *attempt) error {
	rows := a.rows()
	err := p.store.CompleteSet(ctx, a.photo.UUID, rows, a.made.ThumbHash)
	switch {
	case errors.Is(err, store.ErrUnavailable):
		return &storeError{fmt.Errorf("record thumbnails: %w", err)}
	case err != nil:
		return fmt.Errorf("record thumbnails: %w", err)
	}
	a.log.Info("thumbnail made", "files", len(a.files), "rows", len(rows), "kept", len(a.photo.Stored),
		"source_width", a.made.SourceWidth, "source_height", a.made.SourceHeight,
		"format", a.made.SourceFormat, "bytes", a.size)
	return nil
}
