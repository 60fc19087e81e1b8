package dedupe

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"
)

// Cache defaults, applied by [NewCache] to zero fields of [CacheConfig].
const (
	DefaultMaxEntries   = 4096
	DefaultTTL          = 24 * time.Hour
	DefaultMaxKeyLen    = 256
	DefaultMaxResultLen = 4096
)

// Upper bounds of [CacheConfig] fields.
const (
	// MaxCacheEntries bounds CacheConfig.MaxEntries (slots are numbered with uint32).
	MaxCacheEntries = 1 << 30
	// MaxIDLen bounds CacheConfig.MaxKeyLen and TrackerConfig.MaxSourceLen.
	MaxIDLen = 1 << 16
	// MaxCacheResultLen bounds CacheConfig.MaxResultLen.
	MaxCacheResultLen = 1 << 24
)

// CacheConfig configures a [Cache]. The zero value is valid: every zero field takes its default.
type CacheConfig struct {
	// MaxEntries is the most keys the cache holds; when full, adding a key evicts the oldest
	// (FIFO). 0 means DefaultMaxEntries (4096); at most MaxCacheEntries. Slots for all entries
	// are allocated by NewCache (32 bytes each plus 8 bytes of index).
	MaxEntries int
	// TTL is how long a key is remembered after it was first added. 0 means DefaultTTL (24h);
	// negative is an error.
	TTL time.Duration
	// MaxKeyLen is the longest key accepted, in bytes. 0 means DefaultMaxKeyLen (256).
	MaxKeyLen int
	// MaxResultLen is the longest result accepted, in bytes. 0 means DefaultMaxResultLen (4096).
	// Memory is bounded by MaxEntries*(MaxKeyLen+MaxResultLen) plus the fixed overhead.
	MaxResultLen int
	// Seed seeds the key hash. 0 uses a fixed seed. When keys are chosen by an untrusted party,
	// set a random seed so that nobody can precompute colliding keys.
	Seed uint64
}

func (c CacheConfig) withDefaults() (CacheConfig, error) {
	if c.MaxEntries == 0 {
		c.MaxEntries = DefaultMaxEntries
	}
	if c.TTL == 0 {
		c.TTL = DefaultTTL
	}
	if c.MaxKeyLen == 0 {
		c.MaxKeyLen = DefaultMaxKeyLen
	}
	if c.MaxResultLen == 0 {
		c.MaxResultLen = DefaultMaxResultLen
	}
	switch {
	case c.MaxEntries < 1 || c.MaxEntries > MaxCacheEntries:
		return c, fmt.Errorf("%w: CacheConfig.MaxEntries = %d, want 1..%d", ErrConfig, c.MaxEntries, MaxCacheEntries)
	case c.TTL < 0:
		return c, fmt.Errorf("%w: CacheConfig.TTL = %v, want > 0", ErrConfig, c.TTL)
	case c.MaxKeyLen < 0 || c.MaxKeyLen > MaxIDLen:
		return c, fmt.Errorf("%w: CacheConfig.MaxKeyLen = %d, want 1..%d", ErrConfig, c.MaxKeyLen, MaxIDLen)
	case c.MaxResultLen < 0 || c.MaxResultLen > MaxCacheResultLen:
		return c, fmt.Errorf("%w: CacheConfig.MaxResultLen = %d, want 1..%d", ErrConfig, c.MaxResultLen, MaxCacheResultLen)
	}
	return c, nil
}

// CacheStats are a Cache's counters since it was created. They are not part of a snapshot.
type CacheStats struct {
	// Entries is the number of live keys held now.
	Entries int
	// Hits counts lookups (Get, Seen, Add) that found a live key.
	Hits uint64
	// Misses counts lookups that found none (including keys that had just expired).
	Misses uint64
	// Evictions counts live keys dropped to make room (the cache was full).
	Evictions uint64
	// Expired counts keys dropped because their TTL ran out.
	Expired uint64
}

// deadBit marks a slot whose key was deleted; the slot is reclaimed when the FIFO reaches it.
const deadBit = 1 << 31

// entry is one slot of the FIFO ring: 32 bytes. kv holds the key followed by the result in one
// string (one allocation per key, none of it a pointer the GC must scan beyond the string).
type entry struct {
	kv      string
	klen    uint32 // key length; deadBit set when deleted
	hash    uint32
	expires int64 // Unix nanoseconds
}

func (e *entry) key() string    { return e.kv[:e.klen&^deadBit] }
func (e *entry) result() string { return e.kv[e.klen&^deadBit:] }
func (e *entry) dead() bool     { return e.klen&deadBit != 0 }

// Cache is a bounded idempotency-key cache with a TTL: it remembers each key (a command ID, a
// request ID) with a small result for TTL after the key was first added, so that a duplicate is
// recognised and answered with the stored result.
//
// Entries live in a ring in insertion order. With one TTL for all keys this order is also the
// expiry order, so expiry and FIFO eviction both take from the head in O(1), and a key evicted
// for room is always the one that would have expired next. Storing a new result for a key
// ([Cache.Put]) keeps its place and its expiry: a key is remembered for TTL after it was first
// seen, whatever happened to it since. LRU was not chosen: an idempotency key is looked up
// mainly when a duplicate arrives, and refreshing it on lookup would let a peer that keeps
// retrying pin it forever.
//
// Time is passed in by the caller (now); the cache starts no goroutines and reads no clock.
// Expiry times never go backwards: a now earlier than a previous one is treated as that
// previous time for expiry, so entries still expire in ring order. A Cache is not safe for
// concurrent use. Make one with [NewCache]; the zero Cache holds no slots and is not usable.
type Cache struct {
	cfg   CacheConfig
	ttl   int64
	seed  uint64
	ring  []entry
	head  int // oldest slot
	used  int // occupied slots, deleted ones included
	live  int
	last  int64 // expiry of the newest slot
	idx   index
	stats CacheStats
}

// NewCache returns an empty cache. It returns an error wrapping [ErrConfig] when a field of cfg
// is out of range (see [CacheConfig]).
func NewCache(cfg CacheConfig) (*Cache, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	c := &Cache{cfg: cfg, ttl: int64(cfg.TTL), seed: cfg.Seed}
	c.ring = make([]entry, cfg.MaxEntries)
	c.idx = newIndex(cfg.MaxEntries)
	c.last = math.MinInt64
	return c, nil
}

// Config returns the configuration with defaults applied.
func (c *Cache) Config() CacheConfig { return c.cfg }

// Len returns the number of live keys (expired keys that were not yet dropped count until the
// next call that takes a now, or Expire).
func (c *Cache) Len() int { return c.live }

// Stats returns the counters.
func (c *Cache) Stats() CacheStats {
	s := c.stats
	s.Entries = c.live
	return s
}

// Get returns the result stored for key and true, or nil and false when the key is unknown or
// expired at now. The result is a fresh copy (nil when the stored result is empty).
func (c *Cache) Get(key string, now time.Time) ([]byte, bool) {
	c.expire(now.UnixNano())
	s, ok := c.find(key, hashKey(c.seed, key))
	if !ok {
		c.stats.Misses++
		return nil, false
	}
	c.stats.Hits++
	if r := c.ring[s].result(); r != "" {
		return []byte(r), true
	}
	return nil, true
}

// Seen reports whether key is held (not expired at now), without copying its result.
func (c *Cache) Seen(key string, now time.Time) bool {
	c.expire(now.UnixNano())
	_, ok := c.find(key, hashKey(c.seed, key))
	if ok {
		c.stats.Hits++
	} else {
		c.stats.Misses++
	}
	return ok
}

// Add is the "first time?" check: it adds key with an empty result and returns true when the key
// was not held, or returns false when it was (a duplicate). A key longer than MaxKeyLen is not
// added and returns an error wrapping [ErrTooLarge] (never a silent true).
func (c *Cache) Add(key string, now time.Time) (bool, error) {
	if err := c.checkKey(key); err != nil {
		return false, err
	}
	t := now.UnixNano()
	c.expire(t)
	h := hashKey(c.seed, key)
	if _, ok := c.find(key, h); ok {
		c.stats.Hits++
		return false, nil
	}
	c.stats.Misses++
	c.insert(cloneString(key), uint32(len(key)), h, t)
	return true, nil
}

// Put stores result for key, adding the key if it is not held. A key already held keeps its
// expiry (see [Cache]); its result is replaced. The cache keeps its own copy of result. Put
// returns an error wrapping [ErrTooLarge] when key or result exceeds its configured maximum,
// and then stores nothing.
func (c *Cache) Put(key string, result []byte, now time.Time) error {
	if err := c.checkKey(key); err != nil {
		return err
	}
	if len(result) > c.cfg.MaxResultLen {
		return fmt.Errorf("%w: result of %d bytes exceeds CacheConfig.MaxResultLen %d", ErrTooLarge, len(result), c.cfg.MaxResultLen)
	}
	t := now.UnixNano()
	c.expire(t)
	h := hashKey(c.seed, key)
	kv := key + string(result)
	if len(result) == 0 {
		kv = cloneString(key)
	}
	if s, ok := c.find(key, h); ok {
		e := &c.ring[s]
		e.kv = kv
		return nil
	}
	c.insert(kv, uint32(len(key)), h, t)
	return nil
}

// Delete forgets key and reports whether it was held (for example so that a command that failed
// before it ran may be retried). Its slot is reclaimed when the FIFO order reaches it, so until
// then it still counts toward MaxEntries. Delete takes no now: a key whose TTL ran out but that
// was not yet dropped (by a call taking a now, or Expire) is still deleted and reported.
func (c *Cache) Delete(key string) bool {
	h := hashKey(c.seed, key)
	s, ok := c.find(key, h)
	if !ok {
		return false
	}
	c.idx.remove(h, s, c.hashOf)
	e := &c.ring[s]
	e.kv = ""
	e.klen = deadBit
	c.live--
	return true
}

// Expire drops the keys whose TTL has run out at now and returns how many. Every method taking
// a now does this too; call Expire to release memory when the cache is idle.
func (c *Cache) Expire(now time.Time) int {
	before := c.stats.Expired
	c.expire(now.UnixNano())
	return int(c.stats.Expired - before)
}

// Clear drops every key; counters are kept.
func (c *Cache) Clear() {
	clear(c.ring)
	clear(c.idx.table)
	c.idx.n = 0
	c.head, c.used, c.live = 0, 0, 0
	c.last = math.MinInt64
}

func (c *Cache) checkKey(key string) error {
	if len(key) > c.cfg.MaxKeyLen {
		return fmt.Errorf("%w: key of %d bytes exceeds CacheConfig.MaxKeyLen %d", ErrTooLarge, len(key), c.cfg.MaxKeyLen)
	}
	return nil
}

func (c *Cache) hashOf(s uint32) uint32 { return c.ring[s].hash }

// find returns the slot holding key. Expired keys were already dropped by expire.
func (c *Cache) find(key string, h uint32) (uint32, bool) {
	x := &c.idx
	for i := h & x.mask; ; i = (i + 1) & x.mask {
		s := x.table[i]
		if s == 0 {
			return 0, false
		}
		if e := &c.ring[s-1]; e.hash == h && e.key() == key {
			return s - 1, true
		}
	}
}

// expire pops expired and deleted slots from the head.
func (c *Cache) expire(now int64) {
	for c.used > 0 {
		e := &c.ring[c.head]
		if !e.dead() {
			if e.expires > now {
				return
			}
			c.idx.remove(e.hash, uint32(c.head), c.hashOf)
			c.live--
			c.stats.Expired++
		}
		c.pop()
	}
}

func (c *Cache) pop() {
	c.ring[c.head] = entry{}
	c.head++
	if c.head == len(c.ring) {
		c.head = 0
	}
	c.used--
}

// insert appends a live entry at the tail, evicting the head when the ring is full.
func (c *Cache) insert(kv string, klen, h uint32, now int64) {
	for c.used == len(c.ring) {
		if e := &c.ring[c.head]; !e.dead() {
			c.idx.remove(e.hash, uint32(c.head), c.hashOf)
			c.live--
			c.stats.Evictions++
		}
		c.pop()
	}
	exp := now + c.ttl
	if exp < now { // overflow: remember until the end of representable time
		exp = math.MaxInt64
	}
	if exp < c.last {
		exp = c.last
	}
	c.last = exp
	tail := c.head + c.used
	if tail >= len(c.ring) {
		tail -= len(c.ring)
	}
	c.ring[tail] = entry{kv: kv, klen: klen, hash: h, expires: exp}
	c.idx.insert(h, uint32(tail))
	c.used++
	c.live++
}

// cloneString copies s so the cache never pins a larger buffer s may be a slice of.
func cloneString(s string) string {
	if s == "" {
		return ""
	}
	return string([]byte(s))
}

const cacheMagic = "FKDC"

// Cache snapshot body: count u32, then per live entry, oldest first: expires i64 (Unix ns),
// key length uvarint, key, result length uvarint, result.

// AppendBinary appends a snapshot of the live entries (keys, results and absolute expiry times)
// to b. Configuration and CacheStats are not included: the receiver of UnmarshalBinary keeps its
// own. The encoding is versioned and CRC-32C protected. It implements
// [encoding.BinaryAppender]; the error is always nil.
func (c *Cache) AppendBinary(b []byte) ([]byte, error) {
	start := len(b)
	b = appendHeader(b, cacheMagic)
	b = binary.LittleEndian.AppendUint32(b, uint32(c.live))
	for i, s := 0, c.head; i < c.used; i++ {
		e := &c.ring[s]
		if !e.dead() {
			b = binary.LittleEndian.AppendUint64(b, uint64(e.expires))
			k, r := e.key(), e.result()
			b = binary.AppendUvarint(b, uint64(len(k)))
			b = append(b, k...)
			b = binary.AppendUvarint(b, uint64(len(r)))
			b = append(b, r...)
		}
		if s++; s == len(c.ring) {
			s = 0
		}
	}
	return appendTrailer(b, start), nil
}

// MarshalBinary returns AppendBinary(nil). It implements [encoding.BinaryMarshaler].
func (c *Cache) MarshalBinary() ([]byte, error) { return c.AppendBinary(nil) }

// UnmarshalBinary replaces the cache's entries with those of a snapshot made by AppendBinary,
// keeping the receiver's configuration and CacheStats. Entries already expired are restored and
// dropped by the next call that takes a now. On any error (a *[SnapshotError] wrapping
// [ErrCorrupt], [ErrVersion] or [ErrMismatch]: more entries than MaxEntries, a key or result
// longer than the receiver accepts) the cache is unchanged.
func (c *Cache) UnmarshalBinary(data []byte) error {
	if c.ring == nil {
		return &SnapshotError{Kind: "cache", Rule: "receiver was not made by NewCache", Err: ErrMismatch}
	}
	r, err := openSnapshot("cache", cacheMagic, data)
	if err != nil {
		return err
	}
	countOff := r.off
	count := r.u32("entry count")
	if r.err != nil {
		return r.err
	}
	if int64(count) > int64(len(c.ring)) {
		return r.fail(countOff, ErrMismatch, "snapshot holds "+utoa(uint64(count))+" entries, CacheConfig.MaxEntries is "+itoa(len(c.ring)))
	}
	// Each entry takes at least 10 bytes; refuse counts the input cannot hold before allocating.
	if int64(count)*10 > int64(len(r.buf)-r.off) {
		return r.fail(countOff, ErrCorrupt, "entry count "+utoa(uint64(count))+" cannot fit in "+itoa(len(r.buf)-r.off)+" bytes")
	}
	ring := make([]entry, len(c.ring))
	idx := newIndex(len(c.ring))
	last := int64(math.MinInt64)
	for i := 0; i < int(count); i++ {
		off := r.off
		exp := int64(r.u64("expiry"))
		klen := r.uvarintMax("key length", c.cfg.MaxKeyLen, ErrMismatch)
		key := r.bytes(klen, "key")
		rlen := r.uvarintMax("result length", c.cfg.MaxResultLen, ErrMismatch)
		res := r.bytes(rlen, "result")
		if r.err != nil {
			return r.err
		}
		if exp < last {
			return r.fail(off, ErrCorrupt, "entry "+itoa(i)+": expiry goes backwards")
		}
		last = exp
		kv := string(key) + string(res)
		h := hashKey(c.seed, kv[:klen])
		tmp := Cache{ring: ring, idx: idx}
		if _, dup := tmp.find(kv[:klen], h); dup {
			return r.fail(off, ErrCorrupt, "entry "+itoa(i)+": duplicate key")
		}
		ring[i] = entry{kv: kv, klen: uint32(klen), hash: h, expires: exp}
		idx.insert(h, uint32(i))
	}
	if err := r.end(); err != nil {
		return err
	}
	c.ring, c.idx = ring, idx
	c.head, c.used, c.live = 0, int(count), int(count)
	c.last = last
	return nil
}
