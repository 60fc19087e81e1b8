package cloud_test

import (
	"context"
	"fmt"
	"time"

	"github.com/fleetkit/fleetkit/transport"
	"github.com/fleetkit/fleetkit/transport/memory"
	"github.com/fleetkit/fleetkit/twin"
	"github.com/fleetkit/fleetkit/twin/cloud"
	"github.com/fleetkit/fleetkit/twin/store"
)

// A cloud service sets a desired value; a device (here speaking the wire protocol by hand)
// receives the delta and reports the value back with an acknowledgement.
func Example() {
	ctx := context.Background()
	b := memory.NewBroker(memory.Options{})
	defer b.Close()
	cc, _ := b.Connect(memory.ClientConfig{ID: "twin-service", Identity: transport.Identity{Cloud: true}})
	svc, _ := cloud.New(cc, cloud.Config{Store: store.NewMemory(twin.Limits{}), Now: func() time.Time { return time.UnixMilli(1795586400000) }})
	svc.Start(ctx)
	defer svc.Close()

	dev, _ := b.Connect(memory.ClientConfig{ID: "thermostat-7"})
	got := make(chan string, 1)
	dev.Subscribe(ctx, "fk/v1/thermostat-7/twin/config/delta", transport.AtLeastOnce, func(m *transport.Message) { got <- string(m.Payload) })

	patch, _ := twin.ParseObject([]byte(`{"target":21.5}`), twin.Limits{})
	res, _ := svc.UpdateDesired(ctx, "thermostat-7", "config", patch, 0)
	fmt.Println("desired version", res.Version)
	fmt.Println("delta:", <-got)

	resp, _ := dev.Request(ctx, &transport.Message{
		Topic:   "fk/v1/thermostat-7/twin/config/update",
		Payload: []byte(`{"state":{"reported":{"target":21.5}},"acks":{"target":{"ac":200,"av":1,"ad":"applied"}}}`),
		QoS:     transport.AtLeastOnce,
	})
	fmt.Println("response:", string(resp.Payload))
	doc, _ := svc.Get(ctx, "thermostat-7", "config")
	a, _ := doc.Ack("target")
	fmt.Println("delta now:", doc.Delta(), "ack:", a.Code, a.Version, a.Description)
	// Output:
	// desired version 1
	// delta: {"state":{"target":21.5},"metadata":{"target":{"timestamp":1795586400000}},"version":1,"timestamp":1795586400000}
	// response: {"status":"accepted","version":2,"desiredVersion":1}
	// delta now: {} ack: 200 1 applied
}
