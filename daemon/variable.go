package daemon

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/photoproc/photoproc/fetch"
	"github.com/photoproc/photoproc/imaging"
)

// variable is one setting of the table in variables(): an environment variable and the serve
// flag that override the default of one Config field.
type variable struct {
	env, flag string
	// field is the Config field it sets, as a dotted path ("Imaging.Size"): the name Validate
	// gives a problem with it. The text is parsed by the field's type: a string; an int; a
	// bool or *bool (strconv.ParseBool); a time.Duration (Go syntax: 500ms, 5s); an int64,
	// in bytes with KB, MB or GB when bytes is set; a comma-separated []string, []int or
	// []imaging.Format.
	field string
	bytes bool
	// def is the default as the variable would be written ("" = empty), held to
	// DefaultConfig by a test; defNote says it in words where it is not one value.
	def, defNote string
	usage        string // what it sets, with its unit
	secret       bool   // its value is never repeated in a message
}

// defaultText is the default for people: defNote, else def, else "empty".
func (v variable) defaultText() string {
	switch {
	case v.defNote != "":
		return v.defNote
	case v.def != "":
		return v.def
	default:
		return "empty"
	}
}

// set parses s into v's field of c. It checks only that s is well-formed for the field's type:
// ranges are the owning package's to check.
func (v variable) set(c *Config, s string) error {
	switch p := fieldOf(c, v.field).(type) {
	case *string:
		*p = s
	case *int:
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("want a whole number")
		}
		*p = n
	case *int64:
		if v.bytes {
			n, err := fetch.ParseBytes(s)
			if err != nil {
				return fmt.Errorf("want a size such as 50MB: a whole number of bytes, optionally with KB, MB or GB")
			}
			*p = n
			return nil
		}
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return fmt.Errorf("want a whole number")
		}
		*p = n
	case *bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("want true or false")
		}
		*p = b
	case **bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("want true or false")
		}
		*p = &b
	case *time.Duration:
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("want a duration such as 500ms, 5s or 1h30m")
		}
		*p = d
	case *[]string:
		*p = nil
		for item := range strings.SplitSeq(s, ",") {
			if item = strings.TrimSpace(item); item != "" {
				*p = append(*p, item)
			}
		}
	case *[]imaging.Format:
		*p = nil
		for item := range strings.SplitSeq(s, ",") {
			if item = strings.TrimSpace(item); item != "" {
				*p = append(*p, imaging.Format(item))
			}
		}
	case *[]int:
		*p = nil
		for item := range strings.SplitSeq(s, ",") {
			if item = strings.TrimSpace(item); item == "" {
				continue
			}
			n, err := strconv.Atoi(item)
			if err != nil {
				return fmt.Errorf("want comma-separated whole numbers, got %q", item)
			}
			*p = append(*p, n)
		}
	default:
		panic(fmt.Sprintf("variable %s: field %s has a type no variable parses: %T", v.env, v.field, p))
	}
	return nil
}

// fieldOf is a pointer to the field of c at path ("Imaging.Size").
func fieldOf(c *Config, path string) any {
	f := reflect.ValueOf(c).Elem()
	for name := range strings.SplitSeq(path, ".") {
		f = f.FieldByName(name)
		if !f.IsValid() {
			panic("no Config field " + path)
		}
	}
	return f.Addr().Interface()
}
