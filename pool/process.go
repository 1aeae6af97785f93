package pool

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/photoproc/photoproc/imaging"
	"github.com/photoproc/photoproc/store"
)

// job is a claimed, downloaded photo waiting for a worker.
type job struct {
	photo store.Photo
	data  []byte
}

// download claims the photo of one delivery and fetches its bytes. It returns errNothingToDo
// when there is nothing to do, or why it failed.
func (p *Pool) download(ctx context.Context, d Delivery, c *store.Claim, log *slog.Logger) (*job, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// A redelivered message may take over a photo left in processing: the worker that held it
	// is gone (or lost its channel). A retry's message never does: the photo is pending by then,
	// and one still processing is another worker's.
	photo, claim, err := p.store.Claim(ctx, d.Photo(), store.ClaimOpts{
		Lease: p.cfg.Lease, Takeover: d.Redelivery(), MaxAttempts: p.cfg.MaxAttempts,
	})
	if err != nil {
		return nil, &storeError{fmt.Errorf("claim: %w", err)}
	}
	switch claim {
	case store.ClaimCompleted:
		log.Info("already completed; acking without work")
		return nil, errNothingToDo
	case store.ClaimBusy:
		// Another worker holds a live lease: its own message comes back if it dies.
		log.Info("held by another worker; acking duplicate message")
		return nil, errNothingToDo
	case store.ClaimWaiting:
		// The retry's own message will claim it when it is due.
		log.Info("waiting for a retry not due yet; acking duplicate message", "retry_at", photo.RetryAt)
		return nil, errNothingToDo
	case store.ClaimFailed:
		log.Info("failed for good; acking without work (queue it again to try it again)")
		return nil, errNothingToDo
	case store.ClaimExhausted:
		*c = store.Claim{Photo: photo.UUID, Attempt: photo.Attempts}
		return nil, &exhaustedError{attempts: photo.Attempts}
	}
	*c = store.Claim{Photo: photo.UUID, Attempt: photo.Attempts}

	start := time.Now()
	data, err := p.fetch.Fetch(ctx, photo.URL)
	p.metrics.DownloadDuration.Observe(time.Since(start).Seconds())
	if err != nil {
		return nil, fmt.Errorf("download: %w", err)
	}
	p.metrics.DownloadBytes.Observe(float64(len(data)))
	return &job{photo: photo, data: data}, nil
}

// made is a thumbnail waiting to be written and recorded.
type made struct {
	photo store.Photo
	thumb imaging.Thumbnail
	bytes int // of the source
}

// thumbnail makes the thumbnail of a downloaded photo: the CPU-bound stage.
func (p *Pool) thumbnail(ctx context.Context, j *job) (*made, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	thumb, err := p.thumbs.Make(j.data)
	if err != nil {
		return nil, fmt.Errorf("thumbnail: %w", err)
	}
	p.metrics.DecodeDuration.Observe(thumb.Decode.Seconds())
	p.metrics.ResizeDuration.Observe(thumb.Resize.Seconds())
	p.metrics.EncodeDuration.Observe(thumb.Encode.Seconds())
	return &made{photo: j.photo, thumb: thumb, bytes: len(j.data)}, nil
}

// write writes a made thumbnail to disk and records it. It returns nil once the thumbnail is
// written and recorded, or why it failed.
func (p *Pool) write(ctx context.Context, m *made, log *slog.Logger) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	photo, thumb := m.photo, m.thumb
	name := photo.UUID.String() + ".jpg"
	if err := imaging.WriteFile(p.cfg.ThumbsDir, name, thumb.JPEG); err != nil {
		return fmt.Errorf("write thumbnail: %w", err)
	}
	err := p.store.Complete(ctx, photo.UUID, store.Thumbnail{
		PhotoUUID: photo.UUID,
		Width:     thumb.Width,
		Height:    thumb.Height,
		Size:      p.cfg.ThumbSize,
		URL:       name,
	})
	if err != nil {
		return &storeError{fmt.Errorf("record thumbnail: %w", err)}
	}
	log.Info("thumbnail made", "width", thumb.Width, "height", thumb.Height,
		"source_width", thumb.SourceWidth, "source_height", thumb.SourceHeight,
		"format", thumb.Format, "bytes", m.bytes)
	return nil
}
