package mqtt

import (
	"context"
	"testing"
	"time"

	"github.com/fleetkit/fleetkit/broker"
	"github.com/fleetkit/fleetkit/internal/backoff"
	"github.com/fleetkit/fleetkit/internal/mosquittotest"
)

// The brokers the tests and benchmarks run against: fleetkit's embedded broker, and a real
// Mosquitto that the test starts itself (mosquittotest: it fails the test when CI=true and
// Mosquitto is missing, and skips otherwise).

const benchCloudPassword = "bench-cloud-secret"

// fastBackoff keeps reconnection quick in tests that restart brokers.
var fastBackoff = backoff.Policy{Min: 20 * time.Millisecond, Max: 500 * time.Millisecond}

var benchBackoff = fastBackoff

// embedded is a restartable embedded broker on a fixed loopback address.
type embedded struct {
	t    testing.TB
	addr string
	b    *broker.Broker
}

func startEmbedded(t testing.TB) *embedded {
	t.Helper()
	e := &embedded{t: t}
	e.start()
	t.Cleanup(func() { e.stop() })
	return e
}

func (e *embedded) start() {
	e.t.Helper()
	b, err := broker.New(broker.Config{Addr: e.addr, Auth: broker.AllowAll(map[string]string{"cloud": benchCloudPassword})})
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		err = b.Start(ctx)
		if err == nil || ctx.Err() != nil {
			break
		}
		time.Sleep(20 * time.Millisecond) // the old listener's port may take a moment to free
	}
	if err != nil {
		e.t.Fatal(err)
	}
	e.b, e.addr = b, b.Addr()
}

func (e *embedded) stop() {
	if e.b != nil {
		e.b.Close()
		e.b = nil
	}
}

func (e *embedded) url() string { return "mqtt://" + e.addr }

type benchBroker struct {
	name, url, addr string
}

func benchBrokers(b testing.TB) []benchBroker {
	e := startEmbedded(b)
	m := mosquittotest.Start(b, mosquittotest.MaxInflight(100), mosquittotest.MaxQueued(100000),
		mosquittotest.Config("max_connections -1"))
	return []benchBroker{
		{"embedded", e.url(), e.addr},
		{"mosquitto", m.URL(), m.Addr()},
	}
}
