package dedupe

import (
	"encoding/binary"
	"hash/crc32"
)

// Snapshot framing, shared by Window, Cache and Tracker:
//
//	magic   4 bytes  "FKDW" (window), "FKDC" (cache) or "FKDT" (tracker)
//	version 1 byte   1
//	body    kind-specific, little-endian fixed-width integers and uvarint lengths
//	crc     4 bytes  CRC-32C (Castagnoli) of everything before it, little-endian
//
// Decoders check, in order: minimum length, magic, version, CRC, then every field of the body
// against its rules, and that the body ends exactly at the CRC. They decode into fresh state and
// replace the receiver's state only when everything passed.

const snapshotVersion = 1

const (
	headerLen  = 5
	trailerLen = 4
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func appendHeader(dst []byte, magic string) []byte {
	dst = append(dst, magic...)
	return append(dst, snapshotVersion)
}

// appendTrailer appends the CRC of dst[start:].
func appendTrailer(dst []byte, start int) []byte {
	return binary.LittleEndian.AppendUint32(dst, crc32.Checksum(dst[start:], castagnoli))
}

// reader decodes a snapshot body, turning every failure into a *SnapshotError with its offset.
type reader struct {
	kind string
	buf  []byte // whole input without the CRC trailer
	off  int
	err  *SnapshotError
}

// openSnapshot checks framing and returns a reader positioned after the header.
func openSnapshot(kind, magic string, data []byte) (*reader, error) {
	r := &reader{kind: kind}
	if len(data) < headerLen+trailerLen {
		return nil, r.fail(0, ErrCorrupt, "input is "+itoa(len(data))+" bytes, shorter than the 9-byte frame")
	}
	if string(data[:4]) != magic {
		return nil, r.fail(0, ErrCorrupt, "magic is not "+magic)
	}
	if data[4] != snapshotVersion {
		return nil, r.fail(4, ErrVersion, "version "+itoa(int(data[4]))+", this package reads 1")
	}
	body := data[:len(data)-trailerLen]
	want := binary.LittleEndian.Uint32(data[len(body):])
	if got := crc32.Checksum(body, castagnoli); got != want {
		return nil, r.fail(len(body), ErrCorrupt, "crc32c mismatch")
	}
	r.buf = body
	r.off = headerLen
	return r, nil
}

func (r *reader) fail(off int, sentinel error, rule string) *SnapshotError {
	return &SnapshotError{Kind: r.kind, Offset: off, Rule: rule, Err: sentinel}
}

// failf records the first failure; later reads become no-ops returning zero.
func (r *reader) failf(off int, sentinel error, rule string) {
	if r.err == nil {
		r.err = r.fail(off, sentinel, rule)
	}
}

func (r *reader) need(n int, what string) bool {
	if r.err != nil {
		return false
	}
	if n < 0 || len(r.buf)-r.off < n {
		r.failf(r.off, ErrCorrupt, what+" truncated: need "+itoa(n)+" bytes, have "+itoa(len(r.buf)-r.off))
		return false
	}
	return true
}

func (r *reader) u64(what string) uint64 {
	if !r.need(8, what) {
		return 0
	}
	v := binary.LittleEndian.Uint64(r.buf[r.off:])
	r.off += 8
	return v
}

func (r *reader) u32(what string) uint32 {
	if !r.need(4, what) {
		return 0
	}
	v := binary.LittleEndian.Uint32(r.buf[r.off:])
	r.off += 4
	return v
}

// uvarintMax reads a uvarint length and checks it against max, failing with tooBig (ErrCorrupt
// or ErrMismatch) when it is larger.
func (r *reader) uvarintMax(what string, max int, tooBig error) int {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.buf[r.off:])
	if n <= 0 {
		r.failf(r.off, ErrCorrupt, what+": malformed uvarint")
		return 0
	}
	if v > uint64(max) {
		r.failf(r.off, tooBig, what+" "+utoa(v)+" exceeds the receiver's limit "+itoa(max))
		return 0
	}
	r.off += n
	return int(v)
}

func (r *reader) bytes(n int, what string) []byte {
	if !r.need(n, what) {
		return nil
	}
	b := r.buf[r.off : r.off+n]
	r.off += n
	return b
}

// end checks that the body was consumed exactly and returns the first failure, if any.
func (r *reader) end() error {
	if r.err == nil && r.off != len(r.buf) {
		r.failf(r.off, ErrCorrupt, itoa(len(r.buf)-r.off)+" unexpected bytes before the checksum")
	}
	if r.err != nil {
		return r.err
	}
	return nil
}

func itoa(v int) string {
	if v < 0 {
		return "-" + utoa(uint64(-v))
	}
	return utoa(uint64(v))
}

func utoa(v uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			return string(b[i:])
		}
	}
}
