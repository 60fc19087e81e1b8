package memory

import (
	"sync"
	"testing"
	"time"

	"github.com/fleetkit/fleetkit/transport"
	"github.com/fleetkit/fleetkit/transport/transporttest"
)

func TestConformance(t *testing.T) {
	b := NewBroker(Options{Seed: 7})
	defer b.Close()
	var mu sync.Mutex
	var ids []string
	transporttest.Run(t, transporttest.Harness{
		NewClient: func(t testing.TB, o transporttest.ClientOptions) transport.Client {
			c, err := b.Connect(ClientConfig{ID: o.ID, Identity: transport.Identity{ID: o.ID, Cloud: o.Cloud}, SessionExpiry: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			ids = append(ids, o.ID)
			mu.Unlock()
			return c
		},
		// A broker "restart" for the memory transport is a partition of every client.
		StopBroker: func(testing.TB) {
			mu.Lock()
			defer mu.Unlock()
			b.Partition(ids...)
		},
		StartBroker: func(testing.TB) {
			mu.Lock()
			defer mu.Unlock()
			b.Heal(ids...)
		},
		PersistentBroker:  true,
		EnforcesNamespace: true,
	})
}
