package senml

import (
	"encoding/base64"
	"math"
	"strconv"
	"unicode/utf8"
)

// AppendJSON appends the JSON representation (RFC 8428 §5, application/senml+json) of p to dst
// and returns the extended slice. It never allocates beyond growing dst, so encoding into a
// reused buffer is allocation-free.
//
// Fields are written in a fixed order (bn bt bu bv bs bver n u t ut v vs vb vd s), numbers in
// the shortest form that reads back to the same float64 (exponent "e" in lower case, as §5
// requires), vd in base64url without padding. AppendJSON does not validate: a non-finite
// number, which JSON cannot carry, is written as null, and invalid UTF-8 is written as U+FFFD.
// Call [Pack.Validate] first when the pack comes from an untrusted source, or use
// [Pack.MarshalJSON], which refuses non-finite numbers.
func AppendJSON(dst []byte, p Pack) []byte {
	dst = append(dst, '[')
	for i := range p {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONRecord(dst, &p[i])
	}
	return append(dst, ']')
}

func appendJSONRecord(dst []byte, r *Record) []byte {
	dst = append(dst, '{')
	f := r.Fields
	first := true
	key := func(dst []byte, k string) []byte {
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, '"')
		dst = append(dst, k...)
		return append(dst, '"', ':')
	}
	if f&FieldBaseName != 0 {
		dst = appendJSONString(key(dst, "bn"), r.BaseName)
	}
	if f&FieldBaseTime != 0 {
		dst = appendJSONNumber(key(dst, "bt"), r.BaseTime)
	}
	if f&FieldBaseUnit != 0 {
		dst = appendJSONString(key(dst, "bu"), r.BaseUnit)
	}
	if f&FieldBaseValue != 0 {
		dst = appendJSONNumber(key(dst, "bv"), r.BaseValue)
	}
	if f&FieldBaseSum != 0 {
		dst = appendJSONNumber(key(dst, "bs"), r.BaseSum)
	}
	if f&FieldBaseVersion != 0 {
		dst = strconv.AppendInt(key(dst, "bver"), int64(r.BaseVersion), 10)
	}
	if f&FieldName != 0 {
		dst = appendJSONString(key(dst, "n"), r.Name)
	}
	if f&FieldUnit != 0 {
		dst = appendJSONString(key(dst, "u"), r.Unit)
	}
	if f&FieldTime != 0 {
		dst = appendJSONNumber(key(dst, "t"), r.Time)
	}
	if f&FieldUpdateTime != 0 {
		dst = appendJSONNumber(key(dst, "ut"), r.UpdateTime)
	}
	if f&FieldValue != 0 {
		dst = appendJSONNumber(key(dst, "v"), r.Value)
	}
	if f&FieldStringValue != 0 {
		dst = appendJSONString(key(dst, "vs"), r.StringValue)
	}
	if f&FieldBoolValue != 0 {
		dst = key(dst, "vb")
		if r.BoolValue {
			dst = append(dst, "true"...)
		} else {
			dst = append(dst, "false"...)
		}
	}
	if f&FieldDataValue != 0 {
		dst = append(key(dst, "vd"), '"')
		dst = base64.RawURLEncoding.AppendEncode(dst, r.DataValue)
		dst = append(dst, '"')
	}
	if f&FieldSum != 0 {
		dst = appendJSONNumber(key(dst, "s"), r.Sum)
	}
	return append(dst, '}')
}

func appendJSONNumber(dst []byte, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return append(dst, "null"...)
	}
	return strconv.AppendFloat(dst, v, 'g', -1, 64)
}

const hexDigits = "0123456789abcdef"

func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r != utf8.RuneError || size != 1 {
				i += size
				continue
			}
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// MarshalJSON returns the JSON representation of p ([AppendJSON]). It fails with [ErrNumber]
// when a present number is NaN or infinite, which JSON cannot represent.
func (p Pack) MarshalJSON() ([]byte, error) {
	if err := p.checkFinite(); err != nil {
		return nil, err
	}
	return AppendJSON(nil, p), nil
}

// UnmarshalJSON replaces *p with the pack decoded from data ([ParseJSON]), reusing the storage
// of *p. On error *p is emptied.
func (p *Pack) UnmarshalJSON(data []byte) error {
	q, err := ParseJSON(data, (*p)[:0])
	*p = q
	return err
}

// ParseJSON decodes a JSON SenML pack (RFC 8428 §5) and appends its records to dst, returning
// the extended slice; on error it returns dst unchanged (its length restored) and an [*Error].
//
// The full JSON grammar of RFC 8259 is accepted: whitespace, string escapes including \u
// surrogate pairs, numbers with fractions and exponents. Strings must be valid UTF-8. Each
// known label must have its Table 2 type (bver a positive integer), appear at most once per
// record, and vd must be base64url without padding. Unknown labels are skipped with their
// values (RFC 8428 §4.4), except labels ending in "_", which fail with [ErrMustUnderstand].
// ParseJSON checks form, not meaning: call [Pack.Validate] or [Pack.Resolve] for §4.5.
//
// Records appended into spare capacity of dst reuse that storage: a string equal to the one the
// slot held is kept without allocating, and the vd buffer is reused, so decoding a stream of
// similar packs into one reused Pack does not allocate in the steady state. The decoded records
// share nothing with data.
func ParseJSON(data []byte, dst Pack) (Pack, error) {
	base := len(dst)
	p := jsonParser{data: data}
	out, err := p.pack(dst)
	if err != nil {
		return dst[:base], err
	}
	return out, nil
}

type jsonParser struct {
	data    []byte
	off     int
	rec     int
	scratch []byte // unescaped string values
	keybuf  []byte // unescaped keys
}

func (p *jsonParser) fail(field string, off int, err error, detail string) error {
	return &Error{Record: p.rec, Field: field, Offset: off, Err: err, Detail: detail}
}

func (p *jsonParser) ws() {
	for p.off < len(p.data) {
		switch p.data[p.off] {
		case ' ', '\t', '\n', '\r':
			p.off++
		default:
			return
		}
	}
}

// expect consumes c after optional whitespace.
func (p *jsonParser) expect(c byte, what string) error {
	p.ws()
	if p.off >= len(p.data) {
		return p.fail("", p.off, ErrSyntax, "unexpected end of input, want "+what)
	}
	if p.data[p.off] != c {
		return p.fail("", p.off, ErrSyntax, "want "+what+", got "+strconv.QuoteRune(rune(p.data[p.off])))
	}
	p.off++
	return nil
}

func (p *jsonParser) peek() byte {
	p.ws()
	if p.off >= len(p.data) {
		return 0
	}
	return p.data[p.off]
}

func (p *jsonParser) pack(dst Pack) (Pack, error) {
	p.rec = -1
	if err := p.expect('[', "'[' starting the pack"); err != nil {
		return dst, err
	}
	if p.peek() == ']' {
		p.off++
	} else {
		for i := 0; ; i++ {
			p.rec = i
			var r *Record
			dst, r = next(dst)
			err := p.record(r)
			r.finish()
			if err != nil {
				return dst, err
			}
			p.rec = -1
			c := p.peek()
			if c == ',' {
				p.off++
				continue
			}
			if err := p.expect(']', "',' or ']' after a record"); err != nil {
				return dst, err
			}
			break
		}
	}
	p.ws()
	if p.off != len(p.data) {
		return dst, p.fail("", p.off, ErrSyntax, "trailing data after the pack")
	}
	return dst, nil
}

// jsonLabel maps a JSON label to its field, or 0 when the label is unknown.
func jsonLabel(k []byte) Field {
	switch string(k) {
	case "bn":
		return FieldBaseName
	case "bt":
		return FieldBaseTime
	case "bu":
		return FieldBaseUnit
	case "bv":
		return FieldBaseValue
	case "bs":
		return FieldBaseSum
	case "bver":
		return FieldBaseVersion
	case "n":
		return FieldName
	case "u":
		return FieldUnit
	case "v":
		return FieldValue
	case "vs":
		return FieldStringValue
	case "vb":
		return FieldBoolValue
	case "vd":
		return FieldDataValue
	case "s":
		return FieldSum
	case "t":
		return FieldTime
	case "ut":
		return FieldUpdateTime
	}
	return 0
}

func (p *jsonParser) record(r *Record) error {
	if err := p.expect('{', "'{' starting a record"); err != nil {
		return err
	}
	if p.peek() == '}' {
		p.off++
		return nil
	}
	for {
		p.ws()
		koff := p.off
		if p.off >= len(p.data) || p.data[p.off] != '"' {
			return p.fail("", p.off, ErrSyntax, "want a quoted label")
		}
		p.off++
		key, err := p.str(&p.keybuf, "")
		if err != nil {
			return err
		}
		if err := p.expect(':', "':' after a label"); err != nil {
			return err
		}
		p.ws()
		f := jsonLabel(key)
		if f == 0 {
			if len(key) > 0 && key[len(key)-1] == '_' {
				return p.fail(string(key), koff, ErrMustUnderstand, "")
			}
			if err := p.skip(string(key), 0); err != nil {
				return err
			}
		} else {
			if r.Fields&f != 0 {
				return p.fail(f.Label(), koff, ErrDuplicate, "")
			}
			if err := p.field(r, f); err != nil {
				return err
			}
			r.Fields |= f
		}
		c := p.peek()
		if c == ',' {
			p.off++
			continue
		}
		return p.expect('}', "',' or '}' after a field")
	}
}

func (p *jsonParser) field(r *Record, f Field) error {
	label := f.Label()
	voff := p.off
	switch f {
	case FieldBaseName, FieldBaseUnit, FieldName, FieldUnit, FieldStringValue, FieldDataValue:
		if p.off >= len(p.data) || p.data[p.off] != '"' {
			return p.fail(label, voff, ErrType, "want a string")
		}
		p.off++
		s, err := p.str(&p.scratch, label)
		if err != nil {
			return err
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
		case FieldDataValue:
			d, err := base64.RawURLEncoding.AppendDecode(r.DataValue[:0], s)
			if err != nil {
				return &Error{Record: p.rec, Field: label, Offset: voff, Err: ErrDataValue, cause: err}
			}
			r.DataValue = d
		}
	case FieldBoolValue:
		switch {
		case hasLiteral(p.data[p.off:], "true"):
			r.BoolValue = true
			p.off += 4
		case hasLiteral(p.data[p.off:], "false"):
			r.BoolValue = false
			p.off += 5
		default:
			return p.fail(label, voff, ErrType, "want true or false")
		}
	default:
		v, err := p.number(label)
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
				return p.fail(label, voff, ErrVersion, "want a positive integer")
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

func hasLiteral(b []byte, lit string) bool {
	return len(b) >= len(lit) && string(b[:len(lit)]) == lit
}

// str reads a string whose opening quote was consumed. It returns the content, aliasing the
// input when there are no escapes and *buf otherwise.
func (p *jsonParser) str(buf *[]byte, field string) ([]byte, error) {
	start := p.off
	i := p.off
	for i < len(p.data) {
		c := p.data[i]
		switch {
		case c == '"':
			p.off = i + 1
			return p.data[start:i], nil
		case c == '\\':
			return p.strEscaped(buf, field, start, i)
		case c < 0x20:
			return nil, p.fail(field, i, ErrSyntax, "control character in string")
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRune(p.data[i:])
			if r == utf8.RuneError && size == 1 {
				return nil, p.fail(field, i, ErrText, "")
			}
			i += size
		default:
			i++
		}
	}
	return nil, p.fail(field, len(p.data), ErrSyntax, "unterminated string")
}

func (p *jsonParser) strEscaped(buf *[]byte, field string, start, i int) ([]byte, error) {
	b := append((*buf)[:0], p.data[start:i]...)
	defer func() { *buf = b[:0] }()
	for i < len(p.data) {
		c := p.data[i]
		switch {
		case c == '"':
			p.off = i + 1
			return b, nil
		case c == '\\':
			if i+1 >= len(p.data) {
				return nil, p.fail(field, i, ErrSyntax, "unterminated escape")
			}
			e := p.data[i+1]
			i += 2
			switch e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				r, ok := hex4(p.data[i:])
				if !ok {
					return nil, p.fail(field, i-2, ErrSyntax, "bad \\u escape")
				}
				i += 4
				if r >= 0xd800 && r < 0xdc00 {
					lo, ok := rune(0), false
					if i+1 < len(p.data) && p.data[i] == '\\' && p.data[i+1] == 'u' {
						lo, ok = hex4(p.data[i+2:])
					}
					if !ok || lo < 0xdc00 || lo >= 0xe000 {
						return nil, p.fail(field, i-6, ErrText, "unpaired surrogate")
					}
					i += 6
					r = 0x10000 + (r-0xd800)<<10 + (lo - 0xdc00)
				} else if r >= 0xdc00 && r < 0xe000 {
					return nil, p.fail(field, i-6, ErrText, "unpaired surrogate")
				}
				b = utf8.AppendRune(b, r)
			default:
				return nil, p.fail(field, i-2, ErrSyntax, "unknown escape "+strconv.QuoteRune(rune(e)))
			}
		case c < 0x20:
			return nil, p.fail(field, i, ErrSyntax, "control character in string")
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRune(p.data[i:])
			if r == utf8.RuneError && size == 1 {
				return nil, p.fail(field, i, ErrText, "")
			}
			b = append(b, p.data[i:i+size]...)
			i += size
		default:
			b = append(b, c)
			i++
		}
	}
	return nil, p.fail(field, len(p.data), ErrSyntax, "unterminated string")
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// number reads an RFC 8259 number and converts it to the nearest float64.
func (p *jsonParser) number(field string) (float64, error) {
	start := p.off
	i := p.off
	d := p.data
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && d[i] >= '1' && d[i] <= '9':
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	default:
		return 0, p.fail(field, start, ErrType, "want a number")
	}
	simple := i - start
	if i < len(d) && d[i] == '.' {
		i++
		j := i
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
		if i == j {
			return 0, p.fail(field, start, ErrSyntax, "number has no digits after '.'")
		}
		simple = -1
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		j := i
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
		if i == j {
			return 0, p.fail(field, start, ErrSyntax, "number has no exponent digits")
		}
		simple = -1
	}
	p.off = i
	num := d[start:i]
	if simple > 0 && simple <= 15 {
		// An integer of at most 15 characters is exact in a float64.
		neg := num[0] == '-'
		var v int64
		for _, c := range num {
			if c != '-' {
				v = v*10 + int64(c-'0')
			}
		}
		if neg {
			if v == 0 {
				return math.Copysign(0, -1), nil
			}
			v = -v
		}
		return float64(v), nil
	}
	v, err := strconv.ParseFloat(string(num), 64)
	if err != nil {
		return 0, &Error{Record: p.rec, Field: field, Offset: start, Err: ErrNumber, Detail: "out of float64 range", cause: err}
	}
	return v, nil
}

// skip validates and steps over one JSON value of an unknown field.
func (p *jsonParser) skip(field string, depth int) error {
	p.ws()
	if p.off >= len(p.data) {
		return p.fail(field, p.off, ErrSyntax, "unexpected end of input, want a value")
	}
	if depth >= MaxDepth {
		return p.fail(field, p.off, ErrDepth, "")
	}
	switch c := p.data[p.off]; {
	case c == '"':
		p.off++
		_, err := p.str(&p.scratch, field)
		return err
	case c == '{' || c == '[':
		close := byte('}')
		if c == '[' {
			close = ']'
		}
		p.off++
		if p.peek() == close {
			p.off++
			return nil
		}
		for {
			if c == '{' {
				p.ws()
				if p.off >= len(p.data) || p.data[p.off] != '"' {
					return p.fail(field, p.off, ErrSyntax, "want a quoted member name")
				}
				p.off++
				if _, err := p.str(&p.scratch, field); err != nil {
					return err
				}
				if err := p.expect(':', "':' after a member name"); err != nil {
					return err
				}
			}
			if err := p.skip(field, depth+1); err != nil {
				return err
			}
			n := p.peek()
			if n == ',' {
				p.off++
				continue
			}
			if n != close {
				return p.fail(field, p.off, ErrSyntax, "want ',' or "+strconv.QuoteRune(rune(close)))
			}
			p.off++
			return nil
		}
	case c == 't':
		return p.literal(field, "true")
	case c == 'f':
		return p.literal(field, "false")
	case c == 'n':
		return p.literal(field, "null")
	default:
		_, err := p.number(field)
		if err != nil {
			if e, ok := err.(*Error); ok && e.Err == ErrType {
				e.Err, e.Detail = ErrSyntax, "want a JSON value"
			}
		}
		return err
	}
}

func (p *jsonParser) literal(field, lit string) error {
	if !hasLiteral(p.data[p.off:], lit) {
		return p.fail(field, p.off, ErrSyntax, "want a JSON value")
	}
	p.off += len(lit)
	return nil
}
