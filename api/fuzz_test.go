package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/photoproc/photoproc/enqueue"
	"github.com/photoproc/photoproc/store"
)

// memStore and memPublisher stand in for Postgres and RabbitMQ only in the fuzz target, which
// checks the edge's own promise: whatever the body, the answer is never a 5xx and is either a
// 202 result or a problem document.
type memStore struct{ photos map[uuid.UUID]store.Photo }

func (m memStore) ListPending(context.Context, uuid.UUID, int) ([]store.Photo, error) {
	return nil, nil
}

func (m memStore) Photos(_ context.Context, ids []uuid.UUID) (map[uuid.UUID]store.Photo, error) {
	out := map[uuid.UUID]store.Photo{}
	for _, id := range ids {
		if p, ok := m.photos[id]; ok {
			out[id] = p
		}
	}
	return out, nil
}

func (m memStore) Reopen(context.Context, []uuid.UUID) error { return nil }

func (m memStore) LostRetriesAmong(context.Context, []uuid.UUID, time.Duration) ([]uuid.UUID, error) {
	return nil, nil
}

func (m memStore) UndoRequeue(context.Context, []uuid.UUID) error { return nil }

func (m memStore) Lacking(context.Context, []uuid.UUID, []store.Variant) ([]uuid.UUID, error) {
	return nil, nil
}

func (m memStore) Photo(_ context.Context, id uuid.UUID) (store.Photo, []store.Thumbnail, error) {
	p, ok := m.photos[id]
	if !ok {
		return p, nil, store.ErrNotFound
	}
	return p, nil, nil
}

type memPublisher struct{}

func (memPublisher) Publish(_ context.Context, ids []uuid.UUID) ([]uuid.UUID, error) { return ids, nil }
func (memPublisher) Connected() bool                                                 { return true }

func FuzzProcessBody(f *testing.F) {
	known := uuid.MustParse("4a37b140-022d-4fba-aa25-a0527d15ecf2")
	done := uuid.MustParse("240f5321-35d2-495d-8324-58112d80528b")
	st := memStore{photos: map[uuid.UUID]store.Photo{
		known: {UUID: known, URL: "http://example.com/a.jpg", Status: store.StatusPending, CreatedAt: time.Now()},
		done:  {UUID: done, URL: "http://example.com/b.jpg", Status: store.StatusCompleted, CreatedAt: time.Now()},
	}}
	q, err := enqueue.New(enqueue.DefaultConfig(), st, memPublisher{}, nil)
	if err != nil {
		f.Fatal(err)
	}
	a := newAPI(DefaultConfig(), Deps{Store: st, Queuer: q})
	h := a.Handler()
	for _, seed := range []string{
		`["4a37b140-022d-4fba-aa25-a0527d15ecf2"]`,
		`["4a37b140-022d-4fba-aa25-a0527d15ecf2","4a37b140-022d-4fba-aa25-a0527d15ecf2","240f5321-35d2-495d-8324-58112d80528b"]`,
		`["00000000-0000-0000-0000-000000000000"]`,
		`[]`, `null`, `{}`, `"x"`, `[1]`, `[null]`, `["not-a-uuid"]`, `[`, ``, "\x00\xff", `[{"a":1}]`,
		`["4A37B140-022D-4FBA-AA25-A0527D15ECF2"]`, `["{4a37b140-022d-4fba-aa25-a0527d15ecf2}"]`,
		`["urn:uuid:4a37b140-022d-4fba-aa25-a0527d15ecf2"]`, `["4a37b140022d4fbaaa25a0527d15ecf2"]`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPut, "/photos/process", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d for body %q: %s", rec.Code, body, rec.Body)
		}
		if rec.Code == http.StatusAccepted {
			var res ProcessResult
			if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil {
				t.Fatalf("202 body is not a result: %v", err)
			}
			if res.PhotosQueuedCount != len(res.PhotosQueued) {
				t.Fatalf("count %d != %d queued", res.PhotosQueuedCount, len(res.PhotosQueued))
			}
			return
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
			t.Fatalf("status %d with content type %q, want a problem document", rec.Code, ct)
		}
	})
}
