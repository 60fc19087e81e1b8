package transport_test

import (
	"errors"
	"fmt"

	"github.com/fleetkit/fleetkit/transport"
)

func Example() {
	topic := transport.DeviceTopic("pump-7", transport.KindTwin, "config", "update")
	fmt.Println(topic)

	t, _ := transport.ParseTopic(topic)
	fmt.Println(t.Device, t.Kind, t.Levels())

	fmt.Println(transport.Match("fk/v1/+/twin/#", topic))

	err := transport.Authorize(transport.Identity{ID: "pump-8"}, transport.ActionPublish, topic)
	fmt.Println(errors.Is(err, transport.ErrNotAuthorized))
	// Output:
	// fk/v1/pump-7/twin/config/update
	// pump-7 twin [config update]
	// true
	// true
}
