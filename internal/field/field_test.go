package field_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/photoproc/photoproc/internal/field"
)

func TestWording(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		err  error
		want string
	}{
		{field.Range("Size", "thumbnail size", 0, 1, 16384, "pixels"), "thumbnail size 0: must be 1..16384 pixels"},
		{field.Range("Lease", "lease", 500*time.Millisecond, time.Second, 24*time.Hour, ""), "lease 500ms: must be 1s..24h"},
		{field.Range("T", "timeout", 90*time.Minute, time.Millisecond, time.Hour, ""), "timeout 1h30m: must be 1ms..1h"},
		{field.AtLeast("MaxPixels", "max pixels", int64(0), 1, ""), "max pixels 0: must be at least 1"},
		{field.OneOf("Role", "role", "everything", "all", "api", "worker"), `role "everything": must be all, api or worker`},
		{field.Invalid("URI", "postgres URI", nil, "empty"), "postgres URI: empty"},
	} {
		if c.err == nil || c.err.Error() != c.want {
			t.Errorf("got %v, want %q", c.err, c.want)
		}
	}
	if err := field.Range("Size", "thumbnail size", 320, 1, 16384, "pixels"); err != nil {
		t.Errorf("in range: %v", err)
	}
	if err := field.OneOf("Role", "role", "api", "all", "api"); err != nil {
		t.Errorf("allowed: %v", err)
	}
}

// Split finds the field problems in a tree of joined errors and keeps the rest apart.
func TestSplit(t *testing.T) {
	t.Parallel()
	size := field.Invalid("Size", "size", 0, "must be positive")
	other := errors.New("prefetch must be 1 to 65535")
	lease := field.Invalid("Lease", "lease", time.Duration(0), "must be positive")
	fields, others := field.Split(errors.Join(size, errors.Join(other, lease), nil))
	if len(fields) != 2 || fields[0] != size || fields[1] != lease || len(others) != 1 || others[0] != other {
		t.Fatalf("Split = %v, %v", fields, others)
	}
	// A field problem wrapped in more words is another problem: its words would be lost.
	fields, others = field.Split(fmt.Errorf("imaging: %w", size))
	if len(fields) != 0 || len(others) != 1 {
		t.Fatalf("Split(wrapped) = %v, %v", fields, others)
	}
	if f, o := field.Split(nil); f != nil || o != nil {
		t.Fatalf("Split(nil) = %v, %v", f, o)
	}
}

func TestNest(t *testing.T) {
	t.Parallel()
	attempts := field.Invalid("MaxAttempts", "max attempts", 0, "must be 1..20")
	other := errors.New("something else")
	fields, others := field.Split(field.Nest("Retry", errors.Join(attempts, other)))
	if len(fields) != 1 || fields[0].Field != "Retry.MaxAttempts" || fields[0].Error() != attempts.Error() || len(others) != 1 {
		t.Fatalf("Nest = %v, %v", fields, others)
	}
	if attempts.Field != "MaxAttempts" {
		t.Errorf("Nest changed the error it was given: %q", attempts.Field)
	}
}
