package slo

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"testing"
	"time"
)

// smallWindow is a layout whose rings wrap quickly, for snapshot tests and fuzzing.
var smallWindow = WindowConfig{Resolution: time.Second, CoarseResolution: 4 * time.Second, FineSpan: 8 * time.Second, Span: 20 * time.Second}

func filledCounter(t testing.TB, wc WindowConfig, n int, seed uint64) *Counter {
	t.Helper()
	wc = wc.withDefaults()
	c, err := NewCounter(wc)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, seed))
	now := t0
	for range n {
		now = now.Add(time.Duration(rng.Int64N(int64(3 * wc.Resolution))))
		total := rng.Uint64N(100) + 1
		at := now
		if rng.IntN(5) == 0 {
			at = at.Add(-time.Duration(rng.Int64N(int64(wc.Span + wc.CoarseResolution))))
		}
		_ = c.Add(at, rng.Uint64N(total+1), total)
	}
	return c
}

func TestSnapshotRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		wc   WindowConfig
		n    int
	}{
		{"empty default", WindowConfig{}, 0},
		{"default", WindowConfig{}, 5000},
		{"small wrapped", smallWindow, 500},
		{"small one event", smallWindow, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := filledCounter(t, tc.wc, tc.n, 11)
			snap := c.AppendSnapshot([]byte("prefix"))[len("prefix"):]
			d, _ := NewCounter(tc.wc)
			_ = d.Add(t0.Add(-time.Hour), 1, 1) // state that Restore must replace
			if err := d.Restore(snap); err != nil {
				t.Fatal(err)
			}
			if again := d.AppendSnapshot(nil); !bytes.Equal(again, snap) {
				t.Fatalf("snapshot changed across a restore")
			}
			if d.Rejected() != c.Rejected() {
				t.Errorf("rejected %d, want %d", d.Rejected(), c.Rejected())
			}
			now := t0.Add(time.Duration(tc.n) * tc.wc.withDefaults().Resolution)
			for _, w := range []time.Duration{time.Second, 5 * time.Second, 20 * time.Second, time.Hour, 3 * 24 * time.Hour} {
				if w > c.Span() {
					continue
				}
				a, _ := c.Count(now, w)
				b, _ := d.Count(now, w)
				if a != b {
					t.Errorf("Count(%v): original %+v, restored %+v", w, a, b)
				}
			}
		})
	}
}

func TestSnapshotErrors(t *testing.T) {
	c := filledCounter(t, smallWindow, 100, 12)
	good := c.AppendSnapshot(nil)
	// magic and version, then the layout's four varints
	layoutEnd := 5 + uvarintLen(uint64(time.Second)) + uvarintLen(uint64(4*time.Second)) +
		uvarintLen(uint64(len(c.fine))) + uvarintLen(uint64(len(c.coarse)))
	mutate := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	for _, tc := range []struct {
		name   string
		data   []byte
		offset int
		rule   string
	}{
		{"empty", nil, 0, "missing magic \"FKSW\""},
		{"bad magic", mutate(func(b []byte) []byte { b[0] = 'X'; return b }), 0, "missing magic \"FKSW\""},
		{"version", mutate(func(b []byte) []byte { b[4] = 2; return b }), 4, "unsupported version"},
		{"resolution", mutate(func(b []byte) []byte { b[5]++; return b }), 5, "resolution differs from this counter's layout"},
		{"fine count", mutate(func(b []byte) []byte { b[layoutEnd-2]++; return b }), layoutEnd - 2, "fine bucket count differs from this counter's layout"},
		{"flags", mutate(func(b []byte) []byte { b[layoutEnd] = 3; return b }), layoutEnd, "unknown flag bits"},
		{"truncated", good[:len(good)-1], len(good) - 1, "truncated coarse total"},
		{"trailing", append(bytes.Clone(good), 0), len(good), "trailing bytes after the snapshot"},
		{"non-minimal", append(bytes.Clone(good[:layoutEnd]), 0, 0x80, 0x00), layoutEnd + 1, "rejected count is not a minimal varint"},
	} {
		d, _ := NewCounter(smallWindow)
		_ = d.Add(t0, 1, 2)
		before := d.AppendSnapshot(nil)
		err := d.Restore(tc.data)
		var de *DecodeError
		if !errors.As(err, &de) || !errors.Is(err, ErrCorrupt) || de.Offset != tc.offset || de.Rule != tc.rule {
			t.Errorf("%s: %v, want offset %d %q", tc.name, err, tc.offset, tc.rule)
		}
		if !bytes.Equal(d.AppendSnapshot(nil), before) {
			t.Errorf("%s: a failed Restore changed the counter", tc.name)
		}
	}
}

// TestSnapshotInvariants builds snapshots that are well-formed but describe impossible counters.
func TestSnapshotInvariants(t *testing.T) {
	d, _ := NewCounter(smallWindow)
	nf, nc := len(d.fine), len(d.coarse)
	build := func(head int64, fine, coarse func(i int) (uint64, uint64)) []byte {
		b := []byte("FKSW\x01")
		b = binary.AppendUvarint(b, uint64(time.Second))
		b = binary.AppendUvarint(b, uint64(4*time.Second))
		b = binary.AppendUvarint(b, uint64(nf))
		b = binary.AppendUvarint(b, uint64(nc))
		b = append(b, 1)
		b = binary.AppendVarint(b, head)
		b = binary.AppendUvarint(b, 0)
		for i := range nf {
			g, tot := fine(i)
			b = binary.AppendUvarint(binary.AppendUvarint(b, g), tot)
		}
		for i := range nc {
			g, tot := coarse(i)
			b = binary.AppendUvarint(binary.AppendUvarint(b, g), tot)
		}
		return b
	}
	zero := func(int) (uint64, uint64) { return 0, 0 }
	one := func(int) (uint64, uint64) { return 1, 1 }
	if err := d.Restore(build(100, zero, zero)); err != nil {
		t.Fatalf("consistent empty snapshot: %v", err)
	}
	if err := d.Restore(build(100, one, func(int) (uint64, uint64) { return 4, 4 })); err != nil {
		t.Fatalf("consistent snapshot: %v", err)
	}
	for _, tc := range []struct {
		name string
		data []byte
		rule string
	}{
		{"fine above coarse", build(100, one, zero), "coarse bucket 2 holds fewer events than its fine buckets"},
		{"good above total", build(100, func(int) (uint64, uint64) { return 2, 1 }, zero), "fine bucket has more good than total events"},
		{"overflow", build(100, zero, func(int) (uint64, uint64) { return 0, 1 << 63 }), "coarse bucket totals overflow 64 bits"},
		{"head", build(1<<62, zero, zero), "head index outside the Unix-nanosecond time range"},
	} {
		err := d.Restore(tc.data)
		var de *DecodeError
		if !errors.As(err, &de) || de.Rule != tc.rule {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.rule)
		}
	}
}

// FuzzCounterRestore: any bytes either restore, re-encode to the same bytes and answer queries
// with good <= total, or fail with a DecodeError; never a panic.
func FuzzCounterRestore(f *testing.F) {
	for i, n := range []int{0, 1, 3, 50, 400} {
		f.Add(filledCounter(f, smallWindow, n, uint64(i)).AppendSnapshot(nil))
	}
	f.Add([]byte("FKSW\x01"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		c, _ := NewCounter(smallWindow)
		err := c.Restore(data)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) || !errors.Is(err, ErrCorrupt) || de.Offset < 0 || de.Offset > len(data) {
				t.Fatalf("error %v is not a DecodeError within the input", err)
			}
			return
		}
		if again := c.AppendSnapshot(nil); !bytes.Equal(again, data) {
			t.Fatalf("restored snapshot re-encodes differently:\n%x\n%x", data, again)
		}
		if !c.started {
			return
		}
		now := time.Unix(0, c.head*c.res)
		for _, w := range []time.Duration{time.Second, 3 * time.Second, 8 * time.Second, 13 * time.Second, 20 * time.Second} {
			for _, off := range []time.Duration{-30 * time.Second, -time.Second, 0, 5 * time.Second} {
				got, err := c.Count(now.Add(off), w)
				if err != nil || got.Good > got.Total {
					t.Fatalf("Count(%v, %v) = %+v, %v", off, w, got, err)
				}
			}
		}
		_ = c.Add(now.Add(time.Second), 1, 1)
	})
}
