package cloud_test

import (
	"errors"
	"testing"

	"github.com/fleetkit/fleetkit/twin"
	"github.com/fleetkit/fleetkit/twin/cloud"
)

// FuzzDecodeRequest: the request body decoder never panics, every error matches one documented
// sentinel, and an accepted update's patch is an object within the limits.
func FuzzDecodeRequest(f *testing.F) {
	seeds := []string{
		``, `{}`, `{"clientToken":"t"}`, `{"version":3}`,
		`{"state":{"reported":{"led":{"on":true}}},"clientToken":"abc","version":4}`,
		`{"state":{"desired":{"a":null}}}`,
		`{"acks":{"led":{"ac":200,"av":3,"ad":"applied"}}}`,
		`{"state":{"reported":[1]}}`, `{"device":"dev-2","state":{"reported":{}}}`,
		`{"state":{"reported":{"a":1,"a":2}}}`, `{"state":`, `"\ud800"`,
		`{"acks":{"p":{"ac":99,"av":-1}}}`, `{"version":1e400}`,
	}
	for _, s := range seeds {
		for _, op := range []string{"get", "update", "delete"} {
			f.Add(op, []byte(s))
		}
	}
	lim := twin.Limits{MaxDocumentBytes: 1024, MaxDepth: 5}
	f.Fuzz(func(t *testing.T, op string, body []byte) {
		r, err := cloud.DecodeRequest(op, body, lim)
		if err != nil {
			if !errors.Is(err, cloud.ErrBadRequest) && !errors.Is(err, twin.ErrSyntax) && !errors.Is(err, twin.ErrLimit) &&
				!errors.Is(err, twin.ErrNotObject) && !errors.Is(err, twin.ErrNumber) {
				t.Fatalf("undocumented error %T: %v", err, err)
			}
			return
		}
		for _, p := range []twin.Value{r.Desired, r.Reported} {
			if !p.IsNull() && p.Kind() != twin.Object {
				t.Fatalf("accepted a non-object patch %s", p)
			}
		}
		if op != "update" && (!r.Reported.IsNull() || len(r.Acks) > 0) {
			t.Fatalf("%s carried state", op)
		}
	})
}
