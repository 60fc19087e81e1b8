//go:build !tinygo

// Benchmarks and the heap-size test measure the gc toolchain's runtime; TinyGo's allocator and
// MemStats differ, so they are built only with gc.

package dedupe

import (
	"fmt"
	"runtime"
	"strconv"
	"testing"
	"time"
)

var sinkErr error

func BenchmarkWindowCheck(b *testing.B) {
	for _, size := range []int{63, 8128} {
		b.Run(fmt.Sprintf("W=%d/in-order", size), func(b *testing.B) {
			w, _ := NewWindow(size)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				sinkErr = w.Check(uint64(i))
			}
		})
		b.Run(fmt.Sprintf("W=%d/random-within-window", size), func(b *testing.B) {
			// The top advances by one per op; each op checks a random number up to W below it,
			// so about half are new and half replays.
			w, _ := NewWindow(size)
			rng := newRand(1)
			offs := make([]uint64, 4096)
			for i := range offs {
				offs[i] = uint64(rng.IntN(size + 1))
			}
			base := uint64(size + 1)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				_ = w.Check(base + uint64(i))
				sinkErr = w.Check(base + uint64(i) - offs[i&4095])
			}
		})
		b.Run(fmt.Sprintf("W=%d/replay", size), func(b *testing.B) {
			w, _ := NewWindow(size)
			for i := 0; i <= size; i++ {
				_ = w.Check(uint64(i))
			}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				sinkErr = w.Check(uint64(i % (size + 1)))
			}
		})
	}
}

func keys(n int) []string {
	k := make([]string, n)
	for i := range k {
		k[i] = "cmd-" + strconv.Itoa(i) // short keys: 5 to 11 bytes
	}
	return k
}

func BenchmarkCache(b *testing.B) {
	const n = 1 << 16
	ks := keys(4 * n)
	now := time.Unix(1_700_000_000, 0)
	b.Run("Add-new-with-eviction", func(b *testing.B) {
		c, _ := NewCache(CacheConfig{MaxEntries: n, TTL: time.Hour})
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			_, _ = c.Add(ks[i%len(ks)], now)
		}
	})
	b.Run("Add-duplicate", func(b *testing.B) {
		c, _ := NewCache(CacheConfig{MaxEntries: n, TTL: time.Hour})
		for _, k := range ks[:n] {
			_, _ = c.Add(k, now)
		}
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			_, _ = c.Add(ks[i%n], now)
		}
	})
	b.Run("Get-miss", func(b *testing.B) {
		c, _ := NewCache(CacheConfig{MaxEntries: n, TTL: time.Hour})
		for _, k := range ks[:n] {
			_, _ = c.Add(k, now)
		}
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			_, _ = c.Get(ks[n+i%n], now)
		}
	})
}

// BenchmarkCacheMemory fills a cache with 1M short keys and empty results and reports the heap
// bytes per key (everything: ring, index, key strings).
func BenchmarkCacheMemory(b *testing.B) {
	const n = 1 << 20
	ks := keys(n)
	now := time.Unix(1_700_000_000, 0)
	for b.Loop() {
		perKey := cacheBytesPerKey(ks, now)
		b.ReportMetric(perKey, "heapB/key")
	}
}

func cacheBytesPerKey(ks []string, now time.Time) float64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	c, _ := NewCache(CacheConfig{MaxEntries: len(ks), TTL: time.Hour, MaxKeyLen: 64})
	for _, k := range ks {
		_, _ = c.Add(k, now)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(c)
	return float64(after.HeapAlloc-before.HeapAlloc) / float64(len(ks))
}

// TestCacheMemoryPerKey holds the package to its memory target: at most 64 heap bytes per key,
// key bytes included, at 1M short keys with empty results.
func TestCacheMemoryPerKey(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates ~60 MB")
	}
	perKey := cacheBytesPerKey(keys(1<<20), time.Unix(1_700_000_000, 0))
	t.Logf("%.1f heap bytes per key at 1M keys", perKey)
	if perKey > 64 {
		t.Fatalf("%.1f heap bytes per key, target 64", perKey)
	}
}

// BenchmarkTracker1M checks numbers for 1M sources (random source each op, in-order numbers
// per source) and reports heap bytes per source.
func BenchmarkTracker1M(b *testing.B) {
	const n = 1 << 20
	ids := make([]string, n)
	for i := range ids {
		ids[i] = "device-" + strconv.Itoa(i)
	}
	now := time.Unix(1_700_000_000, 0)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	tr, _ := NewTracker(TrackerConfig{Window: 63, MaxSources: n})
	for i, id := range ids {
		_ = tr.Check(id, uint64(i), now)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	perSource := float64(after.HeapAlloc-before.HeapAlloc) / n
	rng := newRand(2)
	order := make([]uint32, 1<<16)
	for i := range order {
		order[i] = uint32(rng.IntN(n))
	}
	seq := make([]uint64, n)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s := order[i&(len(order)-1)]
		seq[s]++
		sinkErr = tr.Check(ids[s], uint64(s)+seq[s], now)
	}
	b.ReportMetric(perSource, "heapB/source")
}

// BenchmarkTrackerChurn keeps 2x more sources than the tracker holds, so most checks evict.
func BenchmarkTrackerChurn(b *testing.B) {
	const n = 1 << 16
	ids := make([]string, 2*n)
	for i := range ids {
		ids[i] = "device-" + strconv.Itoa(i)
	}
	now := time.Unix(1_700_000_000, 0)
	tr, _ := NewTracker(TrackerConfig{MaxSources: n})
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		sinkErr = tr.Check(ids[i%len(ids)], uint64(i), now)
	}
}
