package queue

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func benchAppend(b *testing.B, cfg Config) {
	q, err := Open(b.TempDir(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer q.Close()
	rec := make([]byte, 256)
	b.ReportAllocs()
	b.SetBytes(int64(len(rec)))
	b.ResetTimer()
	for b.Loop() {
		if _, err := q.Append(rec); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

func BenchmarkAppendSyncNever(b *testing.B) { benchAppend(b, Config{}) }
func BenchmarkAppendSyncBatch10ms(b *testing.B) {
	benchAppend(b, Config{Sync: SyncBatch, SyncInterval: 10 * time.Millisecond, SyncRecords: 1 << 30})
}
func BenchmarkAppendSyncAlways(b *testing.B) { benchAppend(b, Config{Sync: SyncAlways}) }

// BenchmarkAppendAck is the outbox cycle: append, read, acknowledge.
func BenchmarkAppendAck(b *testing.B) {
	q, err := Open(b.TempDir(), Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer q.Close()
	rec := make([]byte, 256)
	var buf []Record
	b.ReportAllocs()
	b.SetBytes(int64(len(rec)))
	for b.Loop() {
		seq, err := q.Append(rec)
		if err != nil {
			b.Fatal(err)
		}
		buf, _ = q.Read(buf[:0], 1)
		if err := q.Ack(seq); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkFileWriteFloor writes the same framed bytes to a plain os.File.
func BenchmarkFileWriteFloor(b *testing.B) {
	f, err := os.Create(filepath.Join(b.TempDir(), "floor"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	frame := appendFrame(nil, 1, make([]byte, 256))
	b.ReportAllocs()
	b.SetBytes(256)
	for b.Loop() {
		if _, err := f.Write(frame); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
