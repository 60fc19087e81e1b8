package broker_test

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/eclipse/paho.golang/paho"

	"github.com/fleetkit/fleetkit/broker"
)

// connect dials the broker with paho.golang (fleetkit's transport/mqtt does this for you).
func connect(ctx context.Context, addr string, cp *paho.Connect, onMsg func(*paho.Publish)) (*paho.Client, *paho.Connack, error) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	c := paho.NewClient(paho.ClientConfig{Conn: conn,
		OnPublishReceived: []func(paho.PublishReceived) (bool, error){func(p paho.PublishReceived) (bool, error) {
			onMsg(p.Packet)
			return true, nil
		}}})
	ca, err := c.Connect(ctx, cp)
	return c, ca, err
}

// Example starts the zero-config broker, connects the cloud and a device, and shows the
// namespace rule at work.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, err := broker.New(broker.Config{}) // 127.0.0.1, a free port, demo authentication
	if err != nil {
		panic(err)
	}
	if err := b.Start(ctx); err != nil {
		panic(err)
	}
	defer b.Close()

	got := make(chan *paho.Publish, 1)
	cloud, _, err := connect(ctx, b.Addr(), &paho.Connect{ClientID: "ingest", CleanStart: true, KeepAlive: 30,
		Username: broker.DemoCloudUser, UsernameFlag: true}, func(p *paho.Publish) { got <- p })
	if err != nil {
		panic(err)
	}
	defer cloud.Disconnect(&paho.Disconnect{})
	if _, err := cloud.Subscribe(ctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: "fk/v1/+/tlm", QoS: 1}}}); err != nil {
		panic(err)
	}

	// A device is named by its client ID and confined to fk/v1/{id}/.
	dev, _, err := connect(ctx, b.Addr(), &paho.Connect{ClientID: "pump-1", CleanStart: true, KeepAlive: 30}, func(*paho.Publish) {})
	if err != nil {
		panic(err)
	}
	defer dev.Disconnect(&paho.Disconnect{})
	if _, err := dev.Publish(ctx, &paho.Publish{Topic: "fk/v1/pump-1/tlm", QoS: 1, Payload: []byte(`{"t":21.5}`)}); err != nil {
		panic(err)
	}
	m := <-got
	fmt.Printf("cloud received %s on %s\n", m.Payload, m.Topic)

	pr, _ := dev.Publish(ctx, &paho.Publish{Topic: "fk/v1/pump-2/tlm", QoS: 1, Payload: []byte("spoof")})
	fmt.Printf("pump-1 publishing as pump-2: PUBACK reason 0x%02X\n", pr.ReasonCode)

	s := b.Stats()
	fmt.Println("connections:", s.Connections, "refused publishes:", s.RefusedPublishes)
	// Output:
	// cloud received {"t":21.5} on fk/v1/pump-1/tlm
	// pump-1 publishing as pump-2: PUBACK reason 0x87
	// connections: 2 refused publishes: 1
}
