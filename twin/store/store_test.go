package store_test

import (
	"testing"

	"github.com/fleetkit/fleetkit/twin"
	"github.com/fleetkit/fleetkit/twin/store"
	"github.com/fleetkit/fleetkit/twin/store/storetest"
)

func TestMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return store.NewMemory(twin.Limits{}) })
}

func TestMemoryQuery(t *testing.T) {
	storetest.RunQuery(t, func(t *testing.T) store.Store { return store.NewMemory(twin.Limits{}) })
}

func TestFile(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		f, err := store.OpenFile(t.TempDir(), store.FileOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return f
	})
}
