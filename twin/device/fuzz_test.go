package device_test

import (
	"testing"

	"github.com/fleetkit/fleetkit/twin"
	"github.com/fleetkit/fleetkit/twin/device"
)

// FuzzDecodeDelta: the delta decoder never panics, and an accepted delta has a positive version
// and an object state.
func FuzzDecodeDelta(f *testing.F) {
	for _, s := range []string{
		`{"state":{"target":21.5},"metadata":{"target":{"timestamp":1795586400000}},"version":1,"timestamp":1795586400000}`,
		`{"state":{},"version":7}`, `{"state":[],"version":1}`, `{"version":0,"state":{}}`,
		`{"state":{"a":{"b":[1,2,{"c":null}]}},"version":18446744073709551615}`, `{"state":`, `[]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, st, err := device.DecodeDelta(b, twin.Limits{})
		if err != nil {
			return
		}
		if v == 0 || st.Kind() != twin.Object {
			t.Fatalf("accepted delta with version %d and state %s", v, st)
		}
	})
}
