package pool

import (
	"testing"

	"github.com/google/uuid"
)

// Deliveries of one photo start one after the other, each once the one before is settled;
// deliveries of other photos never wait.
func TestFlightsOrderDeliveriesOfOnePhoto(t *testing.T) {
	t.Parallel()
	f := newFlights()
	id := uuid.New()
	first, second, third := &fakeDelivery{id: id}, &fakeDelivery{id: id}, &fakeDelivery{id: id}
	other := &fakeDelivery{id: uuid.New()}

	if prev := f.join(first); prev != nil {
		t.Fatal("the first delivery of a photo waits")
	}
	afterFirst := f.join(second)
	afterSecond := f.join(third)
	if prev := f.join(other); prev != nil {
		t.Fatal("a delivery of another photo waits")
	}
	if afterFirst == nil || afterSecond == nil || isClosed(afterFirst) || isClosed(afterSecond) {
		t.Fatal("later deliveries of a photo do not wait")
	}
	f.leave(first)
	if !isClosed(afterFirst) || isClosed(afterSecond) {
		t.Fatal("settling the first delivery must release the second only")
	}
	f.leave(third) // settled out of order: it was handed back without starting
	f.leave(second)
	if !isClosed(afterSecond) {
		t.Fatal("settling the second delivery must release the third")
	}
	f.leave(other)
	f.leave(other) // a second leave does nothing
	if len(f.newest) != 0 || len(f.held) != 0 {
		t.Fatalf("%d photos and %d deliveries still tracked after all were settled", len(f.newest), len(f.held))
	}
	if prev := f.join(&fakeDelivery{id: id}); prev != nil {
		t.Fatal("a delivery after the others were settled waits")
	}
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
