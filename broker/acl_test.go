package broker

import (
	"bytes"
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"
)

// TestNamespaceACL: a device publishes and subscribes only under its own prefix; refusals get
// reason 0x87 and are counted; the cloud publishes and subscribes anywhere.
func TestNamespaceACL(t *testing.T) {
	b := startBroker(t, Config{})
	cloud := mustDial(t, b.Addr(), cloudConnect("svc"))
	cloud.subscribe(t, "fk/v1/#", 1)
	dev := mustDial(t, b.Addr(), deviceConnect("pump-1"))

	subs := []struct {
		filter string
		code   byte
	}{
		{"fk/v1/pump-1/cmd/#", 0x01},
		{"fk/v1/pump-1/+/x", 0x01},
		{"fk/v1/+/tlm", 0x87},
		{"fk/v1/pump-2/cmd/#", 0x87},
		{"#", 0x87},
		{"$share/g/fk/v1/pump-1/tlm", 0x87},
	}
	for _, s := range subs {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		sa, err := dev.Subscribe(ctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: s.filter, QoS: 1}}})
		cancel()
		if sa == nil || len(sa.Reasons) != 1 || sa.Reasons[0] != s.code {
			t.Errorf("subscribe %q: SUBACK %+v err %v, want 0x%02X", s.filter, sa, err, s.code)
		}
	}

	pubs := []struct {
		topic string
		code  byte
	}{
		{"fk/v1/pump-1/tlm", 0x00},
		{"fk/v1/pump-2/tlm", 0x87},
		{"fk/v1/pump-10/tlm", 0x87},
		{"other/topic", 0x87},
	}
	for _, p := range pubs {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		pr, err := dev.Publish(ctx, &paho.Publish{Topic: p.topic, QoS: 1, Payload: []byte(p.topic)})
		cancel()
		if pr == nil || pr.ReasonCode != p.code {
			t.Errorf("publish %q: PUBACK %+v err %v, want 0x%02X", p.topic, pr, err, p.code)
		}
	}
	// A refused QoS 0 publish is dropped silently on the wire but counted.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := dev.Publish(ctx, &paho.Publish{Topic: "fk/v1/pump-2/tlm", QoS: 0, Payload: []byte("qos0")}); err != nil {
		t.Fatal(err)
	}
	// The cloud may address the device; the device receives it through its own filter.
	cloud.publish(t, &paho.Publish{Topic: "fk/v1/pump-1/cmd/reboot", QoS: 1, Payload: []byte("now")})
	if dev.in.waitN(1, 5*time.Second) != 1 {
		t.Fatal("device did not receive the cloud's command")
	}
	// The cloud saw the device's own telemetry and its own command, nothing refused.
	if cloud.in.waitN(2, 5*time.Second) != 2 {
		t.Fatalf("cloud received %d messages, want 2", cloud.in.len())
	}
	time.Sleep(100 * time.Millisecond) // let anything wrongly routed arrive
	for _, m := range cloud.in.all() {
		if m.Topic != "fk/v1/pump-1/tlm" && m.Topic != "fk/v1/pump-1/cmd/reboot" {
			t.Errorf("cloud received refused message on %q", m.Topic)
		}
	}
	s := b.Stats()
	if s.RefusedSubscribes != 4 || s.RefusedPublishes != 4 {
		t.Errorf("Stats = %+v, want 4 refused subscribes and 4 refused publishes", s)
	}
	if s.MessagesIn < 6 || s.MessagesOut < 3 {
		t.Errorf("Stats = %+v: message counters too low", s)
	}
}

// v311Connect builds an MQTT v3.1.1 CONNECT packet (paho.golang speaks only v5).
func v311Connect(clientID string) []byte {
	body := []byte{0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 60, 0, byte(len(clientID))}
	body = append(body, clientID...)
	return append([]byte{0x10, byte(len(body))}, body...)
}

// TestMQTT311: v3.1.1 clients connect, and refusals use v3.1.1 return codes.
func TestMQTT311(t *testing.T) {
	b := startBroker(t, Config{Auth: Credentials{Devices: map[string]string{"pump-1": ""}}})
	for _, tt := range []struct {
		clientID string
		code     byte
	}{
		{"pump-1", 0x00},
		{"pump-2", 0x04}, // unknown user: bad user name or password
	} {
		conn, err := net.Dial("tcp", b.Addr())
		if err != nil {
			t.Fatal(err)
		}
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := conn.Write(v311ConnectUser(tt.clientID)); err != nil {
			t.Fatal(err)
		}
		ack := make([]byte, 4)
		if _, err := io.ReadFull(conn, ack); err != nil {
			t.Fatalf("%s: read CONNACK: %v", tt.clientID, err)
		}
		if want := []byte{0x20, 0x02, 0x00, tt.code}; !bytes.Equal(ack, want) {
			t.Errorf("%s: CONNACK % X, want % X", tt.clientID, ack, want)
		}
		conn.Close()
	}
	// A device-ID rule refusal on v3.1.1 is 0x05 (not authorized).
	b2 := startBroker(t, Config{})
	conn, err := net.Dial("tcp", b2.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Write(v311Connect("_bad")); err != nil {
		t.Fatal(err)
	}
	ack := make([]byte, 4)
	if _, err := io.ReadFull(conn, ack); err != nil {
		t.Fatal(err)
	}
	if want := []byte{0x20, 0x02, 0x00, 0x05}; !bytes.Equal(ack, want) {
		t.Errorf("CONNACK % X, want % X", ack, want)
	}
}

// v311ConnectUser is v311Connect with the client ID also as user name.
func v311ConnectUser(clientID string) []byte {
	body := []byte{0, 4, 'M', 'Q', 'T', 'T', 4, 0x82, 0, 60, 0, byte(len(clientID))}
	body = append(body, clientID...)
	body = append(body, 0, byte(len(clientID)))
	body = append(body, clientID...)
	return append([]byte{0x10, byte(len(body))}, body...)
}
