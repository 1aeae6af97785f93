package api

import (
	"errors"
	"fmt"
)

// Config configures the public API.
type Config struct {
	// ThumbsDir is where thumbnails are read from (PHOTOPROC_THUMBS_DIR); default ./thumbs.
	ThumbsDir string
	// MaxBodyBytes is the largest request body accepted, in bytes; default 64 KiB, which
	// holds 1000 UUIDs with room for whitespace.
	MaxBodyBytes int64
	// Version is the API's version in the OpenAPI document (not the build's); default 1.0.0.
	Version string
}

// MaxBatch is the most photo UUIDs one process request may carry.
const MaxBatch = 1000

// DefaultConfig returns the defaults documented on Config.
func DefaultConfig() Config {
	return Config{ThumbsDir: "./thumbs", MaxBodyBytes: 64 << 10, Version: "1.0.0"}
}

// Validate reports every problem with c.
func (c Config) Validate() error {
	var errs []error
	if c.ThumbsDir == "" {
		errs = append(errs, errors.New("thumbnails directory must be set"))
	}
	if c.MaxBodyBytes < 1<<10 {
		errs = append(errs, fmt.Errorf("max body bytes must be at least 1024, got %d", c.MaxBodyBytes))
	}
	return errors.Join(errs...)
}
