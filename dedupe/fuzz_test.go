package dedupe

import (
	"encoding/binary"
	"errors"
	"testing"
	"time"
)

// checkUnmarshal is the shared property of every decoder: no panic; a refused input is a
// *SnapshotError and leaves the receiver unchanged; an accepted input is canonical (it marshals
// back to the same bytes).
func checkUnmarshal(t *testing.T, data []byte, u interface {
	UnmarshalBinary([]byte) error
	MarshalBinary() ([]byte, error)
}) bool {
	before, _ := u.MarshalBinary()
	err := u.UnmarshalBinary(data)
	after, _ := u.MarshalBinary()
	if err != nil {
		var se *SnapshotError
		if !errors.As(err, &se) || !(errors.Is(err, ErrCorrupt) || errors.Is(err, ErrVersion) || errors.Is(err, ErrMismatch)) {
			t.Fatalf("error %v is not a SnapshotError with a sentinel", err)
		}
		if string(before) != string(after) {
			t.Fatal("receiver changed by a refused snapshot")
		}
		return false
	}
	if string(after) != string(data) {
		t.Fatalf("accepted snapshot is not canonical:\n in %x\nout %x", data, after)
	}
	return true
}

func FuzzWindowUnmarshal(f *testing.F) {
	for _, size := range []int{1, 63, 200} {
		w, _ := NewWindow(size)
		f.Add(mustMarshal(w))
		for _, s := range []uint64{3, 9, 700, 650, ^uint64(0) - 5} {
			_ = w.Check(s)
			f.Add(mustMarshal(w))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		w, _ := NewWindow(10)
		_ = w.Check(4)
		if checkUnmarshal(t, data, w) {
			top := w.Top()
			for s := top - min(top, 300); s <= top; s++ {
				_ = w.Check(s)
			}
			_ = w.Check(top + 1)
		}
	})
}

func FuzzCacheUnmarshal(f *testing.F) {
	c, _ := NewCache(CacheConfig{MaxEntries: 8})
	now := time.Unix(1_700_000_000, 0)
	f.Add(mustMarshal(c))
	for i, k := range []string{"a", "cmd-1", "", "x"} {
		_ = c.Put(k, []byte(k+k), now.Add(time.Duration(i)*time.Second))
		f.Add(mustMarshal(c))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, _ := NewCache(CacheConfig{MaxEntries: 8, MaxKeyLen: 16, MaxResultLen: 16})
		_, _ = c.Add("keep", now)
		if checkUnmarshal(t, data, c) {
			_, _ = c.Add("new", now)
			_, _ = c.Get("a", now.Add(48*time.Hour))
		}
	})
}

func FuzzTrackerUnmarshal(f *testing.F) {
	tr, _ := NewTracker(TrackerConfig{MaxSources: 8})
	now := time.Unix(1_700_000_000, 0)
	f.Add(mustMarshal(tr))
	for i, s := range []string{"dev-1", "dev-2", "", "dev-1"} {
		_ = tr.Check(s, uint64(i*40), now.Add(time.Duration(i)*time.Second))
		f.Add(mustMarshal(tr))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, _ := NewTracker(TrackerConfig{MaxSources: 8, MaxSourceLen: 16})
		_ = tr.Check("keep", 1, now)
		if checkUnmarshal(t, data, tr) {
			for i := range 10 {
				_ = tr.Check(string(rune('a'+i)), uint64(i), now.Add(time.Hour))
			}
		}
	})
}

// FuzzWindowModel checks Window against the map-based reference on fuzzer-chosen operations:
// each 8 bytes are a signed offset from the current top.
func FuzzWindowModel(f *testing.F) {
	f.Add(uint16(63), []byte{1, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Add(uint16(1), binary.LittleEndian.AppendUint64(nil, 1<<40))
	f.Fuzz(func(t *testing.T, size uint16, ops []byte) {
		if size == 0 {
			size = 1
		}
		w, _ := NewWindow(int(size))
		ref := &refWindow{size: uint64(size), seen: map[uint64]bool{}}
		for len(ops) >= 8 {
			d := int64(binary.LittleEndian.Uint64(ops))
			ops = ops[8:]
			c := ref.top + uint64(d%int64(3*int(size)+3))
			want := ref.check(c)
			if got := w.Check(c); got != want {
				t.Fatalf("Check(%d) = %v, model %v", c, got, want)
			}
		}
	})
}

func mustMarshal(m interface{ MarshalBinary() ([]byte, error) }) []byte {
	b, err := m.MarshalBinary()
	if err != nil {
		panic(err)
	}
	return b
}
