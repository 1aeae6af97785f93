package api

import (
	"errors"
	"fmt"
	"time"

	"github.com/photoproc/photoproc/enqueue"
	"github.com/photoproc/photoproc/internal/field"
)

// Thumbnail deliveries, Config.ThumbnailDelivery.
const (
	DeliveryStream    = "stream"    // the API sends the bytes
	DeliveryPresigned = "presigned" // the API redirects to a short-lived link of the store
)

// Config configures the public API.
type Config struct {
	// ThumbnailDelivery is how GET /photos/{uuid}/thumbnail answers
	// (PHOTOPROC_THUMBNAIL_DELIVERY): DeliveryStream (default) or DeliveryPresigned, which
	// needs a store that presigns (S3).
	ThumbnailDelivery string
	// ThumbnailSizes are the boxes thumbnails are made for (PHOTOPROC_THUMBNAIL_SIZES, as the
	// daemon passes them); the first is what GET /photos/{uuid}/thumbnail serves without
	// ?size=. Default none: the photo's primary thumbnail's box.
	ThumbnailSizes []int
	// PresignExpiry is how long a presigned link stays valid; default 5m.
	PresignExpiry time.Duration
	// MaxBodyBytes is the largest request body accepted, in bytes; default 64 KiB, which
	// holds 1000 UUIDs with room for whitespace.
	MaxBodyBytes int64
	// Version is the API's version in the OpenAPI document (not the build's); default 1.0.0.
	Version string
}

// defaultSize is the box served without ?size=, 0 for the primary's.
func (c Config) defaultSize() int {
	if len(c.ThumbnailSizes) == 0 {
		return 0
	}
	return c.ThumbnailSizes[0]
}

// MaxBatch is the most photo UUIDs one process request may carry: what one call of
// queueing takes.
const MaxBatch = enqueue.MaxBatch

// DefaultConfig returns the defaults documented on Config.
func DefaultConfig() Config {
	return Config{ThumbnailDelivery: DeliveryStream, PresignExpiry: 5 * time.Minute, MaxBodyBytes: 64 << 10, Version: "1.0.0"}
}

// Validate reports every problem with c.
func (c Config) Validate() error {
	var errs []error
	errs = append(errs, field.OneOf("ThumbnailDelivery", "thumbnail delivery", c.ThumbnailDelivery, DeliveryStream, DeliveryPresigned))
	if c.PresignExpiry < time.Second || c.PresignExpiry > 7*24*time.Hour {
		errs = append(errs, fmt.Errorf("presign expiry must be from 1s to 7 days (S3's limit), got %s", c.PresignExpiry))
	}
	for _, box := range c.ThumbnailSizes {
		if box < 1 {
			errs = append(errs, fmt.Errorf("thumbnail sizes %v: box %d must be positive", c.ThumbnailSizes, box))
		}
	}
	if c.MaxBodyBytes < 1<<10 {
		errs = append(errs, fmt.Errorf("max body bytes must be at least 1024, got %d", c.MaxBodyBytes))
	}
	return errors.Join(errs...)
}
