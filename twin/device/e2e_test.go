package device_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/fleetkit/fleetkit/transport"
	"github.com/fleetkit/fleetkit/transport/memory"
	"github.com/fleetkit/fleetkit/twin"
	"github.com/fleetkit/fleetkit/twin/cloud"
	"github.com/fleetkit/fleetkit/twin/device"
	"github.com/fleetkit/fleetkit/twin/store"
)

type env struct {
	b   *memory.Broker
	st  *store.Memory
	svc *cloud.Service
	cc  *memory.Client
}

func newEnv(t testing.TB, opts memory.Options, workers int) *env {
	t.Helper()
	b := memory.NewBroker(opts)
	st := store.NewMemory(twin.Limits{})
	e := &env{b: b, st: st}
	for i := 0; i < workers; i++ {
		cc, err := b.Connect(memory.ClientConfig{ID: fmt.Sprintf("twin-svc-%d", i), Identity: transport.Identity{Cloud: true}})
		if err != nil {
			t.Fatal(err)
		}
		svc, err := cloud.New(cc, cloud.Config{Store: st})
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			e.svc, e.cc = svc, cc
		}
		t.Cleanup(func() { svc.Close(); cc.Close() })
	}
	t.Cleanup(b.Close)
	return e
}

func (e *env) device(t testing.TB, id string, cfg device.Config) (*device.Client, *memory.Client) {
	t.Helper()
	mc, err := e.b.Connect(memory.ClientConfig{ID: id, SessionExpiry: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Name == "" {
		cfg.Name = "config"
	}
	if cfg.RetryInterval == 0 {
		cfg.RetryInterval = 20 * time.Millisecond
	}
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = 500 * time.Millisecond
	}
	d, err := device.New(mc, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close(); mc.Close() })
	return d, mc
}

func eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func obj(t testing.TB, s string) twin.Value {
	t.Helper()
	v, err := twin.ParseObject([]byte(s), twin.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestEndToEnd(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, memory.Options{}, 1)
	d, _ := e.device(t, "dev-1", device.Config{})
	var mu sync.Mutex
	var ssids []string
	if err := d.HandleString("network.wifi.ssid", func(s string) error {
		mu.Lock()
		ssids = append(ssids, s)
		mu.Unlock()
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := d.HandleInt("interval", func(n int64) error {
		if n <= 0 {
			return errors.New("interval must be positive")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// Desired set before the device ever connects: fetched on connect.
	if _, err := e.svc.UpdateDesired(ctx, "dev-1", "config", obj(t, `{"network":{"wifi":{"ssid":"home"}}}`), 0); err != nil {
		t.Fatal(err)
	}
	if err := d.Start(ctx); err != nil {
		t.Fatal(err)
	}
	converged := func() bool {
		doc, err := e.svc.Get(ctx, "dev-1", "config")
		return err == nil && len(doc.DeltaLeaves(nil)) == 0 && d.Synced()
	}
	eventually(t, 5*time.Second, "the device to apply ssid=home", converged)

	// A desired change arrives as a delta; a typed handler refuses a wrong type.
	res, err := e.svc.UpdateDesired(ctx, "dev-1", "config", obj(t, `{"network":{"wifi":{"ssid":"office"}},"interval":"fast"}`), 0)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "the interval ack", func() bool {
		doc, _ := e.svc.Get(ctx, "dev-1", "config")
		a, ok := doc.Ack("interval")
		return ok && a.Version == res.Version
	})
	doc, _ := e.svc.Get(ctx, "dev-1", "config")
	a, _ := doc.Ack("interval")
	if a.Code != 400 || a.Description != `interval: want int64, got string "fast"` {
		t.Fatalf("interval ack: %+v", a)
	}
	eventually(t, 5*time.Second, "ssid=office reported", func() bool {
		doc, _ := e.svc.Get(ctx, "dev-1", "config")
		v, _ := doc.Reported().Get("network", "wifi", "ssid")
		a, ok := doc.Ack("network")
		return v.String() == `"office"` && ok && a.Code == 200 && a.Version == res.Version
	})
	mu.Lock()
	if fmt.Sprint(ssids) != "[home office]" {
		t.Fatalf("handler calls: %v", ssids)
	}
	mu.Unlock()

	// Report from the application.
	if err := d.Report(ctx, obj(t, `{"battery":87}`)); err != nil {
		t.Fatal(err)
	}
	doc, _ = e.svc.Get(ctx, "dev-1", "config")
	if v, _ := doc.Reported().Get("battery"); v.String() != "87" {
		t.Fatalf("reported battery: %s", doc.Reported())
	}
	// Bad reports fail at once and change nothing.
	if err := d.Report(ctx, twin.StringOf("x")); !errors.Is(err, twin.ErrNotObject) {
		t.Fatalf("non-object Report: %v", err)
	}
	deep := `{"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":{"i":{"j":{"k":1}}}}}}}}}}}`
	if err := d.ReportJSON(ctx, []byte(deep)); !errors.Is(err, twin.ErrLimit) {
		t.Fatalf("too deep Report: %v", err)
	}
	if err := d.ReportJSON(ctx, []byte(`{"a":`)); !errors.Is(err, twin.ErrSyntax) {
		t.Fatalf("invalid JSON Report: %v", err)
	}
	after, _ := e.svc.Get(ctx, "dev-1", "config")
	if after.Version() != doc.Version() {
		t.Fatalf("bad reports changed the stored document: version %d -> %d", doc.Version(), after.Version())
	}
}

// Offline changes are coalesced into one update and sent on reconnect; a desired change made
// meanwhile is fetched on reconnect.
func TestOfflineCoalescing(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, memory.Options{}, 1)
	offlineAt := time.UnixMilli(1700000000000) // the device's clock, far from the service's
	d, mc := e.device(t, "dev-2", device.Config{Now: func() time.Time { return offlineAt }})
	d.HandleString("mode", func(string) error { return nil })
	if err := d.Start(ctx); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "first sync", d.Synced)
	before := d.Stats().Reports
	e.b.Partition("dev-2")
	eventually(t, time.Second, "partitioned", func() bool { return mc.State() != transport.Connected })
	for i := 0; i < 10; i++ {
		if err := d.Report(ctx, obj(t, fmt.Sprintf(`{"counter":%d,"tmp%d":true}`, i, i))); err != nil {
			t.Fatalf("offline Report: %v", err)
		}
	}
	d.Report(ctx, obj(t, `{"tmp3":null}`))
	if _, err := e.svc.UpdateDesired(ctx, "dev-2", "config", obj(t, `{"mode":"eco"}`), 0); err != nil {
		t.Fatal(err)
	}
	e.b.Heal("dev-2")
	eventually(t, 5*time.Second, "convergence after heal", func() bool {
		doc, _ := e.svc.Get(ctx, "dev-2", "config")
		return d.Synced() && len(doc.DeltaLeaves(nil)) == 0
	})
	doc, _ := e.svc.Get(ctx, "dev-2", "config")
	if v, _ := doc.Reported().Get("counter"); v.String() != "9" {
		t.Fatalf("counter: %s", doc.Reported())
	}
	if at, ok := doc.Updated(twin.Reported, "counter"); !ok || !at.Equal(offlineAt) {
		t.Fatalf("metadata time of counter = %v, want the offline write time %v", at, offlineAt)
	}
	if _, ok := doc.Reported().Get("tmp3"); ok {
		t.Fatalf("tmp3 deleted offline is still reported: %s", doc.Reported())
	}
	if got := d.Stats().Reports - before; got > 2 {
		t.Fatalf("offline changes took %d updates, want them coalesced (at most 2: state, then ack)", got)
	}
}
