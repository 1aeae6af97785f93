package store

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Status is a photo's state: the photo_status enum.
type Status string

// The values of photo_status.
const (
	StatusPending    Status = "pending"
	StatusProcessing Status = "processing"
	StatusCompleted  Status = "completed"
	StatusFailed     Status = "failed"
)

// Statuses returns every Status, in the enum's order.
func Statuses() []Status {
	return []Status{StatusPending, StatusProcessing, StatusCompleted, StatusFailed}
}

// Photo is a row of photos.
type Photo struct {
	UUID          uuid.UUID
	URL           string
	Status        Status
	CreatedAt     time.Time
	UpdatedAt     time.Time
	Attempts      int       // claims so far, of the attempts it has now (Reopen starts them over)
	FailureReason string    // why the last attempt failed; "" when none
	RetryAt       time.Time // pending: when its retry is due, a message for it on its way; zero when it waits for none
	// ClaimToken names the claim that holds the photo (processing) or held it last; uuid.Nil
	// if none did. Settling a claim checks it (see Claim).
	ClaimToken uuid.UUID
	// ThumbHash is the photo's ThumbHash placeholder (photos.thumbhash); nil until a version
	// that makes one has processed it.
	ThumbHash []byte
	// Stored are the variants the photo has thumbnail rows for, smallest first; only Claim
	// fills it in (the worker makes what is missing, and keeps these).
	Stored []Variant
}

// Claim is the claim that holds p, or held it last: what settles it.
func (p Photo) Claim() Claim { return Claim{Photo: p.UUID, Attempt: p.Attempts, Token: p.ClaimToken} }

// Thumbnail is a row of photo_thumbnails.
type Thumbnail struct {
	UUID      uuid.UUID
	PhotoUUID uuid.UUID
	Width     int    // pixels
	Height    int    // pixels
	Size      int    // edge of the box it was made to fit, in pixels (e.g. 320)
	Format    string // jpeg, webp or avif; "" is taken as jpeg when recording
	URL       string // where the file is: the storage URL or PUBLIC_BASE_URL + its key
	CreatedAt time.Time
	// Source and Timings say what the thumbnail was made from and how long each stage took;
	// zero where unknown (rows written before migration 004).
	Source  Source
	Timings Timings
}

// Source is the photo a thumbnail was made from.
type Source struct {
	Bytes         int64  // downloaded size
	Width, Height int    // pixels as displayed, after EXIF orientation
	Format        string // as imaging names it: jpeg, png, …
}

// Timings are how long the stages of one thumbnail's making took.
type Timings struct {
	Download  time.Duration // fetching the URL
	Thumbnail time.Duration // decoding, resizing and encoding
	Store     time.Duration // writing the file or object
}

// photoColumns is what scanPhoto reads, in order. Columns are named, never *, so that a
// migration adding a column cannot break a cached statement.
const photoColumns = `uuid, url, status, created_at, updated_at, attempts, coalesce(failure_reason, ''), retry_at, claim_token, thumbhash`

func scanPhoto(row pgx.CollectableRow) (Photo, error) {
	var (
		p       Photo
		retryAt *time.Time
		token   *uuid.UUID
	)
	err := row.Scan(&p.UUID, &p.URL, &p.Status, &p.CreatedAt, &p.UpdatedAt, &p.Attempts, &p.FailureReason, &retryAt, &token, &p.ThumbHash)
	if retryAt != nil {
		p.RetryAt = *retryAt
	}
	if token != nil {
		p.ClaimToken = *token
	}
	return p, err
}

const thumbnailColumns = `uuid, photo_uuid, width, height, size, format, url, created_at,
coalesce(source_bytes, 0), coalesce(source_width, 0), coalesce(source_height, 0), coalesce(source_format, ''),
coalesce(download_seconds, 0), coalesce(thumbnail_seconds, 0), coalesce(store_seconds, 0)`

func scanThumbnail(row pgx.CollectableRow) (Thumbnail, error) {
	var (
		t                         Thumbnail
		download, thumbnail, stor float64
	)
	err := row.Scan(&t.UUID, &t.PhotoUUID, &t.Width, &t.Height, &t.Size, &t.Format, &t.URL, &t.CreatedAt,
		&t.Source.Bytes, &t.Source.Width, &t.Source.Height, &t.Source.Format, &download, &thumbnail, &stor)
	t.Timings = Timings{Download: seconds(download), Thumbnail: seconds(thumbnail), Store: seconds(stor)}
	return t, err
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// orNull is v, or SQL NULL when v is its zero value (unknown).
func orNull[T comparable](v T) any {
	var zero T
	if v == zero {
		return nil
	}
	return v
}

// secondsOrNull is d in seconds, or SQL NULL when it is zero (unknown).
func secondsOrNull(d time.Duration) any {
	if d <= 0 {
		return nil
	}
	return d.Seconds()
}

// maxSmallint bounds the columns stored as smallint.
const maxSmallint = 1<<15 - 1

func (t Thumbnail) validate() error {
	for _, f := range []struct {
		name string
		v    int
	}{{"width", t.Width}, {"height", t.Height}, {"size", t.Size}} {
		if f.v < 1 || f.v > maxSmallint {
			return fmt.Errorf("thumbnail %s %d: out of range 1..%d", f.name, f.v, maxSmallint)
		}
	}
	if t.URL == "" {
		return fmt.Errorf("thumbnail url: empty")
	}
	switch t.format() {
	case "jpeg", "webp", "avif":
	default:
		return fmt.Errorf("thumbnail format %q: not jpeg, webp or avif", t.Format)
	}
	if t.Source.Bytes < 0 || t.Source.Width < 0 || t.Source.Height < 0 {
		return fmt.Errorf("thumbnail source %+v: negative", t.Source)
	}
	return nil
}

// format is what photo_thumbnails.format records for t: Format, or jpeg when unset.
func (t Thumbnail) format() string {
	if t.Format == "" {
		return "jpeg"
	}
	return t.Format
}

// maxReasonBytes bounds a stored failure reason; the head of an error says what went wrong.
const maxReasonBytes = 2000

// cleanReason makes any error text storable: Postgres text rejects NUL bytes and invalid UTF-8,
// and a failure that cannot be recorded would be retried forever.
func cleanReason(s string) string {
	s = strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "\uFFFD")
	if len(s) <= maxReasonBytes {
		return s
	}
	cut := maxReasonBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// interval is how a Go duration is passed to SQL: whole microseconds, multiplied by
// interval '1 microsecond' in the statement.
func interval(d time.Duration) int64 { return d.Microseconds() }
