package dedupe

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

func mustWindow(t testing.TB, size int) *Window {
	t.Helper()
	w, err := NewWindow(size)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestNewWindowConfig(t *testing.T) {
	for _, size := range []int{0, -1, MaxWindowSize + 1} {
		if _, err := NewWindow(size); !errors.Is(err, ErrConfig) {
			t.Errorf("NewWindow(%d) = %v, want ErrConfig", size, err)
		}
	}
	for _, tc := range []struct{ size, words int }{
		{1, 2}, {63, 2}, {64, 2}, {65, 4}, {128, 4}, {129, 4}, {192, 4}, {193, 8}, {960, 16}, {8128, 128}, {8129, 256}, {MaxWindowSize, 1<<18 + 1<<18},
	} {
		w := mustWindow(t, tc.size)
		if len(w.ring) != tc.words || w.Size() != tc.size {
			t.Errorf("NewWindow(%d): %d words, size %d; want %d words", tc.size, len(w.ring), w.Size(), tc.words)
		}
	}
}

func TestWindowZeroValue(t *testing.T) {
	var w Window
	if w.Test(5) != nil || w.Size() != DefaultWindowSize {
		t.Fatalf("zero Window: Test %v, Size %d", w.Test(5), w.Size())
	}
	var z Window
	for _, tc := range []struct {
		seq  uint64
		want error
	}{{0, nil}, {0, ErrReplay}, {100, nil}, {37, nil}, {36, ErrTooOld}} {
		if got := z.Check(tc.seq); got != tc.want {
			t.Fatalf("zero Window: Check(%d) = %v, want %v", tc.seq, got, tc.want)
		}
	}
	var m Window
	snap, _ := m.MarshalBinary()
	if err := m.UnmarshalBinary(snap); err != nil {
		t.Fatalf("zero Window snapshot: %v", err)
	}
}

func TestWindowEdges(t *testing.T) {
	const max = math.MaxUint64
	type op struct {
		seq  uint64
		want error
	}
	tests := []struct {
		name  string
		size  int
		limit uint64
		ops   []op
	}{
		{"zero first", 63, 0, []op{{0, nil}, {0, ErrReplay}, {1, nil}, {0, ErrReplay}}},
		{"zero after others", 63, 0, []op{{5, nil}, {0, nil}, {0, ErrReplay}}},
		{"exact edge", 63, 0, []op{{100, nil}, {37, nil}, {36, ErrTooOld}, {37, ErrReplay}}},
		{"edge size 1", 1, 0, []op{{10, nil}, {9, nil}, {8, ErrTooOld}, {11, nil}, {10, ErrReplay}, {9, ErrTooOld}}},
		{"edge size 64", 64, 0, []op{{200, nil}, {136, nil}, {135, ErrTooOld}}},
		{"ring wrap", 63, 0, []op{{63, nil}, {64, nil}, {127, nil}, {128, nil}, {191, nil}, {128, ErrReplay}, {129, nil}, {127, ErrTooOld}, {192, nil}, {129, ErrReplay}}},
		{"word reuse clears stale bits", 63, 0, []op{{2, nil}, {129, nil}, {130, nil}, {66, ErrTooOld}, {67, nil}, {130, ErrReplay}}},
		{"huge jump", 63, 0, []op{{10, nil}, {1 << 40, nil}, {10, ErrTooOld}, {1<<40 - 63, nil}, {1<<40 - 64, ErrTooOld}, {1 << 40, ErrReplay}}},
		{"jump exactly one ring", 64, 0, []op{{0, nil}, {1, nil}, {256, nil}, {192, nil}, {1, ErrTooOld}, {193, nil}}},
		{"max uint64", 63, 0, []op{{max - 1, nil}, {max, nil}, {max, ErrReplay}, {max - 63, nil}, {max - 64, ErrTooOld}, {max - 1, ErrReplay}, {0, ErrTooOld}}},
		{"limit", 63, 100, []op{{99, nil}, {100, ErrLimit}, {max, ErrLimit}, {98, nil}, {99, ErrReplay}}},
		{"in order", 2, 0, []op{{1, nil}, {2, nil}, {3, nil}, {4, nil}, {1, ErrTooOld}, {2, ErrReplay}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := mustWindow(t, tc.size)
			w.SetLimit(tc.limit)
			if w.Limit() != tc.limit {
				t.Fatalf("Limit() = %d", w.Limit())
			}
			for i, o := range tc.ops {
				if got := w.Test(o.seq); got != o.want {
					t.Fatalf("op %d: Test(%d) = %v, want %v", i, o.seq, got, o.want)
				}
				if got := w.Check(o.seq); got != o.want {
					t.Fatalf("op %d: Check(%d) = %v, want %v (top %d)", i, o.seq, got, o.want, w.Top())
				}
			}
		})
	}
}

func TestWindowReset(t *testing.T) {
	w := mustWindow(t, 63)
	w.SetLimit(1000)
	for _, s := range []uint64{5, 6, 500} {
		if err := w.Check(s); err != nil {
			t.Fatal(err)
		}
	}
	w.Reset()
	if w.Top() != 0 || w.Limit() != 1000 || w.Size() != 63 {
		t.Fatalf("after Reset: top %d limit %d size %d", w.Top(), w.Limit(), w.Size())
	}
	for _, s := range []uint64{5, 6, 0} { // a new epoch: old numbers pass again
		if err := w.Check(s); err != nil {
			t.Fatalf("Check(%d) after Reset: %v", s, err)
		}
	}
}

// refWindow is the obviously-correct model: a set of accepted numbers.
type refWindow struct {
	size, top uint64
	seen      map[uint64]bool
}

func (r *refWindow) check(c uint64) error {
	switch {
	case c > r.top || len(r.seen) == 0:
	case r.top-c > r.size:
		return ErrTooOld
	case r.seen[c]:
		return ErrReplay
	}
	r.seen[c] = true
	if c > r.top {
		r.top = c
	}
	return nil
}

func TestWindowMatchesModel(t *testing.T) {
	for _, size := range []int{1, 63, 64, 100, 1000} {
		rng := rand.New(rand.NewPCG(uint64(size), 7))
		w := mustWindow(t, size)
		ref := &refWindow{size: uint64(size), seen: map[uint64]bool{}}
		var top uint64
		for i := 0; i < 100000; i++ {
			var c uint64
			switch r := rng.IntN(100); {
			case r < 40: // near the top, both sides of the edge
				c = top + uint64(rng.IntN(3*size+10)) - uint64(min(top, uint64(2*size+5)))
			case r < 70:
				c = top + uint64(rng.IntN(70))
			case r < 75: // a jump
				c = top + uint64(rng.IntN(1<<20))
			case r < 80:
				c = uint64(rng.IntN(100))
			default:
				c = top - min(top, uint64(rng.IntN(size+2)))
			}
			want := ref.check(c)
			if got := w.Test(c); got != want {
				t.Fatalf("size %d op %d: Test(%d) = %v, model %v", size, i, c, got, want)
			}
			if got := w.Check(c); got != want {
				t.Fatalf("size %d op %d: Check(%d) = %v, model %v", size, i, c, got, want)
			}
			top = ref.top
			if i%1000 == 0 { // keep the model small: forget what fell out of the window
				for k := range ref.seen {
					if ref.top-k > ref.size {
						delete(ref.seen, k)
					}
				}
			}
		}
	}
}

func TestWindowSnapshotRoundTrip(t *testing.T) {
	w := mustWindow(t, 100)
	w.SetLimit(1 << 50)
	for _, s := range []uint64{1, 3, 200, 150, 199, 120} {
		if err := w.Check(s); err != nil {
			t.Fatal(err)
		}
	}
	snap, err := w.AppendBinary([]byte("prefix"))
	if err != nil {
		t.Fatal(err)
	}
	var r Window // a zero Window may be restored into
	if err := r.UnmarshalBinary(snap[len("prefix"):]); err != nil {
		t.Fatal(err)
	}
	if r.Size() != 100 || r.Limit() != 1<<50 || r.Top() != 200 {
		t.Fatalf("restored size %d limit %d top %d", r.Size(), r.Limit(), r.Top())
	}
	for s := uint64(90); s <= 210; s++ {
		if a, b := w.Test(s), r.Test(s); a != b {
			t.Fatalf("Test(%d): original %v, restored %v", s, a, b)
		}
	}
	m, _ := r.MarshalBinary()
	if string(m) != string(snap[len("prefix"):]) {
		t.Fatal("re-marshalled snapshot differs")
	}
}

// A limit lowered below the top is a valid state (everything is refused) and must round-trip.
func TestWindowSnapshotLoweredLimit(t *testing.T) {
	w := mustWindow(t, 63)
	must(t, w.Check(500))
	w.SetLimit(100)
	snap, _ := w.MarshalBinary()
	r := mustWindow(t, 1)
	must(t, r.UnmarshalBinary(snap))
	if r.Top() != 500 || r.Limit() != 100 || r.Check(99) != ErrTooOld || r.Check(501) != ErrLimit {
		t.Fatalf("restored top %d limit %d", r.Top(), r.Limit())
	}
}

func TestWindowSnapshotCorrupt(t *testing.T) {
	w := mustWindow(t, 63)
	for _, s := range []uint64{10, 12, 70} {
		_ = w.Check(s)
	}
	good, _ := w.MarshalBinary()
	// refit recomputes the CRC after a body edit, so invariant checks are reached.
	refit := func(edit func(b []byte) []byte) []byte {
		b := edit(append([]byte(nil), good...))
		b = b[:len(b)-4]
		return appendTrailer(b, 0)
	}
	tests := []struct {
		name string
		data []byte
		want error
		off  int
	}{
		{"empty", nil, ErrCorrupt, 0},
		{"short", good[:8], ErrCorrupt, 0},
		{"magic", refit(func(b []byte) []byte { b[0] = 'X'; return b }), ErrCorrupt, 0},
		{"version", refit(func(b []byte) []byte { b[4] = 2; return b }), ErrVersion, 4},
		{"crc", func() []byte { b := append([]byte(nil), good...); b[20] ^= 1; return b }(), ErrCorrupt, len(good) - 4},
		{"truncated body", refit(func(b []byte) []byte { return b[:20] }), ErrCorrupt, 13},
		{"size zero", refit(func(b []byte) []byte { b[5] = 0; return b }), ErrCorrupt, 5},
		{"size huge", refit(func(b []byte) []byte { b[12] = 1; return b }), ErrCorrupt, 5},
		{"word count", refit(func(b []byte) []byte { b[29] = 4; return b }), ErrCorrupt, 29},
		{"bit above top", refit(func(b []byte) []byte { b[33+8+7] |= 0x80; return b }), ErrCorrupt, 41},
		{"trailing bytes", refit(func(b []byte) []byte { return append(b[:len(b)-4], 0, 0, 0, 0, 0) }), ErrCorrupt, 49},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := mustWindow(t, 5)
			_ = r.Check(3)
			before, _ := r.MarshalBinary()
			err := r.UnmarshalBinary(tc.data)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			var se *SnapshotError
			if !errors.As(err, &se) || se.Kind != "window" || se.Offset != tc.off {
				t.Fatalf("err = %#v, want a window SnapshotError at byte %d", err, tc.off)
			}
			after, _ := r.MarshalBinary()
			if string(before) != string(after) {
				t.Fatal("window changed by a failed UnmarshalBinary")
			}
		})
	}
}
