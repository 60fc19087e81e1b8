package memory

import (
	"context"
	"testing"
	"time"

	"github.com/fleetkit/fleetkit/transport"
)

// Overlapping subscriptions are served once, at the maximum QoS of the matches [MQTT-3.3.4-2].
func TestOverlappingSubscriptionsMaxQoS(t *testing.T) {
	b := NewBroker(Options{})
	defer b.Close()
	d := rvConnect(t, b, "dev-o", false)
	s := &rvSink{}
	ctx := context.Background()
	if _, err := d.Subscribe(ctx, transport.DeviceTopic("dev-o", transport.KindCommand, "reboot"), 0, s.handle); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Subscribe(ctx, transport.DeviceTopic("dev-o", transport.KindCommand, "#"), 1, s.handle); err != nil {
		t.Fatal(err)
	}
	cloud := rvConnect(t, b, "cloud-o", true)
	b.Partition("dev-o")
	rvPublish(t, cloud, &transport.Message{Topic: transport.DeviceTopic("dev-o", transport.KindCommand, "reboot"), Payload: []byte("x"), QoS: 1})
	b.Heal("dev-o")
	time.Sleep(50 * time.Millisecond)
	if s.len() == 0 {
		t.Fatalf("QoS 1 message matched by a QoS 1 subscription was discarded (stats %+v)", b.Stats())
	}
	if q := s.get(0).QoS; q != 1 {
		t.Fatalf("delivered at QoS %d, want 1", q)
	}
}

// Each subscriber owns its copy of the payload.
func TestSubscribersDoNotSharePayload(t *testing.T) {
	b := NewBroker(Options{})
	defer b.Close()
	dev := rvConnect(t, b, "dev-ps", false)
	topic := transport.DeviceTopic("dev-ps", transport.KindTelemetry)
	a, c := rvConnect(t, b, "cloud-a", true), rvConnect(t, b, "cloud-c", true)
	mutated := make(chan struct{})
	got := make(chan byte, 1)
	if _, err := a.Subscribe(context.Background(), topic, 1, func(m *transport.Message) {
		m.Payload[0] ^= 0xFF
		close(mutated)
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Subscribe(context.Background(), topic, 1, func(m *transport.Message) {
		<-mutated
		got <- m.Payload[0]
	}); err != nil {
		t.Fatal(err)
	}
	rvPublish(t, dev, &transport.Message{Topic: topic, Payload: []byte{0x01}, QoS: 1})
	select {
	case v := <-got:
		if v != 0x01 {
			t.Fatalf("subscriber C saw payload %#x: subscriber A's in-place change leaked into it", v)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("no delivery")
	}
}

// Close from a state callback does not deadlock (and Partition returns).
func TestCloseFromStateCallback(t *testing.T) {
	b := NewBroker(Options{})
	defer b.Close()
	d, err := b.Connect(ClientConfig{ID: "dev-cs", SessionExpiry: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	d.OnStateChange(func(e transport.StateEvent) {
		if e.State == transport.Disconnected {
			d.Close()
		}
	})
	done := make(chan struct{})
	go func() { b.Partition("dev-cs"); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("deadlock: Close called from a state callback never returns")
	}
	if d.State() != transport.Closed {
		t.Fatalf("state %v", d.State())
	}
}
