package dedupe

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// fakeClock is a manual clock for TTL tests.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *fakeClock                   { return &fakeClock{time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC)} }
func mustCache(t testing.TB, cfg CacheConfig) *Cache {
	t.Helper()
	c, err := NewCache(cfg)
	must(t, err)
	return c
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestCacheConfig(t *testing.T) {
	c := mustCache(t, CacheConfig{})
	got := c.Config()
	if got.MaxEntries != DefaultMaxEntries || got.TTL != DefaultTTL || got.MaxKeyLen != DefaultMaxKeyLen || got.MaxResultLen != DefaultMaxResultLen {
		t.Fatalf("defaults not applied: %+v", got)
	}
	for _, cfg := range []CacheConfig{
		{MaxEntries: -1}, {MaxEntries: MaxCacheEntries + 1}, {TTL: -time.Second},
		{MaxKeyLen: -1}, {MaxKeyLen: MaxIDLen + 1}, {MaxResultLen: -2}, {MaxResultLen: MaxCacheResultLen + 1},
	} {
		if _, err := NewCache(cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("NewCache(%+v) = %v, want ErrConfig", cfg, err)
		}
	}
}

func TestCacheAddGetPut(t *testing.T) {
	clk := newClock()
	c := mustCache(t, CacheConfig{MaxEntries: 4, TTL: time.Minute})
	added, err := c.Add("cmd-1", clk.now())
	must(t, err)
	if !added {
		t.Fatal("first Add returned false")
	}
	if added, _ := c.Add("cmd-1", clk.now()); added {
		t.Fatal("second Add returned true")
	}
	if r, ok := c.Get("cmd-1", clk.now()); !ok || r != nil {
		t.Fatalf("Get after Add = %q, %v; want nil, true", r, ok)
	}
	res := []byte(`{"status":"ok"}`)
	must(t, c.Put("cmd-1", res, clk.now()))
	res[0] = 'X' // the cache keeps its own copy
	r, ok := c.Get("cmd-1", clk.now())
	if !ok || string(r) != `{"status":"ok"}` {
		t.Fatalf("Get = %q, %v", r, ok)
	}
	r[0] = 'Y' // and hands out copies
	if r, _ := c.Get("cmd-1", clk.now()); string(r) != `{"status":"ok"}` {
		t.Fatalf("stored result changed through a returned slice: %q", r)
	}
	must(t, c.Put("cmd-2", []byte("r2"), clk.now()))
	if !c.Seen("cmd-2", clk.now()) || c.Seen("cmd-3", clk.now()) {
		t.Fatal("Seen wrong")
	}
	if _, ok := c.Get("", clk.now()); ok {
		t.Fatal("empty key found before it was added")
	}
	if added, _ := c.Add("", clk.now()); !added {
		t.Fatal("empty key is a valid key")
	}
	s := c.Stats()
	want := CacheStats{Entries: 3, Hits: 5, Misses: 4}
	if s != want {
		t.Fatalf("CacheStats = %+v, want %+v", s, want)
	}
}

func TestCacheTooLarge(t *testing.T) {
	clk := newClock()
	c := mustCache(t, CacheConfig{MaxKeyLen: 4, MaxResultLen: 3})
	if _, err := c.Add("12345", clk.now()); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "MaxKeyLen 4") {
		t.Fatalf("Add long key: %v", err)
	}
	if err := c.Put("1234", []byte("abcd"), clk.now()); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "MaxResultLen 3") {
		t.Fatalf("Put long result: %v", err)
	}
	if err := c.Put("12345", nil, clk.now()); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Put long key: %v", err)
	}
	if c.Len() != 0 {
		t.Fatalf("Len = %d after refused inputs", c.Len())
	}
	must(t, c.Put("1234", []byte("abc"), clk.now()))
}

func TestCacheTTL(t *testing.T) {
	clk := newClock()
	c := mustCache(t, CacheConfig{MaxEntries: 10, TTL: time.Minute})
	_, _ = c.Add("a", clk.now())
	clk.advance(30 * time.Second)
	_, _ = c.Add("b", clk.now())
	must(t, c.Put("a", []byte("late result"), clk.now())) // keeps a's expiry
	clk.advance(30*time.Second - 1)
	if !c.Seen("a", clk.now()) {
		t.Fatal("a expired 1ns early")
	}
	clk.advance(1) // exactly TTL after a was added
	if c.Seen("a", clk.now()) {
		t.Fatal("a still held at its expiry")
	}
	if !c.Seen("b", clk.now()) {
		t.Fatal("b expired early")
	}
	if added, _ := c.Add("a", clk.now()); !added {
		t.Fatal("an expired key is new again")
	}
	clk.advance(time.Hour)
	if n := c.Expire(clk.now()); n != 2 {
		t.Fatalf("Expire dropped %d, want 2", n)
	}
	if s := c.Stats(); s.Expired != 3 || s.Entries != 0 {
		t.Fatalf("CacheStats = %+v", s)
	}
}

func TestCacheClockBackwards(t *testing.T) {
	clk := newClock()
	c := mustCache(t, CacheConfig{TTL: time.Minute})
	_, _ = c.Add("a", clk.now())
	clk.advance(-time.Hour) // clock stepped back: b must not expire before a
	_, _ = c.Add("b", clk.now())
	clk.advance(time.Hour + time.Minute)
	if c.Seen("a", clk.now()) || c.Seen("b", clk.now()) {
		t.Fatal("entries outlived the newest expiry")
	}
}

func TestCacheEvictionOrder(t *testing.T) {
	clk := newClock()
	c := mustCache(t, CacheConfig{MaxEntries: 3, TTL: time.Hour})
	for _, k := range []string{"a", "b", "c"} {
		_, _ = c.Add(k, clk.now())
	}
	_, _ = c.Get("a", clk.now()) // a lookup does not refresh (FIFO, not LRU)
	_, _ = c.Add("d", clk.now())
	for k, want := range map[string]bool{"a": false, "b": true, "c": true, "d": true} {
		if got := c.Seen(k, clk.now()); got != want {
			t.Errorf("Seen(%s) = %v, want %v", k, got, want)
		}
	}
	_, _ = c.Add("e", clk.now())
	if c.Seen("b", clk.now()) {
		t.Error("b should be evicted second")
	}
	if s := c.Stats(); s.Evictions != 2 || s.Entries != 3 {
		t.Fatalf("CacheStats = %+v", s)
	}
}

func TestCacheDelete(t *testing.T) {
	clk := newClock()
	c := mustCache(t, CacheConfig{MaxEntries: 3})
	for _, k := range []string{"a", "b", "c"} {
		_, _ = c.Add(k, clk.now())
	}
	if !c.Delete("b") || c.Delete("b") || c.Delete("zz") {
		t.Fatal("Delete results wrong")
	}
	if c.Len() != 2 || c.Seen("b", clk.now()) {
		t.Fatal("b still held")
	}
	_, _ = c.Add("d", clk.now()) // the ring is full (a, hole, c): a is evicted
	_, _ = c.Add("e", clk.now()) // the hole is reclaimed, nothing live evicted
	if got := c.Stats().Evictions; got != 1 {
		t.Fatalf("Evictions = %d, want 1", got)
	}
	for k, want := range map[string]bool{"a": false, "c": true, "d": true, "e": true} {
		if got := c.Seen(k, clk.now()); got != want {
			t.Errorf("Seen(%s) = %v, want %v", k, got, want)
		}
	}
	c.Clear()
	if c.Len() != 0 || c.Seen("c", clk.now()) {
		t.Fatal("Clear left entries")
	}
}

// TestCacheMatchesModel drives the cache and a map-based model with random operations.
func TestCacheMatchesModel(t *testing.T) {
	clk := newClock()
	const max = 64
	c := mustCache(t, CacheConfig{MaxEntries: max, TTL: 10 * time.Second})
	type ent struct {
		res string
		exp time.Time
		seq int
	}
	model := map[string]*ent{}
	seq := 0
	evictOldest := func() {
		var oldest string
		best := -1
		for k, e := range model {
			if best < 0 || e.seq < best {
				oldest, best = k, e.seq
			}
		}
		delete(model, oldest)
	}
	expire := func() {
		for k, e := range model {
			if !clk.now().Before(e.exp) {
				delete(model, k)
			}
		}
	}
	rng := newRand(1)
	for i := 0; i < 100000; i++ {
		key := fmt.Sprintf("k%d", rng.IntN(150))
		clk.advance(time.Duration(rng.IntN(300)) * time.Millisecond)
		expire()
		switch op := rng.IntN(10); {
		case op < 4:
			added, err := c.Add(key, clk.now())
			must(t, err)
			_, held := model[key]
			if added == held {
				t.Fatalf("op %d: Add(%s) = %v, model held=%v", i, key, added, held)
			}
			if !held {
				if len(model) == max {
					evictOldest()
				}
				seq++
				model[key] = &ent{exp: clk.now().Add(10 * time.Second), seq: seq}
			}
		case op < 6:
			res := fmt.Sprint(rng.IntN(1000))
			must(t, c.Put(key, []byte(res), clk.now()))
			if e, ok := model[key]; ok {
				e.res = res
			} else {
				if len(model) == max {
					evictOldest()
				}
				seq++
				model[key] = &ent{res: res, exp: clk.now().Add(10 * time.Second), seq: seq}
			}
		case op < 9:
			r, ok := c.Get(key, clk.now())
			e, held := model[key]
			if ok != held || (held && string(r) != e.res) {
				t.Fatalf("op %d: Get(%s) = %q,%v; model %v", i, key, r, ok, e)
			}
		default:
			c.Expire(clk.now()) // Delete takes no now: drop what the model already dropped
			_, held := model[key]
			if got := c.Delete(key); got != held {
				t.Fatalf("op %d: Delete(%s) = %v, model %v", i, key, got, held)
			}
			delete(model, key)
		}
		if c.Len() > max {
			t.Fatalf("op %d: Len %d > max", i, c.Len())
		}
	}
}

func TestCacheSnapshotRoundTrip(t *testing.T) {
	clk := newClock()
	c := mustCache(t, CacheConfig{MaxEntries: 8, TTL: time.Minute})
	for i := 0; i < 12; i++ {
		must(t, c.Put(fmt.Sprintf("cmd-%d", i), []byte(strings.Repeat("r", i)), clk.now()))
		clk.advance(time.Second)
	}
	c.Delete("cmd-6")
	snap, err := c.MarshalBinary()
	must(t, err)
	r := mustCache(t, CacheConfig{MaxEntries: 7, TTL: time.Hour}) // TTL of the receiver does not matter
	must(t, r.UnmarshalBinary(snap))
	if r.Len() != 7 {
		t.Fatalf("restored Len = %d, want 7", r.Len())
	}
	if again, _ := r.AppendBinary(nil); string(again) != string(snap) {
		t.Fatal("re-marshalled snapshot differs")
	}
	for i := 0; i < 12; i++ {
		k := fmt.Sprintf("cmd-%d", i)
		a, okA := c.Get(k, clk.now())
		b, okB := r.Get(k, clk.now())
		if okA != okB || string(a) != string(b) {
			t.Errorf("%s: original %q,%v restored %q,%v", k, a, okA, b, okB)
		}
	}
	// Absolute expiry survives: cmd-4 was added at +4s and expires at +64s.
	clk.t = clk.t.Add(-12 * time.Second).Add(64 * time.Second)
	if r.Seen("cmd-4", clk.now()) || !r.Seen("cmd-5", clk.now()) {
		t.Fatal("restored expiry times are wrong")
	}
}

func TestCacheSnapshotErrors(t *testing.T) {
	clk := newClock()
	c := mustCache(t, CacheConfig{MaxEntries: 4})
	_, _ = c.Add("aa", clk.now())
	must(t, c.Put("bb", []byte("xyz"), clk.now()))
	good, _ := c.MarshalBinary()
	refit := func(edit func(b []byte) []byte) []byte {
		b := edit(append([]byte(nil), good...))
		return appendTrailer(b[:len(b)-4], 0)
	}
	// body: count@5, entry0: exp@9 klen@17 key@18 rlen@20; entry1: exp@21 klen@29 key@30 rlen@32 res@33
	tests := []struct {
		name string
		cfg  CacheConfig
		data []byte
		want error
		off  int
	}{
		{"magic", CacheConfig{}, refit(func(b []byte) []byte { copy(b, "FKDW"); return b }), ErrCorrupt, 0},
		{"crc", CacheConfig{}, func() []byte { b := append([]byte(nil), good...); b[30] = 'c'; return b }(), ErrCorrupt, len(good) - 4},
		{"too many", CacheConfig{MaxEntries: 1}, good, ErrMismatch, 5},
		{"count cannot fit", CacheConfig{}, refit(func(b []byte) []byte { b[5] = 9; return b }), ErrCorrupt, 5},
		{"key too long for receiver", CacheConfig{MaxKeyLen: 1}, good, ErrMismatch, 17},
		{"result too long for receiver", CacheConfig{MaxResultLen: 2}, good, ErrMismatch, 32},
		{"duplicate key", CacheConfig{}, refit(func(b []byte) []byte { b[30], b[31] = 'a', 'a'; return b }), ErrCorrupt, 21},
		{"expiry backwards", CacheConfig{}, refit(func(b []byte) []byte { clear(b[21:29]); return b }), ErrCorrupt, 21},
		{"truncated key", CacheConfig{}, refit(func(b []byte) []byte { b[17] = 100; return b }), ErrCorrupt, 18},
		{"bad uvarint", CacheConfig{}, refit(func(b []byte) []byte {
			return append(b[:32], 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0, 0, 0, 0)
		}), ErrCorrupt, 32},
		{"trailing", CacheConfig{}, refit(func(b []byte) []byte { return append(b[:len(b)-4], 7, 0, 0, 0, 0) }), ErrCorrupt, 36},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := mustCache(t, tc.cfg)
			_, _ = r.Add("keep", clk.now())
			before, _ := r.MarshalBinary()
			err := r.UnmarshalBinary(tc.data)
			var se *SnapshotError
			if !errors.Is(err, tc.want) || !errors.As(err, &se) || se.Offset != tc.off || se.Kind != "cache" {
				t.Fatalf("err = %v (%#v), want %v at byte %d", err, se, tc.want, tc.off)
			}
			after, _ := r.MarshalBinary()
			if string(before) != string(after) {
				t.Fatal("cache changed by a failed UnmarshalBinary")
			}
		})
	}
	var zero Cache
	if err := zero.UnmarshalBinary(good); !errors.Is(err, ErrMismatch) {
		t.Fatalf("zero Cache: %v", err)
	}
}
