package dedupe_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/fleetkit/fleetkit/dedupe"
)

func ExampleWindow() {
	w, err := dedupe.NewWindow(63) // RFC 4303's default window of 64 packets
	if err != nil {
		panic(err)
	}
	for _, seq := range []uint64{1, 2, 5, 2, 4, 200, 137, 136} {
		switch err := w.Check(seq); {
		case err == nil:
			fmt.Println(seq, "new")
		case errors.Is(err, dedupe.ErrReplay):
			fmt.Println(seq, "duplicate")
		case errors.Is(err, dedupe.ErrTooOld):
			fmt.Println(seq, "too old")
		}
	}

	// Persist and restore, e.g. across a gateway restart.
	snap, _ := w.MarshalBinary()
	var restored dedupe.Window
	if err := restored.UnmarshalBinary(snap); err != nil {
		panic(err)
	}
	fmt.Println("restored top:", restored.Top(), "137 again:", restored.Check(137))
	// Output:
	// 1 new
	// 2 new
	// 5 new
	// 2 duplicate
	// 4 new
	// 200 new
	// 137 new
	// 136 too old
	// restored top: 200 137 again: dedupe: replayed sequence number
}

func ExampleCache() {
	cache, err := dedupe.NewCache(dedupe.CacheConfig{MaxEntries: 10000, TTL: time.Hour})
	if err != nil {
		panic(err)
	}
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

	execute := func(id string, now time.Time) string {
		if res, ok := cache.Get(id, now); ok {
			return "duplicate, resend " + string(res)
		}
		if first, err := cache.Add(id, now); err != nil || !first {
			return "refused"
		}
		result := `{"status":"succeeded"}` // run the command once
		if err := cache.Put(id, []byte(result), now); err != nil {
			return err.Error()
		}
		return "executed " + result
	}
	fmt.Println(execute("cmd-42", now))
	fmt.Println(execute("cmd-42", now.Add(time.Minute)))
	fmt.Println(execute("cmd-42", now.Add(2*time.Hour))) // the key expired
	fmt.Printf("%+v\n", cache.Stats())
	// Output:
	// executed {"status":"succeeded"}
	// duplicate, resend {"status":"succeeded"}
	// executed {"status":"succeeded"}
	// {Entries:1 Hits:1 Misses:4 Evictions:0 Expired:1}
}

func ExampleTracker() {
	floors := map[string]uint64{} // stands in for a database
	tr, err := dedupe.NewTracker(dedupe.TrackerConfig{
		Window:     63,
		MaxSources: 2,
		OnEvict: func(src string, top uint64, why dedupe.EvictReason) {
			floors[src] = top
			fmt.Println("evicted", src, "top", top, "for", why)
		},
		Floor: func(src string) (uint64, bool) {
			f, ok := floors[src]
			return f, ok
		},
	})
	if err != nil {
		panic(err)
	}
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	fmt.Println(tr.Check("dev-a", 10, now))
	fmt.Println(tr.Check("dev-a", 10, now))
	fmt.Println(tr.Check("dev-b", 7, now))
	fmt.Println(tr.Check("dev-c", 1, now))  // full: evicts dev-a, the least recently accepted
	fmt.Println(tr.Check("dev-a", 10, now)) // back, with its floor: the replay is still caught
	fmt.Println(tr.Check("dev-a", 11, now))
	// Output:
	// <nil>
	// dedupe: replayed sequence number
	// <nil>
	// evicted dev-a top 10 for capacity
	// <nil>
	// dedupe: replayed sequence number
	// evicted dev-b top 7 for capacity
	// <nil>
}
