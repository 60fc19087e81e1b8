package device_test

import (
	"errors"
	"testing"

	"github.com/fleetkit/fleetkit/transport/memory"
	"github.com/fleetkit/fleetkit/twin"
	"github.com/fleetkit/fleetkit/twin/device"
)

func TestNewAndHandleValidate(t *testing.T) {
	b := memory.NewBroker(memory.Options{})
	defer b.Close()
	mc, _ := b.Connect(memory.ClientConfig{ID: "dev-1"})
	for _, cfg := range []device.Config{{}, {Name: "a/b"}, {Name: "cfg", Policy: 9}} {
		if _, err := device.New(mc, cfg); err == nil {
			t.Errorf("New(%+v) succeeded", cfg)
		}
	}
	d, err := device.New(mc, device.Config{Name: "cfg"})
	if err != nil {
		t.Fatal(err)
	}
	noop := func(twin.Value) error { return nil }
	for _, p := range []string{"", "a..b", ".a", "a."} {
		if err := d.Handle(p, noop); !errors.Is(err, device.ErrHandler) {
			t.Errorf("Handle(%q): %v, want ErrHandler", p, err)
		}
	}
	if err := d.Handle("a.b", noop); err != nil {
		t.Fatal(err)
	}
	if err := d.Handle("a.b", noop); !errors.Is(err, device.ErrHandler) {
		t.Errorf("duplicate Handle: %v", err)
	}
}

func TestTypedHandlers(t *testing.T) {
	b := memory.NewBroker(memory.Options{})
	defer b.Close()
	mc, _ := b.Connect(memory.ClientConfig{ID: "dev-1"})
	num := func(s string) twin.Value { v, _ := twin.NumberOf(s); return v }
	cases := []struct {
		name    string
		reg     func(d *device.Client, path string) error
		value   twin.Value
		wantErr string
	}{
		{"string ok", func(d *device.Client, p string) error { return d.HandleString(p, func(string) error { return nil }) }, twin.StringOf("x"), ""},
		{"string gets number", func(d *device.Client, p string) error { return d.HandleString(p, func(string) error { return nil }) }, num("3"), "want string, got number 3"},
		{"bool gets string", func(d *device.Client, p string) error { return d.HandleBool(p, func(bool) error { return nil }) }, twin.StringOf("true"), `want bool, got string "true"`},
		{"int gets fraction", func(d *device.Client, p string) error { return d.HandleInt(p, func(int64) error { return nil }) }, num("2.5"), "want int64, got number 2.5"},
		{"int ok", func(d *device.Client, p string) error { return d.HandleInt(p, func(int64) error { return nil }) }, num("-7"), ""},
		{"float gets array", func(d *device.Client, p string) error { return d.HandleFloat(p, func(float64) error { return nil }) }, twin.ArrayOf(), "want float64, got array []"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := device.CallHandlerForTest(mc, c.reg, c.value)
			if c.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			var te *device.TypeError
			if !errors.As(err, &te) || !errors.Is(err, device.ErrType) || err.Error() != c.wantErr {
				t.Fatalf("got %v, want *TypeError %q", err, c.wantErr)
			}
		})
	}
}
