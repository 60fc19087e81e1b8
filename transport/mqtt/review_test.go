package mqtt

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/packets"

	"github.com/fleetkit/fleetkit/internal/backoff"
	"github.com/fleetkit/fleetkit/transport"
)

// rvBroker is a scripted MQTT v5 peer for one client connection at a time: it accepts CONNECT,
// answers SUBSCRIBE (with subackCode for filters containing refuseSub), PUBLISH QoS 1 (with
// pubackCode), PINGREQ, counts the client's PUBACKs, and calls onSubscribe with each subscribed
// filter so a test can push traffic.
type rvBroker struct {
	ln          net.Listener
	refuseSub   string
	subackCode  byte
	pubackCode  byte
	onSubscribe func(b *rvBroker, filter string)
	maxPacket   uint32
	noRetain    bool

	wmu      sync.Mutex
	conn     net.Conn
	pubacks  atomic.Int64
	received atomic.Int64
	connects atomic.Int64
	subsMu   sync.Mutex
	subs     []packets.SubOptions
	unsubs   []string
	dup      bool
}

func rvStart(t *testing.T, b *rvBroker) *rvBroker {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b.ln = ln
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go b.serve(conn)
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return b
}

func (b *rvBroker) write(cp *packets.ControlPacket) {
	b.wmu.Lock()
	defer b.wmu.Unlock()
	if b.conn != nil {
		_, _ = cp.WriteTo(b.conn)
	}
}

// publish sends a PUBLISH to the client.
func (b *rvBroker) publish(topic string, qos byte, id uint16, payload []byte) {
	cp := packets.NewControlPacket(packets.PUBLISH)
	p := cp.Content.(*packets.Publish)
	p.Topic, p.QoS, p.PacketID, p.Payload = topic, qos, id, payload
	p.Duplicate = b.dup
	p.Properties = &packets.Properties{}
	b.write(cp)
}

// drop closes the current connection without DISCONNECT.
func (b *rvBroker) drop() {
	b.wmu.Lock()
	defer b.wmu.Unlock()
	if b.conn != nil {
		b.conn.Close()
	}
}

func (b *rvBroker) serve(conn net.Conn) {
	defer conn.Close()
	p, err := packets.ReadPacket(conn)
	if err != nil || p.Type != packets.CONNECT {
		return
	}
	b.wmu.Lock()
	b.conn = conn
	b.wmu.Unlock()
	b.connects.Add(1)
	ca := packets.NewControlPacket(packets.CONNACK)
	ca.Content.(*packets.Connack).Properties = &packets.Properties{}
	if b.noRetain {
		zero := byte(0)
		ca.Content.(*packets.Connack).Properties.RetainAvailable = &zero
	}
	if b.maxPacket > 0 {
		mp := b.maxPacket
		ca.Content.(*packets.Connack).Properties.MaximumPacketSize = &mp
	}
	b.write(ca)
	for {
		p, err := packets.ReadPacket(conn)
		if err != nil {
			return
		}
		switch c := p.Content.(type) {
		case *packets.Subscribe:
			sa := packets.NewControlPacket(packets.SUBACK)
			s := sa.Content.(*packets.Suback)
			s.PacketID = c.PacketID
			s.Properties = &packets.Properties{}
			for _, o := range c.Subscriptions {
				code := o.QoS
				if b.refuseSub != "" && strings.Contains(o.Topic, b.refuseSub) {
					code = b.subackCode
				}
				s.Reasons = append(s.Reasons, code)
			}
			b.subsMu.Lock()
			b.subs = append(b.subs, c.Subscriptions...)
			b.subsMu.Unlock()
			b.write(sa)
			if b.onSubscribe != nil {
				for _, o := range c.Subscriptions {
					go b.onSubscribe(b, o.Topic)
				}
			}
		case *packets.Publish:
			b.received.Add(1)
			if c.QoS == 1 {
				pa := packets.NewControlPacket(packets.PUBACK)
				a := pa.Content.(*packets.Puback)
				a.PacketID, a.ReasonCode = c.PacketID, b.pubackCode
				a.Properties = &packets.Properties{}
				b.write(pa)
			}
		case *packets.Puback:
			b.pubacks.Add(1)
		case *packets.Unsubscribe:
			b.subsMu.Lock()
			b.unsubs = append(b.unsubs, c.Topics...)
			b.subsMu.Unlock()
			ua := packets.NewControlPacket(packets.UNSUBACK)
			u := ua.Content.(*packets.Unsuback)
			u.PacketID = c.PacketID
			u.Properties = &packets.Properties{}
			u.Reasons = make([]byte, len(c.Topics))
			b.write(ua)
		case *packets.Pingreq:
			b.write(packets.NewControlPacket(packets.PINGRESP))
		case *packets.Disconnect:
			return
		}
	}
}

func (b *rvBroker) subscribed() []packets.SubOptions {
	b.subsMu.Lock()
	defer b.subsMu.Unlock()
	return append([]packets.SubOptions(nil), b.subs...)
}

func rvClient(t *testing.T, b *rvBroker, cfg Config) *Client {
	t.Helper()
	cfg.Servers = []string{"mqtt://" + b.ln.Addr().String()}
	if cfg.ClientID == "" {
		cfg.ClientID = "dev-1"
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.AwaitConnection(ctx); err != nil {
		t.Fatal(err)
	}
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

// TestReviewRefusalsMapToSentinels: a PUBACK or SUBACK failure code reaches the caller as a
// *ReasonError naming the packet, matching the transport sentinel; a refused Subscribe leaves no
// route behind.
func TestReviewRefusalsMapToSentinels(t *testing.T) {
	b := rvStart(t, &rvBroker{refuseSub: "secret", subackCode: byte(NotAuthorized), pubackCode: byte(QuotaExceeded)})
	c := rvClient(t, b, Config{})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := c.Publish(ctx, &transport.Message{Topic: "fk/v1/dev-1/tlm", QoS: 1})
	var re *ReasonError
	if !errors.As(err, &re) || re.Packet != "PUBACK" || re.Code != QuotaExceeded || !errors.Is(err, transport.ErrRefused) {
		t.Fatalf("refused publish: %v", err)
	}
	_, err = c.Subscribe(ctx, "fk/v1/dev-1/secret/#", 1, func(*transport.Message) {})
	if !errors.As(err, &re) || re.Packet != "SUBACK" || !errors.Is(err, transport.ErrNotAuthorized) {
		t.Fatalf("refused subscribe: %v", err)
	}
	for _, r := range c.router.Routes() {
		if r.Filter == "fk/v1/dev-1/secret/#" {
			t.Fatal("a refused subscription stays in the router and would be re-sent on every reconnect")
		}
	}
}

// TestReviewResubscribeAfterDrop: after the connection drops, the client reconnects and
// re-establishes every subscription (and the response inbox) with retain handling 1.
func TestReviewResubscribeAfterDrop(t *testing.T) {
	b := rvStart(t, &rvBroker{})
	c := rvClient(t, b, Config{Backoff: rvFastBackoff()})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := c.Subscribe(ctx, "fk/v1/dev-1/cmd/#", 1, func(*transport.Message) {}); err != nil {
		t.Fatal(err)
	}
	n := len(b.subscribed())
	b.drop()
	rvWait(t, "reconnect", func() bool { return b.connects.Load() == 2 && c.State() == transport.Connected })
	rvWait(t, "resubscribe", func() bool { return len(b.subscribed()) >= n+2 })
	seen := map[string]byte{}
	for _, o := range b.subscribed()[n:] {
		seen[o.Topic] = o.RetainHandling
	}
	for _, f := range []string{"fk/v1/dev-1/cmd/#", c.inbox.Filter()} {
		rh, ok := seen[f]
		if !ok || rh != 1 {
			t.Fatalf("after reconnect %q: subscribed %v, retain handling %d", f, ok, rh)
		}
	}
}

// TestReviewRequestAfterCloseIsClosed: Publish, Subscribe and Request after Close fail with
// ErrClosed, and Close is idempotent.
func TestReviewRequestAfterCloseIsClosed(t *testing.T) {
	b := rvStart(t, &rvBroker{})
	c := rvClient(t, b, Config{})
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := c.Publish(ctx, &transport.Message{Topic: "fk/v1/dev-1/tlm"}); !errors.Is(err, transport.ErrClosed) {
		t.Fatalf("publish after close: %v", err)
	}
	if _, err := c.Subscribe(ctx, "fk/v1/dev-1/cmd/#", 1, func(*transport.Message) {}); !errors.Is(err, transport.ErrClosed) {
		t.Fatalf("subscribe after close: %v", err)
	}
	if _, err := c.Request(ctx, &transport.Message{Topic: "fk/v1/dev-1/rpc/x", QoS: 1}); !errors.Is(err, transport.ErrClosed) {
		t.Fatalf("request after close: %v", err)
	}
	if c.State() != transport.Closed {
		t.Fatalf("state %v", c.State())
	}
}

func rvFastBackoff() backoff.Policy {
	return backoff.Policy{Min: 10 * time.Millisecond, Max: 50 * time.Millisecond}
}

// rvStore is an in-memory outboxStore.
type rvStore struct {
	mu   sync.Mutex
	next uint64
	recs map[uint64][]byte
}

func (s *rvStore) Append(rec []byte) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.recs == nil {
		s.recs = map[uint64][]byte{}
	}
	s.next++
	s.recs[s.next] = append([]byte(nil), rec...)
	return s.next, nil
}

func (s *rvStore) Ack(seq uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.recs, seq)
	return nil
}

func (s *rvStore) Scan(after uint64, max int, fn func(uint64, []byte)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for seq := after + 1; seq <= s.next && max > 0; seq++ {
		if r, ok := s.recs[seq]; ok {
			fn(seq, r)
			max--
		}
	}
	return nil
}

func (s *rvStore) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.recs)
}

func (s *rvStore) Close() error { return nil }

// TestReviewOutboxDeliversAndRemoves: with an outbox, Publish stores and returns; every stored
// message reaches the broker once acknowledged it is removed, and Drain returns.
func TestReviewOutboxDeliversAndRemoves(t *testing.T) {
	b := rvStart(t, &rvBroker{})
	ob := newOutbox(&rvStore{}, 4, nil)
	c := rvClient(t, b, Config{Outbox: ob})
	defer c.Close()
	const n = 25
	for i := 0; i < n; i++ {
		if err := c.Publish(context.Background(), &transport.Message{Topic: "fk/v1/dev-1/tlm", Payload: []byte{byte(i)}, QoS: 1}); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := ob.Drain(ctx); err != nil {
		t.Fatalf("drain: %v (pending %d)", err, ob.Len())
	}
	if got := b.received.Load(); got != n {
		t.Fatalf("broker received %d, want %d", got, n)
	}
	if st := ob.Stats(); st.Stored != n || st.Acked != n || st.Pending != 0 {
		t.Fatalf("stats %+v", st)
	}
}
