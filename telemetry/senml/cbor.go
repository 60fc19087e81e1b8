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
// a byte string; text must be UTF-8. Unknown keys are skipped with their values (RFC 8428
// §4.4; §6 reserves text keys for extensions), except text keys ending in "_", which fail with
// [ErrMustUnderstand]. Integers beyond ±2**53 are rounded to the nearest float64. Storage is
// reused as in [ParseJSON]; the decoded records share nothing with data.
func ParseCBOR(data []byte, dst Pack) (Pack, error) {
	base := len(dst)
	c := cborParser{d: cbor.NewDecoder(data, cbor.Options{MaxDepth: MaxDepth}), rec: -1}
	out, err := c.pack(dst)
	if err != nil {
		return dst[:base], err
	}
	return out, nil
}

type cborParser struct {
	d   cbor.Decoder
	rec int
}

// wrap turns an error of the CBOR primitives into an [*Error].
func (c *cborParser) wrap(field string, err error) error {
	e := &Error{Record: c.rec, Field: field, Offset: c.d.Offset(), Err: ErrSyntax, cause: err}
	if ce, ok := err.(*cbor.Error); ok {
		e.Offset = ce.Offset
		e.Detail = ce.Err.Error()
		if ce.Detail != "" {
			e.Detail += ": " + ce.Detail
		}
		switch ce.Err {
		case cbor.ErrType:
			if field != "" {
				e.Err = ErrType
			}
		case cbor.ErrDepth:
			e.Err = ErrDepth
		}
	}
	return e
}

func (c *cborParser) fail(field string, off int, err error, detail string) error {
	return &Error{Record: c.rec, Field: field, Offset: off, Err: err, Detail: detail}
}

func (c *cborParser) pack(dst Pack) (Pack, error) {
	n, err := c.d.ReadArrayHeader()
	if err != nil {
		return dst, c.wrap("", err)
	}
	for i := 0; n == cbor.Indefinite || i < n; i++ {
		if n == cbor.Indefinite && c.d.AtBreak() {
			if err := c.d.ReadBreak(); err != nil {
				return dst, c.wrap("", err)
			}
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
	if err := c.d.Finish(); err != nil {
		return dst, c.wrap("", err)
	}
	return dst, nil
}

func (c *cborParser) record(r *Record) error {
	n, err := c.d.ReadMapHeader()
	if err != nil {
		return c.wrap("", err)
	}
	for i := 0; n == cbor.Indefinite || i < n; i++ {
		if n == cbor.Indefinite && c.d.AtBreak() {
			if err := c.d.ReadBreak(); err != nil {
				return c.wrap("", err)
			}
			return nil
		}
		koff := c.d.Offset()
		h, err := c.d.PeekHead()
		if err != nil {
			return c.wrap("", err)
		}
		var f Field
		switch h.Major {
		case cbor.MajorUint, cbor.MajorNegInt:
			label, err := c.d.ReadInt()
			if err != nil {
				f = 0 // a huge integer key is simply unknown
				if _, err := c.d.ReadHead(); err != nil {
					return c.wrap("", err)
				}
			} else {
				f = cborLabel(label)
			}
		case cbor.MajorText:
			key, err := c.d.ReadText()
			if err != nil {
				return c.wrap("", err)
			}
			if len(key) > 0 && key[len(key)-1] == '_' {
				return c.fail(string(key), koff, ErrMustUnderstand, "")
			}
		default:
			return c.fail("", koff, ErrSyntax, "map key is neither an integer nor a text string")
		}
		if f == 0 {
			if err := c.d.Skip(); err != nil {
				return c.wrap("", err)
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

func (c *cborParser) field(r *Record, f Field) error {
	label := f.Label()
	voff := c.d.Offset()
	switch f {
	case FieldBaseName, FieldBaseUnit, FieldName, FieldUnit, FieldStringValue:
		s, err := c.d.ReadText()
		if err != nil {
			return c.wrap(label, err)
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
		b, err := c.d.ReadBytes()
		if err != nil {
			return c.wrap(label, err)
		}
		r.DataValue = append(r.DataValue[:0], b...)
	case FieldBoolValue:
		b, err := c.d.ReadBool()
		if err != nil {
			return c.wrap(label, err)
		}
		r.BoolValue = b
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
	h, err := c.d.PeekHead()
	if err != nil {
		return 0, c.wrap(field, err)
	}
	switch h.Major {
	case cbor.MajorUint:
		if _, err := c.d.ReadHead(); err != nil {
			return 0, c.wrap(field, err)
		}
		return float64(h.Arg), nil
	case cbor.MajorNegInt:
		if _, err := c.d.ReadHead(); err != nil {
			return 0, c.wrap(field, err)
		}
		return -1 - float64(h.Arg), nil
	case cbor.MajorSimple:
		if h.Info >= 25 && h.Info <= 27 {
			v, err := c.d.ReadFloat()
			if err != nil {
				return 0, c.wrap(field, err)
			}
			return v, nil
		}
	}
	return 0, c.fail(field, c.d.Offset(), ErrType, "want a number")
}
