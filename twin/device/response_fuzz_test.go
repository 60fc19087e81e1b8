package device

import (
	"errors"
	"testing"

	"github.com/fleetkit/fleetkit/twin"
)

// FuzzDecodeResponse: the service-response decoder never panics; it either fails with
// errBadResponse or yields an accepted response or a rejection with its fields.
func FuzzDecodeResponse(f *testing.F) {
	for _, s := range []string{
		`{"status":"accepted","version":2,"desiredVersion":1}`,
		`{"status":"accepted","version":1,"desiredVersion":1,"document":{"name":"config","state":{"desired":{"a":1},"reported":{}},"metadata":{"desired":{"a":{"timestamp":1795586400000}},"reported":{}},"version":1,"desiredVersion":1,"timestamp":1795586400000}}`,
		`{"status":"rejected","error":{"code":409,"rule":"conflict","message":"stale"},"version":4}`,
		`{"status":"accepted","document":{"state":{}}}`, `{"status":"maybe"}`, `[]`, `{"status":`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeResponse("get", b, twin.Limits{})
		if err != nil {
			if !errors.Is(err, errBadResponse) {
				t.Fatalf("error %v does not match errBadResponse", err)
			}
			return
		}
		if r.accepted == (r.rej != nil) {
			t.Fatalf("response is both or neither accepted and rejected: %+v", r)
		}
	})
}
