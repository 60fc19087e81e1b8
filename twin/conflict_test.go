package twin

import (
	"testing"
	"time"
)

func TestResolve(t *testing.T) {
	early, late := t0, t0.Add(time.Minute)
	tests := []struct {
		name                string
		local, remote       string
		localAt, remoteAt   time.Time
		policy              Policy
		wantPatch, wantTime string
	}{
		{"disjoint keys combine", `{"a":1}`, `{"b":2}`, late, early, DeviceWins, `{"a":1,"b":2}`, `{"a":1795586460000,"b":1795586400000}`},
		{"nested disjoint combine", `{"n":{"a":1}}`, `{"n":{"b":2}}`, early, late, LastWriterWins, `{"n":{"a":1,"b":2}}`, `{"n":{"a":1795586400000,"b":1795586460000}}`},
		{"device wins even when older", `{"a":1}`, `{"a":2}`, early, late, DeviceWins, `{"a":1}`, `{"a":1795586400000}`},
		{"last writer: remote newer", `{"a":1}`, `{"a":2}`, early, late, LastWriterWins, `{"a":2}`, `{"a":1795586460000}`},
		{"last writer: local newer", `{"a":1}`, `{"a":2}`, late, early, LastWriterWins, `{"a":1}`, `{"a":1795586460000}`},
		{"last writer: tie goes to the device", `{"a":1}`, `{"a":2}`, early, early, LastWriterWins, `{"a":1}`, `{"a":1795586400000}`},
		{"null deletion is a write", `{"a":null}`, `{"a":2}`, late, early, LastWriterWins, `{"a":null}`, `{"a":1795586460000}`},
		{"leaf against subtree", `{"n":5}`, `{"n":{"x":1,"y":2}}`, early, late, LastWriterWins, `{"n":{"x":1,"y":2}}`, `{"n":{"x":1795586460000,"y":1795586460000}}`},
		{"arrays conflict whole", `{"l":[1,2]}`, `{"l":[3]}`, late, early, LastWriterWins, `{"l":[1,2]}`, `{"l":1795586460000}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Resolve(StampPatch(mustParse(t, tc.local), tc.localAt), StampPatch(mustParse(t, tc.remote), tc.remoteAt), tc.policy)
			if got.Patch.String() != tc.wantPatch || got.Stamps.String() != tc.wantTime {
				t.Errorf("Resolve = %s %s, want %s %s", got.Patch, got.Stamps, tc.wantPatch, tc.wantTime)
			}
		})
	}
}

func TestResolvePerLeafTimes(t *testing.T) {
	// Remote stamps come from a document's metadata: each leaf keeps its own time.
	var d Document
	apply(t, &d, Reported, `{"net":{"ip":"10.0.0.9"}}`, t0)
	apply(t, &d, Reported, `{"fw":"2.0"}`, t0.Add(2*time.Minute))
	remote := Stamped{Patch: d.Reported(), Stamps: d.Metadata(Reported)}
	local := StampPatch(mustParse(t, `{"net":{"ip":"10.0.0.2"},"fw":"1.9"}`), t0.Add(time.Minute))
	got := Resolve(local, remote, LastWriterWins)
	if got.Patch.String() != `{"fw":"2.0","net":{"ip":"10.0.0.2"}}` {
		t.Errorf("Resolve = %s", got.Patch)
	}
	// A leaf without a stamp is older than anything stamped.
	got = Resolve(Stamped{Patch: mustParse(t, `{"a":1}`)}, StampPatch(mustParse(t, `{"a":2}`), time.UnixMilli(-1<<62)), LastWriterWins)
	if got.Patch.String() != `{"a":2}` {
		t.Errorf("unstamped local: %s", got.Patch)
	}
	// Missing stamps stay missing (no null placeholders in the stamp tree).
	got = Resolve(Stamped{Patch: mustParse(t, `{"a":1,"n":{"x":1}}`)}, StampPatch(mustParse(t, `{"b":2,"n":{"y":2}}`), t0), DeviceWins)
	if got.Patch.String() != `{"a":1,"b":2,"n":{"x":1,"y":2}}` || got.Stamps.String() != `{"b":1795586400000,"n":{"y":1795586400000}}` {
		t.Errorf("Resolve with missing stamps = %s %s", got.Patch, got.Stamps)
	}
}
