package device_test

import (
	"context"
	"fmt"
	"time"

	"github.com/fleetkit/fleetkit/transport"
	"github.com/fleetkit/fleetkit/transport/memory"
	"github.com/fleetkit/fleetkit/twin"
	"github.com/fleetkit/fleetkit/twin/cloud"
	"github.com/fleetkit/fleetkit/twin/device"
	"github.com/fleetkit/fleetkit/twin/store"
)

// A device applies a desired Wi-Fi network with a typed handler; the cloud sees the value
// reported and acknowledged.
func Example() {
	ctx := context.Background()
	b := memory.NewBroker(memory.Options{})
	defer b.Close()
	cc, _ := b.Connect(memory.ClientConfig{ID: "twin-service", Identity: transport.Identity{Cloud: true}})
	svc, _ := cloud.New(cc, cloud.Config{Store: store.NewMemory(twin.Limits{})})
	svc.Start(ctx)
	defer svc.Close()

	mc, _ := b.Connect(memory.ClientConfig{ID: "sensor-1", SessionExpiry: time.Hour})
	dev, _ := device.New(mc, device.Config{Name: "network"})
	applied := make(chan string, 1)
	dev.HandleString("wifi.ssid", func(ssid string) error {
		applied <- ssid // join the network here
		return nil
	})
	dev.Start(ctx)
	defer dev.Close()

	patch, _ := twin.ParseObject([]byte(`{"wifi":{"ssid":"plant-floor"}}`), twin.Limits{})
	res, _ := svc.UpdateDesired(ctx, "sensor-1", "network", patch, 0)
	fmt.Println("handler got:", <-applied)

	for {
		doc, _ := svc.Get(ctx, "sensor-1", "network")
		if a, ok := doc.Ack("wifi"); ok && a.Version == res.Version {
			fmt.Println("reported:", doc.Reported())
			fmt.Println("ack:", a.Code, a.Description, "for desired version", a.Version)
			break
		}
		time.Sleep(time.Millisecond)
	}
	// Output:
	// handler got: plant-floor
	// reported: {"wifi":{"ssid":"plant-floor"}}
	// ack: 200 applied for desired version 1
}
