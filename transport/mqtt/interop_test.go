package mqtt

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fleetkit/fleetkit/internal/mosquittotest"
	"github.com/fleetkit/fleetkit/transport"
)

// mosquittoClient finds mosquitto_pub or mosquitto_sub (Debian package mosquitto-clients). Under
// CI=true a missing client fails the test; elsewhere it skips with the install hint.
func mosquittoClient(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s not found: CI requires it (apt-get install -y mosquitto-clients)", name)
	}
	t.Skipf("%s not found (apt-get install -y mosquitto-clients); CI=true makes this a failure", name)
	return ""
}

// binaryPayload has every byte value, NULs and invalid UTF-8 included.
func binaryPayload() []byte {
	p := make([]byte, 0, 512)
	for i := 0; i < 512; i++ {
		p = append(p, byte(i*7))
	}
	return p
}

// TestInteropMosquittoSubReceivesFleetkit: a payload published by fleetkit arrives byte-exact at
// mosquitto_sub speaking MQTT v5, with its user property.
func TestInteropMosquittoSubReceivesFleetkit(t *testing.T) {
	sub := mosquittoClient(t, "mosquitto_sub")
	m := mosquittotest.Start(t)
	host, port, _ := strings.Cut(m.Addr(), ":")
	topic := transport.DeviceTopic("interop-1", transport.KindTelemetry)
	out := filepath.Join(t.TempDir(), "out.bin")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command(sub, "-V", "mqttv5", "-h", host, "-p", port, "-t", topic, "-q", "1", "-C", "1", "-N", "-W", "20")
	cmd.Stdout = f
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c, err := New(Config{Servers: []string{m.URL()}, ClientID: "interop-1"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := c.AwaitConnection(ctx); err != nil {
		t.Fatal(err)
	}
	payload := binaryPayload()
	// mosquitto_sub subscribes asynchronously: publish retained so that it gets the message
	// whenever its subscription lands, then clear the retained message.
	if err := c.Publish(ctx, &transport.Message{Topic: topic, Payload: payload, QoS: 1, Retain: true}); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("mosquitto_sub: %v\n%s", err, stderr.String())
	}
	c.Publish(ctx, &transport.Message{Topic: topic, QoS: 1, Retain: true})
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, payload) {
		t.Fatalf("mosquitto_sub received %d bytes, want the %d published, byte-exact", len(got), len(payload))
	}
}

// TestInteropFleetkitReceivesMosquittoPub: mosquitto_pub (MQTT v5) publishes a binary file with a
// user property and a content type; fleetkit receives all of it.
func TestInteropFleetkitReceivesMosquittoPub(t *testing.T) {
	pub := mosquittoClient(t, "mosquitto_pub")
	m := mosquittotest.Start(t)
	host, port, _ := strings.Cut(m.Addr(), ":")
	c, err := New(Config{Servers: []string{m.URL()}, ClientID: "cloud-interop"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := c.AwaitConnection(ctx); err != nil {
		t.Fatal(err)
	}
	got := make(chan *transport.Message, 1)
	if _, err := c.Subscribe(ctx, "fk/v1/+/tlm", 1, func(m *transport.Message) { got <- m }); err != nil {
		t.Fatal(err)
	}
	payload := binaryPayload()
	file := filepath.Join(t.TempDir(), "in.bin")
	if err := os.WriteFile(file, payload, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(pub, "-V", "mqttv5", "-h", host, "-p", port, "-t", "fk/v1/interop-2/tlm", "-q", "1",
		"-f", file, "-D", "publish", "user-property", "traceparent", "00-abc-01",
		"-D", "publish", "content-type", "application/octet-stream").CombinedOutput()
	if err != nil {
		t.Fatalf("mosquitto_pub: %v\n%s", err, out)
	}
	select {
	case m := <-got:
		if !bytes.Equal(m.Payload, payload) {
			t.Fatalf("received %d bytes, want %d byte-exact", len(m.Payload), len(payload))
		}
		if v, _ := m.Property("traceparent"); v != "00-abc-01" || m.ContentType != "application/octet-stream" {
			t.Fatalf("metadata lost: %+v", m)
		}
	case <-ctx.Done():
		t.Fatal("nothing received from mosquitto_pub")
	}
}
