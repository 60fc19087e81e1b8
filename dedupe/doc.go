// Package dedupe suppresses duplicates: an exact anti-replay sliding window over sequence
// numbers ([Window]), the same window for millions of sources in bounded memory ([Tracker]), and
// a bounded idempotency-key cache with a TTL ([Cache]). fleetkit uses the window and tracker to
// drop duplicate telemetry sequence numbers per device, and the cache so that a device runs each
// command ID at most once and answers a duplicate with the stored result.
//
// The package uses only the standard library, starts no goroutines and reads no clock: calls
// that depend on time take now. It builds with TinyGo. No type is safe for concurrent use; a
// caller that shares one guards it with a mutex (or shards trackers by source).
//
// # Window: RFC 6479 bitmap, WireGuard edge convention
//
// [Window] is the bitmap algorithm of RFC 6479 ("IPsec Anti-Replay Algorithm without Bit
// Shifting"), as implemented by WireGuard (wireguard-go replay/replay.go): a ring of 64-bit
// words, one bit per sequence number, O(1) per check, exact (no false positives or negatives
// inside the window). With window size W, T the highest accepted number and L an optional limit,
//
//	accept(c)  iff  c < L  and  ( c > T  or  ( T-c <= W  and  c not accepted before ) )
//
// A fresh window has T = 0 and nothing accepted, so a first 0 is accepted. Note the edge: a
// number exactly W below T is still accepted, so the window spans W+1 numbers. RFC 4303 counts a
// window of N packets including T, which is W = N-1 here: the RFC's default 64 is
// NewWindow(63), WireGuard's window is NewWindow(8128). The rule uses W exactly; only memory is
// rounded up to a power-of-two number of 64-bit words (W=63 takes 16 bytes, W=8128 1 KiB).
// RFC 4303 also never uses sequence number 0; a caller wanting that refuses 0 before checking.
// The zero Window is ready to use with W = [DefaultWindowSize] (63) and no limit.
//
// Verdicts are sentinel errors returned unwrapped, so the hot path never allocates: nil (new),
// [ErrReplay] (inside the window and already seen), [ErrTooOld] (left of the window, unknown
// whether seen, refused) and [ErrLimit] (at or above the limit: the sender must start a new
// epoch). [Window.Test] answers without recording.
//
// Epochs: a sender that restarts its counter (lost state, factory reset) must announce a new,
// authenticated epoch (boot counter, session ID). The receiver then calls [Window.Reset], or
// [Tracker.Remove], or keys the tracker by "device/epoch". Never reset on unauthenticated
// input: that reopens the window to every replay.
//
// # Tracker: many sources, bounded memory
//
// [Tracker] holds a window per source ID for up to MaxSources sources, evicting the least
// recently accepted source when full and, with IdleTimeout, sources idle that long; both are
// counted in [TrackerStats]. An evicted source that comes back starts with a fresh window, so a
// replay of its traffic from before the eviction would pass once. The trade-off is explicit:
// [TrackerConfig].OnEvict reports (source, top) for the caller to persist, and
// [TrackerConfig].Floor returns it when the source comes back; numbers at or below the floor
// are then refused; such a refusal, like every refusal, creates and evicts nothing. Memory per
// source: a 48-byte slot, the bitmap (16 bytes at W=63), 4 to 8 bytes of index and the source
// ID itself; measured at 1M sources with W=63 and 13-byte IDs, about 95 heap bytes per source.
//
// # Cache: idempotency keys with a TTL
//
// [Cache] remembers up to MaxEntries keys, each with a small result, for TTL after the key was
// first added. Eviction is FIFO: with a single TTL, insertion order is expiry order, so expiry
// and eviction both take the oldest entry in O(1), and the entry evicted for room is the one
// closest to expiry anyway. A key keeps its expiry when its result is stored later ([Cache.Put])
// and lookups do not refresh it, so a peer retrying forever cannot pin a key. Each entry is a
// 32-byte slot in a ring (key and result share one string allocation) plus a 4-byte bucket in
// an open-addressing index kept at most half full; no per-entry pointers besides the string, so
// the garbage collector has little to scan: measured at 1M keys of 5 to 11 bytes with empty
// results, about 56 heap bytes per key, key bytes included. [CacheStats] counts hits, misses,
// evictions and expiries.
//
// # Snapshots
//
// Window, Cache and Tracker implement [encoding.BinaryAppender], [encoding.BinaryMarshaler] and
// [encoding.BinaryUnmarshaler]; AppendBinary keeps the standard signature so the types plug into
// code written against those interfaces, and its error is always nil. A snapshot is a 4-byte magic ("FKDW", "FKDC", "FKDT"), a version
// byte (1), a little-endian body with length-prefixed variable fields, and a CRC-32C of all that.
// UnmarshalBinary checks length, magic, version, checksum, every length against the receiver's
// limits and the structural invariants (bitmap consistent with top, expiries and recency in
// order, no duplicate keys), and replaces the receiver's state only when all pass; otherwise it
// returns a *[SnapshotError] naming the byte offset and the rule, wrapping [ErrCorrupt],
// [ErrVersion] or [ErrMismatch] (a valid snapshot that does not fit the receiver, e.g. another
// window size). Snapshots hold state, not configuration or counters; times are absolute Unix
// nanoseconds, so a cache restored later expires its entries on schedule.
//
// Specifications: RFC 6479 (bitmap algorithm), RFC 4303 section 3.4.3 (sequence number
// verification), the WireGuard protocol paper section 5.4.6 and wireguard-go replay/replay.go
// (edge convention and test vectors in testdata/).
package dedupe
