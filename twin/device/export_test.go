package device

import (
	"github.com/fleetkit/fleetkit/transport"
	"github.com/fleetkit/fleetkit/twin"
)

// CallHandlerForTest registers a handler with reg on a fresh client and calls it with v.
func CallHandlerForTest(t transport.Client, reg func(*Client, string) error, v twin.Value) error {
	c, err := New(t, Config{Name: "test"})
	if err != nil {
		return err
	}
	if err := reg(c, "p"); err != nil {
		return err
	}
	return c.handlers["p"].h(v)
}
