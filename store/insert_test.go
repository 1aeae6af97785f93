package store_test

import (
	"reflect"
	"testing"

	"github.com/google/uuid"

	"github.com/photoproc/photoproc/store"
)

func TestInsertPhoto(t *testing.T) {
	t.Parallel()
	b := setup(t)
	p, err := b.s.InsertPhoto(ctx(t), "https://photos.example/x.jpg")
	if err != nil {
		t.Fatalf("InsertPhoto: %v", err)
	}
	if p.UUID == uuid.Nil || p.URL != "https://photos.example/x.jpg" || p.Status != store.StatusPending ||
		p.CreatedAt.IsZero() || p.Attempts != 0 || p.FailureReason != "" {
		t.Errorf("InsertPhoto() = %+v", p)
	}
	if got, _ := b.get(t, p.UUID); !reflect.DeepEqual(got, p) {
		t.Errorf("read back %+v, want %+v", got, p)
	}
	if _, err := b.s.InsertPhoto(ctx(t), ""); err == nil {
		t.Error("InsertPhoto(\"\") succeeded")
	}
}
