package cbor

import "math"

// float32ToHalf converts f to IEEE 754 binary16 when that is exact, and reports whether it was.
// NaN is handled by the caller.
func float32ToHalf(f float32) (uint16, bool) {
	bits := math.Float32bits(f)
	sign := uint16(bits>>16) & 0x8000
	exp := int32(bits>>23&0xff) - 127
	mant := bits & 0x7fffff
	switch {
	case bits&0x7fffffff == 0: // ±0
		return sign, true
	case exp == 128: // ±Inf (NaN excluded by the caller)
		return sign | 0x7c00, mant == 0
	case exp >= -14 && exp <= 15: // normal half
		if mant&0x1fff != 0 {
			return 0, false
		}
		return sign | uint16(exp+15)<<10 | uint16(mant>>13), true
	case exp >= -24 && exp < -14: // subnormal half: value = m * 2^-24
		full := mant | 0x800000
		shift := uint32(-exp - 1)
		if full&(1<<shift-1) != 0 {
			return 0, false
		}
		return sign | uint16(full>>shift), true
	}
	return 0, false
}

// HalfToFloat64 converts IEEE 754 binary16 bits (a CBOR half-precision float) to float64,
// exactly.
func HalfToFloat64(h uint16) float64 {
	exp := int(h>>10) & 0x1f
	mant := float64(h & 0x3ff)
	var v float64
	switch exp {
	case 0:
		v = math.Ldexp(mant, -24)
	case 31:
		if mant == 0 {
			v = math.Inf(1)
		} else {
			v = math.NaN()
		}
	default:
		v = math.Ldexp(mant+1024, exp-25)
	}
	if h&0x8000 != 0 {
		v = -v
	}
	return v
}
