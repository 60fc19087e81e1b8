package twin

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

// decimal is a number literal in normal form: value = 0.digits × 10^exp, digits without leading
// or trailing zeros; zero has no digits.
type decimal struct {
	neg    bool
	digits []byte
	exp    int64
}

// expCap bounds exponents so that arithmetic on them cannot overflow; literals are bounded by
// the document size, so two different numbers never both saturate.
const expCap = 1 << 40

// parseDecimal normalises a valid number literal into d, reusing buf for the digits.
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
	var e int64
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		eneg := false
		if s[i] == '+' || s[i] == '-' {
			eneg = s[i] == '-'
			i++
		}
		for ; i < len(s); i++ {
			if e < expCap {
				e = e*10 + int64(s[i]-'0')
			}
		}
		if e > expCap {
			e = expCap
		}
		if eneg {
			e = -e
		}
	}
	for len(digits) > 0 && digits[len(digits)-1] == '0' {
		digits = digits[:len(digits)-1]
	}
	d.digits = digits
	if len(digits) == 0 {
		d.neg = false
		return d
	}
	d.exp = pos + e
	return d
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
	return da.neg == db.neg && da.exp == db.exp && string(da.digits) == string(db.digits)
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
