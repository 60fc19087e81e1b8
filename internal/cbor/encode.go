package cbor

import "math"

// Major is a CBOR major type (RFC 8949 §3.1).
type Major uint8

// The eight major types.
const (
	MajorUint   Major = 0 // unsigned integer
	MajorNegInt Major = 1 // negative integer -1-n
	MajorBytes  Major = 2 // byte string
	MajorText   Major = 3 // UTF-8 text string
	MajorArray  Major = 4 // array of items
	MajorMap    Major = 5 // map of key/value pairs
	MajorTag    Major = 6 // tagged item
	MajorSimple Major = 7 // simple values, floats and "break"
)

// String returns the RFC 8949 name of the major type.
func (m Major) String() string {
	switch m {
	case MajorUint:
		return "unsigned integer"
	case MajorNegInt:
		return "negative integer"
	case MajorBytes:
		return "byte string"
	case MajorText:
		return "text string"
	case MajorArray:
		return "array"
	case MajorMap:
		return "map"
	case MajorTag:
		return "tag"
	case MajorSimple:
		return "simple/float"
	}
	return "invalid major type"
}

// Simple values of major type 7 (RFC 8949 §3.3).
const (
	SimpleFalse     = 20
	SimpleTrue      = 21
	SimpleNull      = 22
	SimpleUndefined = 23
)

// AppendHead appends a head of major type m with argument arg in its shortest form.
func AppendHead(dst []byte, m Major, arg uint64) []byte {
	mt := byte(m) << 5
	switch {
	case arg < 24:
		return append(dst, mt|byte(arg))
	case arg <= math.MaxUint8:
		return append(dst, mt|24, byte(arg))
	case arg <= math.MaxUint16:
		return append(dst, mt|25, byte(arg>>8), byte(arg))
	case arg <= math.MaxUint32:
		return append(dst, mt|26, byte(arg>>24), byte(arg>>16), byte(arg>>8), byte(arg))
	default:
		return append(dst, mt|27, byte(arg>>56), byte(arg>>48), byte(arg>>40), byte(arg>>32),
			byte(arg>>24), byte(arg>>16), byte(arg>>8), byte(arg))
	}
}

// AppendUint appends v as an unsigned integer (major type 0).
func AppendUint(dst []byte, v uint64) []byte { return AppendHead(dst, MajorUint, v) }

// AppendInt appends v as an unsigned (v >= 0) or negative (v < 0) integer.
func AppendInt(dst []byte, v int64) []byte {
	if v >= 0 {
		return AppendHead(dst, MajorUint, uint64(v))
	}
	return AppendHead(dst, MajorNegInt, uint64(-(v + 1)))
}

// AppendBytes appends b as a definite-length byte string.
func AppendBytes(dst, b []byte) []byte {
	return append(AppendHead(dst, MajorBytes, uint64(len(b))), b...)
}

// AppendBytesHeader appends the head of a byte string of n bytes; the caller appends the n
// bytes next. It lets a caller wrap an item it encodes in place (e.g. a bstr-wrapped map).
func AppendBytesHeader(dst []byte, n int) []byte { return AppendHead(dst, MajorBytes, uint64(n)) }

// AppendText appends s as a definite-length text string. s is written as is: the caller
// guarantees it is valid UTF-8.
func AppendText(dst []byte, s string) []byte {
	return append(AppendHead(dst, MajorText, uint64(len(s))), s...)
}

// AppendArrayHeader appends the head of an array of n items; the caller appends the n items.
func AppendArrayHeader(dst []byte, n int) []byte { return AppendHead(dst, MajorArray, uint64(n)) }

// AppendMapHeader appends the head of a map of n pairs; the caller appends 2n items
// (key, value, key, value, ...).
func AppendMapHeader(dst []byte, n int) []byte { return AppendHead(dst, MajorMap, uint64(n)) }

// AppendTag appends a tag head; the caller appends the tagged item.
func AppendTag(dst []byte, tag uint64) []byte { return AppendHead(dst, MajorTag, tag) }

// AppendBool appends true (0xf5) or false (0xf4).
func AppendBool(dst []byte, b bool) []byte {
	if b {
		return append(dst, 0xe0|SimpleTrue)
	}
	return append(dst, 0xe0|SimpleFalse)
}

// AppendNull appends null (0xf6).
func AppendNull(dst []byte) []byte { return append(dst, 0xe0|SimpleNull) }

// AppendFloat64 appends f in the shortest of float16, float32 and float64 that represents it
// exactly (RFC 8949 §4.2.1 preferred serialization). Every NaN is written as the canonical
// half-precision quiet NaN 0xf97e00 (NaN payloads are not preserved).
func AppendFloat64(dst []byte, f float64) []byte {
	if f != f {
		return append(dst, 0xf9, 0x7e, 0x00)
	}
	f32 := float32(f)
	if float64(f32) != f {
		b := math.Float64bits(f)
		return append(dst, 0xfb, byte(b>>56), byte(b>>48), byte(b>>40), byte(b>>32),
			byte(b>>24), byte(b>>16), byte(b>>8), byte(b))
	}
	if h, ok := float32ToHalf(f32); ok {
		return append(dst, 0xf9, byte(h>>8), byte(h))
	}
	b := math.Float32bits(f32)
	return append(dst, 0xfa, byte(b>>24), byte(b>>16), byte(b>>8), byte(b))
}
