package queue

import (
	"encoding/binary"
	"hash/crc32"
)

// On-disk record frame (little endian):
//
//	0:4   payload length
//	4:12  sequence number
//	12:16 CRC32C of bytes 0:12 (header check: lets a scan resynchronise)
//	16:20 CRC32C of the payload
//	20:   payload
const frameHeaderSize = 20

// Every segment file starts with this 8-byte magic (format version 1).
const (
	segmentMagic      = "fkqseg01"
	segmentHeaderSize = 8 // len(segmentMagic)
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// appendFrame appends the frame of payload with seq to dst.
func appendFrame(dst []byte, seq uint64, payload []byte) []byte {
	start := len(dst)
	dst = append(dst, make([]byte, frameHeaderSize)...)
	h := dst[start:]
	binary.LittleEndian.PutUint32(h[0:4], uint32(len(payload)))
	binary.LittleEndian.PutUint64(h[4:12], seq)
	binary.LittleEndian.PutUint32(h[12:16], crc32.Checksum(h[:12], castagnoli))
	binary.LittleEndian.PutUint32(h[16:20], crc32.Checksum(payload, castagnoli))
	return append(dst, payload...)
}

// frameStatus is the verdict of parseFrame.
type frameStatus int

const (
	frameOK         frameStatus = iota
	frameShort                  // the bytes end inside the frame
	frameBadHeader              // header checksum mismatch
	frameTooLarge               // length above the limit
	frameBadPayload             // payload checksum mismatch (length trusted)
)

var frameReasons = [...]string{
	frameOK:         "ok",
	frameShort:      "truncated record",
	frameBadHeader:  "header checksum mismatch",
	frameTooLarge:   "record length exceeds MaxRecordSize",
	frameBadPayload: "payload checksum mismatch",
}

func (s frameStatus) String() string { return frameReasons[s] }

// parseFrame decodes the frame at the start of b. n is the frame's length
// when the header is valid (frameOK, frameBadPayload, and frameShort with a
// valid header), else 0.
func parseFrame(b []byte, maxPayload int) (seq uint64, payload []byte, n int, st frameStatus) {
	if len(b) < frameHeaderSize {
		return 0, nil, 0, frameShort
	}
	if crc32.Checksum(b[:12], castagnoli) != binary.LittleEndian.Uint32(b[12:16]) {
		return 0, nil, 0, frameBadHeader
	}
	l := binary.LittleEndian.Uint32(b[0:4])
	if uint64(l) > uint64(maxPayload) {
		return 0, nil, 0, frameTooLarge
	}
	seq = binary.LittleEndian.Uint64(b[4:12])
	n = frameHeaderSize + int(l)
	if len(b) < n {
		return seq, nil, n, frameShort
	}
	payload = b[frameHeaderSize:n]
	if crc32.Checksum(payload, castagnoli) != binary.LittleEndian.Uint32(b[16:20]) {
		return seq, nil, n, frameBadPayload
	}
	return seq, payload, n, frameOK
}
