package device_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/fleetkit/fleetkit/transport/memory"
	"github.com/fleetkit/fleetkit/twin"
	"github.com/fleetkit/fleetkit/twin/device"
)

// TestConvergenceUnderFaults: 200 devices, 20% drop, 5% duplicate, reordering, half the fleet
// partitioned while desired changes twice. After healing, every reported equals desired, no
// version went backwards (as seen by the devices and as sampled from the store), and every
// acknowledgement names a desired version the cloud really wrote.
func TestConvergenceUnderFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("fleet-scale test")
	}
	const n = 200
	ctx := context.Background()
	e := newEnv(t, memory.Options{Seed: 7}, 2)
	ids := make([]string, n)
	devs := make([]*device.Client, n)
	var mu sync.Mutex
	backwards := []string{}
	for i := range ids {
		ids[i] = fmt.Sprintf("dev-%03d", i)
		d, _ := e.device(t, ids[i], device.Config{RetryInterval: 50 * time.Millisecond, RequestTimeout: 300 * time.Millisecond})
		d.HandleInt("setting", func(int64) error { return nil })
		d.HandleString("net.mode", func(string) error { return nil })
		id := ids[i]
		var last uint64
		d.OnVersion(func(v uint64) {
			if v <= last {
				mu.Lock()
				backwards = append(backwards, fmt.Sprintf("%s: %d after %d", id, v, last))
				mu.Unlock()
			}
			last = v
		})
		devs[i] = d
	}
	faults := memory.Faults{Drop: 0.2, Duplicate: 0.05, Reorder: 0.1, ReorderDelay: 5 * time.Millisecond}
	for _, dir := range []memory.Direction{memory.Uplink, memory.Downlink} {
		for _, id := range ids {
			e.b.SetFaults(id, dir, faults)
		}
	}
	for _, d := range devs {
		if err := d.Start(ctx); err != nil {
			t.Fatal(err)
		}
	}

	// Sample the stored versions while the test runs: they must never decrease.
	stop := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Add(1)
	go func() {
		defer sampler.Done()
		seen := map[string]uint64{}
		for {
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
			recs, _ := e.st.List(ctx, "")
			for _, r := range recs {
				if r.Version < seen[r.Device] {
					mu.Lock()
					backwards = append(backwards, fmt.Sprintf("store %s: %d after %d", r.Device, r.Version, seen[r.Device]))
					mu.Unlock()
				}
				seen[r.Device] = r.Version
			}
		}
	}()

	desiredVersions := map[string]map[uint64]bool{}
	round := func(k int) {
		for _, id := range ids {
			res, err := e.svc.UpdateDesired(ctx, id, "config", obj(t, fmt.Sprintf(`{"setting":%d,"net":{"mode":"m%d"}}`, k, k)), 0)
			if err != nil {
				t.Fatal(err)
			}
			if desiredVersions[id] == nil {
				desiredVersions[id] = map[uint64]bool{}
			}
			desiredVersions[id][res.Version] = true
		}
	}
	round(1)
	time.Sleep(200 * time.Millisecond)
	e.b.Partition(ids[:n/2]...)
	round(2)
	time.Sleep(100 * time.Millisecond)
	round(3)
	time.Sleep(200 * time.Millisecond)
	e.b.Heal(ids[:n/2]...)

	converged := func() (bool, string) {
		for i, id := range ids {
			doc, err := e.svc.Get(ctx, id, "config")
			if err != nil {
				return false, id + ": " + err.Error()
			}
			if leaves := doc.DeltaLeaves(nil); len(leaves) != 0 {
				return false, fmt.Sprintf("%s: delta %v", id, leaves)
			}
			for _, p := range []string{"setting", "net"} {
				a, ok := doc.Ack(p)
				if !ok || a.Code != 200 || a.Version != doc.DesiredVersion() {
					return false, fmt.Sprintf("%s: ack %s = %+v, desired version %d", id, p, a, doc.DesiredVersion())
				}
			}
			if !devs[i].Synced() {
				return false, id + ": device not synced"
			}
		}
		return true, ""
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		ok, why := converged()
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no convergence after healing: %s", why)
		}
		time.Sleep(50 * time.Millisecond)
	}
	close(stop)
	sampler.Wait()

	var gaps, fetches uint64
	for i, id := range ids {
		doc, _ := e.svc.Get(ctx, id, "config")
		if !twin.Equal(doc.Desired(), mustGet(doc.Reported(), "setting", "net")) {
			t.Errorf("%s: reported %s, desired %s", id, doc.Reported(), doc.Desired())
		}
		for _, a := range doc.Acks() {
			if !desiredVersions[id][a.Version] {
				t.Errorf("%s: ack %+v names desired version %d, which the cloud never wrote", id, a, a.Version)
			}
		}
		s := devs[i].Stats()
		gaps += s.Gaps
		fetches += s.Fetches
		if s.Regressions != 0 {
			t.Errorf("%s: %d version regressions", id, s.Regressions)
		}
	}
	mu.Lock()
	for _, b := range backwards {
		t.Errorf("version went backwards: %s", b)
	}
	mu.Unlock()
	st := e.b.Stats()
	t.Logf("converged; broker: dropped %d, duplicated %d, queued %d; devices: %d fetches, %d gaps", st.Dropped, st.Duplicated, st.Queued, fetches, gaps)
	if st.Dropped == 0 || st.Duplicated == 0 {
		t.Fatalf("faults were not injected: %+v", st)
	}
}

// mustGet returns an object of the named members of v.
func mustGet(v twin.Value, keys ...string) twin.Value {
	out := twin.EmptyObject()
	for _, k := range keys {
		if m, ok := v.Lookup(k); ok {
			out, _ = twin.Set(out, m, k)
		}
	}
	return out
}
