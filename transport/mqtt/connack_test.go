package mqtt

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/packets"

	"github.com/fleetkit/fleetkit/internal/backoff"
	"github.com/fleetkit/fleetkit/transport"
)

// fakeBroker accepts connections and answers each CONNECT with the CONNACK reason code that
// code() returns (0 = accept and then read until the client leaves).
type fakeBroker struct {
	ln       net.Listener
	code     func(attempt int) byte
	attempts atomic.Int64
}

func startFake(t *testing.T, code func(attempt int) byte) *fakeBroker {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeBroker{ln: ln, code: code}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go f.serve(conn)
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return f
}

func (f *fakeBroker) serve(conn net.Conn) {
	defer conn.Close()
	p, err := packets.ReadPacket(conn)
	if err != nil || p.Type != packets.CONNECT {
		return
	}
	n := int(f.attempts.Add(1))
	ca := packets.NewControlPacket(packets.CONNACK)
	c := ca.Content.(*packets.Connack)
	c.ReasonCode = f.code(n)
	c.Properties = &packets.Properties{ReasonString: "fake says so"}
	if _, err := ca.WriteTo(conn); err != nil || c.ReasonCode != 0 {
		return
	}
	for {
		p, err := packets.ReadPacket(conn)
		if err != nil {
			return
		}
		if p.Type == packets.SUBSCRIBE {
			s := p.Content.(*packets.Subscribe)
			sa := packets.NewControlPacket(packets.SUBACK)
			sa.Content.(*packets.Suback).PacketID = s.PacketID
			sa.Content.(*packets.Suback).Reasons = make([]byte, len(s.Subscriptions))
			sa.WriteTo(conn)
		}
	}
}

func connackCodes(t *testing.T) []byte {
	raw, err := os.ReadFile("testdata/mqtt5-codes.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		ReasonCodes []struct {
			Value   int      `json:"value"`
			Packets []string `json:"packets"`
		} `json:"reason_codes"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var out []byte
	for _, rc := range doc.ReasonCodes {
		if rc.Value >= 0x80 && slices.Contains(rc.Packets, "CONNACK") {
			out = append(out, byte(rc.Value))
		}
	}
	if len(out) < 15 {
		t.Fatalf("only %d CONNACK failure codes in the table", len(out))
	}
	return out
}

// TestConnackRefusalsAreTypedErrors: every CONNACK failure code of MQTT v5 reaches the user as a
// *ReasonError carrying that code and matching its transport sentinel, through the state events.
func TestConnackRefusalsAreTypedErrors(t *testing.T) {
	for _, code := range connackCodes(t) {
		f := startFake(t, func(int) byte { return code })
		c, err := New(Config{Servers: []string{"mqtt://" + f.ln.Addr().String()}, ClientID: "d1"})
		if err != nil {
			t.Fatal(err)
		}
		got := make(chan error, 4)
		c.OnStateChange(func(e transport.StateEvent) {
			if e.State == transport.Disconnected && e.Err != nil {
				select {
				case got <- e.Err:
				default:
				}
			}
		})
		var err2 error
		select {
		case err2 = <-got:
		case <-time.After(5 * time.Second):
			t.Fatalf("0x%02X: no disconnected event", code)
		}
		c.Close()
		var re *ReasonError
		if !errors.As(err2, &re) || re.Code != ReasonCode(code) || re.Packet != "CONNACK" || re.Reason != "fake says so" {
			t.Errorf("0x%02X: event error %v, want *ReasonError with the code and reason string", code, err2)
			continue
		}
		if !errors.Is(err2, ReasonCode(code).sentinel()) {
			t.Errorf("0x%02X: %v does not match its sentinel", code, err2)
		}
	}
}

// TestReconnectBacksOff: a broker that refuses three times and then accepts; the client keeps
// trying with growing, jittered delays and connects.
func TestReconnectBacksOff(t *testing.T) {
	f := startFake(t, func(n int) byte {
		if n <= 3 {
			return byte(ServerUnavailable)
		}
		return 0
	})
	c, err := New(Config{Servers: []string{"mqtt://" + f.ln.Addr().String()}, ClientID: "d1",
		Backoff: backoff.Policy{Min: 20 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.AwaitConnection(ctx); err != nil {
		t.Fatal(err)
	}
	// Delays of at least 10+20+40ms (half of 20, 40 and 80ms) before the fourth attempt.
	if el := time.Since(start); el < 70*time.Millisecond {
		t.Fatalf("connected after %v: no backoff between refusals", el)
	}
	if n := f.attempts.Load(); n != 4 {
		t.Fatalf("%d attempts, want 4", n)
	}
}

// TestDialFailureIsNotConnected: nothing listening → state events carry ErrNotConnected.
func TestDialFailureIsNotConnected(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	c, err := New(Config{Servers: []string{"mqtt://" + addr}, ClientID: "d1"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got := make(chan error, 1)
	c.OnStateChange(func(e transport.StateEvent) {
		if e.Err != nil {
			select {
			case got <- e.Err:
			default:
			}
		}
	})
	select {
	case err := <-got:
		if !errors.Is(err, transport.ErrNotConnected) {
			t.Fatalf("dial failure: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no state event")
	}
	if err := c.Publish(context.Background(), &transport.Message{Topic: "fk/v1/d1/tlm", QoS: 1}); !errors.Is(err, transport.ErrNotConnected) {
		t.Fatalf("publish while offline without outbox: %v", err)
	}
}
