package mqtt

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fleetkit/fleetkit/transport"
)

// A handler's QoS 1 Publish during an inbound burst gets its PUBACK: paho's reader never waits
// for mailbox room while an acknowledgement is awaited.
func TestHandlerPublishDuringBurst(t *testing.T) {
	const burst = 300
	b := rvStart(t, &rvBroker{onSubscribe: func(b *rvBroker, filter string) {
		if filter != "fk/v1/dev-1/cmd/#" {
			return
		}
		for i := 0; i < burst; i++ {
			b.publish("fk/v1/dev-1/cmd/x", 0, 0, []byte{byte(i)})
		}
	}})
	c := rvClient(t, b, Config{ReceiveMaximum: 1}) // mailbox limit 64
	result := make(chan error, 1)
	var n atomic.Int64
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := c.Subscribe(ctx, "fk/v1/dev-1/cmd/#", 0, func(m *transport.Message) {
		if n.Add(1) == 1 {
			pctx, pcancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer pcancel()
			result <- c.Publish(pctx, &transport.Message{Topic: "fk/v1/dev-1/cmd/ack", QoS: 1})
		}
	}); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-result:
		if err != nil {
			t.Fatalf("QoS 1 Publish from a handler during a burst: %v", err)
		}
	case <-time.After(6 * time.Second):
		t.Fatal("handler never ran")
	}
	go c.Close()
}

// Close hands every message already acknowledged to its handler before returning.
func TestCloseDeliversAcknowledgedMessages(t *testing.T) {
	const n = 5
	b := rvStart(t, &rvBroker{onSubscribe: func(b *rvBroker, filter string) {
		if filter != "fk/v1/dev-1/cmd/#" {
			return
		}
		for i := 1; i <= n; i++ {
			b.publish("fk/v1/dev-1/cmd/x", 1, uint16(i), []byte{byte(i)})
		}
	}})
	c := rvClient(t, b, Config{})
	release := make(chan struct{})
	var handled atomic.Int64
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := c.Subscribe(ctx, "fk/v1/dev-1/cmd/#", 1, func(*transport.Message) {
		<-release
		handled.Add(1)
	}); err != nil {
		t.Fatal(err)
	}
	rvWait(t, "PUBACKs", func() bool { return b.pubacks.Load() == n })
	closed := make(chan struct{})
	go func() { c.Close(); close(closed) }()
	time.Sleep(100 * time.Millisecond)
	close(release)
	<-closed
	if h := handled.Load(); h != n {
		t.Fatalf("broker got %d PUBACKs but only %d of %d messages reached the handler before Close returned", b.pubacks.Load(), h, n)
	}
}

// A message paho refuses against the broker's announcements is removed and reported; the outbox
// moves on.
func TestOutboxSkipsUnsendableMessage(t *testing.T) {
	b := rvStart(t, &rvBroker{noRetain: true})
	var refused atomic.Int64
	ob := newOutbox(&rvStore{}, 10, func(_ *transport.Message, err error) {
		if errors.Is(err, transport.ErrRefused) {
			refused.Add(1)
		}
	})
	c := rvClient(t, b, Config{Outbox: ob})
	defer c.Close()
	ctx := context.Background()
	if err := c.Publish(ctx, &transport.Message{Topic: "fk/v1/dev-1/presence", Payload: []byte("online"), QoS: 1, Retain: true}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if err := c.Publish(ctx, &transport.Message{Topic: "fk/v1/dev-1/tlm", Payload: []byte{byte(i)}, QoS: 1}); err != nil {
			t.Fatal(err)
		}
	}
	rvWait(t, "delivery past the unsendable message", func() bool { return b.received.Load() >= 3 })
	if refused.Load() != 1 {
		t.Fatalf("refusals reported: %d, want 1", refused.Load())
	}
}

// paho's local refusal (retain unavailable) is ErrRefused, not ErrNotConnected.
func TestRetainUnavailableIsRefused(t *testing.T) {
	b := rvStart(t, &rvBroker{noRetain: true})
	c := rvClient(t, b, Config{})
	defer c.Close()
	err := c.Publish(context.Background(), &transport.Message{Topic: "fk/v1/dev-1/presence", Payload: []byte("x"), QoS: 1, Retain: true})
	if errors.Is(err, transport.ErrNotConnected) || !errors.Is(err, transport.ErrRefused) {
		t.Fatalf("retained publish to a broker without retain: %v; want ErrRefused", err)
	}
}

// A redelivered PUBLISH (DUP=1) arrives with Duplicate set.
func TestDuplicateFlagKept(t *testing.T) {
	b := rvStart(t, &rvBroker{dup: true, onSubscribe: func(b *rvBroker, filter string) {
		if filter == "fk/v1/dev-1/cmd/#" {
			b.publish("fk/v1/dev-1/cmd/x", 1, 7, []byte("again"))
		}
	}})
	c := rvClient(t, b, Config{})
	defer c.Close()
	got := make(chan *transport.Message, 1)
	if _, err := c.Subscribe(context.Background(), "fk/v1/dev-1/cmd/#", 1, func(m *transport.Message) { got <- m }); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-got:
		if !m.Duplicate {
			t.Fatal("redelivered PUBLISH arrived with Duplicate=false")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no delivery")
	}
}

// The client ID names the response inbox: it must be one valid topic level.
func TestClientIDMustBeATopicLevel(t *testing.T) {
	for _, id := range []string{"svc+1", "svc#", "a/b", ""} {
		if _, err := New(Config{Servers: []string{"mqtt://127.0.0.1:1"}, ClientID: id}); err == nil {
			t.Errorf("New accepted ClientID %q", id)
		}
	}
}
