package broker

import (
	"context"
	"crypto/tls"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/packets"
	"github.com/eclipse/paho.golang/paho"
)

// startBroker starts a broker for one test and closes it when the test ends.
func startBroker(t testing.TB, cfg Config, tweak ...func(*Broker)) *Broker {
	t.Helper()
	b, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	for _, f := range tweak {
		f(b)
	}
	if err := b.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// inbox collects the messages a paho client receives.
type inbox struct {
	mu   sync.Mutex
	msgs []*paho.Publish
	ch   chan struct{} // token per message
}

func newInbox() *inbox { return &inbox{ch: make(chan struct{}, 1<<16)} }

func (in *inbox) handler(p paho.PublishReceived) (bool, error) {
	in.mu.Lock()
	in.msgs = append(in.msgs, p.Packet)
	in.mu.Unlock()
	select {
	case in.ch <- struct{}{}:
	default:
	}
	return true, nil
}

func (in *inbox) len() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return len(in.msgs)
}

func (in *inbox) all() []*paho.Publish {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]*paho.Publish(nil), in.msgs...)
}

// waitN waits until n messages arrived or d passed; it returns the count.
func (in *inbox) waitN(n int, d time.Duration) int {
	deadline := time.After(d)
	for {
		if got := in.len(); got >= n {
			return got
		}
		select {
		case <-in.ch:
		case <-deadline:
			return in.len()
		}
	}
}

// client is a connected paho client with its inbox.
type client struct {
	*paho.Client
	conn net.Conn
	in   *inbox
}

// dial connects a paho client to addr with cp. tlsCfg non-nil dials TLS. It returns the CONNACK
// and the connect error instead of failing, for refusal tests.
func dial(t testing.TB, addr string, tlsCfg *tls.Config, cp *paho.Connect) (*client, *paho.Connack, error) {
	t.Helper()
	var conn net.Conn
	var err error
	if tlsCfg != nil {
		// paho.golang may write from several goroutines; tls.Conn needs its writes serialized.
		var tc *tls.Conn
		if tc, err = tls.Dial("tcp", addr, tlsCfg); err == nil {
			conn = packets.NewThreadSafeConn(tc)
		}
	} else {
		conn, err = net.Dial("tcp", addr)
	}
	if err != nil {
		return nil, nil, err
	}
	in := newInbox()
	pc := paho.NewClient(paho.ClientConfig{
		Conn:              conn,
		OnPublishReceived: []func(paho.PublishReceived) (bool, error){in.handler},
	})
	if cp.KeepAlive == 0 {
		cp.KeepAlive = 30
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ca, err := pc.Connect(ctx, cp)
	if err != nil {
		_ = conn.Close()
		return nil, ca, err
	}
	c := &client{Client: pc, conn: conn, in: in}
	t.Cleanup(func() {
		_ = pc.Disconnect(&paho.Disconnect{})
		<-pc.Done()
	})
	return c, ca, nil
}

// mustDial is dial that fails the test on error.
func mustDial(t testing.TB, addr string, cp *paho.Connect) *client {
	t.Helper()
	c, _, err := dial(t, addr, nil, cp)
	if err != nil {
		t.Fatalf("connect %q: %v", cp.ClientID, err)
	}
	return c
}

func cloudConnect(clientID string) *paho.Connect {
	return &paho.Connect{ClientID: clientID, CleanStart: true, Username: DemoCloudUser, UsernameFlag: true}
}

func deviceConnect(id string) *paho.Connect {
	return &paho.Connect{ClientID: id, CleanStart: true}
}

func (c *client) subscribe(t testing.TB, filter string, qos byte) *paho.Suback {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sa, err := c.Subscribe(ctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: filter, QoS: qos}}})
	if err != nil {
		t.Fatalf("subscribe %q: %v", filter, err)
	}
	return sa
}

func (c *client) publish(t testing.TB, p *paho.Publish) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.Publish(ctx, p); err != nil {
		t.Fatalf("publish %q: %v", p.Topic, err)
	}
}

func u16(v uint16) *uint16 { return &v }
func u32(v uint32) *uint32 { return &v }
