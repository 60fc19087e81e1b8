package mqtt

import (
	"testing"

	"github.com/fleetkit/fleetkit/transport"
	"github.com/fleetkit/fleetkit/transport/transporttest"
)

func TestTmpConformanceSystemMosquitto(t *testing.T) {
	transporttest.Run(t, transporttest.Harness{
		NewClient: func(t testing.TB, o transporttest.ClientOptions) transport.Client {
			c, err := New(Config{Servers: []string{"mqtt://127.0.0.1:1883"}, ClientID: o.ID})
			if err != nil {
				t.Fatal(err)
			}
			return c
		},
	})
}
