package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/photoproc/photoproc/store"
)

// DB is what Photo needs: *pgxpool.Pool, *pgx.Conn and pgx.Tx all satisfy it.
type DB interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// PhotoOpts describe a photo to insert; zero fields take the defaults noted.
type PhotoOpts struct {
	URL           string       // default https://photos.example/<random>.jpg
	Status        store.Status // default pending
	CreatedAt     time.Time    // default now()
	UpdatedAt     time.Time    // default now()
	LeaseUntil    time.Time    // default: none, or an hour from now when Status is processing
	FailureReason string       // default: none, or "storetest: failed" when Status is failed
	Attempts      int          // default 0, or 1 when Status is processing, completed or failed
	RetryAt       time.Time    // default: none (pending: waits for no retry)
	ClaimToken    uuid.UUID    // the claim holding it (processing) or that held it last; default none
}

// Photo inserts a photo as opts describe and returns it.
func Photo(ctx context.Context, tb testing.TB, db DB, opts *PhotoOpts) store.Photo {
	tb.Helper()
	o := withDefaults(opts)
	var (
		p       store.Photo
		retryAt *time.Time
		token   *uuid.UUID
	)
	if o.ClaimToken != uuid.Nil {
		token = &o.ClaimToken
	}
	err := db.QueryRow(ctx, `
INSERT INTO photos (url, status, created_at, updated_at, lease_until, failure_reason, attempts, retry_at, claim_token)
VALUES ($1, $2::text::photo_status, coalesce($3, now()), coalesce($4, now()), $5, nullif($6, ''), $7, $8, $9)
RETURNING uuid, url, status::text, created_at, updated_at, attempts, coalesce(failure_reason, ''), retry_at`,
		o.URL, string(o.Status), timestamp(o.CreatedAt), timestamp(o.UpdatedAt), timestamp(o.LeaseUntil),
		o.FailureReason, o.Attempts, timestamp(o.RetryAt), token,
	).Scan(&p.UUID, &p.URL, &p.Status, &p.CreatedAt, &p.UpdatedAt, &p.Attempts, &p.FailureReason, &retryAt)
	if err != nil {
		tb.Fatalf("storetest: insert photo: %v", err)
	}
	if retryAt != nil {
		p.RetryAt = *retryAt
	}
	p.ClaimToken = o.ClaimToken
	return p
}

func withDefaults(opts *PhotoOpts) PhotoOpts {
	var o PhotoOpts
	if opts != nil {
		o = *opts
	}
	if o.URL == "" {
		o.URL = "https://photos.example/" + uuid.NewString() + ".jpg"
	}
	if o.Status == "" {
		o.Status = store.StatusPending
	}
	if o.Status == store.StatusProcessing && o.LeaseUntil.IsZero() {
		o.LeaseUntil = time.Now().Add(time.Hour)
	}
	if o.Status == store.StatusFailed && o.FailureReason == "" {
		o.FailureReason = "storetest: failed"
	}
	if o.Status != store.StatusPending && o.Attempts == 0 {
		o.Attempts = 1
	}
	return o
}

// timestamp is t, or SQL NULL when t is zero.
func timestamp(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}
