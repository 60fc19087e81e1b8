package twin

import "strconv"

// validNumber reports whether s follows the RFC 8259 section 6 number grammar:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func validNumber(s string) bool {
	n, ok := scanNumber(s, 0)
	return ok && n == len(s)
}

// scanNumber scans a number starting at s[i] and returns the index after it. ok is false when the
// text at i does not start a valid number (the returned index is then where it went wrong).
func scanNumber[T ~string | ~[]byte](s T, i int) (int, bool) {
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	default:
		return i, false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i >= len(s) || !isDigit(s[i]) {
			return i, false
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) || !isDigit(s[i]) {
			return i, false
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	return i, true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// decimal is a number literal in normal form: value = 0.digits × 10^exponent, digits without
// leading or trailing zeros; zero has no digits. The exponent is exact for any literal: it is
// held in exp while its magnitude is below 10^18, and as decimal text in bigExp beyond.
type decimal struct {
	neg    bool
	digits []byte
	exp    int64
	bigExp string
}

const smallExp = 1_000_000_000_000_000_000 // 10^18

// parseDecimal normalises a valid number literal, reusing buf for the digits.
func parseDecimal(s string, buf []byte) decimal {
	var d decimal
	i := 0
	if s[0] == '-' {
		d.neg = true
		i++
	}
	digits := buf[:0]
	var pos int64 // position of the point relative to the first significant digit
	point := false
	for ; i < len(s); i++ {
		c := s[i]
		if c == '.' {
			point = true
			continue
		}
		if !isDigit(c) {
			break
		}
		switch {
		case len(digits) == 0 && c == '0':
			if point {
				pos-- // a leading zero of the fraction
			}
		default:
			digits = append(digits, c)
			if !point {
				pos++
			}
		}
	}
	eneg := false
	eDigits := ""
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if s[i] == '+' || s[i] == '-' {
			eneg = s[i] == '-'
			i++
		}
		for i < len(s)-1 && s[i] == '0' {
			i++
		}
		eDigits = s[i:]
	}
	for len(digits) > 0 && digits[len(digits)-1] == '0' {
		digits = digits[:len(digits)-1]
	}
	d.digits = digits
	if len(digits) == 0 {
		d.neg = false
		return d
	}
	if len(eDigits) <= 18 {
		var e int64
		for j := 0; j < len(eDigits); j++ {
			e = e*10 + int64(eDigits[j]-'0')
		}
		if eneg {
			e = -e
		}
		d.setExp(pos + e) // |pos| < 2^62 (it counts bytes) and |e| < 10^18: no overflow
		return d
	}
	d.bigExp = addSmall(eneg, eDigits, pos)
	if n := len(d.bigExp); n <= 18 || (n == 19 && d.bigExp[0] == '-') {
		e, _ := strconv.ParseInt(d.bigExp, 10, 64)
		d.bigExp = ""
		d.setExp(e)
	}
	return d
}

// setExp stores exponent e in canonical form.
func (d *decimal) setExp(e int64) {
	if e >= smallExp || e <= -smallExp {
		d.bigExp = strconv.FormatInt(e, 10)
		return
	}
	d.exp = e
}

// addSmall returns the decimal text of ±mag + add, where mag (digits without leading zeros) has
// at least 19 digits and so outweighs add: the result has the sign of ±mag.
func addSmall(neg bool, mag string, add int64) string {
	sub := (add < 0) != neg // magnitudes subtract
	if add < 0 {
		add = -add // add > -2^63: it counts bytes
	}
	out := []byte(mag)
	carry := add
	for j := len(out) - 1; j >= 0 && carry != 0; j-- {
		c := int64(out[j] - '0')
		digit := carry % 10
		carry /= 10
		if sub {
			c -= digit
			if c < 0 {
				c += 10
				carry++
			}
		} else {
			c += digit
			if c >= 10 {
				c -= 10
				carry++
			}
		}
		out[j] = byte('0' + c)
	}
	if carry != 0 { // only when adding: a new leading digit
		out = append(strconv.AppendInt(nil, carry, 10), out...)
	}
	k := 0
	for k < len(out)-1 && out[k] == '0' {
		k++
	}
	out = out[k:]
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

// numberEqual reports whether two valid number literals denote the same value.
func numberEqual(a, b string) bool {
	if isPlainInt(a) && isPlainInt(b) {
		// Integers without leading zeros are equal only when written the same, except zero.
		return a == b || (isZero(a) && isZero(b))
	}
	var ba, bb [40]byte
	da := parseDecimal(a, ba[:0])
	db := parseDecimal(b, bb[:0])
	return da.neg == db.neg && da.exp == db.exp && da.bigExp == db.bigExp && string(da.digits) == string(db.digits)
}

// isPlainInt reports whether a valid number literal has no fraction or exponent.
func isPlainInt(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '.' || c == 'e' || c == 'E' {
			return false
		}
	}
	return true
}

func isZero(s string) bool { return s == "0" || s == "-0" }
