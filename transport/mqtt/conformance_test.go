package mqtt

import (
	"testing"

	"github.com/fleetkit/fleetkit/internal/mosquittotest"
	"github.com/fleetkit/fleetkit/transport"
	"github.com/fleetkit/fleetkit/transport/transporttest"
)

func newTestClient(t testing.TB, url string, o transporttest.ClientOptions, password string) transport.Client {
	cfg := Config{Servers: []string{url}, ClientID: o.ID, Username: o.ID, Backoff: fastBackoff, Cloud: o.Cloud}
	if o.Cloud {
		cfg.Username, cfg.Password = "cloud", []byte(password)
	}
	if o.OutboxDir != "" {
		ob, err := OpenOutbox(o.OutboxDir, OutboxOptions{})
		if err != nil {
			t.Fatal(err)
		}
		cfg.Outbox = ob
		c, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return &closeAlso{Client: c, also: ob.Close}
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// closeAlso closes the client's outbox with it, as a process exit would.
type closeAlso struct {
	*Client
	also func() error
}

func (c *closeAlso) Close() error {
	err := c.Client.Close()
	if e := c.also(); err == nil {
		err = e
	}
	return err
}

func TestConformanceEmbedded(t *testing.T) {
	e := startEmbedded(t)
	transporttest.Run(t, transporttest.Harness{
		NewClient: func(t testing.TB, o transporttest.ClientOptions) transport.Client {
			return newTestClient(t, e.url(), o, benchCloudPassword)
		},
		StopBroker:        func(testing.TB) { e.stop() },
		StartBroker:       func(testing.TB) { e.start() },
		PersistentBroker:  false, // the embedded broker keeps sessions in memory only
		EnforcesNamespace: true,
		SupportsOutbox:    true,
	})
}

func TestConformanceMosquitto(t *testing.T) {
	m := mosquittotest.Start(t, mosquittotest.MaxInflight(100), mosquittotest.MaxQueued(100000))
	transporttest.Run(t, transporttest.Harness{
		NewClient: func(t testing.TB, o transporttest.ClientOptions) transport.Client {
			return newTestClient(t, m.URL(), o, "")
		},
		StopBroker:       func(testing.TB) { m.Stop() },
		StartBroker:      func(testing.TB) { m.Restart() },
		PersistentBroker: true, // mosquittotest runs Mosquitto with persistence
		SupportsOutbox:   true,
	})
}
