package pool

import (
	"sync"

	"github.com/google/uuid"
)

// flights orders the deliveries of one photo that this process holds at once, so that a
// second one waits for the first to be settled instead of doing the same work beside it. That
// happens when the broker connection drops: every delivery held comes back redelivered on the
// new channel while its first copy is still being processed (and will fail to ack on the old
// one). Waiting, the second copy then finds the photo completed and acks it without work; if
// the first copy did not complete the photo, the second carries on. Nothing is acked or
// dropped on the first copy's behalf, so no message can be lost.
//
// A delivery only ever waits for one handed to the pool before it, and the download stage runs
// its tasks in the order they were handed over, so the first copy never waits for a slot held
// by the second.
type flights struct {
	mu     sync.Mutex
	newest map[uuid.UUID]*flight // the last delivery of each photo handed over
	held   map[Delivery]*flight
}

type flight struct {
	photo uuid.UUID
	done  chan struct{} // closed once the delivery is settled
}

func newFlights() *flights {
	return &flights{newest: map[uuid.UUID]*flight{}, held: map[Delivery]*flight{}}
}

// join registers d and returns what it must wait for before starting: the previous delivery of
// the same photo that this process still holds, or nil when there is none.
func (f *flights) join(d Delivery) <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	fl := &flight{photo: d.Photo(), done: make(chan struct{})}
	var prev <-chan struct{}
	if p := f.newest[fl.photo]; p != nil {
		prev = p.done
	}
	f.newest[fl.photo] = fl
	f.held[d] = fl
	return prev
}

// leave marks d settled, letting the next delivery of its photo start.
func (f *flights) leave(d Delivery) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fl := f.held[d]
	if fl == nil {
		return
	}
	delete(f.held, d)
	if f.newest[fl.photo] == fl {
		delete(f.newest, fl.photo)
	}
	close(fl.done)
}
