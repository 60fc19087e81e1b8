package senml

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// RelativeLimit is 2**28: a resolved time below it is relative to "now", a time at or above it
// is seconds since the Unix epoch (RFC 8428 §4.5.3).
const RelativeLimit = 1 << 28

// Validate checks p against the rules of RFC 8428 §4.4 and §4.5 without resolving it:
//   - bver is a positive integer no larger than [Version], and the same in every record
//     ([ErrVersion]);
//   - every record with a regular field has exactly one of v, vs, vb, vd, or none and a sum s
//     ([ErrNoValue], [ErrMultipleValues]); a record with only base fields is allowed: it sets
//     context for the records that follow;
//   - the concatenated name bn+n of every such record is non-empty, uses only A-Z a-z 0-9 and
//   - : . / _, and starts with A-Z a-z 0-9 ([ErrName]);
//   - every present number is finite ([ErrNumber]) and every string is UTF-8 ([ErrText]).
//
// The error is an [*Error] naming the record index and the field.
func (p Pack) Validate() error {
	_, err := p.resolve(nil, 0, false)
	return err
}

// Resolve validates p ([Pack.Validate]) and appends its resolved records (RFC 8428 §4.6) to dst,
// returning the extended slice; on error dst is returned unchanged with the error.
//
// A resolved record has no base fields: its name is bn+n; its unit is u, or bu when it has no
// u; its time is bt+t, plus now when that sum is below 2**28 ([RelativeLimit]), so it is
// always present and absolute; a numeric value v becomes bv+v; a sum is bs+s when either is
// present; vs, vb, vd and ut are copied (vd shares the input's bytes). bver is kept in every
// resolved record when the version is not 10, as §4.6 requires. Records with only base fields
// yield no resolved record. The appended records are sorted chronologically (stable, so records
// with equal times keep their order), as §4.6 requires.
//
// now is the receiver's current time in seconds since the Unix epoch ([FromTime] converts a
// time.Time); the package never reads a clock.
func (p Pack) Resolve(dst Pack, now float64) (Pack, error) {
	base := len(dst)
	out, err := p.resolve(dst, now, true)
	if err != nil {
		return dst[:base], err
	}
	slices.SortStableFunc(out[base:], func(a, b Record) int { return cmp.Compare(a.Time, b.Time) })
	return out, nil
}

func invalid(i int, f Field, err error, detail string) error {
	return &Error{Record: i, Field: f.Label(), Offset: -1, Err: err, Detail: detail}
}

func (p Pack) resolve(dst Pack, now float64, emit bool) (Pack, error) {
	var (
		bn, bu         string
		bt, bv, bs     float64
		hasBU, hasBS   bool
		version        = Version
		versionSetByRc = -1
	)
	for i := range p {
		r := &p[i]
		f := r.Fields
		if err := r.checkFields(i); err != nil {
			return dst, err
		}
		if f&FieldBaseVersion != 0 {
			v := r.BaseVersion
			switch {
			case v < 1:
				return dst, invalid(i, FieldBaseVersion, ErrVersion, "version must be a positive integer")
			case v > Version:
				return dst, invalid(i, FieldBaseVersion, ErrVersion, "version newer than 10, which this package implements")
			case i > 0 && v != version:
				detail := "version differs from the default 10 that applied to the records before it"
				if versionSetByRc >= 0 {
					detail = "version differs from the one set by an earlier record"
				}
				return dst, invalid(i, FieldBaseVersion, ErrVersion, detail)
			}
			version, versionSetByRc = v, i
		}
		if f&FieldBaseName != 0 {
			bn = r.BaseName
		}
		if f&FieldBaseTime != 0 {
			bt = r.BaseTime
		}
		if f&FieldBaseUnit != 0 {
			bu, hasBU = r.BaseUnit, true
		}
		if f&FieldBaseValue != 0 {
			bv = r.BaseValue
		}
		if f&FieldBaseSum != 0 {
			bs, hasBS = r.BaseSum, true
		}
		if f&^BaseFields == 0 {
			continue // only base fields: context for the records that follow
		}
		values := f & ValueFields
		switch {
		case values&(values-1) != 0:
			return dst, invalid(i, 0, ErrMultipleValues, "")
		case values == 0 && f&FieldSum == 0:
			return dst, invalid(i, 0, ErrNoValue, "")
		}
		if detail := checkName(bn, r.Name); detail != "" {
			field := FieldName
			if r.Fields&FieldName == 0 {
				field = FieldBaseName
			}
			return dst, invalid(i, field, ErrName, detail)
		}
		t := bt + r.Time
		if t < RelativeLimit {
			t += now
		}
		if math.IsInf(t, 0) || math.IsNaN(t) {
			return dst, invalid(i, FieldTime, ErrNumber, "resolved time is not finite")
		}
		var out Record
		out.Fields = FieldName | FieldTime | values | f&FieldUpdateTime
		out.Name = concat(bn, r.Name)
		out.Time = t
		out.UpdateTime = r.UpdateTime
		switch {
		case f&FieldUnit != 0:
			out.Fields |= FieldUnit
			out.Unit = r.Unit
		case hasBU:
			out.Fields |= FieldUnit
			out.Unit = bu
		}
		switch values {
		case FieldValue:
			out.Value = bv + r.Value
			if math.IsInf(out.Value, 0) {
				return dst, invalid(i, FieldValue, ErrNumber, "resolved value is not finite")
			}
		case FieldStringValue:
			out.StringValue = r.StringValue
		case FieldBoolValue:
			out.BoolValue = r.BoolValue
		case FieldDataValue:
			out.DataValue = r.DataValue
		}
		if f&FieldSum != 0 || hasBS {
			out.Fields |= FieldSum
			out.Sum = bs + r.Sum
			if math.IsInf(out.Sum, 0) {
				return dst, invalid(i, FieldSum, ErrNumber, "resolved sum is not finite")
			}
		}
		if version != Version {
			out.Fields |= FieldBaseVersion
			out.BaseVersion = version
		}
		if emit {
			dst = append(dst, out)
		}
	}
	return dst, nil
}

// checkFields checks that the present numbers are finite and the present strings are UTF-8.
func (r *Record) checkFields(i int) error {
	f := r.Fields
	nums := [...]struct {
		f Field
		v float64
	}{
		{FieldBaseTime, r.BaseTime}, {FieldBaseValue, r.BaseValue}, {FieldBaseSum, r.BaseSum},
		{FieldValue, r.Value}, {FieldSum, r.Sum}, {FieldTime, r.Time}, {FieldUpdateTime, r.UpdateTime},
	}
	for _, n := range nums {
		if f&n.f != 0 && (math.IsNaN(n.v) || math.IsInf(n.v, 0)) {
			return invalid(i, n.f, ErrNumber, "not finite")
		}
	}
	strs := [...]struct {
		f Field
		s string
	}{
		{FieldBaseName, r.BaseName}, {FieldBaseUnit, r.BaseUnit}, {FieldName, r.Name},
		{FieldUnit, r.Unit}, {FieldStringValue, r.StringValue},
	}
	for _, s := range strs {
		if f&s.f != 0 && !utf8.ValidString(s.s) {
			return invalid(i, s.f, ErrText, "")
		}
	}
	return nil
}

// checkFinite reports the first present number that is NaN or infinite.
func (p Pack) checkFinite() error {
	for i := range p {
		if err := p[i].checkFields(i); err != nil && errorIs(err, ErrNumber) {
			return err
		}
	}
	return nil
}

func errorIs(err, target error) bool {
	e, ok := err.(*Error)
	return ok && e.Err == target
}

func concat(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + b
}

// checkName applies RFC 8428 §4.5.1 to the concatenation of bn and n without building it and
// returns what is wrong, or "" when the name is valid.
func checkName(bn, n string) string {
	if len(bn)+len(n) == 0 {
		return "empty name"
	}
	first := bn
	if first == "" {
		first = n
	}
	if c := first[0]; !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
		return "name must start with A-Z, a-z or 0-9"
	}
	for k, s := range [2]string{bn, n} {
		for j := 0; j < len(s); j++ {
			c := s[j]
			if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
				c == '-' || c == ':' || c == '.' || c == '/' || c == '_') {
				pos := j
				if k == 1 {
					pos += len(bn)
				}
				return "character " + strconv.Quote(string([]byte{c})) + " at byte " + strconv.Itoa(pos) + " of the name is outside A-Z a-z 0-9 - : . / _"
			}
		}
	}
	return ""
}
