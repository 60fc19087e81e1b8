package device_test

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/fleetkit/fleetkit/transport/memory"
	"github.com/fleetkit/fleetkit/twin/device"
)

// Close stops every goroutine the client started.
func TestCloseStopsGoroutines(t *testing.T) {
	b := memory.NewBroker(memory.Options{})
	defer b.Close()
	mc, err := b.Connect(memory.ClientConfig{ID: "dev-leak"})
	if err != nil {
		t.Fatal(err)
	}
	defer mc.Close()
	before := runtime.NumGoroutine()
	for i := 0; i < 20; i++ {
		d, err := device.New(mc, device.Config{Name: "cfg", RequestTimeout: 20 * time.Millisecond, RetryInterval: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond) // no service: the client is retrying its fetch
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
		if err := d.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
	}
	eventually(t, 2*time.Second, "goroutines to return to the baseline", func() bool { return runtime.NumGoroutine() <= before })
}
