package memory

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/fleetkit/fleetkit/transport"
)

type rvSink struct {
	mu   sync.Mutex
	msgs []*transport.Message
}

func (s *rvSink) handle(m *transport.Message) {
	s.mu.Lock()
	s.msgs = append(s.msgs, m)
	s.mu.Unlock()
}

func (s *rvSink) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.msgs)
}

func (s *rvSink) get(i int) *transport.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.msgs[i]
}

func rvConnect(t *testing.T, b *Broker, id string, cloud bool) *Client {
	t.Helper()
	c, err := b.Connect(ClientConfig{ID: id, Identity: transport.Identity{ID: id, Cloud: cloud}, SessionExpiry: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func rvWait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func rvPublish(t *testing.T, c *Client, m *transport.Message) {
	t.Helper()
	if err := c.Publish(context.Background(), m); err != nil {
		t.Fatalf("publish %q: %v", m.Topic, err)
	}
}

// TestReviewRetainFlag: a retained message is delivered with Retain set to a new subscriber and
// without it to subscribers that were already there (MQTT v5 §3.3.1.3, Retain As Published 0).
func TestReviewRetainFlag(t *testing.T) {
	b := NewBroker(Options{})
	defer b.Close()
	dev := rvConnect(t, b, "dev-r", false)
	cloud := rvConnect(t, b, "cloud-r", true)
	topic := transport.DeviceTopic("dev-r", transport.KindPresence)
	live := &rvSink{}
	if _, err := cloud.Subscribe(context.Background(), topic, 1, live.handle); err != nil {
		t.Fatal(err)
	}
	rvPublish(t, dev, &transport.Message{Topic: topic, Payload: []byte("online"), QoS: 1, Retain: true})
	rvWait(t, "live copy", func() bool { return live.len() == 1 })
	if live.get(0).Retain {
		t.Fatal("live delivery of a retained publish has Retain set")
	}
	late := rvConnect(t, b, "cloud-r2", true)
	s := &rvSink{}
	if _, err := late.Subscribe(context.Background(), topic, 1, s.handle); err != nil {
		t.Fatal(err)
	}
	rvWait(t, "retained copy", func() bool { return s.len() == 1 })
	if m := s.get(0); !m.Retain || string(m.Payload) != "online" {
		t.Fatalf("retained delivery %+v", m)
	}
}

// TestReviewOfflineQoS: while a persistent session is away, QoS 1 messages queue for it and QoS 0
// messages are discarded (MQTT v5 §4.1: QoS 0 messages may be queued, fleetkit's broker does not).
func TestReviewOfflineQoS(t *testing.T) {
	b := NewBroker(Options{})
	defer b.Close()
	d := rvConnect(t, b, "dev-q", false)
	s := &rvSink{}
	if _, err := d.Subscribe(context.Background(), transport.DeviceTopic("dev-q", transport.KindCommand, "#"), 1, s.handle); err != nil {
		t.Fatal(err)
	}
	cloud := rvConnect(t, b, "cloud-q", true)
	b.Partition("dev-q")
	rvPublish(t, cloud, &transport.Message{Topic: transport.DeviceTopic("dev-q", transport.KindCommand, "a"), Payload: []byte("q1"), QoS: 1})
	rvPublish(t, cloud, &transport.Message{Topic: transport.DeviceTopic("dev-q", transport.KindCommand, "b"), Payload: []byte("q0"), QoS: 0})
	if s.len() != 0 {
		t.Fatal("partitioned client received a message")
	}
	b.Heal("dev-q")
	rvWait(t, "queued message", func() bool { return s.len() >= 1 })
	time.Sleep(30 * time.Millisecond)
	if s.len() != 1 || string(s.get(0).Payload) != "q1" {
		t.Fatalf("after heal got %d messages (first %q), want only q1", s.len(), s.get(0).Payload)
	}
}

// TestReviewSharedGetsNoRetained: retained messages are not sent for a shared subscription
// (MQTT v5 §4.8.2).
func TestReviewSharedGetsNoRetained(t *testing.T) {
	b := NewBroker(Options{})
	defer b.Close()
	dev := rvConnect(t, b, "dev-s", false)
	topic := transport.DeviceTopic("dev-s", transport.KindPresence)
	rvPublish(t, dev, &transport.Message{Topic: topic, Payload: []byte("online"), QoS: 1, Retain: true})
	w := rvConnect(t, b, "worker-s", true)
	s := &rvSink{}
	if _, err := w.Subscribe(context.Background(), "$share/g/"+topic, 1, s.handle); err != nil {
		t.Fatal(err)
	}
	time.Sleep(30 * time.Millisecond)
	if s.len() != 0 {
		t.Fatalf("shared subscription received %d retained message(s)", s.len())
	}
}
