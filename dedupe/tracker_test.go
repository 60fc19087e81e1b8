package dedupe

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func mustTracker(t testing.TB, cfg TrackerConfig) *Tracker {
	t.Helper()
	tr, err := NewTracker(cfg)
	must(t, err)
	return tr
}

func TestTrackerConfig(t *testing.T) {
	tr := mustTracker(t, TrackerConfig{})
	got := tr.Config()
	if got.Window != DefaultWindowSize || got.MaxSources != DefaultMaxSources || got.MaxSourceLen != DefaultMaxKeyLen {
		t.Fatalf("defaults not applied: %+v", got)
	}
	for _, cfg := range []TrackerConfig{
		{Window: -1}, {Window: MaxWindowSize + 1}, {MaxSources: -1}, {MaxSources: MaxTrackerSources + 1},
		{IdleTimeout: -time.Second}, {MaxSourceLen: -1}, {MaxSourceLen: MaxIDLen + 1},
	} {
		if _, err := NewTracker(cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("NewTracker(%+v) = %v, want ErrConfig", cfg, err)
		}
	}
	if s := EvictCapacity.String() + EvictIdle.String() + EvictReason(9).String(); s != "capacityidleEvictReason(9)" {
		t.Errorf("EvictReason strings: %q", s)
	}
}

func TestTrackerPerSource(t *testing.T) {
	clk := newClock()
	tr := mustTracker(t, TrackerConfig{Window: 63, Limit: 1000})
	steps := []struct {
		src  string
		seq  uint64
		want error
	}{
		{"dev-a", 0, nil}, {"dev-b", 0, nil}, {"dev-a", 0, ErrReplay}, {"dev-a", 500, nil},
		{"dev-b", 437, nil}, {"dev-a", 437, nil}, {"dev-a", 436, ErrTooOld}, {"dev-b", 1000, ErrLimit},
		{"dev-c", 999, nil}, {"dev-c", 999, ErrReplay},
	}
	for i, s := range steps {
		if got := tr.Test(s.src, s.seq); got != s.want {
			t.Fatalf("step %d: Test(%s, %d) = %v, want %v", i, s.src, s.seq, got, s.want)
		}
		if got := tr.Check(s.src, s.seq, clk.now()); got != s.want {
			t.Fatalf("step %d: Check(%s, %d) = %v, want %v", i, s.src, s.seq, got, s.want)
		}
	}
	if top, ok := tr.Top("dev-b"); !ok || top != 437 {
		t.Fatalf("Top(dev-b) = %d, %v", top, ok)
	}
	if _, ok := tr.Top("nobody"); ok {
		t.Fatal("Top of an unknown source")
	}
	want := TrackerStats{Sources: 3, Accepted: 6, Replayed: 2, TooOld: 1, Limited: 1}
	if s := tr.Stats(); s != want {
		t.Fatalf("CacheStats = %+v, want %+v", s, want)
	}
	if err := tr.Check(strings.Repeat("x", 257), 1, clk.now()); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("long source ID: %v", err)
	}
	if err := tr.Test(strings.Repeat("x", 257), 1); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("long source ID: %v", err)
	}
	// A new epoch: Remove and start over.
	if !tr.Remove("dev-a") || tr.Remove("dev-a") {
		t.Fatal("Remove results wrong")
	}
	if err := tr.Check("dev-a", 0, clk.now()); err != nil {
		t.Fatalf("after Remove: %v", err)
	}
}

type evicted struct {
	src    string
	top    uint64
	reason EvictReason
}

func TestTrackerEvictionOrder(t *testing.T) {
	clk := newClock()
	var got []evicted
	tr := mustTracker(t, TrackerConfig{MaxSources: 3, OnEvict: func(s string, top uint64, r EvictReason) {
		got = append(got, evicted{s, top, r})
	}})
	for i, s := range []string{"a", "b", "c"} {
		must(t, tr.Check(s, uint64(10+i), clk.now()))
	}
	must(t, tr.Check("a", 20, clk.now()))                      // a is now most recent
	if err := tr.Check("b", 11, clk.now()); err != ErrReplay { // a rejection does not refresh b
		t.Fatal(err)
	}
	must(t, tr.Check("d", 1, clk.now())) // evicts b
	must(t, tr.Check("e", 1, clk.now())) // evicts c
	want := []evicted{{"b", 11, EvictCapacity}, {"c", 12, EvictCapacity}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("evicted %v, want %v", got, want)
	}
	if tr.Len() != 3 || tr.Stats().Evicted != 2 {
		t.Fatalf("Len %d CacheStats %+v", tr.Len(), tr.Stats())
	}
	// b comes back without a floor: its old numbers pass again (the documented trade-off).
	if err := tr.Check("b", 11, clk.now()); err != nil {
		t.Fatalf("returning source: %v", err)
	}
}

func TestTrackerIdle(t *testing.T) {
	clk := newClock()
	var got []evicted
	tr := mustTracker(t, TrackerConfig{IdleTimeout: time.Minute, OnEvict: func(s string, top uint64, r EvictReason) {
		got = append(got, evicted{s, top, r})
	}})
	must(t, tr.Check("a", 1, clk.now()))
	clk.advance(30 * time.Second)
	must(t, tr.Check("b", 1, clk.now()))
	clk.advance(30*time.Second - 1)
	if n := tr.Expire(clk.now()); n != 0 {
		t.Fatalf("expired %d early", n)
	}
	clk.advance(1)
	if n := tr.Expire(clk.now()); n != 1 || tr.Len() != 1 {
		t.Fatalf("Expire = %d, Len %d", n, tr.Len())
	}
	clk.advance(-time.Hour) // clock stepped back: treated as the latest time
	clk.advance(time.Hour + 30*time.Second)
	if err := tr.Check("c", 5, clk.now()); err != nil {
		t.Fatal(err)
	}
	want := []evicted{{"a", 1, EvictIdle}, {"b", 1, EvictIdle}}
	if fmt.Sprint(got) != fmt.Sprint(want) || tr.Stats().Idle != 2 {
		t.Fatalf("evicted %v (stats %+v), want %v", got, tr.Stats(), want)
	}
}

func TestTrackerFloor(t *testing.T) {
	clk := newClock()
	persisted := map[string]uint64{}
	tr := mustTracker(t, TrackerConfig{
		Window: 63, MaxSources: 1,
		OnEvict: func(s string, top uint64, _ EvictReason) { persisted[s] = top },
		Floor: func(s string) (uint64, bool) {
			f, ok := persisted[s]
			return f, ok
		},
	})
	for _, s := range []uint64{100, 101, 90} {
		must(t, tr.Check("a", s, clk.now()))
	}
	must(t, tr.Check("b", 7, clk.now())) // evicts a, persisting 101
	if persisted["a"] != 101 {
		t.Fatalf("persisted %v", persisted)
	}
	for _, tc := range []struct {
		seq  uint64
		want error
	}{{101, ErrReplay}, {95, ErrReplay}, {38, ErrReplay}, {37, ErrTooOld}, {0, ErrTooOld}} {
		if got := tr.Test("a", tc.seq); got != tc.want {
			t.Fatalf("Test(a, %d) = %v, want %v", tc.seq, got, tc.want)
		}
		if got := tr.Check("a", tc.seq, clk.now()); got != tc.want {
			t.Fatalf("Check(a, %d) = %v, want %v", tc.seq, got, tc.want)
		}
	}
	if tr.Len() != 1 || tr.Stats().Evicted != 1 {
		t.Fatalf("refusals by the floor changed the tracker: Len %d, %+v", tr.Len(), tr.Stats())
	}
	must(t, tr.Check("a", 102, clk.now())) // evicts b
	if err := tr.Check("a", 101, clk.now()); err != ErrReplay {
		t.Fatalf("the floor did not carry into the window: %v", err)
	}
	// A floor at a word boundary and at the very top of uint64.
	for _, floor := range []uint64{63, 64, 127, ^uint64(0)} {
		persisted["z"] = floor
		tr.Clear()
		if got := tr.Check("z", floor, clk.now()); got != ErrReplay {
			t.Fatalf("floor %d: Check(floor) = %v", floor, got)
		}
		if floor != ^uint64(0) {
			must(t, tr.Check("z", floor+1, clk.now()))
		}
	}
}

// TestTrackerMatchesModel compares against per-source reference windows and an LRU model.
func TestTrackerMatchesModel(t *testing.T) {
	clk := newClock()
	const max = 50
	tr := mustTracker(t, TrackerConfig{Window: 100, MaxSources: max, IdleTimeout: 20 * time.Second})
	type ref struct {
		w    *refWindow
		last time.Time
		use  int
	}
	model := map[string]*ref{}
	use := 0
	rng := newRand(3)
	for i := 0; i < 100000; i++ {
		clk.advance(time.Duration(rng.IntN(20)) * time.Millisecond)
		if rng.IntN(500) == 0 { // a lull: sources not heard from lately go idle
			clk.advance(15 * time.Second)
		}
		for k, r := range model {
			if clk.now().Sub(r.last) >= 20*time.Second {
				delete(model, k)
			}
		}
		src := fmt.Sprintf("dev-%d", rng.IntN(120))
		r, ok := model[src]
		var seq uint64
		if ok && rng.IntN(3) > 0 {
			seq = r.w.top + uint64(rng.IntN(40)) - min(r.w.top, uint64(rng.IntN(150)))
		} else {
			seq = uint64(rng.IntN(400))
		}
		if !ok {
			if len(model) == max {
				oldest, best := "", -1
				for k, r := range model {
					if best < 0 || r.use < best {
						oldest, best = k, r.use
					}
				}
				delete(model, oldest)
			}
			r = &ref{w: &refWindow{size: 100, seen: map[uint64]bool{}}, last: clk.now()}
			use++
			r.use = use
			model[src] = r
		}
		want := r.w.check(seq)
		if want == nil {
			r.last = clk.now()
			use++
			r.use = use
		}
		if got := tr.Check(src, seq, clk.now()); got != want {
			t.Fatalf("op %d: Check(%s, %d) = %v, model %v", i, src, seq, got, want)
		}
		if tr.Len() != len(model) {
			t.Fatalf("op %d: Len %d, model %d", i, tr.Len(), len(model))
		}
	}
	if s := tr.Stats(); s.Evicted == 0 || s.Idle == 0 {
		t.Fatalf("model run did not exercise both evictions: %+v", s)
	}
}

func TestTrackerSnapshotRoundTrip(t *testing.T) {
	clk := newClock()
	tr := mustTracker(t, TrackerConfig{Window: 200, MaxSources: 2000})
	for i := 0; i < 1500; i++ { // enough to grow the index several times
		must(t, tr.Check(fmt.Sprintf("dev-%d", i%700), uint64(i*7%1000), clk.now()))
		clk.advance(time.Millisecond)
	}
	tr.Remove("dev-3")
	snap, err := tr.MarshalBinary()
	must(t, err)
	var evictions []string
	r := mustTracker(t, TrackerConfig{Window: 200, MaxSources: 699, OnEvict: func(s string, _ uint64, _ EvictReason) { evictions = append(evictions, s) }})
	must(t, r.UnmarshalBinary(snap))
	if r.Len() != 699 {
		t.Fatalf("Len = %d", r.Len())
	}
	if again, _ := r.MarshalBinary(); string(again) != string(snap) {
		t.Fatal("re-marshalled snapshot differs")
	}
	for i := 0; i < 700; i++ {
		src := fmt.Sprintf("dev-%d", i)
		for _, seq := range []uint64{0, 500, 999, 1000} {
			if a, b := tr.Test(src, seq), r.Test(src, seq); a != b {
				t.Fatalf("%s %d: original %v restored %v", src, seq, a, b)
			}
		}
	}
	// Recency order survives: the least recently accepted source is evicted first.
	must(t, r.Check("new", 1, clk.now()))
	must(t, tr.Check("new", 1, clk.now()))
	if len(evictions) != 1 {
		t.Fatalf("evictions %v", evictions)
	}
	if _, ok := tr.Top(evictions[0]); !ok {
		t.Fatalf("evicted %s, which the original no longer holds", evictions[0])
	}
	if tr.Stats().Evicted != 0 {
		t.Fatal("original evicted")
	}
}

func TestTrackerSnapshotErrors(t *testing.T) {
	clk := newClock()
	tr := mustTracker(t, TrackerConfig{})
	must(t, tr.Check("ab", 70, clk.now()))
	must(t, tr.Check("cd", 5, clk.now()))
	good, _ := tr.MarshalBinary()
	refit := func(edit func(b []byte) []byte) []byte {
		b := edit(append([]byte(nil), good...))
		return appendTrailer(b[:len(b)-4], 0)
	}
	// size@5 count@13; src0: len@17 id@18 top@20 last@28 bits@36..52; src1: len@52 id@53 top@55 last@63 bits@71..87
	tests := []struct {
		name string
		cfg  TrackerConfig
		data []byte
		want error
		off  int
	}{
		{"version", TrackerConfig{}, refit(func(b []byte) []byte { b[4] = 0; return b }), ErrVersion, 4},
		{"crc", TrackerConfig{}, func() []byte { b := append([]byte(nil), good...); b[18] = 'x'; return b }(), ErrCorrupt, len(good) - 4},
		{"window size", TrackerConfig{Window: 64}, good, ErrMismatch, 5},
		{"too many", TrackerConfig{MaxSources: 1}, good, ErrMismatch, 13},
		{"count cannot fit", TrackerConfig{}, refit(func(b []byte) []byte { b[13] = 3; return b }), ErrCorrupt, 13},
		{"id too long for receiver", TrackerConfig{MaxSourceLen: 1}, good, ErrMismatch, 17},
		{"duplicate", TrackerConfig{}, refit(func(b []byte) []byte { b[53], b[54] = 'a', 'b'; return b }), ErrCorrupt, 52},
		{"recency backwards", TrackerConfig{}, refit(func(b []byte) []byte { clear(b[63:71]); return b }), ErrCorrupt, 52},
		{"bit above top", TrackerConfig{}, refit(func(b []byte) []byte { b[71] |= 0x40; return b }), ErrCorrupt, 71},
		{"truncated", TrackerConfig{}, refit(func(b []byte) []byte { b[52] = 100; return b }), ErrCorrupt, 53},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := mustTracker(t, tc.cfg)
			must(t, r.Check("k", 3, clk.now()))
			before, _ := r.MarshalBinary()
			err := r.UnmarshalBinary(tc.data)
			var se *SnapshotError
			if !errors.Is(err, tc.want) || !errors.As(err, &se) || se.Offset != tc.off || se.Kind != "tracker" {
				t.Fatalf("err = %v (%#v), want %v at byte %d", err, se, tc.want, tc.off)
			}
			after, _ := r.MarshalBinary()
			if string(before) != string(after) {
				t.Fatal("tracker changed by a failed UnmarshalBinary")
			}
		})
	}
	var zero Tracker
	if err := zero.UnmarshalBinary(good); !errors.Is(err, ErrMismatch) {
		t.Fatalf("zero Tracker: %v", err)
	}
}
