package store_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/fleetkit/fleetkit/twin"
	"github.com/fleetkit/fleetkit/twin/store"
	"github.com/fleetkit/fleetkit/twin/store/storetest"
)

// BenchmarkMemoryCAS measures compare-and-set on 1024 twins from parallel goroutines (each
// goroutine owns its twins, so every CAS succeeds).
func BenchmarkMemoryCAS(b *testing.B) {
	s := store.NewMemory(twin.Limits{})
	doc := storetest.Doc(b, "cfg", 1)
	ctx := context.Background()
	var id int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		dev := "dev-" + strconv.FormatInt(atomic.AddInt64(&id, 1), 10)
		var v uint64
		for pb.Next() {
			nv, err := s.CompareAndSet(ctx, dev, "cfg", v, doc)
			if err != nil {
				b.Fatal(err)
			}
			v = nv
		}
	})
}

// BenchmarkFileCAS measures durable (fsync) updates of one twin.
func BenchmarkFileCAS(b *testing.B) {
	for _, sync := range []bool{true, false} {
		name := "fsync"
		if !sync {
			name = "nosync"
		}
		b.Run(name, func(b *testing.B) {
			f, err := store.OpenFile(b.TempDir(), store.FileOptions{NoSync: !sync})
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			doc := storetest.Doc(b, "cfg", 1)
			ctx := context.Background()
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := f.CompareAndSet(ctx, "dev", "cfg", uint64(i), doc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
