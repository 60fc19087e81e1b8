package dedupe

import (
	"encoding/binary"
	"fmt"
)

// MaxWindowSize is the largest window size accepted by [NewWindow] and [NewTracker]: 2^24
// sequence numbers, a 2 MiB bitmap.
const MaxWindowSize = 1 << 24

// DefaultWindowSize is the window size a [TrackerConfig] with Window 0 gets: 63, the
// RFC 4303 default window of 64 packets in this package's convention, one cache line of bitmap
// (two 64-bit words).
const DefaultWindowSize = 63

const (
	wordShift = 6
	wordBits  = 1 << wordShift
	bitMask   = wordBits - 1
)

// Window is an exact anti-replay sliding window over uint64 sequence numbers, the bitmap
// algorithm of RFC 6479 as used by WireGuard: a ring of 64-bit words, one bit per sequence
// number, O(1) per check.
//
// With size W and T the highest accepted number, Check(c) accepts c iff c is below the limit
// and either c > T, or T-c <= W and c was not accepted before. The window therefore covers W+1
// numbers: T and the W numbers below it. A fresh window has T = 0 and nothing accepted, so the
// first 0 is accepted.
//
// A Window is not safe for concurrent use. The zero value is an empty window of
// [DefaultWindowSize] with no limit; [NewWindow] chooses another size.
type Window struct {
	ring  []uint64 // power-of-two number of words; bit c%64 of word (c/64)%len is number c
	top   uint64   // highest accepted number (0 when nothing was accepted)
	size  uint64   // W
	limit uint64   // numbers >= limit are refused; 0: no limit
}

// ringWords returns the number of 64-bit words a window of size W needs: enough to hold every
// word that numbers T-W..T can touch, rounded up to a power of two so the ring index is a mask.
func ringWords(size uint64) int {
	need := (size+bitMask)/wordBits + 1
	n := 1
	for uint64(n) < need {
		n <<= 1
	}
	return n
}

func checkWindowSize(field string, size int) error {
	if size < 1 || size > MaxWindowSize {
		return fmt.Errorf("%w: %s = %d, want 1..%d", ErrConfig, field, size, MaxWindowSize)
	}
	return nil
}

// NewWindow returns an empty window of the given size W (see [Window] for the exact rule): a
// number as far as W below the highest accepted one is still accepted once. An RFC 4303 window
// of N packets is NewWindow(N-1); WireGuard's is NewWindow(8128).
//
// The acceptance rule uses W exactly; only memory is rounded: the bitmap takes
// ceil((W+63)/64)+1 words rounded up to a power of two (W=63: 16 bytes, W=8128: 1 KiB).
// NewWindow returns an error wrapping [ErrConfig] unless 1 <= size <= [MaxWindowSize].
func NewWindow(size int) (*Window, error) {
	if err := checkWindowSize("size", size); err != nil {
		return nil, err
	}
	return &Window{ring: make([]uint64, ringWords(uint64(size))), size: uint64(size)}, nil
}

// Size returns the window size W.
func (w *Window) Size() int {
	w.init()
	return int(w.size)
}

// init gives a zero Window its default size.
func (w *Window) init() {
	if w.ring == nil {
		w.size = DefaultWindowSize
		w.ring = make([]uint64, ringWords(DefaultWindowSize))
	}
}

// Top returns the highest accepted sequence number, 0 when none was accepted yet.
func (w *Window) Top() uint64 { return w.top }

// SetLimit makes Check refuse every number >= limit with [ErrLimit] (WireGuard refuses counters
// at or above 2^64-2^4-1). SetLimit(0) removes the limit, which is the default: then every
// uint64, including math.MaxUint64, is a valid sequence number.
func (w *Window) SetLimit(limit uint64) { w.limit = limit }

// Limit returns the limit set by SetLimit, 0 meaning none.
func (w *Window) Limit() uint64 { return w.limit }

// Check records seq and returns nil if it is new, or [ErrReplay], [ErrTooOld] or [ErrLimit]
// (exact sentinels) without changing the window. It never allocates.
func (w *Window) Check(seq uint64) error {
	if w.limit != 0 && seq >= w.limit {
		return ErrLimit
	}
	if w.ring == nil {
		w.init()
	}
	return checkRing(w.ring, &w.top, w.size, seq)
}

// Test reports what Check would return for seq, without recording it.
func (w *Window) Test(seq uint64) error {
	if w.limit != 0 && seq >= w.limit {
		return ErrLimit
	}
	if w.ring == nil { // zero Window: empty, everything below the limit is new
		return nil
	}
	return testRing(w.ring, w.top, w.size, seq)
}

// Reset empties the window (T = 0, nothing accepted), keeping its size and limit.
//
// Epochs: sequence numbers only mean something within one epoch of the sender (one boot, one
// session key). When a device restarts its counter, for example after a factory reset or when
// its persisted counter is lost, it must announce a new epoch (a boot counter or session ID
// carried with the data, authenticated like the data); on a new epoch the receiver calls Reset,
// or keys its [Tracker] by "device/epoch". Resetting on anything unauthenticated would let an
// attacker reopen the window and replay old numbers. A sender that can persist its counter
// should rather never go back (reserve blocks of numbers ahead, as in RFC 4303 ESN practice).
func (w *Window) Reset() {
	clear(w.ring)
	w.top = 0
}

// testRing is the read-only half of checkRing.
func testRing(ring []uint64, top, size, seq uint64) error {
	if seq > top {
		return nil
	}
	if top-seq > size {
		return ErrTooOld
	}
	if ring[(seq>>wordShift)&uint64(len(ring)-1)]&(1<<(seq&bitMask)) != 0 {
		return ErrReplay
	}
	return nil
}

// checkRing is the RFC 6479 update shared by Window and Tracker: when seq moves past top, the
// words between the old top's word and seq's word are cleared (at most the whole ring), then
// seq's bit is set; a bit already set is a replay.
func checkRing(ring []uint64, top *uint64, size, seq uint64) error {
	mask := uint64(len(ring) - 1)
	if t := *top; seq > t {
		cur := t >> wordShift
		diff := seq>>wordShift - cur
		if diff > mask+1 {
			diff = mask + 1
		}
		for i := cur + 1; i <= cur+diff; i++ {
			ring[i&mask] = 0
		}
		*top = seq
	} else if t-seq > size {
		return ErrTooOld
	}
	word := &ring[(seq>>wordShift)&mask]
	bit := uint64(1) << (seq & bitMask)
	if *word&bit != 0 {
		return ErrReplay
	}
	*word |= bit
	return nil
}

// validRing checks the one invariant of a ring decoded from outside: no bit above top in top's
// word (such a bit would make a future number look replayed). It returns the offending bit.
func validRing(ring []uint64, top uint64) (int, bool) {
	if top&bitMask == bitMask {
		return 0, true
	}
	above := ring[(top>>wordShift)&uint64(len(ring)-1)] >> (top&bitMask + 1)
	if above == 0 {
		return 0, true
	}
	for b := int(top&bitMask) + 1; b < wordBits; b++ {
		if above&1 != 0 {
			return b, false
		}
		above >>= 1
	}
	return 0, true
}

const windowMagic = "FKDW"

// Window snapshot body: size u64, limit u64, top u64, words u32, then the ring words (u64 each).

// AppendBinary appends a snapshot of the window (size, limit, top and bitmap) to b. The
// encoding is versioned and CRC-32C protected; see [Window.UnmarshalBinary]. It implements
// [encoding.BinaryAppender]; the error is always nil.
func (w *Window) AppendBinary(b []byte) ([]byte, error) {
	w.init()
	start := len(b)
	b = appendHeader(b, windowMagic)
	b = binary.LittleEndian.AppendUint64(b, w.size)
	b = binary.LittleEndian.AppendUint64(b, w.limit)
	b = binary.LittleEndian.AppendUint64(b, w.top)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(w.ring)))
	for _, v := range w.ring {
		b = binary.LittleEndian.AppendUint64(b, v)
	}
	return appendTrailer(b, start), nil
}

// MarshalBinary returns AppendBinary(nil). It implements [encoding.BinaryMarshaler].
func (w *Window) MarshalBinary() ([]byte, error) { return w.AppendBinary(nil) }

// UnmarshalBinary replaces the window's state (size, limit, top, bitmap) with a snapshot made by
// AppendBinary. On any error (a *[SnapshotError] wrapping [ErrCorrupt] or [ErrVersion]) the
// window is unchanged. It implements [encoding.BinaryUnmarshaler].
func (w *Window) UnmarshalBinary(data []byte) error {
	r, err := openSnapshot("window", windowMagic, data)
	if err != nil {
		return err
	}
	sizeOff := r.off
	size := r.u64("size")
	limit := r.u64("limit")
	top := r.u64("top")
	wordsOff := r.off
	words := r.u32("word count")
	if r.err != nil {
		return r.err
	}
	if size < 1 || size > MaxWindowSize {
		return r.fail(sizeOff, ErrCorrupt, "window size "+utoa(size)+" outside 1.."+itoa(MaxWindowSize))
	}
	if want := ringWords(size); int64(words) != int64(want) {
		return r.fail(wordsOff, ErrCorrupt, "word count "+utoa(uint64(words))+" does not match window size "+utoa(size)+" (want "+itoa(want)+")")
	}
	raw := r.bytes(int(words)*8, "bitmap")
	if err := r.end(); err != nil {
		return err
	}
	ring := make([]uint64, words)
	for i := range ring {
		ring[i] = binary.LittleEndian.Uint64(raw[i*8:])
	}
	if bit, ok := validRing(ring, top); !ok {
		word := int((top >> wordShift) & uint64(len(ring)-1))
		return r.fail(wordsOff+4+word*8, ErrCorrupt, "bit "+itoa(bit)+" of the top's word is set above top "+utoa(top))
	}
	w.ring, w.top, w.size, w.limit = ring, top, size, limit
	return nil
}
