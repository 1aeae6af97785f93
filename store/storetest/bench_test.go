package storetest_test

import (
	"testing"

	"github.com/photoproc/photoproc/store/storetest"
)

func BenchmarkEmptyDatabase(b *testing.B) {
	for b.Loop() {
		storetest.EmptyDatabase(b)
	}
}

func BenchmarkNewDatabase(b *testing.B) {
	for b.Loop() {
		storetest.NewDatabase(b)
	}
}
