package mosquittotest

import (
	"context"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"
)

type received chan *paho.Publish

// connect dials addr with paho.golang and connects with cp; messages go to the returned channel.
func connect(t *testing.T, addr string, cp *paho.Connect) (*paho.Client, received, *paho.Connack) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	ch := make(received, 100)
	c := paho.NewClient(paho.ClientConfig{
		Conn: conn,
		OnPublishReceived: []func(paho.PublishReceived) (bool, error){func(p paho.PublishReceived) (bool, error) {
			ch <- p.Packet
			return true, nil
		}},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cp.KeepAlive = 30
	ca, err := c.Connect(ctx, cp)
	if err != nil {
		t.Fatalf("connect %q to %s: %v", cp.ClientID, addr, err)
	}
	t.Cleanup(func() {
		_ = c.Disconnect(&paho.Disconnect{})
		<-c.Done()
	})
	return c, ch, ca
}

func expect(t *testing.T, ch received, topic, payload string) {
	t.Helper()
	select {
	case p := <-ch:
		if p.Topic != topic || string(p.Payload) != payload {
			t.Fatalf("received %q %q, want %q %q", p.Topic, p.Payload, topic, payload)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("no message on %q within 10s", topic)
	}
}

func publish(t *testing.T, c *paho.Client, topic, payload string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.Publish(ctx, &paho.Publish{Topic: topic, QoS: 1, Payload: []byte(payload)}); err != nil {
		t.Fatalf("publish: %v", err)
	}
}

// TestPublishReceiveRestart: a persistent session's QoS 1 message queued while the subscriber
// is away survives a broker restart and is delivered when the subscriber returns. The session
// is created with CleanStart false: see TestRestartForgetsCleanStartSessions.
func TestPublishReceiveRestart(t *testing.T) {
	srv := Start(t)
	if !strings.HasPrefix(srv.Addr(), "127.0.0.1:") || srv.URL() != "mqtt://"+srv.Addr() || srv.TLSAddr() != "" {
		t.Fatalf("Addr %q URL %q TLSAddr %q", srv.Addr(), srv.URL(), srv.TLSAddr())
	}
	if srv.Addr() == "127.0.0.1:1883" {
		t.Fatal("must not use the system broker's port")
	}
	const topic = "fk/v1/d1/tlm"
	session := &paho.Connect{ClientID: "persistent-sub", CleanStart: false,
		Properties: &paho.ConnectProperties{SessionExpiryInterval: ptr(uint32(300))}}
	sub, subCh, _ := connect(t, srv.Addr(), session)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := sub.Subscribe(ctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: topic, QoS: 1}}}); err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	pub, _, _ := connect(t, srv.Addr(), &paho.Connect{ClientID: "pub", CleanStart: true})
	publish(t, pub, topic, "live")
	expect(t, subCh, topic, "live")

	if err := sub.Disconnect(&paho.Disconnect{}); err != nil {
		t.Fatalf("disconnect: %v", err)
	}
	<-sub.Done()
	publish(t, pub, topic, "queued")
	_ = pub.Disconnect(&paho.Disconnect{})
	<-pub.Done()

	srv.Restart()
	if !srv.Running() {
		t.Fatal("not running after Restart")
	}
	_, subCh2, ca := connect(t, srv.Addr(), session)
	if !ca.SessionPresent {
		t.Fatal("session not present after restart: persistence lost")
	}
	expect(t, subCh2, topic, "queued")
}

// TestRestartForgetsCleanStartSessions pins a Mosquitto 2.0.11 behaviour that conformance
// tests must design around: a session whose last CONNECT had Clean Start set is not written to
// the persistence database, even with a Session Expiry Interval, so it does not survive a
// restart (it does survive a plain reconnect). If this test fails, Mosquitto changed.
func TestRestartForgetsCleanStartSessions(t *testing.T) {
	srv := Start(t)
	session := &paho.Connect{ClientID: "clean-start-sub", CleanStart: true,
		Properties: &paho.ConnectProperties{SessionExpiryInterval: ptr(uint32(300))}}
	sub, _, _ := connect(t, srv.Addr(), session)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := sub.Subscribe(ctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: "a", QoS: 1}}}); err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	_ = sub.Disconnect(&paho.Disconnect{})
	<-sub.Done()
	srv.Restart()
	session.CleanStart = false
	_, _, ca := connect(t, srv.Addr(), session)
	if ca.SessionPresent {
		t.Fatal("Mosquitto kept a Clean Start session across a restart: update the package documentation")
	}
}

// TestStopKill: Stop and Kill end the process; Stop is idempotent; the config carries the
// settings the package documents.
func TestStopKill(t *testing.T) {
	srv := Start(t, MaxInflight(7), MaxQueued(123), Config("# extra line"))
	conf, err := os.ReadFile(srv.conf)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"set_tcp_nodelay true", "max_inflight_messages 7", "max_queued_messages 123",
		"persistence true", "allow_anonymous true", "listener " + srv.Addr()[len("127.0.0.1:"):] + " 127.0.0.1", "# extra line"} {
		if !strings.Contains(string(conf), want) {
			t.Errorf("config lacks %q:\n%s", want, conf)
		}
	}
	srv.Kill()
	if srv.Running() {
		t.Fatal("running after Kill")
	}
	if c, err := net.DialTimeout("tcp", srv.Addr(), time.Second); err == nil {
		c.Close()
		t.Fatal("port still accepts after Kill")
	}
	srv.Restart()
	if !srv.Running() {
		t.Fatal("not running after Restart")
	}
	srv.Stop()
	srv.Stop()
	if srv.Running() {
		t.Fatal("running after Stop")
	}
	if !strings.Contains(srv.Log(), "mosquitto version") {
		t.Errorf("log does not look like Mosquitto's:\n%s", srv.Log())
	}
}

func TestMissingBinary(t *testing.T) {
	if _, err := findBinary("/nonexistent/mosquitto"); err == nil {
		t.Fatal("findBinary accepted a missing path")
	}
}

func ptr[T any](v T) *T { return &v }
