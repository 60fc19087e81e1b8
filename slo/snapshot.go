package slo

import (
	"encoding/binary"
	"math"
	"math/bits"
	"strconv"
)

// Snapshot format, version 1 (all integers are minimal unsigned LEB128 varints unless noted):
//
//	"FKSW" 0x01                         magic and version
//	resolution coarseResolution         nanoseconds
//	fineBuckets coarseBuckets           ring lengths
//	flags                               one byte: bit 0 set when the counter holds events
//	head                                zig-zag varint, absolute fine index of the newest bucket (only when bit 0 is set)
//	rejected                            events refused as too old
//	fineBuckets × (good total)          oldest first (only when bit 0 is set)
//	coarseBuckets × (good total)        oldest first (only when bit 0 is set)
var snapshotMagic = [...]byte{'F', 'K', 'S', 'W', 1}

// AppendSnapshot appends the counter's state to dst and returns the extended slice. The bytes
// restore into a Counter with the same WindowConfig (see [Counter.Restore]), for example across
// a process restart.
func (c *Counter) AppendSnapshot(dst []byte) []byte {
	dst = append(dst, snapshotMagic[:]...)
	dst = binary.AppendUvarint(dst, uint64(c.res))
	dst = binary.AppendUvarint(dst, uint64(c.res*c.ratio))
	dst = binary.AppendUvarint(dst, uint64(len(c.fine)))
	dst = binary.AppendUvarint(dst, uint64(len(c.coarse)))
	if !c.started {
		dst = append(dst, 0)
		return binary.AppendUvarint(dst, c.rejected)
	}
	dst = append(dst, 1)
	dst = binary.AppendVarint(dst, c.head)
	dst = binary.AppendUvarint(dst, c.rejected)
	nf, nc := int64(len(c.fine)), int64(len(c.coarse))
	for i := c.head - nf + 1; i <= c.head; i++ {
		b := c.fine[mod(i, nf)]
		dst = binary.AppendUvarint(binary.AppendUvarint(dst, b.good), b.total)
	}
	ch := floorDiv(c.head, c.ratio)
	for j := ch - nc + 1; j <= ch; j++ {
		b := c.coarse[mod(j, nc)]
		dst = binary.AppendUvarint(binary.AppendUvarint(dst, b.good), b.total)
	}
	return dst
}

// snapReader decodes a snapshot and records the offset of the first error.
type snapReader struct {
	b   []byte
	off int
	err *DecodeError
}

func (r *snapReader) fail(rule string) {
	if r.err == nil {
		r.err = &DecodeError{Offset: r.off, Rule: rule}
	}
}

func (r *snapReader) uvarint(what string) uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b[r.off:])
	switch {
	case n == 0:
		r.fail("truncated " + what)
		return 0
	case n < 0:
		r.fail(what + " overflows 64 bits")
		return 0
	case n != uvarintLen(v):
		r.fail(what + " is not a minimal varint")
		return 0
	}
	r.off += n
	return v
}

func (r *snapReader) varint(what string) int64 {
	u := r.uvarint(what)
	return int64(u>>1) ^ -int64(u&1)
}

func (r *snapReader) byte(what string) byte {
	if r.err != nil {
		return 0
	}
	if r.off >= len(r.b) {
		r.fail("truncated " + what)
		return 0
	}
	v := r.b[r.off]
	r.off++
	return v
}

func uvarintLen(v uint64) int { return max(1, (bits.Len64(v)+6)/7) }

func (r *snapReader) buckets(dst []bucket, what string) {
	for i := range dst {
		at := r.off
		g := r.uvarint(what + " good")
		t := r.uvarint(what + " total")
		if r.err != nil {
			return
		}
		if g > t {
			r.off = at
			r.fail(what + " bucket has more good than total events")
			return
		}
		dst[i] = bucket{good: g, total: t}
	}
}

// Restore replaces the counter's state with a snapshot made by [Counter.AppendSnapshot] from a
// counter with the same WindowConfig. It checks every rule of the format and the counter's own
// invariants (good <= total in each bucket, each coarse bucket holds at least the events of its
// retained fine buckets, no sum overflows) and returns a [DecodeError] (matching [ErrCorrupt])
// naming the byte offset and the rule broken; the counter is then unchanged.
func (c *Counter) Restore(data []byte) error {
	r := &snapReader{b: data}
	if len(data) < len(snapshotMagic) || string(data[:4]) != string(snapshotMagic[:4]) {
		return &DecodeError{Offset: 0, Rule: "missing magic \"FKSW\""}
	}
	if data[4] != snapshotMagic[4] {
		return &DecodeError{Offset: 4, Rule: "unsupported version"}
	}
	r.off = len(snapshotMagic)
	layout := []struct {
		what string
		want uint64
	}{
		{"resolution", uint64(c.res)},
		{"coarse resolution", uint64(c.res * c.ratio)},
		{"fine bucket count", uint64(len(c.fine))},
		{"coarse bucket count", uint64(len(c.coarse))},
	}
	for _, l := range layout {
		at := r.off
		if v := r.uvarint(l.what); r.err == nil && v != l.want {
			r.off = at
			r.fail(l.what + " differs from this counter's layout")
		}
	}
	at := r.off
	flags := r.byte("flags")
	if r.err == nil && flags&^1 != 0 {
		r.off = at
		r.fail("unknown flag bits")
	}
	started := flags&1 != 0
	var head int64
	if started {
		at = r.off
		head = r.varint("head")
		// A head outside the times time.Time can express as Unix nanoseconds cannot come from Add.
		if lim := math.MaxInt64 / c.res; r.err == nil && (head > lim || head < -lim) {
			r.off = at
			r.fail("head index outside the Unix-nanosecond time range")
		}
	}
	rejected := r.uvarint("rejected count")
	var fine, coarse []bucket
	if started && r.err == nil {
		fine = make([]bucket, len(c.fine))
		coarse = make([]bucket, len(c.coarse))
		r.buckets(fine, "fine")
		coarseAt := r.off
		r.buckets(coarse, "coarse")
		if r.err == nil {
			end := r.off
			r.off = coarseAt // nesting errors point at the coarse buckets
			c.checkNesting(r, head, fine, coarse)
			if r.err == nil {
				r.off = end
			}
		}
	}
	if r.err == nil && r.off != len(data) {
		r.fail("trailing bytes after the snapshot")
	}
	if r.err != nil {
		return r.err
	}
	c.started, c.head, c.rejected = started, head, rejected
	nf, nc := int64(len(c.fine)), int64(len(c.coarse))
	clear(c.fine)
	clear(c.coarse)
	if started {
		for k, b := range fine {
			c.fine[mod(head-nf+1+int64(k), nf)] = b
		}
		ch := floorDiv(head, c.ratio)
		for k, b := range coarse {
			c.coarse[mod(ch-nc+1+int64(k), nc)] = b
		}
	}
	return nil
}

// checkNesting verifies that every retained fine bucket's events are within its coarse bucket and
// that the coarse totals sum without overflow (so no window's sum can overflow). fine and coarse
// are oldest first.
func (c *Counter) checkNesting(r *snapReader, head int64, fine, coarse []bucket) {
	nf, nc := int64(len(fine)), int64(len(coarse))
	ch := floorDiv(head, c.ratio)
	var sumG, sumT uint64
	for k, b := range coarse {
		j := ch - nc + 1 + int64(k)
		var g, t uint64
		var carry uint64
		for i := max(j*c.ratio, head-nf+1); i <= min((j+1)*c.ratio-1, head); i++ {
			fb := fine[i-(head-nf+1)]
			var c1, c2 uint64
			g, c1 = bits.Add64(g, fb.good, 0)
			t, c2 = bits.Add64(t, fb.total, 0)
			carry |= c1 | c2
		}
		if carry != 0 || g > b.good || t > b.total {
			r.fail("coarse bucket " + strconv.Itoa(k) + " holds fewer events than its fine buckets")
			return
		}
		var c1, c2 uint64
		sumG, c1 = bits.Add64(sumG, b.good, 0)
		sumT, c2 = bits.Add64(sumT, b.total, 0)
		if c1|c2 != 0 {
			r.fail("coarse bucket totals overflow 64 bits")
			return
		}
	}
}
