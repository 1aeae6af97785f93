package pool

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/photoproc/photoproc/imaging"
	"github.com/photoproc/photoproc/internal/testkit"
	"github.com/photoproc/photoproc/metrics"
	"github.com/photoproc/photoproc/store"
)

// The pool's collaborators, in memory, for unit tests that run without Postgres or RabbitMQ.
// Each records what it was asked to do, and fails on demand.

// bundle is a pool on fakes, and the fakes.
type bundle struct {
	pool       *Pool
	cfg        Config
	store      *fakeStore
	broker     *fakeBroker
	fetch      *fakeFetcher
	thumbs     *fakeThumbnailer
	thumbstore *fakeThumbStore
	intake     *fakeIntake
	metrics    *metrics.Metrics
	logs       *testkit.Buffer
	settled    chan settledAs // every delivery's settledAs, in order
}

// newBundle starts a pool of one worker, MaxAttempts 3, on fakes; change adjusts its config.
// The pool is stopped when the test ends.
func newBundle(t *testing.T, change func(*Config)) *bundle {
	t.Helper()
	b := &bundle{
		store:      newFakeStore(),
		broker:     &fakeBroker{},
		fetch:      newFakeFetcher(),
		thumbs:     &fakeThumbnailer{},
		thumbstore: &fakeThumbStore{},
		intake:     &fakeIntake{},
		metrics:    metrics.New(prometheus.NewRegistry()),
		logs:       &testkit.Buffer{},
		settled:    make(chan settledAs, 100),
	}
	cfg := DefaultConfig()
	cfg.Workers, cfg.Retry.MaxAttempts = 1, 3
	if change != nil {
		change(&cfg)
	}
	b.cfg = cfg
	p, err := New(cfg, Deps{
		Store: b.store, Broker: b.broker, Fetcher: b.fetch, Thumbnailer: b.thumbs, ThumbStore: b.thumbstore, Intake: b.intake,
		Metrics: b.metrics, Logger: testkit.Logger(t, slog.LevelDebug, b.logs),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Stop(context.Background()) })
	b.pool = p
	return b
}

// deliver hands the pool a new delivery of photo id and returns it.
func (b *bundle) deliver(id uuid.UUID, redelivered bool) *fakeDelivery {
	d := &fakeDelivery{id: id, redelivered: redelivered, settled: b.settled}
	b.pool.Handle(d)
	return d
}

// next waits for the next settledAs.
func (b *bundle) next(t *testing.T) settledAs {
	t.Helper()
	return testkit.Receive(t, b.settled, "a delivery to be settled")
}

// settledAs is how a fakeDelivery was settled: acked or requeued, after publishing a copy
// ("retry" or "dead-letter") or none.
type settledAs struct {
	photo     uuid.UUID
	how       string // "ack" or "requeue"
	published string // "retry", "dead-letter" or ""
	reason    string // of the copy
	attempt   int    // the retry's or dead letter's attempt count
	wait      time.Duration
}

// fakeDelivery reports its one settledAs on a channel. Publishing fails while publishErr is
// set; Ack fails with ackErr.
type fakeDelivery struct {
	id          uuid.UUID
	redelivered bool
	settled     chan<- settledAs
	ackErr      error

	mu         sync.Mutex
	publishErr error
	published  []settledAs // every copy published, in order
	publishes  int         // tries, failed ones included
}

func (d *fakeDelivery) Photo() uuid.UUID { return d.id }
func (d *fakeDelivery) Redelivery() bool { return d.redelivered }
func (d *fakeDelivery) Ack() error       { d.report("ack"); return d.ackErr }
func (d *fakeDelivery) Requeue() error   { d.report("requeue"); return nil }

func (d *fakeDelivery) PublishRetry(_ context.Context, reason string, attempt int, wait time.Duration) error {
	return d.publish(settledAs{published: "retry", reason: reason, attempt: attempt, wait: wait})
}

func (d *fakeDelivery) PublishDeadLetter(_ context.Context, reason string, attempts int) error {
	return d.publish(settledAs{published: "dead-letter", reason: reason, attempt: attempts})
}

func (d *fakeDelivery) publish(s settledAs) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.publishes++
	if d.publishErr != nil {
		return d.publishErr
	}
	d.published = append(d.published, s)
	return nil
}

func (d *fakeDelivery) setPublishErr(err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.publishErr = err
}

func (d *fakeDelivery) publishTries() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.publishes
}

func (d *fakeDelivery) report(how string) {
	d.mu.Lock()
	s := settledAs{photo: d.id, how: how}
	if n := len(d.published); n > 0 {
		last := d.published[n-1]
		s.published, s.reason, s.attempt, s.wait = last.published, last.reason, last.attempt, last.wait
	}
	d.mu.Unlock()
	d.settled <- s
}

// fakePhoto is a row of photos, as far as the pool can tell.
type fakePhoto struct {
	status    store.Status
	attempts  int
	reason    string
	waiting   bool              // pending, with a retry not yet due
	token     uuid.UUID         // of the claim that holds it, or held it last
	retryIn   time.Duration     // of the last Release
	completed store.Thumbnail   // the first row recorded
	rows      []store.Thumbnail // every row, as CompleteSet leaves them
	thumbHash []byte
}

// fakeStore keeps photos in memory, creating a pending one on its first claim. Each operation
// fails with the error set for it (failWith), while it is set.
type fakeStore struct {
	complete panicky // Complete panics while it has panics left

	mu     sync.Mutex
	photos map[uuid.UUID]*fakePhoto
	errs   map[string]error // by operation: claim, complete, fail, release, unclaim, ping, pingWrite, extend
	// lostClaims is how many claims are made, and then answered with an error, as when the
	// database stops answering after it committed.
	lostClaims int
	calls      map[string]int
	claims     []store.Claim   // acquired, in order
	extends    [][]store.Claim // claims passed to ExtendLeases
	onClaim    func(uuid.UUID) // called at each claim, before it is decided
}

func newFakeStore() *fakeStore {
	return &fakeStore{complete: panicky{stage: "write"}, photos: map[uuid.UUID]*fakePhoto{}, errs: map[string]error{}, calls: map[string]int{}}
}

// put sets a photo's row.
func (s *fakeStore) put(id uuid.UUID, p fakePhoto) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.photos[id] = &p
}

// get returns a copy of a photo's row.
func (s *fakeStore) get(id uuid.UUID) fakePhoto {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.photos[id]; p != nil {
		return *p
	}
	return fakePhoto{}
}

func (s *fakeStore) failWith(op string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		delete(s.errs, op)
	} else {
		s.errs[op] = err
	}
}

func (s *fakeStore) count(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[op]
}

// call counts op and returns the error set for it. s.mu is held.
func (s *fakeStore) call(op string) error {
	s.calls[op]++
	return s.errs[op]
}

func (s *fakeStore) Claim(_ context.Context, id uuid.UUID, o store.ClaimOpts) (store.Photo, store.ClaimResult, error) {
	if s.onClaim != nil {
		s.onClaim(id)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call("claim"); err != nil {
		return store.Photo{}, 0, err
	}
	p := s.photos[id]
	if p == nil {
		p = &fakePhoto{status: store.StatusPending}
		s.photos[id] = p
	}
	photo := func() store.Photo {
		var stored []store.Variant
		for _, r := range p.rows {
			stored = append(stored, store.Variant{Size: r.Size, Format: r.Format})
		}
		return store.Photo{UUID: id, URL: "http://photos.example/" + id.String(), Status: p.status,
			Attempts: p.attempts, FailureReason: p.reason, ClaimToken: p.token, Stored: stored}
	}
	was := p.status
	switch {
	case p.status == store.StatusProcessing && o.Token != uuid.Nil && p.token == o.Token:
		return photo(), store.ClaimAcquired, nil
	case p.status == store.StatusCompleted && len(store.Missing(o.Wanted, photo().Stored)) > 0:
		p.attempts = 0
	case p.status == store.StatusCompleted:
		return photo(), store.ClaimCompleted, nil
	case p.status == store.StatusFailed:
		return photo(), store.ClaimFailed, nil
	case p.waiting:
		return photo(), store.ClaimWaiting, nil
	case p.status == store.StatusProcessing && !o.Takeover:
		return photo(), store.ClaimBusy, nil
	case p.attempts >= o.MaxAttempts:
		return photo(), store.ClaimExhausted, nil
	}
	if o.Token == uuid.Nil {
		o.Token = uuid.New()
	}
	p.status, p.attempts, p.reason, p.token = store.StatusProcessing, p.attempts+1, "", o.Token
	s.claims = append(s.claims, photo().Claim())
	if s.lostClaims > 0 {
		s.lostClaims--
		return store.Photo{}, 0, fmt.Errorf("claim: %w: i/o timeout", store.ErrUnavailable)
	}
	switch was {
	case store.StatusProcessing:
		return photo(), store.ClaimTakenOver, nil
	case store.StatusCompleted:
		return photo(), store.ClaimBackfill, nil
	}
	return photo(), store.ClaimAcquired, nil
}

// CompleteSet adds rows, or replaces those of the same size and format.
func (s *fakeStore) CompleteSet(_ context.Context, id uuid.UUID, thumbs []store.Thumbnail, thumbHash []byte) error {
	s.complete.maybePanic()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call("complete"); err != nil {
		return err
	}
	p := s.photos[id]
	p.status, p.reason = store.StatusCompleted, ""
	for _, t := range thumbs {
		p.rows = slices.DeleteFunc(p.rows, func(r store.Thumbnail) bool { return r.Size == t.Size && r.Format == t.Format })
		p.rows = append(p.rows, t)
	}
	if len(p.rows) > 0 {
		p.completed = p.rows[0]
	}
	if p.thumbHash == nil {
		p.thumbHash = thumbHash
	}
	return nil
}

// held returns the photo of c if c still holds it (or, with pending, may still fail it).
func (s *fakeStore) held(c store.Claim, pending bool) (*fakePhoto, error) {
	p := s.photos[c.Photo]
	switch {
	case p == nil:
		return nil, store.ErrNotFound
	case p.token != c.Token, p.attempts != c.Attempt,
		p.status != store.StatusProcessing && !(pending && p.status == store.StatusPending):
		return nil, store.ErrNotClaimed
	}
	return p, nil
}

func (s *fakeStore) Fail(_ context.Context, c store.Claim, reason string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call("fail"); err != nil {
		return err
	}
	p, err := s.held(c, true)
	if err != nil {
		return err
	}
	p.status, p.reason, p.waiting = store.StatusFailed, reason, false
	if len(p.rows) > 0 {
		p.status = store.StatusCompleted // as the store does: a backfill keeps what it had
	}
	return nil
}

func (s *fakeStore) Release(_ context.Context, c store.Claim, reason string, retryIn time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call("release"); err != nil {
		return err
	}
	p, err := s.held(c, false)
	if err != nil {
		return err
	}
	p.status, p.reason, p.waiting, p.retryIn = store.StatusPending, reason, true, retryIn
	return nil
}

func (s *fakeStore) Unclaim(_ context.Context, c store.Claim) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call("unclaim"); err != nil {
		return err
	}
	p, err := s.held(c, false)
	if err != nil {
		return err
	}
	p.status, p.attempts = store.StatusPending, p.attempts-1
	return nil
}

func (s *fakeStore) ExtendLeases(_ context.Context, _ time.Duration, claims []store.Claim) ([]store.Claim, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call("extend"); err != nil {
		return nil, err
	}
	s.extends = append(s.extends, claims)
	var lost []store.Claim
	for _, c := range claims {
		if _, err := s.held(c, false); err != nil {
			lost = append(lost, c)
		}
	}
	return lost, nil
}

func (s *fakeStore) Ping(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.call("ping")
}

func (s *fakeStore) PingWrite(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.call("pingWrite")
}

// acquired returns the claims made so far, in order.
func (s *fakeStore) acquired() []store.Claim {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]store.Claim(nil), s.claims...)
}

// extended reports whether ExtendLeases was asked, n times or more, to extend c.
func (s *fakeStore) extended(c store.Claim, n int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := 0
	for _, cs := range s.extends {
		for _, x := range cs {
			if x == c {
				seen++
			}
		}
	}
	return seen >= n
}

// fakeBroker refuses publishing while err is set.
type fakeBroker struct {
	mu  sync.Mutex
	err error
}

func (b *fakeBroker) CanPublish() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err
}

func (b *fakeBroker) set(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.err = err
}

// fakeIntake records pauses.
type fakeIntake struct {
	mu             sync.Mutex
	paused         bool
	pauses, resume int
}

func (i *fakeIntake) Pause() {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.paused = true
	i.pauses++
}

func (i *fakeIntake) Resume() {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.paused = false
	i.resume++
}

func (i *fakeIntake) isPaused() bool {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.paused
}

// fakeFetcher "downloads" a few bytes for any URL, after the fault set for the photo, if any:
// an error, or a wait until released or the context ends.
type fakeFetcher struct {
	mu       sync.Mutex
	errs     map[uuid.UUID]error
	holds    map[uuid.UUID]chan struct{}
	fetching map[uuid.UUID]int // fetches in progress
	fetches  map[uuid.UUID]int
}

func newFakeFetcher() *fakeFetcher {
	return &fakeFetcher{errs: map[uuid.UUID]error{}, holds: map[uuid.UUID]chan struct{}{},
		fetching: map[uuid.UUID]int{}, fetches: map[uuid.UUID]int{}}
}

func (f *fakeFetcher) Fetch(ctx context.Context, url string) ([]byte, error) {
	id := uuid.MustParse(url[strings.LastIndexByte(url, '/')+1:])
	f.mu.Lock()
	f.fetches[id]++
	f.fetching[id]++
	err, hold := f.errs[id], f.holds[id]
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.fetching[id]--
		f.mu.Unlock()
	}()
	if hold != nil {
		select {
		case <-hold:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if err != nil {
		return nil, err
	}
	return []byte("photo"), nil
}

func (*fakeFetcher) Release([]byte) {}

func (f *fakeFetcher) failWith(id uuid.UUID, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errs[id] = err
}

// hold makes fetches of id wait until the returned function is called.
func (f *fakeFetcher) hold(id uuid.UUID) (release func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := make(chan struct{})
	f.holds[id] = c
	var once sync.Once
	return func() { once.Do(func() { close(c) }) }
}

func (f *fakeFetcher) inFlight(id uuid.UUID) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fetching[id] > 0
}

func (f *fakeFetcher) count(id uuid.UUID) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fetches[id]
}

// fakeThumbStore keeps thumbnails in memory; Put and Probe fail with the errors set for them.
type fakeThumbStore struct {
	mu               sync.Mutex
	putErr, probeErr error
	puts, probes     int
	stored           map[string][]byte
	failOnce         map[string]error // a put of this name fails once with this error
}

func (s *fakeThumbStore) Put(_ context.Context, name string, data []byte) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.puts++
	if s.putErr != nil {
		return "", s.putErr
	}
	if err := s.failOnce[name]; err != nil {
		delete(s.failOnce, name)
		return "", err
	}
	if s.stored == nil {
		s.stored = map[string][]byte{}
	}
	s.stored[name] = data
	return "mem://" + name, nil
}

func (s *fakeThumbStore) Probe(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.probes++
	return s.probeErr
}

func (s *fakeThumbStore) failWith(put, probe error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.putErr, s.probeErr = put, probe
}

// failPutOnce makes the next put of name fail with err.
func (s *fakeThumbStore) failPutOnce(name string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failOnce == nil {
		s.failOnce = map[string]error{}
	}
	s.failOnce[name] = err
}

// names returns the names stored, sorted.
func (s *fakeThumbStore) names() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Sorted(maps.Keys(s.stored))
}

// counts returns how many puts and probes were made.
func (s *fakeThumbStore) counts() (puts, probes int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.puts, s.probes
}

// fakeThumbnailer makes thumbnails of anything, sized as for a 4×3 photo, for every box and
// format of its config (the default, one 320 JPEG, when it has none). Boxes of 4 pixels and
// more share the photo's own size.
type fakeThumbnailer struct{ cfg *imaging.Config }

func (f fakeThumbnailer) MakeOnly(_ []byte, want func([]int, imaging.Format) bool) (imaging.Set, error) {
	set := imaging.Set{SourceWidth: 4, SourceHeight: 3, SourceFormat: "png", ThumbHash: []byte("hash")}
	var big []int
	cfg := f.Config()
	for _, b := range cfg.Boxes() {
		if b >= 4 {
			big = append(big, b)
		}
	}
	for _, b := range cfg.Boxes() {
		boxes, w, h := []int{b}, max(1, b), max(1, b*3/4)
		if b >= 4 {
			if b != big[0] {
				continue
			}
			boxes, w, h = big, 4, 3
		}
		for _, fm := range cfg.Formats {
			if want == nil || want(boxes, fm) {
				set.Thumbnails = append(set.Thumbnails, imaging.Thumbnail{Box: boxes[0], Boxes: boxes, Format: fm,
					Data: []byte(fmt.Sprintf("%s %dx%d", fm, w, h)), Width: w, Height: h})
			}
		}
	}
	return set, nil
}

func (f fakeThumbnailer) Config() imaging.Config {
	if f.cfg != nil {
		return *f.cfg
	}
	return imaging.DefaultConfig()
}

// panicky is a Fetcher and a Thumbnailer that panics while it has panics left.
type panicky struct {
	stage string
	left  atomic.Int32
}

func (p *panicky) Fetch(context.Context, string) ([]byte, error) {
	p.maybePanic()
	return []byte("photo"), nil
}

func (*panicky) Release([]byte) {}

func (p *panicky) MakeOnly(src []byte, want func([]int, imaging.Format) bool) (imaging.Set, error) {
	p.maybePanic()
	return fakeThumbnailer{}.MakeOnly(src, want)
}

func (p *panicky) Config() imaging.Config { return imaging.DefaultConfig() }

func (p *panicky) maybePanic() {
	if p.left.Add(-1) >= 0 {
		panic("panic in " + p.stage)
	}
}

// errTransient is a download failure worth a retry.
var errTransient = errors.New("503 Service Unavailable")

// counterValue reads a counter of the pool's metrics.
func counterValue(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}
