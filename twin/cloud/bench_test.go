package cloud_test

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/fleetkit/fleetkit/transport"
	"github.com/fleetkit/fleetkit/transport/memory"
	"github.com/fleetkit/fleetkit/twin"
	"github.com/fleetkit/fleetkit/twin/cloud"
	"github.com/fleetkit/fleetkit/twin/store"
)

// BenchmarkDeviceUpdates10k measures reported updates per second end to end over the memory
// transport: 10,000 connected devices send update requests (request, shared subscription,
// read-modify-CAS in the memory store, change notification, response) to two service workers.
func BenchmarkDeviceUpdates10k(b *testing.B) {
	const devices, workers = 10000, 2
	ctx := context.Background()
	br := memory.NewBroker(memory.Options{})
	defer br.Close()
	st := store.NewMemory(twin.Limits{})
	for i := 0; i < workers; i++ {
		cc, err := br.Connect(memory.ClientConfig{ID: "svc-" + strconv.Itoa(i), Identity: transport.Identity{Cloud: true}})
		if err != nil {
			b.Fatal(err)
		}
		svc, err := cloud.New(cc, cloud.Config{Store: st})
		if err != nil {
			b.Fatal(err)
		}
		if err := svc.Start(ctx); err != nil {
			b.Fatal(err)
		}
		defer svc.Close()
	}
	devs := make([]*memory.Client, devices)
	for i := range devs {
		c, err := br.Connect(memory.ClientConfig{ID: fmt.Sprintf("dev-%05d", i)})
		if err != nil {
			b.Fatal(err)
		}
		devs[i] = c
		defer c.Close()
	}
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.SetParallelism(32) // many devices in flight at once, as a fleet would be
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1)
			d := devs[i%devices]
			body := []byte(`{"state":{"reported":{"n":` + strconv.FormatInt(i, 10) + `,"fw":"2.1.0"}}}`)
			resp, err := d.Request(ctx, &transport.Message{Topic: "fk/v1/" + d.ID() + "/twin/config/update", Payload: body, QoS: transport.AtLeastOnce})
			if err != nil {
				b.Fatal(err)
			}
			if len(resp.Payload) < 21 || string(resp.Payload[:21]) != `{"status":"accepted",` {
				b.Fatalf("rejected: %s", resp.Payload)
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "updates/s")
}
