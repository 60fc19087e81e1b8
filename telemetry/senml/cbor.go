package senml

import (
	"math"
	"math/bits"
	"unicode/utf8"

	"github.com/fleetkit/fleetkit/internal/cbor"
)

// CBOR map keys of RFC 8428 §6 Table 4.
const (
	cborBaseVersion = -1
	cborBaseName    = -2
	cborBaseTime    = -3
	cborBaseUnit    = -4
	cborBaseValue   = -5
	cborBaseSum     = -6
	cborName        = 0
	cborUnit        = 1
	cborValue       = 2
	cborStringValue = 3
	cborBoolValue   = 4
	cborSum         = 5
	cborTime        = 6
	cborUpdateTime  = 7
	cborDataValue   = 8
)

// allFields is the set of every defined field.
const allFields = FieldUpdateTime<<1 - 1

// AppendCBOR appends the CBOR representation (RFC 8428 §6, application/senml+cbor) of p to dst
// and returns the extended slice: an array of maps with the integer labels of Table 4, keys in
// the same order as [AppendJSON], definite lengths, shortest heads. A number with an integral
// value (other than -0) that fits an int64 is written as a CBOR integer, any other number as the
// shortest of float16/32/64 that keeps it exactly (RFC 8949 §4.2.1 preferred serialization); vd
// is a byte string. With this rule the pack of RFC 8428 §5.1.2 encodes to the exact bytes
// printed in §6. Encoding into a reused buffer does not allocate. Strings are written as they
// are; [Pack.Validate] checks that they are UTF-8.
func AppendCBOR(dst []byte, p Pack) []byte {
	dst = cbor.AppendArrayHeader(dst, len(p))
	for i := range p {
		dst = appendCBORRecord(dst, &p[i])
	}
	return dst
}

// cborKey returns the one-byte encoding of a Table 4 label (-6..8).
func cborKey(label int) byte {
	if label < 0 {
		return 0x20 | byte(-1-label)
	}
	return byte(label)
}

func appendCBORRecord(dst []byte, r *Record) []byte {
	f := r.Fields & allFields
	dst = cbor.AppendMapHeader(dst, bits.OnesCount16(uint16(f)))
	if f&FieldBaseName != 0 {
		dst = cbor.AppendText(append(dst, cborKey(cborBaseName)), r.BaseName)
	}
	if f&FieldBaseTime != 0 {
		dst = appendCBORNumber(append(dst, cborKey(cborBaseTime)), r.BaseTime)
	}
	if f&FieldBaseUnit != 0 {
		dst = cbor.AppendText(append(dst, cborKey(cborBaseUnit)), r.BaseUnit)
	}
	if f&FieldBaseValue != 0 {
		dst = appendCBORNumber(append(dst, cborKey(cborBaseValue)), r.BaseValue)
	}
	if f&FieldBaseSum != 0 {
		dst = appendCBORNumber(append(dst, cborKey(cborBaseSum)), r.BaseSum)
	}
	if f&FieldBaseVersion != 0 {
		dst = cbor.AppendInt(append(dst, cborKey(cborBaseVersion)), int64(r.BaseVersion))
	}
	if f&FieldName != 0 {
		dst = cbor.AppendText(append(dst, cborKey(cborName)), r.Name)
	}
	if f&FieldUnit != 0 {
		dst = cbor.AppendText(append(dst, cborKey(cborUnit)), r.Unit)
	}
	if f&FieldTime != 0 {
		dst = appendCBORNumber(append(dst, cborKey(cborTime)), r.Time)
	}
	if f&FieldUpdateTime != 0 {
		dst = appendCBORNumber(append(dst, cborKey(cborUpdateTime)), r.UpdateTime)
	}
	if f&FieldValue != 0 {
		dst = appendCBORNumber(append(dst, cborKey(cborValue)), r.Value)
	}
	if f&FieldStringValue != 0 {
		dst = cbor.AppendText(append(dst, cborKey(cborStringValue)), r.StringValue)
	}
	if f&FieldBoolValue != 0 {
		dst = cbor.AppendBool(append(dst, cborKey(cborBoolValue)), r.BoolValue)
	}
	if f&FieldDataValue != 0 {
		dst = cbor.AppendBytes(append(dst, cborKey(cborDataValue)), r.DataValue)
	}
	if f&FieldSum != 0 {
		dst = appendCBORNumber(append(dst, cborKey(cborSum)), r.Sum)
	}
	return dst
}

func appendCBORNumber(dst []byte, v float64) []byte {
	if v >= -(1<<63) && v < 1<<63 && v == math.Trunc(v) && (v != 0 || !math.Signbit(v)) {
		return cbor.AppendInt(dst, int64(v))
	}
	return cbor.AppendFloat64(dst, v)
}

// MarshalCBOR returns the CBOR representation of p ([AppendCBOR]).
func (p Pack) MarshalCBOR() ([]byte, error) { return AppendCBOR(nil, p), nil }

// UnmarshalCBOR replaces *p with the pack decoded from data ([ParseCBOR]), reusing the storage
// of *p. On error *p is emptied.
func (p *Pack) UnmarshalCBOR(data []byte) error {
	q, err := ParseCBOR(data, (*p)[:0])
	*p = q
	return err
}

// ParseCBOR decodes a CBOR SenML pack (RFC 8428 §6) and appends its records to dst, returning
// the extended slice; on error it returns dst unchanged (its length restored) and an [*Error].
//
// The input must be exactly one well-formed CBOR array of maps (definite or indefinite length).
// Keys are the integer labels of Table 4; numbers may be integers or floats of any width; vd is
// a byte string; text must be UTF-8 and of definite length. Unknown keys are skipped with their
// values (RFC 8428 §4.4; §6 reserves text keys for extensions), except text keys ending in "_",
// which fail with [ErrMustUnderstand]. Integers beyond ±2**53 are rounded to the nearest
// float64. Storage is reused as in [ParseJSON]; the decoded records share nothing with data.
func ParseCBOR(data []byte, dst Pack) (Pack, error) {
	base := len(dst)
	c := cborParser{data: data, rec: -1}
	out, err := c.pack(dst)
	if err != nil {
		return dst[:base], err
	}
	return out, nil
}

// cborParser reads the few item shapes SenML uses straight from the bytes (one head decode per
// item, no peeking), and hands the values of unknown fields to the internal/cbor primitives,
// which check and skip any well-formed item.
type cborParser struct {
	data []byte
	off  int
	rec  int
}

// cborHead is one decoded item head.
type cborHead struct {
	major cbor.Major
	info  uint8
	arg   uint64
	size  int // encoded size of the head
}

func (c *cborParser) fail(field string, off int, err error, detail string) error {
	return &Error{Record: c.rec, Field: field, Offset: off, Err: err, Detail: detail}
}

// head decodes the head at c.off without consuming it. Definite lengths and counts are checked
// against the remaining input; indefinite lengths (info 31) are returned as they are.
func (c *cborParser) head(field string) (cborHead, error) {
	off := c.off
	if off >= len(c.data) {
		return cborHead{}, c.fail(field, off, ErrSyntax, "truncated input")
	}
	ib := c.data[off]
	h := cborHead{major: cbor.Major(ib >> 5), info: ib & 0x1f, size: 1}
	switch {
	case h.info < 24:
		h.arg = uint64(h.info)
	case h.info <= 27:
		w := 1 << (h.info - 24)
		if len(c.data)-off-1 < w {
			return h, c.fail(field, off, ErrSyntax, "truncated input")
		}
		for _, b := range c.data[off+1 : off+1+w] {
			h.arg = h.arg<<8 | uint64(b)
		}
		h.size += w
		if h.major == cbor.MajorSimple && h.info == 24 && h.arg < 32 {
			return h, c.fail(field, off, ErrSyntax, "two-byte simple value below 32")
		}
	case h.info == 31:
		switch h.major {
		case cbor.MajorUint, cbor.MajorNegInt, cbor.MajorTag:
			return h, c.fail(field, off, ErrSyntax, "indefinite length on "+h.major.String())
		}
		return h, nil
	default:
		return h, c.fail(field, off, ErrSyntax, "reserved additional information")
	}
	rest := uint64(len(c.data) - off - h.size)
	switch h.major {
	case cbor.MajorBytes, cbor.MajorText, cbor.MajorArray:
		if h.arg > rest {
			return h, c.fail(field, off, ErrSyntax, "length exceeds remaining input")
		}
	case cbor.MajorMap:
		if h.arg > rest/2 {
			return h, c.fail(field, off, ErrSyntax, "length exceeds remaining input")
		}
	}
	return h, nil
}

// container reads an array or map head and returns its count, or cbor.Indefinite.
func (c *cborParser) container(m cbor.Major, what string) (int, error) {
	h, err := c.head("")
	if err != nil {
		return 0, err
	}
	if h.major != m {
		return 0, c.fail("", c.off, ErrSyntax, "want "+what+", got "+h.major.String())
	}
	c.off += h.size
	if h.info == 31 {
		return cbor.Indefinite, nil
	}
	return int(h.arg), nil
}

// atBreak consumes a "break" stop code if one is next.
func (c *cborParser) atBreak() bool {
	if c.off < len(c.data) && c.data[c.off] == 0xff {
		c.off++
		return true
	}
	return false
}

func (c *cborParser) pack(dst Pack) (Pack, error) {
	n, err := c.container(cbor.MajorArray, "an array of records")
	if err != nil {
		return dst, err
	}
	for i := 0; n == cbor.Indefinite || i < n; i++ {
		if n == cbor.Indefinite && c.atBreak() {
			break
		}
		c.rec = i
		var r *Record
		dst, r = next(dst)
		err := c.record(r)
		r.finish()
		if err != nil {
			return dst, err
		}
		c.rec = -1
	}
	if c.off != len(c.data) {
		return dst, c.fail("", c.off, ErrSyntax, "trailing bytes after the pack")
	}
	return dst, nil
}

func (c *cborParser) record(r *Record) error {
	n, err := c.container(cbor.MajorMap, "a map")
	if err != nil {
		return err
	}
	for i := 0; n == cbor.Indefinite || i < n; i++ {
		if n == cbor.Indefinite && c.atBreak() {
			return nil
		}
		koff := c.off
		h, err := c.head("")
		if err != nil {
			return err
		}
		var f Field
		switch {
		case h.major == cbor.MajorUint && h.arg <= cborDataValue:
			f = cborLabel(int64(h.arg))
		case h.major == cbor.MajorNegInt && h.arg < 6:
			f = cborLabel(-1 - int64(h.arg))
		case h.major == cbor.MajorUint || h.major == cbor.MajorNegInt:
			// another integer key: unknown
		case h.major == cbor.MajorText && h.info != 31:
			key := c.data[c.off+h.size : c.off+h.size+int(h.arg)]
			if len(key) > 0 && key[len(key)-1] == '_' {
				return c.fail(string(key), koff, ErrMustUnderstand, "")
			}
			c.off += int(h.arg)
		default:
			return c.fail("", koff, ErrSyntax, "map key is neither an integer nor a text string")
		}
		c.off += h.size
		if f == 0 {
			if err := c.skip(); err != nil {
				return err
			}
			continue
		}
		if r.Fields&f != 0 {
			return c.fail(f.Label(), koff, ErrDuplicate, "")
		}
		if err := c.field(r, f); err != nil {
			return err
		}
		r.Fields |= f
	}
	return nil
}

// skip steps over the value of an unknown field, whatever it is, with the internal/cbor
// primitives (which follow nesting up to MaxDepth).
func (c *cborParser) skip() error {
	d := cbor.NewDecoder(c.data[c.off:], cbor.Options{MaxDepth: MaxDepth})
	if err := d.Skip(); err != nil {
		e := &Error{Record: c.rec, Offset: c.off, Err: ErrSyntax, cause: err}
		if ce, ok := err.(*cbor.Error); ok {
			e.Offset += ce.Offset
			e.Detail = ce.Err.Error()
			if ce.Detail != "" {
				e.Detail += ": " + ce.Detail
			}
			if ce.Err == cbor.ErrDepth {
				e.Err = ErrDepth
			}
		}
		return e
	}
	c.off += d.Offset()
	return nil
}

func cborLabel(label int64) Field {
	switch label {
	case cborBaseVersion:
		return FieldBaseVersion
	case cborBaseName:
		return FieldBaseName
	case cborBaseTime:
		return FieldBaseTime
	case cborBaseUnit:
		return FieldBaseUnit
	case cborBaseValue:
		return FieldBaseValue
	case cborBaseSum:
		return FieldBaseSum
	case cborName:
		return FieldName
	case cborUnit:
		return FieldUnit
	case cborValue:
		return FieldValue
	case cborStringValue:
		return FieldStringValue
	case cborBoolValue:
		return FieldBoolValue
	case cborSum:
		return FieldSum
	case cborTime:
		return FieldTime
	case cborUpdateTime:
		return FieldUpdateTime
	case cborDataValue:
		return FieldDataValue
	}
	return 0
}

// str reads a definite-length string of major type m; the result aliases the input.
func (c *cborParser) str(m cbor.Major, field string) ([]byte, error) {
	h, err := c.head(field)
	if err != nil {
		return nil, err
	}
	if h.major != m {
		return nil, c.fail(field, c.off, ErrType, "want "+m.String()+", got "+describe(h))
	}
	if h.info == 31 {
		return nil, c.fail(field, c.off, ErrSyntax, "indefinite-length "+m.String()+" not supported")
	}
	start := c.off + h.size
	c.off = start + int(h.arg)
	return c.data[start:c.off], nil
}

func describe(h cborHead) string {
	if h.major != cbor.MajorSimple {
		return h.major.String()
	}
	switch {
	case h.info == 31:
		return "break"
	case h.info >= 25:
		return "float"
	case h.arg == cbor.SimpleFalse || h.arg == cbor.SimpleTrue:
		return "bool"
	case h.arg == cbor.SimpleNull:
		return "null"
	}
	return "simple value"
}

func (c *cborParser) field(r *Record, f Field) error {
	label := f.Label()
	voff := c.off
	switch f {
	case FieldBaseName, FieldBaseUnit, FieldName, FieldUnit, FieldStringValue:
		s, err := c.str(cbor.MajorText, label)
		if err != nil {
			return err
		}
		if !utf8.Valid(s) {
			return c.fail(label, voff, ErrText, "")
		}
		switch f {
		case FieldBaseName:
			r.BaseName = intern(r.BaseName, s)
		case FieldBaseUnit:
			r.BaseUnit = intern(r.BaseUnit, s)
		case FieldName:
			r.Name = intern(r.Name, s)
		case FieldUnit:
			r.Unit = intern(r.Unit, s)
		case FieldStringValue:
			r.StringValue = intern(r.StringValue, s)
		}
	case FieldDataValue:
		b, err := c.str(cbor.MajorBytes, label)
		if err != nil {
			return err
		}
		r.DataValue = append(r.DataValue[:0], b...)
	case FieldBoolValue:
		h, err := c.head(label)
		if err != nil {
			return err
		}
		if h.major != cbor.MajorSimple || h.info >= 24 || (h.arg != cbor.SimpleFalse && h.arg != cbor.SimpleTrue) {
			return c.fail(label, voff, ErrType, "want bool, got "+describe(h))
		}
		c.off += h.size
		r.BoolValue = h.arg == cbor.SimpleTrue
	default:
		v, err := c.number(label)
		if err != nil {
			return err
		}
		switch f {
		case FieldBaseTime:
			r.BaseTime = v
		case FieldBaseValue:
			r.BaseValue = v
		case FieldBaseSum:
			r.BaseSum = v
		case FieldBaseVersion:
			if v != math.Trunc(v) || v < 1 || v > math.MaxInt32 {
				return c.fail(label, voff, ErrVersion, "want a positive integer")
			}
			r.BaseVersion = int(v)
		case FieldValue:
			r.Value = v
		case FieldSum:
			r.Sum = v
		case FieldTime:
			r.Time = v
		case FieldUpdateTime:
			r.UpdateTime = v
		}
	}
	return nil
}

// number reads an integer or a float of any width as a float64.
func (c *cborParser) number(field string) (float64, error) {
	h, err := c.head(field)
	if err != nil {
		return 0, err
	}
	var v float64
	switch {
	case h.major == cbor.MajorUint:
		v = float64(h.arg)
	case h.major == cbor.MajorNegInt:
		v = -1 - float64(h.arg)
	case h.major == cbor.MajorSimple && h.info == 25:
		v = cbor.HalfToFloat64(uint16(h.arg))
	case h.major == cbor.MajorSimple && h.info == 26:
		v = float64(math.Float32frombits(uint32(h.arg)))
	case h.major == cbor.MajorSimple && h.info == 27:
		v = math.Float64frombits(h.arg)
	default:
		return 0, c.fail(field, c.off, ErrType, "want a number, got "+describe(h))
	}
	c.off += h.size
	return v, nil
}
