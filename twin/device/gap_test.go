package device_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/fleetkit/fleetkit/transport"
	"github.com/fleetkit/fleetkit/transport/memory"
	"github.com/fleetkit/fleetkit/twin/device"
)

// A delta whose version skips ahead triggers a full fetch; an old or duplicate one is ignored.
func TestGapDetection(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, memory.Options{}, 1)
	d, _ := e.device(t, "dev-gap", device.Config{})
	d.HandleInt("level", func(int64) error { return nil })
	if err := d.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.UpdateDesired(ctx, "dev-gap", "config", obj(t, `{"level":1}`), 0); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "level 1 applied", func() bool {
		doc, _ := e.svc.Get(ctx, "dev-gap", "config")
		return doc != nil && len(doc.DeltaLeaves(nil)) == 0 && d.Synced()
	})
	base := d.Stats()

	// An in-order desired change is applied from its delta, without a gap.
	if _, err := e.svc.UpdateDesired(ctx, "dev-gap", "config", obj(t, `{"level":2}`), 0); err != nil {
		t.Fatal(err)
	}
	publish := func(payload string) {
		err := e.cc.Publish(ctx, &transport.Message{Topic: "fk/v1/dev-gap/twin/config/delta", Payload: []byte(payload), QoS: 1})
		if err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 5*time.Second, "level 2 applied", func() bool {
		doc, _ := e.svc.Get(ctx, "dev-gap", "config")
		return len(doc.DeltaLeaves(nil)) == 0 && d.Synced()
	})
	afterNormal := d.Stats()
	if afterNormal.Gaps != base.Gaps {
		t.Fatalf("an in-order delta counted as a gap: %+v", afterNormal)
	}
	// A delta that skips ahead (as if the ones between were lost) makes the client fetch.
	cur := d.Version()
	publish(`{"state":{"level":9},"version":` + strconv.FormatUint(cur+5, 10) + `}`)
	eventually(t, 5*time.Second, "gap fetch", func() bool { return d.Stats().Gaps == base.Gaps+1 && d.Stats().Fetches > afterNormal.Fetches })
	// The fetched document, not the forged delta, wins: level stays 2.
	eventually(t, 5*time.Second, "synced", d.Synced)
	if got, _ := d.Reported().Get("level"); got.String() != "2" {
		t.Fatalf("after the gap fetch reported level = %s, want 2", got)
	}
	// A stale delta is ignored.
	publish(`{"state":{"level":7},"version":1}`)
	eventually(t, 5*time.Second, "stale counted", func() bool { return d.Stats().Stale > afterNormal.Stale })
	if got, _ := d.Reported().Get("level"); got.String() != "2" {
		t.Fatalf("a stale delta was applied: level = %s", got)
	}
}
