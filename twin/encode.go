package twin

import "unicode/utf8"

// AppendJSON appends the compact JSON encoding of v to dst and returns the extended slice.
// Object members come out sorted by key, numbers as their literal text, and strings with only
// the escapes JSON requires ('"', '\\' and control characters), so the encoding is deterministic:
// equal trees built from the same literals encode to the same bytes, and Parse(AppendJSON(v))
// gives v back whenever v's keys and strings are valid UTF-8 (as all parsed values are).
func (v Value) AppendJSON(dst []byte) []byte {
	switch v.kind {
	case Null:
		return append(dst, "null"...)
	case Bool:
		if v.b {
			return append(dst, "true"...)
		}
		return append(dst, "false"...)
	case Number:
		return append(dst, v.s...)
	case String:
		return appendString(dst, v.s)
	case Array:
		dst = append(dst, '[')
		for i, e := range v.obj {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = e.Value.AppendJSON(dst)
		}
		return append(dst, ']')
	case Object:
		dst = append(dst, '{')
		for i, m := range v.obj {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, m.Key)
			dst = append(dst, ':')
			dst = m.Value.AppendJSON(dst)
		}
		return append(dst, '}')
	}
	return dst
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Invalid UTF-8 is written as U+FFFD.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
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
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, "\ufffd"...)
			i++
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// stringLen returns the length of appendString(nil, s).
func stringLen(s string) int {
	n := 2
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			n++
			i++
			continue
		}
		if c < utf8.RuneSelf {
			switch c {
			case '"', '\\', '\n', '\r', '\t', '\b', '\f':
				n += 2
			default:
				n += 6
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			n += 3
			i++
			continue
		}
		n += size
		i += size
	}
	return n
}

// encodedLen returns len(v.AppendJSON(nil)) without encoding.
func encodedLen(v Value) int {
	switch v.kind {
	case Null:
		return 4
	case Bool:
		if v.b {
			return 4
		}
		return 5
	case Number:
		return len(v.s)
	case String:
		return stringLen(v.s)
	case Array:
		n := 2
		if len(v.obj) > 1 {
			n += len(v.obj) - 1
		}
		for _, e := range v.obj {
			n += encodedLen(e.Value)
		}
		return n
	case Object:
		n := 2
		if len(v.obj) > 1 {
			n += len(v.obj) - 1
		}
		for _, m := range v.obj {
			n += stringLen(m.Key) + 1 + encodedLen(m.Value)
		}
		return n
	}
	return 0
}
