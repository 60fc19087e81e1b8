package twin

import (
	"slices"
	"strconv"
	"strings"
)

// Kind is the JSON type of a [Value].
type Kind uint8

// The JSON kinds. The zero [Value] is [Null].
const (
	Null Kind = iota
	Bool
	Number
	String
	Array
	Object
)

// String returns the JSON name of the kind ("null", "boolean", "number", "string", "array", "object").
func (k Kind) String() string {
	switch k {
	case Null:
		return "null"
	case Bool:
		return "boolean"
	case Number:
		return "number"
	case String:
		return "string"
	case Array:
		return "array"
	case Object:
		return "object"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Value is an immutable JSON value: null, a boolean, a number kept as its literal text, a string,
// an array or an object whose members are sorted by key (bytewise) and unique.
//
// Values are never modified in place: [Merge], [Set], [Delete] and [Document.Apply] build new
// values that share unchanged subtrees with the old ones, so a Value may be kept, compared and
// shared freely (also between goroutines). The zero Value is null.
type Value struct {
	kind Kind
	b    bool
	s    string   // string contents, or the number literal
	obj  []Member // Object members, sorted by Key, unique; or Array elements, with empty keys
}

// Member is one key/value pair of a JSON object.
type Member struct {
	Key   string
	Value Value
}

// NullValue returns JSON null (the same as the zero Value).
func NullValue() Value { return Value{} }

// BoolOf returns a JSON boolean.
func BoolOf(b bool) Value { return Value{kind: Bool, b: b} }

// StringOf returns a JSON string. s should be valid UTF-8: [Value.AppendJSON] writes invalid
// bytes as U+FFFD, and [Document.Apply] and [Limits.Check] reject such strings.
func StringOf(s string) Value { return Value{kind: String, s: s} }

// IntOf returns a JSON number holding i exactly.
func IntOf(i int64) Value { return Value{kind: Number, s: strconv.FormatInt(i, 10)} }

// UintOf returns a JSON number holding u exactly.
func UintOf(u uint64) Value { return Value{kind: Number, s: strconv.FormatUint(u, 10)} }

// FloatOf returns a JSON number holding f in its shortest round-trip form. JSON has no NaN or
// infinity: those fail with [ErrNumber].
func FloatOf(f float64) (Value, error) {
	if f != f || f > maxFloat || f < -maxFloat {
		return Value{}, &NumberError{Literal: strconv.FormatFloat(f, 'g', -1, 64)}
	}
	return Value{kind: Number, s: strconv.FormatFloat(f, 'g', -1, 64)}, nil
}

const maxFloat = 1.7976931348623157e308

// NumberOf returns a JSON number with the given literal text, which must follow the RFC 8259
// number grammar (for example "12", "-0.5", "1e400", "123456789012345678901234567890"); the
// literal is kept as written, so it round-trips exactly. Otherwise it fails with [ErrNumber].
func NumberOf(literal string) (Value, error) {
	if !validNumber(literal) {
		return Value{}, &NumberError{Literal: literal}
	}
	return Value{kind: Number, s: literal}, nil
}

// ArrayOf returns a JSON array of the given elements.
func ArrayOf(elems ...Value) Value {
	ms := make([]Member, len(elems))
	for i, e := range elems {
		ms[i].Value = e
	}
	return Value{kind: Array, obj: ms}
}

// ObjectOf returns a JSON object of the given members, sorted by key. Two members with the same
// key fail with [ErrDuplicateKey]. ObjectOf() is the empty object.
func ObjectOf(members ...Member) (Value, error) {
	ms := slices.Clone(members)
	if !sortMembers(ms) {
		for i := 1; i < len(ms); i++ {
			if ms[i].Key == ms[i-1].Key {
				return Value{}, &SyntaxError{Offset: -1, Path: Path{ms[i].Key}.String(), Msg: "duplicate key", Duplicate: true}
			}
		}
	}
	if ms == nil {
		ms = []Member{}
	}
	return Value{kind: Object, obj: ms}, nil
}

// EmptyObject returns {}.
func EmptyObject() Value { return Value{kind: Object, obj: []Member{}} }

// sortMembers sorts ms by key and reports whether the keys are unique.
func sortMembers(ms []Member) bool {
	sorted := true
	for i := 1; i < len(ms); i++ {
		if ms[i-1].Key >= ms[i].Key {
			sorted = false
			break
		}
	}
	if sorted {
		return true
	}
	slices.SortStableFunc(ms, func(a, b Member) int { return strings.Compare(a.Key, b.Key) })
	for i := 1; i < len(ms); i++ {
		if ms[i].Key == ms[i-1].Key {
			return false
		}
	}
	return true
}

// Kind returns the JSON type of v.
func (v Value) Kind() Kind { return v.kind }

// IsNull reports whether v is JSON null.
func (v Value) IsNull() bool { return v.kind == Null }

// AsBool returns the boolean and true if v is a boolean.
func (v Value) AsBool() (bool, bool) { return v.b, v.kind == Bool }

// AsString returns the string and true if v is a string.
func (v Value) AsString() (string, bool) {
	if v.kind != String {
		return "", false
	}
	return v.s, true
}

// Literal returns the literal text of a number ("" for other kinds).
func (v Value) Literal() string {
	if v.kind != Number {
		return ""
	}
	return v.s
}

// AsFloat64 returns the number as the nearest float64, and false if v is not a number or its
// magnitude is beyond float64.
func (v Value) AsFloat64() (float64, bool) {
	if v.kind != Number {
		return 0, false
	}
	f, err := strconv.ParseFloat(v.s, 64)
	return f, err == nil
}

// AsInt64 returns the number and true if v is a number written as an integer (no fraction or
// exponent) that fits an int64.
func (v Value) AsInt64() (int64, bool) {
	if v.kind != Number {
		return 0, false
	}
	i, err := strconv.ParseInt(v.s, 10, 64)
	return i, err == nil
}

// AsUint64 returns the number and true if v is a number written as a non-negative integer that
// fits a uint64.
func (v Value) AsUint64() (uint64, bool) {
	if v.kind != Number {
		return 0, false
	}
	u, err := strconv.ParseUint(v.s, 10, 64)
	return u, err == nil
}

// Len returns the number of elements of an array or members of an object, and 0 otherwise.
func (v Value) Len() int {
	switch v.kind {
	case Array, Object:
		return len(v.obj)
	}
	return 0
}

// Index returns element i of an array, and false if v is not an array or i is out of range.
func (v Value) Index(i int) (Value, bool) {
	if v.kind != Array || i < 0 || i >= len(v.obj) {
		return Value{}, false
	}
	return v.obj[i].Value, true
}

// Members returns the members of an object sorted by key (nil otherwise). The slice is shared:
// do not modify it.
func (v Value) Members() []Member {
	if v.kind != Object {
		return nil
	}
	return v.obj
}

// Lookup returns the member value of an object under key.
func (v Value) Lookup(key string) (Value, bool) {
	if v.kind != Object {
		return Value{}, false
	}
	i, ok := v.find(key)
	if !ok {
		return Value{}, false
	}
	return v.obj[i].Value, true
}

// find returns the index of key in an object, or where it would be inserted.
func (v Value) find(key string) (int, bool) {
	ms := v.obj
	if len(ms) <= 8 {
		for i := range ms {
			if c := strings.Compare(ms[i].Key, key); c >= 0 {
				return i, c == 0
			}
		}
		return len(ms), false
	}
	lo, hi := 0, len(ms)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if ms[m].Key < key {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < len(ms) && ms[lo].Key == key
}

// Equal reports whether a and b are the same JSON value. Numbers compare by numeric value
// exactly (1, 1.0, 10e-1 and 0.1e1 are equal, and so are 0 and -0; no float rounding is involved),
// objects compare as sets of members, arrays element by element.
func Equal(a, b Value) bool {
	if a.kind != b.kind {
		return false
	}
	switch a.kind {
	case Null:
		return true
	case Bool:
		return a.b == b.b
	case String:
		return a.s == b.s
	case Number:
		return a.s == b.s || numberEqual(a.s, b.s)
	case Array, Object:
		if len(a.obj) != len(b.obj) {
			return false
		}
		for i := range a.obj {
			if a.obj[i].Key != b.obj[i].Key || !Equal(a.obj[i].Value, b.obj[i].Value) {
				return false
			}
		}
		return true
	}
	return false
}

// String returns the compact JSON encoding of v (see [Value.AppendJSON]).
func (v Value) String() string { return string(v.AppendJSON(nil)) }
