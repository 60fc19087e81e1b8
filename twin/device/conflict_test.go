package device_test

import (
	"context"
	"testing"
	"time"

	"github.com/fleetkit/fleetkit/transport"
	"github.com/fleetkit/fleetkit/transport/memory"
	"github.com/fleetkit/fleetkit/twin"
	"github.com/fleetkit/fleetkit/twin/device"
)

// Reported leaves changed both offline on the device and in the cloud meanwhile are resolved
// by Config.Policy on reconnect; leaves changed on one side only are kept from that side.
func TestReportedConflictPolicy(t *testing.T) {
	cases := []struct {
		name       string
		policy     twin.Policy
		remoteAt   time.Time // when the cloud-side write happened
		wantShared string
	}{
		{"device wins even against a later cloud write", twin.DeviceWins, time.UnixMilli(1795586500000), `"device"`},
		{"last writer wins: cloud wrote later", twin.LastWriterWins, time.UnixMilli(1795586500000), `"cloud"`},
		{"last writer wins: device wrote later", twin.LastWriterWins, time.UnixMilli(1795586300000), `"device"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t, memory.Options{}, 1)
			deviceNow := time.UnixMilli(1795586400000)
			d, mc := e.device(t, "dev-c", device.Config{Policy: c.policy, Now: func() time.Time { return deviceNow }})
			if err := d.Start(ctx); err != nil {
				t.Fatal(err)
			}
			if err := d.Report(ctx, obj(t, `{"shared":"initial","mine":0,"theirs":0}`)); err != nil {
				t.Fatal(err)
			}
			eventually(t, 5*time.Second, "initial report", func() bool { return d.Synced() && !d.Pending() })

			e.b.Partition("dev-c")
			eventually(t, 5*time.Second, "offline", func() bool { return mc.State() != transport.Connected })
			if err := d.Report(ctx, obj(t, `{"shared":"device","mine":1}`)); err != nil {
				t.Fatalf("offline Report: %v", err)
			}

			// Another writer changes reported in the cloud while the device is away.
			rec, err := e.st.Get(ctx, "dev-c", "config")
			if err != nil {
				t.Fatal(err)
			}
			doc, err := twin.ParseDocument(rec.Doc, twin.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := doc.Apply(twin.Update{Section: twin.Reported, Patch: obj(t, `{"shared":"cloud","theirs":2}`), Time: c.remoteAt}); err != nil {
				t.Fatal(err)
			}
			if _, err := e.st.CompareAndSet(ctx, "dev-c", "config", rec.Version, doc.AppendJSON(nil)); err != nil {
				t.Fatal(err)
			}

			e.b.Heal("dev-c")
			eventually(t, 5*time.Second, "resolved", func() bool {
				doc, err := e.svc.Get(ctx, "dev-c", "config")
				return err == nil && d.Synced() && twin.Equal(doc.Reported(), d.Reported()) && d.Stats().Conflicts > 0
			})
			final, _ := e.svc.Get(ctx, "dev-c", "config")
			r := final.Reported()
			shared, _ := r.Get("shared")
			mine, _ := r.Get("mine")
			theirs, _ := r.Get("theirs")
			if shared.String() != c.wantShared || mine.String() != "1" || theirs.String() != "2" {
				t.Fatalf("reported after resolution: %s, want shared=%s mine=1 theirs=2", r, c.wantShared)
			}
		})
	}
}
