package enqueue_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.uber.org/goleak"

	"github.com/photoproc/photoproc/enqueue"
	"github.com/photoproc/photoproc/queue"
	"github.com/photoproc/photoproc/queue/queuetest"
	"github.com/photoproc/photoproc/store"
	"github.com/photoproc/photoproc/store/storetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// grace is how late a retry is taken for lost in these tests.
const grace = time.Minute

// wanted are the thumbnails the workers of these tests make: 320 and 640 in JPEG.
var wanted = store.Variants([]int{320, 640}, []string{"jpeg"})

type bundle struct {
	store  *store.DB
	db     storetest.DB // the same database, for fixtures
	queue  queue.Config
	pub    *queue.Publisher
	queuer *enqueue.Queuer
}

// setup queues through a real publisher into queues of the test's own, on a database of its
// own.
func setup(t *testing.T) *bundle {
	t.Helper()
	st, uri := storetest.NewStore(t)
	cfg := queuetest.Config(t)
	pub := queuetest.Publisher(t, cfg, nil)
	q, err := enqueue.New(enqueue.Config{LostRetryAfter: grace, Wanted: wanted}, st, pub, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &bundle{store: st, db: storetest.Pool(t, uri), queue: cfg, pub: pub, queuer: q}
}

func (b *bundle) photo(t *testing.T, opts *storetest.PhotoOpts) store.Photo {
	t.Helper()
	return storetest.Photo(t.Context(), t, b.db, opts)
}

// messages takes every message off the work queue and counts them by photo.
func (b *bundle) messages(t *testing.T) map[uuid.UUID]int {
	t.Helper()
	got := map[uuid.UUID]int{}
	for {
		m, ok := queuetest.Get(t, b.queue.URI, b.queue.Queue)
		if !ok {
			return got
		}
		var body struct {
			PhotoUUID uuid.UUID `json:"photo_uuid"`
		}
		if err := json.Unmarshal(m.Body, &body); err != nil {
			t.Fatalf("message %s: %v", m.Body, err)
		}
		got[body.PhotoUUID]++
	}
}

// Every UUID sent is reported as often as it was sent, and truthfully: a duplicate of a
// queued photo was queued once, a duplicate of a skipped photo is skipped for the same reason.
func TestDuplicatesAreReportedTruthfully(t *testing.T) {
	t.Parallel()
	b := setup(t)
	pending := b.photo(t, nil)
	completed := b.photo(t, &storetest.PhotoOpts{Status: store.StatusCompleted})
	waiting := b.photo(t, &storetest.PhotoOpts{FailureReason: "503", Attempts: 1, RetryAt: time.Now().Add(time.Hour)})
	ids := []uuid.UUID{completed.UUID, pending.UUID, completed.UUID, waiting.UUID, pending.UUID, waiting.UUID}

	res, err := b.queuer.Queue(t.Context(), ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Queued)+len(res.Skipped) != len(ids) || len(res.Queued) != 1 || res.Queued[0].UUID != pending.UUID {
		t.Fatalf("result %+v: want the pending photo queued, and the other five UUIDs skipped", res)
	}
	want := []enqueue.Skipped{
		{UUID: completed.UUID, Status: store.StatusCompleted, Reason: "already completed"},
		{UUID: completed.UUID, Status: store.StatusCompleted, Reason: "already completed"},
		{UUID: waiting.UUID, Status: store.StatusPending, Reason: "already queued: waiting for a retry due at"},
		{UUID: pending.UUID, Status: store.StatusPending, Reason: "duplicate in this request; queued once"},
		{UUID: waiting.UUID, Status: store.StatusPending, Reason: "already queued: waiting for a retry due at"},
	}
	for i, w := range want {
		got := res.Skipped[i]
		if got.UUID != w.UUID || got.Status != w.Status || !strings.HasPrefix(got.Reason, w.Reason) {
			t.Errorf("skipped[%d] = %+v, want %+v", i, got, w)
		}
	}
	if got := b.messages(t); len(got) != 1 || got[pending.UUID] != 1 {
		t.Fatalf("messages %v, want one, for the pending photo", got)
	}
}

// A photo whose retry is due later, or late by less than the grace, is skipped: its message is
// on its way. Once the retry is a grace overdue it is taken for lost and the photo is queued
// again, once: a second request within the grace skips it, saying so.
func TestOverdueRetryIsQueuedAgain(t *testing.T) {
	t.Parallel()
	b := setup(t)
	now := time.Now()
	due := b.photo(t, &storetest.PhotoOpts{FailureReason: "503", Attempts: 1, RetryAt: now.Add(time.Hour)})
	late := b.photo(t, &storetest.PhotoOpts{FailureReason: "503", Attempts: 1, RetryAt: now.Add(-grace / 2)})
	lost := b.photo(t, &storetest.PhotoOpts{FailureReason: "503", Attempts: 1, RetryAt: now.Add(-time.Hour)})
	ids := []uuid.UUID{due.UUID, late.UUID, lost.UUID}

	res, err := b.queuer.Queue(t.Context(), ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Queued) != 1 || res.Queued[0].UUID != lost.UUID || len(res.Skipped) != 2 {
		t.Fatalf("result %+v, want the photo whose retry is an hour overdue queued, the others skipped", res)
	}
	for _, s := range res.Skipped {
		if !strings.Contains(s.Reason, "waiting for a retry due at") || !strings.Contains(s.Reason, "it may be queued again") {
			t.Errorf("skipped %+v: the reason does not say when it may be queued again", s)
		}
	}
	if got := b.messages(t); len(got) != 1 || got[lost.UUID] != 1 {
		t.Fatalf("messages %v, want one, for the lost retry's photo", got)
	}

	res, err = b.queuer.Queue(t.Context(), ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Queued) != 0 || len(res.Skipped) != 3 || !strings.Contains(res.Skipped[2].Reason, "was queued again less than") {
		t.Fatalf("second request %+v, want nothing queued and the lost retry's photo said queued again", res)
	}
	if got := b.messages(t); len(got) != 0 {
		t.Fatalf("second request published %v", got)
	}
}

// When the broker takes nothing, a lost retry's photo keeps no mark of being queued again:
// the operator may send it again at once, as the error says.
func TestLostRetryNotPublishedCanBeSentAgain(t *testing.T) {
	t.Parallel()
	b := setup(t)
	lost := b.photo(t, &storetest.PhotoOpts{FailureReason: "503", Attempts: 1, RetryAt: time.Now().Add(-time.Hour)})
	broken, err := enqueue.New(enqueue.Config{LostRetryAfter: grace, Wanted: wanted}, b.store, failingPublisher{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = broken.Queue(t.Context(), []uuid.UUID{lost.UUID})
	var pe *enqueue.PublishError
	if !errors.As(err, &pe) || !errors.Is(err, enqueue.ErrPublishFailed) || len(pe.Unconfirmed) != 1 || pe.Unconfirmed[0] != lost.UUID {
		t.Fatalf("Queue with a failing broker = %v, want a PublishError naming the photo", err)
	}
	res, err := b.queuer.Queue(t.Context(), []uuid.UUID{lost.UUID})
	if err != nil || len(res.Queued) != 1 {
		t.Fatalf("sent again = %+v, %v; want it queued", res, err)
	}
}

// failingPublisher is a broker that takes no message.
type failingPublisher struct{}

func (failingPublisher) Publish(context.Context, []uuid.UUID) ([]uuid.UUID, error) {
	return nil, errors.New("channel closed")
}
func (failingPublisher) Connected() bool { return true }

// Unknown UUIDs are named with their positions, and nothing is queued; a broker that is not
// connected queues nothing either.
func TestNothingIsQueuedOnUnknownPhotosOrNoBroker(t *testing.T) {
	t.Parallel()
	b := setup(t)
	known, unknown := b.photo(t, nil), uuid.New()
	_, err := b.queuer.Queue(t.Context(), []uuid.UUID{known.UUID, unknown, known.UUID})
	var ue *enqueue.UnknownPhotosError
	if !errors.As(err, &ue) || !errors.Is(err, enqueue.ErrUnknownPhotos) || len(ue.Photos) != 1 || ue.Photos[0] != (enqueue.Unknown{Index: 1, UUID: unknown}) {
		t.Fatalf("Queue with an unknown UUID = %v, want it named at index 1", err)
	}
	if err := b.pub.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := b.queuer.Queue(t.Context(), []uuid.UUID{known.UUID}); !errors.Is(err, enqueue.ErrBrokerUnavailable) {
		t.Fatalf("Queue with the publisher closed = %v, want ErrBrokerUnavailable", err)
	}
	if got := b.messages(t); len(got) != 0 {
		t.Fatalf("messages %v, want none", got)
	}
}
