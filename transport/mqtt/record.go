package mqtt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/fleetkit/fleetkit/transport"
)

// The outbox stores each message as one record:
//
//	version  byte    (recordVersion)
//	flags    byte    bit 0 retain, bit 1 QoS 1
//	stored   varint  Unix nanoseconds when Publish stored it (expiry counts from here)
//	expiry   uvarint message expiry in nanoseconds, 0 = none
//	topic, content type, response topic, correlation data: uvarint length + bytes each
//	props    uvarint count, then key and value as uvarint length + bytes
//	payload  uvarint length + bytes
const recordVersion = 1

// errRecord is wrapped by every record decoding error.
var errRecord = errors.New("mqtt: corrupt outbox record")

func appendBytes(dst, b []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(b)))
	return append(dst, b...)
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

func encodeRecord(dst []byte, m *transport.Message, stored time.Time) []byte {
	var flags byte
	if m.Retain {
		flags |= 1
	}
	if m.QoS == transport.AtLeastOnce {
		flags |= 2
	}
	dst = append(dst, recordVersion, flags)
	dst = binary.AppendVarint(dst, stored.UnixNano())
	dst = binary.AppendUvarint(dst, uint64(max(m.Expiry, 0)))
	dst = appendString(dst, m.Topic)
	dst = appendString(dst, m.ContentType)
	dst = appendString(dst, m.ResponseTopic)
	dst = appendBytes(dst, m.CorrelationData)
	dst = binary.AppendUvarint(dst, uint64(len(m.UserProperties)))
	for _, p := range m.UserProperties {
		dst = appendString(dst, p.Key)
		dst = appendString(dst, p.Value)
	}
	return appendBytes(dst, m.Payload)
}

type recordReader struct {
	b   []byte
	off int
	err error
}

func (r *recordReader) fail(field, rule string) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s at byte %d: %s", errRecord, field, r.off, rule)
	}
}

func (r *recordReader) uvarint(field string) uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b[r.off:])
	if n <= 0 {
		r.fail(field, "bad varint")
		return 0
	}
	r.off += n
	return v
}

func (r *recordReader) varint(field string) int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b[r.off:])
	if n <= 0 {
		r.fail(field, "bad varint")
		return 0
	}
	r.off += n
	return v
}

func (r *recordReader) bytes(field string) []byte {
	n := r.uvarint(field + " length")
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)-r.off) {
		r.fail(field, fmt.Sprintf("length %d exceeds the %d bytes left", n, len(r.b)-r.off))
		return nil
	}
	b := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	return b
}

// decodeRecord parses a record. The returned message does not alias rec.
func decodeRecord(rec []byte) (*transport.Message, time.Time, error) {
	r := &recordReader{b: rec}
	if len(rec) < 2 {
		return nil, time.Time{}, fmt.Errorf("%w: %d bytes is shorter than the header", errRecord, len(rec))
	}
	if rec[0] != recordVersion {
		return nil, time.Time{}, fmt.Errorf("%w: version %d, want %d", errRecord, rec[0], recordVersion)
	}
	flags := rec[1]
	if flags&^3 != 0 {
		return nil, time.Time{}, fmt.Errorf("%w: unknown flags 0x%02x", errRecord, flags)
	}
	r.off = 2
	m := &transport.Message{Retain: flags&1 != 0}
	if flags&2 != 0 {
		m.QoS = transport.AtLeastOnce
	}
	stored := time.Unix(0, r.varint("stored time"))
	exp := r.uvarint("expiry")
	if exp > uint64(1<<62) {
		r.fail("expiry", "out of range")
	}
	m.Expiry = time.Duration(exp)
	m.Topic = string(r.bytes("topic"))
	m.ContentType = string(r.bytes("content type"))
	m.ResponseTopic = string(r.bytes("response topic"))
	if cd := r.bytes("correlation data"); len(cd) > 0 {
		m.CorrelationData = append([]byte(nil), cd...)
	}
	np := r.uvarint("user property count")
	if r.err == nil && np > uint64(len(rec)-r.off)/2 {
		r.fail("user property count", fmt.Sprintf("%d properties cannot fit in %d bytes", np, len(rec)-r.off))
	}
	for i := uint64(0); i < np && r.err == nil; i++ {
		k := string(r.bytes("user property key"))
		v := string(r.bytes("user property value"))
		m.UserProperties = append(m.UserProperties, transport.UserProperty{Key: k, Value: v})
	}
	m.Payload = append([]byte{}, r.bytes("payload")...)
	if r.err == nil && r.off != len(rec) {
		r.fail("end", fmt.Sprintf("%d trailing bytes", len(rec)-r.off))
	}
	if r.err != nil {
		return nil, time.Time{}, r.err
	}
	return m, stored, nil
}
