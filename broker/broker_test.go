package broker

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"
)

// brokerGoroutines returns the stacks of goroutines running mochi's or this package's code.
func brokerGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "github.com/mochi-mqtt/server") || strings.Contains(g, "fleetkit/broker.(*") {
			out = append(out, g)
		}
	}
	return out
}

// waitNoBrokerGoroutines polls until the broker's goroutines are gone.
func waitNoBrokerGoroutines(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		left := brokerGoroutines()
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d broker goroutines left after Close:\n%s", len(left), strings.Join(left, "\n\n"))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestCloseStopsEverything: Close returns with clients connected, one of them not
// acknowledging (the writer waits in the flow-control window), one that never sent CONNECT,
// and leaves no goroutine behind.
func TestCloseStopsEverything(t *testing.T) {
	waitNoBrokerGoroutines(t) // other tests' brokers are closed
	b, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	// A subscriber that never acknowledges, with Receive Maximum 1.
	conn, err := net.Dial("tcp", b.Addr())
	if err != nil {
		t.Fatal(err)
	}
	stuck := paho.NewClient(paho.ClientConfig{Conn: conn, EnableManualAcknowledgment: true,
		OnPublishReceived: []func(paho.PublishReceived) (bool, error){func(paho.PublishReceived) (bool, error) { return true, nil }}})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := stuck.Connect(ctx, &paho.Connect{ClientID: "svc-stuck", CleanStart: true, KeepAlive: 30,
		Username: DemoCloudUser, UsernameFlag: true, Properties: &paho.ConnectProperties{ReceiveMaximum: u16(1)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := stuck.Subscribe(ctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: "fk/v1/+/tlm", QoS: 1}}}); err != nil {
		t.Fatal(err)
	}
	pub := mustDial(t, b.Addr(), deviceConnect("pump-1"))
	for i := 0; i < 5; i++ {
		pub.publish(t, &paho.Publish{Topic: "fk/v1/pump-1/tlm", QoS: 1, Payload: []byte("x")})
	}
	// A connection that never sends CONNECT.
	silent, err := net.Dial("tcp", b.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	time.Sleep(50 * time.Millisecond)

	closed := make(chan struct{})
	go func() {
		_ = b.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatalf("Close did not return:\n%s", strings.Join(brokerGoroutines(), "\n\n"))
	}
	<-stuck.Done()
	if err := b.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	waitNoBrokerGoroutines(t)
	if err := b.Start(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Start after Close = %v, want ErrClosed", err)
	}
}

func TestLifecycle(t *testing.T) {
	b, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if b.Addr() != "" || b.URL() != "" || b.TLSAddr() != "" || b.TLSURL() != "" {
		t.Fatal("addresses before Start")
	}
	if err := b.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.Addr(), "127.0.0.1:") || b.URL() != "mqtt://"+b.Addr() || b.TLSAddr() != "" {
		t.Fatalf("Addr %q URL %q TLSAddr %q", b.Addr(), b.URL(), b.TLSAddr())
	}
	if err := b.Start(context.Background()); !errors.Is(err, ErrStarted) {
		t.Fatalf("second Start = %v, want ErrStarted", err)
	}
	// The address in use: a second broker on it fails to start.
	b2, err := New(Config{Addr: b.Addr()})
	if err != nil {
		t.Fatal(err)
	}
	if err := b2.Start(context.Background()); err == nil {
		t.Fatal("second broker on the same address started")
	}
	_ = b2.Close()
	_ = b.Close()
	// Close without Start.
	b3, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := b3.Close(); err != nil {
		t.Fatal(err)
	}
	waitNoBrokerGoroutines(t)
}

// TestConnectTimeout: a connection that sends no CONNECT is closed after ConnectTimeout.
func TestConnectTimeout(t *testing.T) {
	b := startBroker(t, Config{ConnectTimeout: 100 * time.Millisecond})
	c, err := net.Dial("tcp", b.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	start := time.Now()
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("read data from a connection that sent no CONNECT")
	} else if errors.Is(err, os.ErrDeadlineExceeded) || time.Since(start) > 4*time.Second {
		t.Fatalf("broker kept the silent connection open: %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	cert := newPKI(t).issue(t, "broker", nil, true)
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"zero", Config{}, true},
		{"TLSOnly without TLS", Config{TLSOnly: true}, false},
		{"TLS without certificate", Config{TLS: &tls.Config{}}, false},
		{"TLS", Config{TLS: &tls.Config{Certificates: []tls.Certificate{cert}}}, true},
		{"negative queue", Config{QueueLimit: -1}, false},
		{"queue too large", Config{QueueLimit: 70000}, false},
		{"queue max", Config{QueueLimit: 65535}, true},
		{"negative timeout", Config{ConnectTimeout: -time.Second}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := New(tt.cfg)
			if tt.ok != (err == nil) {
				t.Fatalf("New = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrConfig) {
				t.Fatalf("%v does not match ErrConfig", err)
			}
			if b != nil {
				_ = b.Close()
			}
		})
	}
}

// TestBadListenAddress reports the bind error.
func TestBadListenAddress(t *testing.T) {
	b, err := New(Config{Addr: "256.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Start(context.Background()); err == nil || !strings.Contains(err.Error(), "256.0.0.1") {
		t.Fatalf("Start = %v, want a listen error naming the address", err)
	}
}
