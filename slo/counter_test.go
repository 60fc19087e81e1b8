package slo

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"
	"unsafe"
)

func TestWindowConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		cfg   WindowConfig
		field string
	}{
		{WindowConfig{Resolution: time.Microsecond}, "Window.Resolution"},
		{WindowConfig{Resolution: -time.Minute}, "Window.Resolution"},
		{WindowConfig{CoarseResolution: 90 * time.Second}, "Window.CoarseResolution"},
		{WindowConfig{CoarseResolution: 30 * time.Second}, "Window.CoarseResolution"},
		{WindowConfig{FineSpan: 30 * time.Minute}, "Window.FineSpan"},
		{WindowConfig{Span: time.Hour}, "Window.Span"},
		{WindowConfig{Resolution: time.Millisecond, FineSpan: 2 * time.Hour}, "Window.FineSpan"},
		{WindowConfig{CoarseResolution: time.Minute, Span: 2000 * 24 * time.Hour}, "Window.Span"},
	} {
		_, err := NewCounter(tc.cfg)
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Field != tc.field || !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%+v: error %v, want a ConfigError for %s", tc.cfg, err, tc.field)
		}
	}
	c, err := NewCounter(WindowConfig{FineSpan: 61*time.Minute + time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Config().FineSpan; got != 62*time.Minute {
		t.Errorf("FineSpan rounded to %v, want 62m", got)
	}
}

func TestCounterDefaults(t *testing.T) {
	c, err := NewCounter(WindowConfig{})
	if err != nil {
		t.Fatal(err)
	}
	want := WindowConfig{Resolution: time.Minute, FineSpan: 6 * time.Hour, CoarseResolution: time.Hour, Span: 30 * 24 * time.Hour}
	if c.Config() != want {
		t.Errorf("defaults %+v", c.Config())
	}
	if len(c.fine) != 420 || len(c.coarse) != 721 {
		t.Errorf("rings %d fine, %d coarse", len(c.fine), len(c.coarse))
	}
	if got := c.MemoryBytes(); got != 18256+int(unsafe.Sizeof(Counter{})) {
		t.Errorf("MemoryBytes = %d", got)
	}
}

func TestCounterBasics(t *testing.T) {
	c, _ := NewCounter(WindowConfig{})
	now := t0.Add(30 * time.Second)
	for _, e := range []struct {
		at          time.Duration
		good, total uint64
	}{
		{0, 5, 10},
		{time.Minute, 1, 1},
		{5 * time.Minute, 2, 4},
		{2 * time.Hour, 3, 3},
	} {
		if err := c.Add(now.Add(-e.at), e.good, e.total); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		w    time.Duration
		want Count
	}{
		{time.Second, Count{5, 10}},     // the current bucket
		{time.Minute, Count{5, 10}},     // still one bucket
		{2 * time.Minute, Count{6, 11}}, // two buckets
		{5 * time.Minute, Count{6, 11}}, // five buckets: the event 5m ago is in the sixth
		{6 * time.Minute, Count{8, 15}}, //
		{2 * time.Hour, Count{8, 15}},   // 120 buckets end where the 2h-old event starts
		{2*time.Hour + time.Second, Count{11, 18}},
		{30 * 24 * time.Hour, Count{11, 18}},
	} {
		got, err := c.Count(now, tc.w)
		if err != nil || got != tc.want {
			t.Errorf("Count(%v) = %+v, %v; want %+v", tc.w, got, err, tc.want)
		}
	}
	for _, w := range []time.Duration{0, -time.Minute, 30*24*time.Hour + 1} {
		_, err := c.Count(now, w)
		var we *WindowError
		if !errors.As(err, &we) || !errors.Is(err, ErrWindow) || we.Window != w {
			t.Errorf("Count(%v) error %v", w, err)
		}
	}
	if err := c.Add(now, 3, 2); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("good > total: %v", err)
	}
	// A query later than the last event sees the buckets between as empty; an earlier one leaves
	// newer buckets out. Neither changes the counter.
	if got, _ := c.Count(now.Add(3*time.Minute), 5*time.Minute); got != (Count{6, 11}) {
		t.Errorf("later query %+v", got)
	}
	if got, _ := c.Count(now.Add(-time.Minute), 5*time.Minute); got != (Count{3, 5}) {
		t.Errorf("earlier query %+v", got)
	}
	if got, _ := c.Count(now, time.Minute); got != (Count{5, 10}) {
		t.Errorf("queries changed the counter: %+v", got)
	}
}

func TestCountRatios(t *testing.T) {
	for _, tc := range []struct {
		c          Count
		ratio, err float64
	}{
		{Count{}, 1, 0},
		{Count{9, 10}, 0.9, 0.1},
		{Count{0, 4}, 0, 1},
	} {
		if tc.c.Ratio() != tc.ratio || tc.c.ErrorRatio() != tc.err || tc.c.Bad() != tc.c.Total-tc.c.Good {
			t.Errorf("%+v: ratio %v error ratio %v", tc.c, tc.c.Ratio(), tc.c.ErrorRatio())
		}
	}
}

func TestCounterLateAndStale(t *testing.T) {
	c, _ := NewCounter(WindowConfig{})
	now := t0
	if err := c.Add(now, 1, 1); err != nil {
		t.Fatal(err)
	}
	// Late but within the fine ring: counted in short windows.
	if err := c.Add(now.Add(-3*time.Minute), 0, 1); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.Count(now, 5*time.Minute); got != (Count{1, 2}) {
		t.Errorf("5m after a late event: %+v", got)
	}
	// Older than the fine ring (6h) but within the span: counted from coarse buckets only.
	if err := c.Add(now.Add(-10*time.Hour), 0, 4); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.Count(now, 6*time.Hour); got != (Count{1, 2}) {
		t.Errorf("6h: %+v", got)
	}
	if got, _ := c.Count(now, 24*time.Hour); got != (Count{1, 6}) {
		t.Errorf("24h: %+v", got)
	}
	// Older than the span: refused and counted.
	err := c.Add(now.Add(-31*24*time.Hour), 0, 7)
	var se *StaleError
	if !errors.As(err, &se) || !errors.Is(err, ErrTooOld) || c.Rejected() != 7 {
		t.Fatalf("stale event: %v, rejected %d", err, c.Rejected())
	}
	if !se.Oldest.After(se.At) || se.Oldest.After(now.Add(-30*24*time.Hour)) {
		t.Errorf("StaleError %v", se)
	}
	// A jump far ahead empties every ring.
	if err := c.Add(now.Add(60*24*time.Hour), 1, 1); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.Count(now.Add(60*24*time.Hour), 30*24*time.Hour); got != (Count{1, 1}) {
		t.Errorf("after a jump: %+v", got)
	}
}

// TestCounterCoverage checks the documented accuracy with one event per second: a fine window of W
// covers between W-Resolution and W, and a longer window's old edge is within CoarseResolution/2.
func TestCounterCoverage(t *testing.T) {
	c, _ := NewCounter(WindowConfig{})
	start := t0
	end := start.Add(31 * 24 * time.Hour)
	for now := start; now.Before(end); now = now.Add(time.Second) {
		_ = c.Add(now, 1, 1)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 200 {
		now := end.Add(-time.Duration(rng.Int64N(int64(time.Hour))))
		for _, w := range []time.Duration{5 * time.Minute, 30 * time.Minute, time.Hour, 6 * time.Hour, 3 * 24 * time.Hour, 30 * 24 * time.Hour} {
			got, _ := c.Count(now, w)
			secs := time.Duration(got.Total) * time.Second
			lo, hi := w-time.Minute, w
			if w > 6*time.Hour {
				lo, hi = w-time.Minute-30*time.Minute, w+30*time.Minute
			}
			if secs < lo || secs > hi {
				t.Fatalf("Count(%v, %v) covers %v, want [%v, %v]", now, w, secs, lo, hi)
			}
		}
	}
}

// refCounter is a naive model of Counter's documented rule: all events kept in a slice.
type refCounter struct {
	res, ratio int64
	nf, nc     int64
	head       int64
	started    bool
	events     []refEvent
}

type refEvent struct {
	idx         int64
	good, total uint64
}

func (r *refCounter) add(idx int64, good, total uint64) bool {
	if !r.started || idx > r.head {
		r.head, r.started = idx, true
	}
	cut := floorDiv(r.head, r.ratio) - r.nc
	if floorDiv(idx, r.ratio) <= cut {
		return false
	}
	r.events = append(r.events, refEvent{idx, good, total})
	if len(r.events) > 512 { // forget what no window can reach
		kept := r.events[:0]
		for _, ev := range r.events {
			if floorDiv(ev.idx, r.ratio) > cut {
				kept = append(kept, ev)
			}
		}
		r.events = kept
	}
	return true
}

func (r *refCounter) count(e, n int64) Count {
	var sum Count
	if !r.started {
		return sum
	}
	s := e - n + 1
	oldest := r.head - r.nf + 1
	ch := floorDiv(r.head, r.ratio)
	for _, ev := range r.events {
		in := false
		if s >= oldest {
			in = ev.idx >= s && ev.idx <= e && ev.idx >= oldest && ev.idx <= r.head
		} else {
			cb := floorDiv(oldest+r.ratio-1, r.ratio)
			if ev.idx >= cb*r.ratio {
				in = ev.idx <= e && ev.idx <= r.head
			} else {
				j := floorDiv(ev.idx, r.ratio)
				mid := j*r.ratio + r.ratio/2
				in = mid >= s && mid <= e && j > ch-r.nc && j < cb
			}
		}
		if in {
			sum.Good += ev.good
			sum.Total += ev.total
		}
	}
	return sum
}

// TestCounterModel compares Counter with the naive model on random streams in a small layout, so
// that the rings wrap many times, events arrive late, and time jumps.
func TestCounterModel(t *testing.T) {
	for _, wc := range []WindowConfig{
		{Resolution: time.Second, CoarseResolution: 4 * time.Second, FineSpan: 12 * time.Second, Span: 40 * time.Second},
		{Resolution: time.Second, CoarseResolution: 3 * time.Second, FineSpan: 4 * time.Second, Span: 30 * time.Second},
		{Resolution: time.Second, CoarseResolution: time.Second, FineSpan: 5 * time.Second, Span: 9 * time.Second},
	} {
		rng := rand.New(rand.NewPCG(5, uint64(wc.CoarseResolution)))
		c, err := NewCounter(wc)
		if err != nil {
			t.Fatal(err)
		}
		ref := &refCounter{res: int64(time.Second), ratio: int64(wc.CoarseResolution / time.Second),
			nf: int64(len(c.fine)), nc: int64(len(c.coarse))}
		now := int64(-20) // negative times exercise floor division
		for i := range 20000 {
			switch k := rng.IntN(20); {
			case k < 12:
				now += rng.Int64N(3)
			case k < 13:
				now += rng.Int64N(60)
			}
			at := now
			if rng.IntN(4) == 0 {
				at -= rng.Int64N(50) // late, sometimes too late
			}
			total := uint64(rng.IntN(5) + 1)
			good := uint64(rng.IntN(int(total) + 1))
			tm := time.Unix(at, int64(rng.IntN(1e9)))
			err := c.Add(tm, good, total)
			if ok := ref.add(at, good, total); ok != (err == nil) {
				t.Fatalf("%+v event %d at %d: counter error %v, model accepted %v", wc, i, at, err, ok)
			}
			qe := now + rng.Int64N(10) - 5
			w := time.Duration(rng.Int64N(int64(wc.Span/time.Second))+1) * time.Second
			if rng.IntN(3) == 0 {
				w -= time.Duration(rng.Int64N(int64(time.Second))) // not a whole number of buckets
			}
			got, err := c.Count(time.Unix(qe, int64(rng.IntN(1e9))), w)
			if err != nil {
				t.Fatal(err)
			}
			n := int64((w + time.Second - 1) / time.Second)
			if want := ref.count(qe, n); got != want {
				t.Fatalf("%+v step %d: Count(%d, %v) = %+v, model %+v", wc, i, qe, w, got, want)
			}
		}
	}
}

func TestCounterInputLimits(t *testing.T) {
	c, _ := NewCounter(WindowConfig{})
	for _, at := range []time.Time{{}, time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)} {
		var ae *ArgumentError
		if err := c.Add(at, 1, 1); !errors.As(err, &ae) || ae.Arg != "now" {
			t.Errorf("Add(%v): %v", at, err)
		}
		if _, err := c.Count(at, time.Hour); !errors.As(err, &ae) || ae.Arg != "now" {
			t.Errorf("Count(%v): %v", at, err)
		}
	}
	if _, err := c.Count(t0, time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := c.Add(t0, 0, 1<<63); err != nil {
		t.Fatal(err)
	}
	var ae *ArgumentError
	if err := c.Add(t0, 0, 1<<63); !errors.As(err, &ae) || ae.Arg != "total" {
		t.Errorf("overflowing bucket: %v", err)
	}
	if got, _ := c.Count(t0, time.Minute); got != (Count{0, 1 << 63}) {
		t.Errorf("a refused Add changed the counter: %+v", got)
	}
}

// FuzzCounterModel drives Counter and the naive model with operations decoded from the input:
// each 4-byte group is (time step, lateness, total, good, window) in a small layout.
func FuzzCounterModel(f *testing.F) {
	f.Add([]byte{1, 0, 3, 1, 5, 2, 9, 4, 0, 7, 40, 1, 2, 2, 0, 0})
	f.Add([]byte{0, 0, 0, 0, 255, 255, 255, 255, 3, 30, 5, 2})
	f.Fuzz(func(t *testing.T, ops []byte) {
		wc := WindowConfig{Resolution: time.Second, CoarseResolution: 3 * time.Second, FineSpan: 6 * time.Second, Span: 21 * time.Second}
		c, _ := NewCounter(wc)
		ref := &refCounter{res: int64(time.Second), ratio: 3, nf: int64(len(c.fine)), nc: int64(len(c.coarse))}
		now := int64(0)
		for i := 0; i+4 <= len(ops); i += 4 {
			step, late, tot, w := ops[i], ops[i+1], ops[i+2], ops[i+3]
			now += int64(step % 8)
			at := now - int64(late%40)
			total := uint64(tot%7) + 1
			good := uint64(tot/7) % (total + 1)
			err := c.Add(time.Unix(at, 0), good, total)
			if ok := ref.add(at, good, total); ok != (err == nil) {
				t.Fatalf("op %d: counter error %v, model accepted %v", i/4, err, ok)
			}
			win := time.Duration(w%21+1) * time.Second
			q := now - int64(w/21%4)
			got, err := c.Count(time.Unix(q, 0), win)
			if want := ref.count(q, int64(win/time.Second)); err != nil || got != want {
				t.Fatalf("op %d: Count(%d, %v) = %+v, %v; model %+v", i/4, q, win, got, err, want)
			}
		}
	})
}
