package queue

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	amqp "github.com/rabbitmq/amqp091-go"
)

// Header names carried by photo messages.
const (
	// HeaderAttempt is the attempt number a delivery is (int; absent means 1).
	HeaderAttempt = "x-photoproc-attempt"
	// HeaderReason is the last failure, on retried and dead-lettered messages.
	HeaderReason = "x-photoproc-reason"
	// HeaderAttempts is how many attempts were made, on dead-lettered messages.
	HeaderAttempts = "x-photoproc-attempts"
)

const (
	contentType = "application/json"
	appID       = "photoproc"
	// maxReason bounds the reason header: headers must fit in one frame with everything else.
	maxReason = 1024
)

// body is the message format, kept from the Python service.
type body struct {
	PhotoUUID *string `json:"photo_uuid"`
}

func encodeBody(id uuid.UUID) []byte {
	s := id.String()
	b, _ := json.Marshal(body{PhotoUUID: &s}) // cannot fail for a string field
	return b
}

// decodeBody returns the photo a message body names. It is the parser for whatever arrives on
// the queue, from us, the Python service or anyone else with access.
func decodeBody(b []byte) (uuid.UUID, error) {
	var m body
	if err := json.Unmarshal(b, &m); err != nil {
		return uuid.Nil, fmt.Errorf("body is not JSON: %w", err)
	}
	if m.PhotoUUID == nil {
		return uuid.Nil, errors.New(`body has no "photo_uuid"`)
	}
	id, err := uuid.Parse(*m.PhotoUUID)
	if err != nil {
		return uuid.Nil, fmt.Errorf("photo_uuid %.64q: %w", *m.PhotoUUID, err)
	}
	if id == uuid.Nil {
		return uuid.Nil, errors.New("photo_uuid is the nil UUID")
	}
	return id, nil
}

// publishing is a persistent JSON message with the given body and headers.
func publishing(b []byte, headers amqp.Table) amqp.Publishing {
	return amqp.Publishing{
		ContentType:  contentType,
		DeliveryMode: amqp.Persistent,
		Timestamp:    time.Now(),
		AppId:        appID,
		Headers:      headers,
		Body:         b,
	}
}

// attemptOf reads the attempt header, whatever integer type the publisher encoded it with.
// Absent or unreadable means 1: the first attempt.
func attemptOf(h amqp.Table) int {
	var n int64
	switch v := h[HeaderAttempt].(type) {
	case int:
		n = int64(v)
	case int8:
		n = int64(v)
	case int16:
		n = int64(v)
	case int32:
		n = int64(v)
	case int64:
		n = v
	case uint8:
		n = int64(v)
	case uint16:
		n = int64(v)
	case uint32:
		n = int64(v)
	case string:
		n, _ = strconv.ParseInt(v, 10, 32)
	}
	if n < 1 || n > 1<<20 {
		return 1
	}
	return int(n)
}

func reasonOf(h amqp.Table) string {
	switch v := h[HeaderReason].(type) {
	case string:
		return v
	case []byte:
		return string(v)
	}
	return ""
}

// truncate shortens s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
