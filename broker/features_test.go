package broker

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"
)

func TestRetained(t *testing.T) {
	b := startBroker(t, Config{})
	dev := mustDial(t, b.Addr(), deviceConnect("pump-1"))
	dev.publish(t, &paho.Publish{Topic: "fk/v1/pump-1/presence", QoS: 1, Retain: true, Payload: []byte("online")})
	if got := b.Stats().Retained; got != 1 {
		t.Fatalf("Stats.Retained = %d, want 1", got)
	}
	cloud := mustDial(t, b.Addr(), cloudConnect("svc"))
	cloud.subscribe(t, "fk/v1/+/presence", 1)
	if cloud.in.waitN(1, 5*time.Second) != 1 {
		t.Fatal("retained message not delivered on subscribe")
	}
	m := cloud.in.all()[0]
	if string(m.Payload) != "online" || !m.Retain {
		t.Fatalf("got %q retain=%v, want \"online\" retain=true", m.Payload, m.Retain)
	}
	// An empty retained payload clears it.
	dev.publish(t, &paho.Publish{Topic: "fk/v1/pump-1/presence", QoS: 1, Retain: true})
	if got := b.Stats().Retained; got != 0 {
		t.Fatalf("Stats.Retained after clearing = %d, want 0", got)
	}
}

func TestSharedSubscription(t *testing.T) {
	b := startBroker(t, Config{})
	w1 := mustDial(t, b.Addr(), cloudConnect("worker-1"))
	w2 := mustDial(t, b.Addr(), cloudConnect("worker-2"))
	for _, w := range []*client{w1, w2} {
		w.subscribe(t, "$share/workers/fk/v1/+/tlm", 1)
	}
	dev := mustDial(t, b.Addr(), deviceConnect("pump-1"))
	const n = 40
	for i := 0; i < n; i++ {
		dev.publish(t, &paho.Publish{Topic: "fk/v1/pump-1/tlm", QoS: 1, Payload: []byte(fmt.Sprint(i))})
	}
	deadline := time.Now().Add(5 * time.Second)
	for w1.in.len()+w2.in.len() < n && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	seen := map[string]bool{}
	for _, m := range append(w1.in.all(), w2.in.all()...) {
		if seen[string(m.Payload)] {
			t.Fatalf("message %s delivered to both group members", m.Payload)
		}
		seen[string(m.Payload)] = true
	}
	if len(seen) != n {
		t.Fatalf("group received %d distinct messages, want %d", len(seen), n)
	}
	if w1.in.len() == 0 || w2.in.len() == 0 {
		t.Errorf("load not shared: worker-1 %d, worker-2 %d", w1.in.len(), w2.in.len())
	}
}

func TestMessageExpiry(t *testing.T) {
	b := startBroker(t, Config{})
	cloud := mustDial(t, b.Addr(), cloudConnect("svc"))
	cloud.publish(t, &paho.Publish{Topic: "fk/v1/pump-1/cmd/short", QoS: 1, Retain: true, Payload: []byte("short"),
		Properties: &paho.PublishProperties{MessageExpiry: u32(1)}})
	cloud.publish(t, &paho.Publish{Topic: "fk/v1/pump-1/cmd/long", QoS: 1, Retain: true, Payload: []byte("long"),
		Properties: &paho.PublishProperties{MessageExpiry: u32(600)}})
	time.Sleep(2500 * time.Millisecond)
	dev := mustDial(t, b.Addr(), deviceConnect("pump-1"))
	dev.subscribe(t, "fk/v1/pump-1/cmd/#", 1)
	dev.in.waitN(1, 5*time.Second)
	time.Sleep(200 * time.Millisecond) // an expired message would arrive right after
	got := dev.in.all()
	if len(got) != 1 || string(got[0].Payload) != "long" {
		t.Fatalf("received %d messages (%v), want only \"long\"", len(got), payloads(got))
	}
	if p := got[0].Properties; p == nil || p.MessageExpiry == nil || *p.MessageExpiry > 600 || *p.MessageExpiry < 590 {
		t.Fatalf("remaining expiry = %+v, want 590..600 s", p)
	}
}

func payloads(ms []*paho.Publish) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = string(m.Payload)
	}
	return out
}

// TestSessionExpiry: a persistent session keeps subscriptions and QoS 1 messages while the
// device is away, and is gone once its expiry interval has passed.
func TestSessionExpiry(t *testing.T) {
	b := startBroker(t, Config{})
	cloud := mustDial(t, b.Addr(), cloudConnect("svc"))
	cp := &paho.Connect{ClientID: "pump-1", CleanStart: true, Properties: &paho.ConnectProperties{SessionExpiryInterval: u32(60)}}
	dev := mustDial(t, b.Addr(), cp)
	dev.subscribe(t, "fk/v1/pump-1/cmd/#", 1)
	if err := dev.Disconnect(&paho.Disconnect{}); err != nil {
		t.Fatal(err)
	}
	<-dev.Done()
	cloud.publish(t, &paho.Publish{Topic: "fk/v1/pump-1/cmd/reboot", QoS: 1, Payload: []byte("while away")})

	cp.CleanStart = false
	dev2, ca, err := dial(t, b.Addr(), nil, cp)
	if err != nil {
		t.Fatal(err)
	}
	if !ca.SessionPresent {
		t.Fatal("session not present on reconnect")
	}
	if dev2.in.waitN(1, 5*time.Second) != 1 || string(dev2.in.all()[0].Payload) != "while away" {
		t.Fatalf("queued QoS 1 message not delivered: %v", payloads(dev2.in.all()))
	}
	// Now a 1 s session: gone after it expires.
	cp.Properties.SessionExpiryInterval = u32(1)
	cp.ClientID = "pump-2"
	cp.CleanStart = true
	dev3 := mustDial(t, b.Addr(), cp)
	_ = dev3.Disconnect(&paho.Disconnect{})
	<-dev3.Done()
	time.Sleep(2500 * time.Millisecond)
	cp.CleanStart = false
	_, ca, err = dial(t, b.Addr(), nil, cp)
	if err != nil {
		t.Fatal(err)
	}
	if ca.SessionPresent {
		t.Fatal("session present after its expiry interval")
	}
}

// TestWill: a device's will is published when its connection drops, not when it disconnects.
func TestWill(t *testing.T) {
	b := startBroker(t, Config{})
	cloud := mustDial(t, b.Addr(), cloudConnect("svc"))
	cloud.subscribe(t, "fk/v1/+/presence", 1)
	will := func(id string) *paho.Connect {
		return &paho.Connect{ClientID: id, CleanStart: true,
			WillMessage: &paho.WillMessage{Topic: "fk/v1/" + id + "/presence", QoS: 1, Payload: []byte(id + " offline")}}
	}
	polite := mustDial(t, b.Addr(), will("pump-1"))
	if err := polite.Disconnect(&paho.Disconnect{}); err != nil {
		t.Fatal(err)
	}
	crash := mustDial(t, b.Addr(), will("pump-2"))
	_ = crash.conn.Close() // the network drops
	if cloud.in.waitN(1, 5*time.Second) != 1 {
		t.Fatal("will not published")
	}
	time.Sleep(200 * time.Millisecond)
	if got := payloads(cloud.in.all()); len(got) != 1 || got[0] != "pump-2 offline" {
		t.Fatalf("wills received %v, want only pump-2's", got)
	}
}

func TestQoS0(t *testing.T) {
	b := startBroker(t, Config{})
	cloud := mustDial(t, b.Addr(), cloudConnect("svc"))
	cloud.subscribe(t, "fk/v1/+/tlm", 0)
	dev := mustDial(t, b.Addr(), deviceConnect("pump-1"))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := dev.Publish(ctx, &paho.Publish{Topic: "fk/v1/pump-1/tlm", QoS: 1, Payload: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	if cloud.in.waitN(1, 5*time.Second) != 1 {
		t.Fatal("not delivered")
	}
	if q := cloud.in.all()[0].QoS; q != 0 {
		t.Fatalf("delivered at QoS %d on a QoS 0 subscription", q)
	}
}
