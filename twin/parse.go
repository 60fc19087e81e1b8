package twin

import (
	"unicode/utf16"
	"unicode/utf8"
)

// Parse parses one JSON value (RFC 8259) from data under the limits lim (zero fields mean the
// defaults). The limits are enforced while parsing, before anything is allocated for the
// offending part: len(data) against MaxDocumentBytes, nesting against MaxDepth, each key against
// MaxKeyLength and the running member count against MaxKeys; a broken limit returns a
// [*LimitError]. Invalid JSON returns a [*SyntaxError]. Both give the byte offset and the path of
// the value being read.
//
// Parse is strict: input must be UTF-8; duplicate keys ([ErrDuplicateKey]), lone UTF-16
// surrogates in \u escapes, leading zeros, trailing commas and anything after the value are
// errors. Whitespace around the value is allowed.
func Parse(data []byte, lim Limits) (Value, error) {
	lim, err := lim.withDefaults()
	if err != nil {
		return Value{}, err
	}
	return parse(data, lim)
}

// ParseObject is [Parse] for values that must be objects (twin sections and merge patches):
// any other JSON value fails with [ErrNotObject].
func ParseObject(data []byte, lim Limits) (Value, error) {
	v, err := Parse(data, lim)
	if err != nil {
		return Value{}, err
	}
	if v.kind != Object {
		return Value{}, &kindError{what: "JSON value", want: Object, got: v.kind}
	}
	return v, nil
}

func parse(data []byte, lim Limits) (Value, error) {
	if len(data) > lim.MaxDocumentBytes {
		return Value{}, &LimitError{Rule: RuleDocumentBytes, Limit: lim.MaxDocumentBytes, Actual: len(data), Offset: lim.MaxDocumentBytes}
	}
	p := parser{s: data, lim: lim, stack: make([]Member, 0, 32)}
	p.ws()
	v, err := p.value(0)
	if err != nil {
		return Value{}, err
	}
	p.ws()
	if p.i < len(p.s) {
		return Value{}, p.syntax("unexpected data after the JSON value")
	}
	return v, nil
}

// kindError reports a value of the wrong kind where an object is required. It wraps ErrNotObject.
type kindError struct {
	what      string
	want, got Kind
}

func (e *kindError) Error() string {
	return "twin: " + e.what + " must be an " + e.want.String() + ", got " + e.got.String()
}

func (e *kindError) Unwrap() error { return ErrNotObject }

type parser struct {
	s     []byte
	i     int
	lim   Limits
	keys  int
	path  []pathSeg
	stack []Member // members of the open objects and arrays; each is copied out at its exact size
}

// take returns the members pushed since base as a new slice of exact size, and pops them.
func (p *parser) take(base int) []Member {
	out := make([]Member, len(p.stack)-base)
	copy(out, p.stack[base:])
	clear(p.stack[base:])
	p.stack = p.stack[:base]
	return out
}

func (p *parser) syntax(msg string) error {
	return &SyntaxError{Offset: p.i, Path: renderPath(p.path), Msg: msg}
}

func (p *parser) limit(r Rule, limit, actual int) error {
	return &LimitError{Rule: r, Limit: limit, Actual: actual, Path: renderPath(p.path), Offset: p.i}
}

func (p *parser) ws() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *parser) value(depth int) (Value, error) {
	if p.i >= len(p.s) {
		return Value{}, p.syntax("unexpected end of input, want a value")
	}
	switch c := p.s[p.i]; c {
	case '{':
		return p.object(depth + 1)
	case '[':
		return p.array(depth + 1)
	case '"':
		s, err := p.str()
		if err != nil {
			return Value{}, err
		}
		return Value{kind: String, s: s}, nil
	case 't':
		return p.literal("true", Value{kind: Bool, b: true})
	case 'f':
		return p.literal("false", Value{kind: Bool})
	case 'n':
		return p.literal("null", Value{})
	default:
		if c == '-' || isDigit(c) {
			end, ok := scanNumber(p.s, p.i)
			if !ok {
				p.i = end
				return Value{}, p.syntax("invalid number (RFC 8259 section 6)")
			}
			v := Value{kind: Number, s: string(p.s[p.i:end])}
			p.i = end
			return v, nil
		}
		return Value{}, p.syntax("invalid character " + quoteByte(c) + ", want a value")
	}
}

func quoteByte(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return "'" + string(rune(c)) + "'"
	}
	return "0x" + string([]byte{hexDigits[c>>4], hexDigits[c&0xf]})
}

func (p *parser) literal(word string, v Value) (Value, error) {
	if len(p.s)-p.i < len(word) || string(p.s[p.i:p.i+len(word)]) != word {
		return Value{}, p.syntax("invalid literal, want " + word)
	}
	p.i += len(word)
	return v, nil
}

func (p *parser) object(depth int) (Value, error) {
	if depth > p.lim.MaxDepth {
		return Value{}, p.limit(RuleDepth, p.lim.MaxDepth, depth)
	}
	start := p.i
	p.i++ // '{'
	p.ws()
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
		return Value{kind: Object, obj: []Member{}}, nil
	}
	base := len(p.stack)
	for {
		if p.i >= len(p.s) || p.s[p.i] != '"' {
			return Value{}, p.syntax("want a string key")
		}
		keyStart := p.i
		key, err := p.str()
		if err != nil {
			return Value{}, err
		}
		p.path = append(p.path, pathSeg{key: key})
		if len(key) > p.lim.MaxKeyLength {
			p.i = keyStart
			return Value{}, p.limit(RuleKeyLength, p.lim.MaxKeyLength, len(key))
		}
		p.keys++
		if p.keys > p.lim.MaxKeys {
			p.i = keyStart
			return Value{}, p.limit(RuleKeys, p.lim.MaxKeys, p.keys)
		}
		p.ws()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return Value{}, p.syntax("want ':' after the key")
		}
		p.i++
		p.ws()
		v, err := p.value(depth)
		if err != nil {
			return Value{}, err
		}
		p.path = p.path[:len(p.path)-1]
		p.stack = append(p.stack, Member{Key: key, Value: v})
		p.ws()
		if p.i >= len(p.s) {
			return Value{}, p.syntax("unexpected end of input in an object")
		}
		switch p.s[p.i] {
		case ',':
			p.i++
			p.ws()
			continue
		case '}':
			p.i++
		default:
			return Value{}, p.syntax("want ',' or '}' in an object")
		}
		break
	}
	members := p.take(base)
	if !sortMembers(members) {
		for i := 1; i < len(members); i++ {
			if members[i].Key == members[i-1].Key {
				p.path = append(p.path, pathSeg{key: members[i].Key})
				return Value{}, &SyntaxError{Offset: start, Path: renderPath(p.path), Msg: "duplicate key in the object", Duplicate: true}
			}
		}
	}
	return Value{kind: Object, obj: members}, nil
}

func (p *parser) array(depth int) (Value, error) {
	if depth > p.lim.MaxDepth {
		return Value{}, p.limit(RuleDepth, p.lim.MaxDepth, depth)
	}
	p.i++ // '['
	p.ws()
	if p.i < len(p.s) && p.s[p.i] == ']' {
		p.i++
		return Value{kind: Array, obj: []Member{}}, nil
	}
	base := len(p.stack)
	for {
		p.path = append(p.path, pathSeg{index: len(p.stack) - base, isIndex: true})
		v, err := p.value(depth)
		if err != nil {
			return Value{}, err
		}
		p.path = p.path[:len(p.path)-1]
		p.stack = append(p.stack, Member{Value: v})
		p.ws()
		if p.i >= len(p.s) {
			return Value{}, p.syntax("unexpected end of input in an array")
		}
		switch p.s[p.i] {
		case ',':
			p.i++
			p.ws()
			continue
		case ']':
			p.i++
			return Value{kind: Array, obj: p.take(base)}, nil
		default:
			return Value{}, p.syntax("want ',' or ']' in an array")
		}
	}
}

// str parses a JSON string at p.s[p.i] == '"' and returns its contents.
func (p *parser) str() (string, error) {
	start := p.i + 1
	for i := start; i < len(p.s); i++ {
		c := p.s[i]
		switch {
		case c == '"':
			seg := p.s[start:i]
			if err := p.checkUTF8(start, seg); err != nil {
				return "", err
			}
			p.i = i + 1
			return string(seg), nil
		case c == '\\':
			return p.strEscaped(start, i)
		case c < 0x20:
			p.i = i
			return "", p.syntax("control character in a string (must be escaped)")
		}
	}
	p.i = len(p.s)
	return "", p.syntax("unterminated string")
}

func (p *parser) checkUTF8(start int, seg []byte) error {
	if utf8.Valid(seg) {
		return nil
	}
	for j := 0; j < len(seg); {
		r, size := utf8.DecodeRune(seg[j:])
		if r == utf8.RuneError && size == 1 {
			p.i = start + j
			return p.syntax("invalid UTF-8 in a string")
		}
		j += size
	}
	return nil
}

// strEscaped continues a string from its first backslash at i.
func (p *parser) strEscaped(start, i int) (string, error) {
	buf := make([]byte, 0, i-start+16)
	if err := p.checkUTF8(start, p.s[start:i]); err != nil {
		return "", err
	}
	buf = append(buf, p.s[start:i]...)
	for i < len(p.s) {
		c := p.s[i]
		switch {
		case c == '"':
			p.i = i + 1
			return string(buf), nil
		case c < 0x20:
			p.i = i
			return "", p.syntax("control character in a string (must be escaped)")
		case c == '\\':
			if i+1 >= len(p.s) {
				p.i = i
				return "", p.syntax("unterminated escape")
			}
			switch e := p.s[i+1]; e {
			case '"', '\\', '/':
				buf = append(buf, e)
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				r, ok := hex4(p.s, i+2)
				if !ok {
					p.i = i
					return "", p.syntax("invalid \\u escape, want 4 hex digits")
				}
				n := 6
				if utf16.IsSurrogate(r) {
					r2, ok2 := rune(0), false
					if i+7 < len(p.s) && p.s[i+6] == '\\' && p.s[i+7] == 'u' {
						r2, ok2 = hex4(p.s, i+8)
					}
					dec := utf16.DecodeRune(r, r2)
					if !ok2 || dec == utf8.RuneError {
						p.i = i
						return "", p.syntax("lone UTF-16 surrogate in a \\u escape")
					}
					r = dec
					n = 12
				}
				buf = utf8.AppendRune(buf, r)
				i += n
				continue
			default:
				p.i = i
				return "", p.syntax("invalid escape " + quoteByte(e))
			}
			i += 2
		case c < utf8.RuneSelf:
			buf = append(buf, c)
			i++
		default:
			r, size := utf8.DecodeRune(p.s[i:])
			if r == utf8.RuneError && size == 1 {
				p.i = i
				return "", p.syntax("invalid UTF-8 in a string")
			}
			buf = append(buf, p.s[i:i+size]...)
			i += size
		}
	}
	p.i = len(p.s)
	return "", p.syntax("unterminated string")
}

func hex4(s []byte, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range s[i : i+4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	return r, true
}
