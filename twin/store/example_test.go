package store_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/fleetkit/fleetkit/twin"
	"github.com/fleetkit/fleetkit/twin/store"
)

// A read-modify-write of one twin with compare-and-set, then a fleet query.
func Example() {
	ctx := context.Background()
	s := store.NewMemory(twin.Limits{})
	defer s.Close()

	var d twin.Document
	d.Name = "fw"
	d.ApplyJSON(twin.Update{Section: twin.Reported, Time: time.UnixMilli(1795586400000)}, []byte(`{"firmware":{"version":"2.0.0"}}`))
	v, _ := s.CompareAndSet(ctx, "dev-1", "fw", 0, d.AppendJSON(nil))
	fmt.Println("created at version", v)

	// A writer holding a stale version is refused.
	_, err := s.CompareAndSet(ctx, "dev-1", "fw", 0, d.AppendJSON(nil))
	fmt.Println("stale write refused:", errors.Is(err, store.ErrConflict))

	rs, _ := s.Query(ctx, store.Query{Where: []store.Predicate{{
		Section: twin.Reported, Path: twin.Path{"firmware", "version"},
		Op: store.OpNotEqual, Value: twin.StringOf("2.1.0"),
	}}})
	for _, r := range rs {
		fmt.Println("needs update:", r.Device, r.Name)
	}
	// Output:
	// created at version 1
	// stale write refused: true
	// needs update: dev-1 fw
}
