package dedupe

import (
	"encoding/binary"
	"fmt"
	"time"
)

// DefaultMaxSources is the MaxSources a [TrackerConfig] with MaxSources 0 gets.
const DefaultMaxSources = 65536

// MaxTrackerSources bounds TrackerConfig.MaxSources (slots are numbered with uint32).
const MaxTrackerSources = 1 << 30

// EvictReason says why a Tracker dropped a source.
type EvictReason uint8

const (
	// EvictCapacity: the tracker held MaxSources sources and a new one arrived; the least
	// recently accepted source made room.
	EvictCapacity EvictReason = iota + 1
	// EvictIdle: the source accepted nothing for IdleTimeout.
	EvictIdle
)

// String returns "capacity" or "idle".
func (r EvictReason) String() string {
	switch r {
	case EvictCapacity:
		return "capacity"
	case EvictIdle:
		return "idle"
	}
	return "EvictReason(" + itoa(int(r)) + ")"
}

// TrackerConfig configures a [Tracker]. The zero value is valid.
type TrackerConfig struct {
	// Window is the window size W of every source (see [Window]). 0 means DefaultWindowSize (63).
	Window int
	// MaxSources is the most sources tracked at once; a new source beyond it evicts the least
	// recently accepted one. 0 means DefaultMaxSources (65536); at most MaxTrackerSources.
	MaxSources int
	// IdleTimeout evicts a source that accepted nothing for this long. 0 means sources are
	// evicted only for room.
	IdleTimeout time.Duration
	// Limit refuses sequence numbers >= Limit with ErrLimit, for every source. 0 means none.
	Limit uint64
	// MaxSourceLen is the longest source ID accepted, in bytes. 0 means DefaultMaxKeyLen (256).
	MaxSourceLen int
	// Seed seeds the source-ID hash; 0 uses a fixed seed. Set a random seed when source IDs
	// come from untrusted parties.
	Seed uint64
	// OnEvict, when not nil, is called with each evicted source, the highest number it accepted
	// and why, so the caller can persist that as the source's floor. It runs inside the Tracker
	// call that evicts and must not call back into the Tracker.
	OnEvict func(source string, top uint64, reason EvictReason)
	// Floor, when not nil, is asked for the floor of a source the tracker does not hold (new,
	// or back after eviction). When it returns ok, the source's window starts as if every number
	// up to floor had been accepted: only numbers above floor pass. Without a floor the window
	// starts empty and any number passes once. It must not call back into the Tracker.
	Floor func(source string) (floor uint64, ok bool)
}

func (c TrackerConfig) withDefaults() (TrackerConfig, error) {
	if c.Window == 0 {
		c.Window = DefaultWindowSize
	}
	if c.MaxSources == 0 {
		c.MaxSources = DefaultMaxSources
	}
	if c.MaxSourceLen == 0 {
		c.MaxSourceLen = DefaultMaxKeyLen
	}
	if err := checkWindowSize("TrackerConfig.Window", c.Window); err != nil {
		return c, err
	}
	switch {
	case c.MaxSources < 1 || c.MaxSources > MaxTrackerSources:
		return c, fmt.Errorf("%w: TrackerConfig.MaxSources = %d, want 1..%d", ErrConfig, c.MaxSources, MaxTrackerSources)
	case c.IdleTimeout < 0:
		return c, fmt.Errorf("%w: TrackerConfig.IdleTimeout = %v, want >= 0", ErrConfig, c.IdleTimeout)
	case c.MaxSourceLen < 0 || c.MaxSourceLen > MaxIDLen:
		return c, fmt.Errorf("%w: TrackerConfig.MaxSourceLen = %d, want 1..%d", ErrConfig, c.MaxSourceLen, MaxIDLen)
	}
	return c, nil
}

// TrackerStats are a Tracker's counters since it was created. They are not part of a snapshot.
type TrackerStats struct {
	// Sources is the number of sources held now.
	Sources int
	// Accepted, Replayed, TooOld and Limited count Check results: nil, ErrReplay, ErrTooOld
	// and ErrLimit.
	Accepted, Replayed, TooOld, Limited uint64
	// Evicted counts sources dropped for room; Idle counts sources dropped after IdleTimeout.
	Evicted, Idle uint64
}

const none = ^uint32(0)

// source is one tracked source: 48 bytes plus its bitmap words in Tracker.bits.
type source struct {
	id         string
	top        uint64
	last       int64 // Unix ns of the last accepted number
	prev, next uint32
	hash       uint32
}

// Tracker keeps one anti-replay [Window] per source (device ID, session) for up to MaxSources
// sources in bounded memory. Sources live in a slot array with their bitmaps in one flat slice
// of words and a 4-byte-per-bucket hash index; a doubly linked list through the slots keeps
// them in order of last acceptance, so both capacity and idle eviction take the least recently
// accepted source in O(1). Only accepted numbers refresh a source: a peer replaying old numbers
// does not keep it alive.
//
// Eviction forgets a source's window. When an evicted source comes back, its window starts
// again: without a floor any number passes once, so a replay of traffic older than the eviction
// is accepted. This is the price of bounded memory. To close it, persist the top passed to
// OnEvict and return it from Floor; numbers at or below the floor are then refused (including
// genuine late packets that were still in flight, which is the safe side). Size MaxSources and
// IdleTimeout so that a source is evicted only after its old traffic can no longer be delivered.
//
// Time is passed in by the caller; a now earlier than the latest one seen is treated as the
// latest. A Tracker is not safe for concurrent use. Make one with [NewTracker]; the zero Tracker
// is not usable.
type Tracker struct {
	cfg   TrackerConfig
	size  uint64
	words int
	slots []source
	bits  []uint64 // words per slot
	free  uint32   // head of the free-slot list (through next)
	mru   uint32   // most recently accepted
	lru   uint32   // least recently accepted
	live  int
	now   int64 // latest now seen
	idx   index
	stats TrackerStats
}

// NewTracker returns an empty tracker. It returns an error wrapping [ErrConfig] when a field of
// cfg is out of range. Memory grows with the number of sources held, up to MaxSources.
func NewTracker(cfg TrackerConfig) (*Tracker, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	t := &Tracker{cfg: cfg, size: uint64(cfg.Window), words: ringWords(uint64(cfg.Window))}
	t.reset()
	return t, nil
}

func (t *Tracker) reset() {
	t.slots, t.bits = nil, nil
	t.free, t.mru, t.lru = none, none, none
	t.live = 0
	t.idx = newIndex(min(t.cfg.MaxSources, 1024))
}

// Config returns the configuration with defaults applied.
func (t *Tracker) Config() TrackerConfig { return t.cfg }

// Len returns the number of sources held.
func (t *Tracker) Len() int { return t.live }

// Stats returns the counters.
func (t *Tracker) Stats() TrackerStats {
	s := t.stats
	s.Sources = t.live
	return s
}

// Check records seq for source and returns nil if it is new for that source, or exactly one of
// [ErrReplay], [ErrTooOld], [ErrLimit]. A source ID longer than MaxSourceLen returns an error
// wrapping [ErrTooLarge]. Before checking, sources idle for IdleTimeout at now are evicted; an
// unknown source whose number passes gets a window (empty, or starting at its Floor), evicting
// the least recently accepted source when the tracker is full. Only acceptance makes a source
// recently used; a refusal changes no source.
func (t *Tracker) Check(src string, seq uint64, now time.Time) error {
	if len(src) > t.cfg.MaxSourceLen {
		return fmt.Errorf("%w: source ID of %d bytes exceeds TrackerConfig.MaxSourceLen %d", ErrTooLarge, len(src), t.cfg.MaxSourceLen)
	}
	ts := t.tick(now)
	if t.cfg.Limit != 0 && seq >= t.cfg.Limit {
		t.stats.Limited++
		return ErrLimit
	}
	h := hashKey(t.cfg.Seed, src)
	s, ok := t.find(src, h)
	if !ok {
		var floor uint64
		var floored bool
		if t.cfg.Floor != nil {
			if floor, floored = t.cfg.Floor(src); floored && seq <= floor {
				// Refused by the floor: like every refusal, this creates and evicts nothing.
				if floor-seq > t.size {
					t.stats.TooOld++
					return ErrTooOld
				}
				t.stats.Replayed++
				return ErrReplay
			}
		}
		s = t.add(src, h, ts, floor, floored)
	}
	e := &t.slots[s]
	err := checkRing(t.bits[int(s)*t.words:int(s+1)*t.words], &e.top, t.size, seq)
	switch err {
	case nil:
		t.stats.Accepted++
		e.last = ts
		t.touch(s)
	case ErrReplay:
		t.stats.Replayed++
	case ErrTooOld:
		t.stats.TooOld++
	}
	return err
}

// Test reports what Check would return, changing nothing (no expiry, no new source, no call to
// OnEvict; Floor is consulted for an unknown source).
func (t *Tracker) Test(src string, seq uint64) error {
	if len(src) > t.cfg.MaxSourceLen {
		return fmt.Errorf("%w: source ID of %d bytes exceeds TrackerConfig.MaxSourceLen %d", ErrTooLarge, len(src), t.cfg.MaxSourceLen)
	}
	if t.cfg.Limit != 0 && seq >= t.cfg.Limit {
		return ErrLimit
	}
	s, ok := t.find(src, hashKey(t.cfg.Seed, src))
	if ok {
		return testRing(t.bits[int(s)*t.words:int(s+1)*t.words], t.slots[s].top, t.size, seq)
	}
	if t.cfg.Floor != nil {
		if floor, ok := t.cfg.Floor(src); ok && seq <= floor {
			if floor-seq > t.size {
				return ErrTooOld
			}
			return ErrReplay
		}
	}
	return nil
}

// Top returns the highest number accepted from source and whether the source is held.
func (t *Tracker) Top(src string) (uint64, bool) {
	s, ok := t.find(src, hashKey(t.cfg.Seed, src))
	if !ok {
		return 0, false
	}
	return t.slots[s].top, true
}

// Remove forgets source (for a new epoch of that source, see [Window.Reset]) and reports whether
// it was held. OnEvict is not called.
func (t *Tracker) Remove(src string) bool {
	h := hashKey(t.cfg.Seed, src)
	s, ok := t.find(src, h)
	if ok {
		t.drop(s)
	}
	return ok
}

// Expire evicts the sources idle for IdleTimeout at now (calling OnEvict) and returns how many.
// Check does this too; call Expire to release sources when no traffic arrives.
func (t *Tracker) Expire(now time.Time) int {
	before := t.stats.Idle
	t.tick(now)
	return int(t.stats.Idle - before)
}

// Clear forgets every source without calling OnEvict; counters are kept.
func (t *Tracker) Clear() { t.reset() }

// tick advances the tracker's clock to now (never backwards) and evicts idle sources.
func (t *Tracker) tick(now time.Time) int64 {
	ts := now.UnixNano()
	if ts < t.now {
		ts = t.now
	}
	t.now = ts
	if idle := int64(t.cfg.IdleTimeout); idle > 0 {
		for t.lru != none && ts-t.slots[t.lru].last >= idle {
			t.evict(t.lru, EvictIdle)
		}
	}
	return ts
}

func (t *Tracker) hashOf(s uint32) uint32 { return t.slots[s].hash }

func (t *Tracker) find(src string, h uint32) (uint32, bool) {
	x := &t.idx
	for i := h & x.mask; ; i = (i + 1) & x.mask {
		s := x.table[i]
		if s == 0 {
			return 0, false
		}
		if e := &t.slots[s-1]; e.hash == h && e.id == src {
			return s - 1, true
		}
	}
}

// add creates a source at the MRU end, with a window starting at floor when floored.
func (t *Tracker) add(src string, h uint32, ts int64, floor uint64, floored bool) uint32 {
	if t.live >= t.cfg.MaxSources {
		t.evict(t.lru, EvictCapacity)
	}
	var s uint32
	if t.free != none {
		s = t.free
		t.free = t.slots[s].next
	} else {
		s = uint32(len(t.slots))
		t.slots = append(t.slots, source{})
		t.bits = append(t.bits, make([]uint64, t.words)...)
	}
	ring := t.bits[int(s)*t.words : int(s+1)*t.words]
	e := &t.slots[s]
	*e = source{id: cloneString(src), hash: h, last: ts, prev: none, next: none}
	clear(ring)
	if floored {
		e.top = floor
		for i := range ring {
			ring[i] = ^uint64(0)
		}
		if b := floor & bitMask; b != bitMask {
			ring[(floor>>wordShift)&uint64(t.words-1)] = 1<<(b+1) - 1
		}
	}
	if t.idx.full() {
		t.grow()
	}
	t.idx.insert(h, s)
	t.live++
	t.link(s)
	return s
}

// grow doubles the index and reinserts every held source.
func (t *Tracker) grow() {
	x := newIndex(2 * (t.idx.n + 1))
	for s := t.mru; s != none; s = t.slots[s].next {
		x.insert(t.slots[s].hash, s)
	}
	t.idx = x
}

func (t *Tracker) evict(s uint32, why EvictReason) {
	e := &t.slots[s]
	id, top := e.id, e.top
	if why == EvictIdle {
		t.stats.Idle++
	} else {
		t.stats.Evicted++
	}
	t.drop(s)
	if t.cfg.OnEvict != nil {
		t.cfg.OnEvict(id, top, why)
	}
}

// drop unlinks s, removes it from the index and puts it on the free list.
func (t *Tracker) drop(s uint32) {
	e := &t.slots[s]
	t.idx.remove(e.hash, s, t.hashOf)
	t.unlink(s)
	*e = source{next: t.free, prev: none}
	t.free = s
	t.live--
}

// link puts s at the MRU end.
func (t *Tracker) link(s uint32) {
	e := &t.slots[s]
	e.prev, e.next = none, t.mru
	if t.mru != none {
		t.slots[t.mru].prev = s
	}
	t.mru = s
	if t.lru == none {
		t.lru = s
	}
}

func (t *Tracker) unlink(s uint32) {
	e := &t.slots[s]
	if e.prev != none {
		t.slots[e.prev].next = e.next
	} else {
		t.mru = e.next
	}
	if e.next != none {
		t.slots[e.next].prev = e.prev
	} else {
		t.lru = e.prev
	}
}

// touch moves s to the MRU end.
func (t *Tracker) touch(s uint32) {
	if t.mru == s {
		return
	}
	t.unlink(s)
	t.link(s)
}

const trackerMagic = "FKDT"

// Tracker snapshot body: window size u64, count u32, then per source from least to most
// recently accepted: ID length uvarint, ID, top u64, last-accepted i64 (Unix ns), bitmap words.

// AppendBinary appends a snapshot of every source (ID, window, last acceptance time) to b.
// Configuration and stats are not included. The encoding is versioned and CRC-32C protected. It
// implements [encoding.BinaryAppender]; the error is always nil.
func (t *Tracker) AppendBinary(b []byte) ([]byte, error) {
	start := len(b)
	b = appendHeader(b, trackerMagic)
	b = binary.LittleEndian.AppendUint64(b, t.size)
	b = binary.LittleEndian.AppendUint32(b, uint32(t.live))
	for s := t.lru; s != none; s = t.slots[s].prev {
		e := &t.slots[s]
		b = binary.AppendUvarint(b, uint64(len(e.id)))
		b = append(b, e.id...)
		b = binary.LittleEndian.AppendUint64(b, e.top)
		b = binary.LittleEndian.AppendUint64(b, uint64(e.last))
		for _, w := range t.bits[int(s)*t.words : int(s+1)*t.words] {
			b = binary.LittleEndian.AppendUint64(b, w)
		}
	}
	return appendTrailer(b, start), nil
}

// MarshalBinary returns AppendBinary(nil). It implements [encoding.BinaryMarshaler].
func (t *Tracker) MarshalBinary() ([]byte, error) { return t.AppendBinary(nil) }

// UnmarshalBinary replaces every source with those of a snapshot made by AppendBinary, keeping
// the receiver's configuration and stats; OnEvict and Floor are not called. The snapshot's
// window size must equal the receiver's and it may hold at most MaxSources sources. On any error (a *[SnapshotError] wrapping [ErrCorrupt],
// [ErrVersion] or [ErrMismatch]) the tracker is unchanged.
func (t *Tracker) UnmarshalBinary(data []byte) error {
	if t.words == 0 {
		return &SnapshotError{Kind: "tracker", Rule: "receiver was not made by NewTracker", Err: ErrMismatch}
	}
	r, err := openSnapshot("tracker", trackerMagic, data)
	if err != nil {
		return err
	}
	size := r.u64("window size")
	countOff := r.off
	count := r.u32("source count")
	if r.err != nil {
		return r.err
	}
	if size != t.size {
		return r.fail(headerLen, ErrMismatch, "window size "+utoa(size)+", the receiver's is "+utoa(t.size))
	}
	if int64(count) > int64(t.cfg.MaxSources) {
		return r.fail(countOff, ErrMismatch, "snapshot holds "+utoa(uint64(count))+" sources, TrackerConfig.MaxSources is "+itoa(t.cfg.MaxSources))
	}
	per := 17 + 8*t.words // smallest encoded source
	if int64(count)*int64(per) > int64(len(r.buf)-r.off) {
		return r.fail(countOff, ErrCorrupt, "source count "+utoa(uint64(count))+" cannot fit in "+itoa(len(r.buf)-r.off)+" bytes")
	}
	n := Tracker{cfg: t.cfg, size: t.size, words: t.words}
	n.reset()
	n.slots = make([]source, 0, count)
	n.bits = make([]uint64, 0, int(count)*t.words)
	last := int64(0)
	for i := 0; i < int(count); i++ {
		off := r.off
		klen := r.uvarintMax("source ID length", t.cfg.MaxSourceLen, ErrMismatch)
		id := r.bytes(klen, "source ID")
		topOff := r.off
		top := r.u64("top")
		ts := int64(r.u64("last accepted"))
		raw := r.bytes(8*t.words, "bitmap")
		if r.err != nil {
			return r.err
		}
		if i > 0 && ts < last {
			return r.fail(off, ErrCorrupt, "source "+itoa(i)+": last-accepted time goes backwards")
		}
		last = ts
		h := hashKey(t.cfg.Seed, string(id))
		if _, dup := n.find(string(id), h); dup {
			return r.fail(off, ErrCorrupt, "source "+itoa(i)+": duplicate source ID")
		}
		s := uint32(len(n.slots))
		n.slots = append(n.slots, source{id: string(id), top: top, last: ts, hash: h})
		for j := 0; j < t.words; j++ {
			n.bits = append(n.bits, binary.LittleEndian.Uint64(raw[8*j:]))
		}
		if bit, ok := validRing(n.bits[int(s)*t.words:int(s+1)*t.words], top); !ok {
			return r.fail(topOff+16, ErrCorrupt, "source "+itoa(i)+": bitmap bit "+itoa(bit)+" of the top's word is set above top")
		}
		if n.idx.full() {
			n.grow()
		}
		n.idx.insert(h, s)
		n.live++
		n.link(s)
	}
	if err := r.end(); err != nil {
		return err
	}
	if last > t.now {
		t.now = last
	}
	t.slots, t.bits, t.idx = n.slots, n.bits, n.idx
	t.free, t.mru, t.lru, t.live = n.free, n.mru, n.lru, n.live
	return nil
}
