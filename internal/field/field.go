// Package field lets a package's Config.Validate say which field a problem is about, so that
// each setting's range is written once, in the package that owns the setting, while the
// daemon, which maps environment variables to fields, can still name the variable a person
// set: "PHOTOPROC_THUMBNAIL_SIZE=0: must be 1..16384 pixels".
//
// It is a leaf: it imports nothing of ours, and every package with a Config may use it.
package field

import (
	"cmp"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Error is a problem with one field of a Config.
type Error struct {
	Field   string // the field's Go name in its Config: "Size", or "S3.Endpoint" in a nested struct
	Label   string // what a person calls it: "thumbnail size"
	Value   any    // the value that is wrong; nil when it must not be shown (a URI with a password)
	Problem string // what is wrong with it: "must be 1..16384 pixels"
}

// Error reads "thumbnail size 0: must be 1..16384 pixels", or "postgres URI: empty" without a
// value.
func (e *Error) Error() string {
	if e.Value == nil {
		return e.Label + ": " + e.Problem
	}
	return e.Label + " " + Show(e.Value) + ": " + e.Problem
}

// Invalid is a problem with field, whose value is value, worded by format and args.
func Invalid(field, label string, value any, format string, args ...any) *Error {
	return &Error{Field: field, Label: label, Value: value, Problem: fmt.Sprintf(format, args...)}
}

// Range is nil when lo <= v <= hi, else a problem saying "must be lo..hi unit" (unit may be
// empty).
func Range[T cmp.Ordered](field, label string, v, lo, hi T, unit string) error {
	if v >= lo && v <= hi {
		return nil
	}
	return Invalid(field, label, v, "must be %s..%s%s", Show(lo), Show(hi), prefixed(unit))
}

// AtLeast is nil when v >= lo, else a problem saying "must be at least lo unit".
func AtLeast[T cmp.Ordered](field, label string, v, lo T, unit string) error {
	if v >= lo {
		return nil
	}
	return Invalid(field, label, v, "must be at least %s%s", Show(lo), prefixed(unit))
}

// OneOf is nil when v is one of allowed, else a problem listing them.
func OneOf(field, label, v string, allowed ...string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return Invalid(field, label, v, "must be %s", orList(allowed))
}

func prefixed(unit string) string {
	if unit == "" {
		return ""
	}
	return " " + unit
}

func orList(s []string) string {
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

// Show writes a value as a setting would be written: durations short ("5m", "1h30m"),
// strings quoted, anything else as fmt's %v.
func Show(v any) string {
	switch v := v.(type) {
	case time.Duration:
		return ShortDuration(v)
	case string:
		return fmt.Sprintf("%q", v)
	default:
		return fmt.Sprint(v)
	}
}

// ShortDuration is d as time.Duration.String writes it, less its zero units: "5m", not
// "5m0s".
func ShortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// Nest is err, the problems of a Config nested in another's field name, with each field
// problem's Field prefixed by name: "Retry" and "MaxAttempts" make "Retry.MaxAttempts".
func Nest(name string, err error) error {
	fields, others := Split(err)
	errs := make([]error, 0, len(fields)+len(others))
	for _, fe := range fields {
		nested := *fe
		nested.Field = name + "." + fe.Field
		errs = append(errs, &nested)
	}
	return errors.Join(append(errs, others...)...)
}

// Split sorts the problems in err (a tree of errors.Join) into those about a field and the
// others, in order.
func Split(err error) (fields []*Error, others []error) {
	if err == nil {
		return nil, nil
	}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range joined.Unwrap() {
			f, o := Split(e)
			fields, others = append(fields, f...), append(others, o...)
		}
		return fields, others
	}
	if fe, ok := err.(*Error); ok {
		return []*Error{fe}, nil
	}
	return nil, []error{err}
}
