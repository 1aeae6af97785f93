package queue

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"
)

func TestEncodeBody(t *testing.T) {
	t.Parallel()
	id := uuid.MustParse("4a37b140-022d-4fba-aa25-a0527d15ecf2")
	if got, want := string(encodeBody(id)), `{"photo_uuid":"4a37b140-022d-4fba-aa25-a0527d15ecf2"}`; got != want {
		t.Errorf("body = %s, want %s", got, want)
	}
}

func TestDecodeBody(t *testing.T) {
	t.Parallel()
	id := "4a37b140-022d-4fba-aa25-a0527d15ecf2"
	tests := []struct {
		name, body string
		ok         bool
	}{
		{"ours", `{"photo_uuid":"` + id + `"}`, true},
		{"python json.dumps", `{"photo_uuid": "` + id + `"}`, true},
		{"extra fields", `{"photo_uuid":"` + id + `","by":"someone"}`, true},
		{"upper case", `{"photo_uuid":"` + strings.ToUpper(id) + `"}`, true},
		{"empty", ``, false},
		{"not json", `photo`, false},
		{"array", `["` + id + `"]`, false},
		{"missing", `{}`, false},
		{"null", `{"photo_uuid":null}`, false},
		{"number", `{"photo_uuid":42}`, false},
		{"not a uuid", `{"photo_uuid":"nope"}`, false},
		{"nil uuid", `{"photo_uuid":"00000000-0000-0000-0000-000000000000"}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := decodeBody([]byte(tt.body))
			if tt.ok != (err == nil) {
				t.Fatalf("decodeBody(%s) = %v, %v; want ok=%v", tt.body, got, err, tt.ok)
			}
			if tt.ok && got.String() != id {
				t.Errorf("decodeBody(%s) = %s, want %s", tt.body, got, id)
			}
		})
	}
}

// FuzzDecodeBody checks that any body either names a real UUID that survives a round trip,
// or is rejected; never a panic, never the nil UUID.
func FuzzDecodeBody(f *testing.F) {
	f.Add([]byte(`{"photo_uuid":"4a37b140-022d-4fba-aa25-a0527d15ecf2"}`))
	f.Add([]byte(`{"photo_uuid": "urn:uuid:4a37b140-022d-4fba-aa25-a0527d15ecf2"}`))
	f.Add([]byte(`{"photo_uuid":{}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		id, err := decodeBody(b)
		if err != nil {
			return
		}
		if id == uuid.Nil {
			t.Fatal("accepted the nil UUID")
		}
		if back, err := decodeBody(encodeBody(id)); err != nil || back != id {
			t.Fatalf("round trip of %s: %v, %v", id, back, err)
		}
	})
}

func TestAttemptOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		v    any
		want int
	}{
		{"absent", nil, 1},
		{"int32", int32(3), 3},
		{"int64 (pika long)", int64(4), 4},
		{"int8", int8(2), 2},
		{"uint8", uint8(2), 2},
		{"int16", int16(7), 7},
		{"uint16", uint16(7), 7},
		{"uint32", uint32(7), 7},
		{"int", 5, 5},
		{"string", "6", 6},
		{"garbage string", "x", 1},
		{"zero", int32(0), 1},
		{"negative", int32(-4), 1},
		{"huge", int64(1) << 40, 1},
		{"float", 2.0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := amqp.Table{}
			if tt.v != nil {
				h[HeaderAttempt] = tt.v
			}
			if got := attemptOf(h); got != tt.want {
				t.Errorf("attemptOf(%#v) = %d, want %d", tt.v, got, tt.want)
			}
		})
	}
}

func TestTruncate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"abcdef", 3, "abc"},
		{"añb", 2, "a"}, // ñ is two bytes: never cut in half
		{"añb", 3, "añ"},
		{"日本", 4, "日"},
	}
	for _, tt := range tests {
		got := truncate(tt.in, tt.n)
		if got != tt.want || !utf8.ValidString(got) {
			t.Errorf("truncate(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}
