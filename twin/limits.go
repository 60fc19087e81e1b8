package twin

import (
	"strconv"
	"unicode/utf8"
)

// Limits bound the size and shape of JSON values and twin sections. They are enforced while
// parsing (hostile input cannot make the parser allocate more than a small multiple of
// MaxDocumentBytes) and on the result of every update (an update that would break them fails
// and leaves the document unchanged). A zero field means its default; a negative field is
// invalid ([ErrInvalidLimits]).
type Limits struct {
	// MaxDocumentBytes bounds the compact JSON encoding of one section (desired or reported)
	// and the size of any input given to [Parse]. Default 32768 (32 KiB): Azure IoT Hub allows
	// 32 KB per twin section; AWS IoT Device Shadow allows 8 KB of state by default (callers
	// mirroring AWS set 8192).
	MaxDocumentBytes int
	// MaxDepth bounds the nesting of objects and arrays: a section's root object is depth 1,
	// {"a":{"b":1}} has depth 2, {"a":[[1]]} depth 3. Default 10, as Azure IoT Hub allows for
	// twin properties (AWS allows 6 levels under desired and reported; it fits).
	MaxDepth int
	// MaxKeyLength bounds the length in bytes of each object key. Default 256: keys are property
	// names, and the bound keeps paths and metadata small (Azure allows 1 KB keys).
	MaxKeyLength int
	// MaxKeys bounds the number of object members in one value or section, counted over all
	// nesting levels. Default 1024. Each member costs memory beyond its bytes (a tree node and a
	// metadata timestamp), so this bounds memory independently of the byte size.
	MaxKeys int
}

// Defaults for a zero [Limits] field.
const (
	DefaultMaxDocumentBytes = 32 << 10
	DefaultMaxDepth         = 10
	DefaultMaxKeyLength     = 256
	DefaultMaxKeys          = 1024
)

// Rule names one limit.
type Rule string

// The limit rules, as carried by [LimitError].
const (
	RuleDocumentBytes Rule = "max-document-bytes"
	RuleDepth         Rule = "max-depth"
	RuleKeyLength     Rule = "max-key-length"
	RuleKeys          Rule = "max-keys"
)

// LimitError reports a broken limit: the rule, the limit and what was found, the path of the
// offending value (e.g. "desired.network.wifi.ssid") and, when parsing bytes, the byte offset.
// It wraps [ErrLimit].
type LimitError struct {
	Rule   Rule
	Limit  int
	Actual int    // the size, depth or key length found; for max-keys, the count when the limit was hit (Limit+1)
	Path   string // "" for the whole input or section root
	Offset int    // byte offset in the input, or -1
}

// Error returns the message: rule, limit, value found, path and byte offset.
func (e *LimitError) Error() string {
	s := "twin: limit exceeded: " + string(e.Rule) + " " + strconv.Itoa(e.Limit) + " (found " + strconv.Itoa(e.Actual)
	if e.Rule == RuleKeys {
		s += " or more"
	}
	s += ")"
	if e.Path != "" {
		s += " at " + e.Path
	}
	if e.Offset >= 0 {
		s += " (byte offset " + strconv.Itoa(e.Offset) + ")"
	}
	return s
}

// Unwrap returns [ErrLimit].
func (e *LimitError) Unwrap() error { return ErrLimit }

// withDefaults returns l with zero fields set to their defaults, or an error for negative fields.
func (l Limits) withDefaults() (Limits, error) {
	for _, f := range [...]struct {
		name string
		v    *int
		def  int
	}{
		{"MaxDocumentBytes", &l.MaxDocumentBytes, DefaultMaxDocumentBytes},
		{"MaxDepth", &l.MaxDepth, DefaultMaxDepth},
		{"MaxKeyLength", &l.MaxKeyLength, DefaultMaxKeyLength},
		{"MaxKeys", &l.MaxKeys, DefaultMaxKeys},
	} {
		if *f.v < 0 {
			return l, &limitsError{field: f.name, value: *f.v}
		}
		if *f.v == 0 {
			*f.v = f.def
		}
	}
	return l, nil
}

type limitsError struct {
	field string
	value int
}

func (e *limitsError) Error() string {
	return "twin: invalid limits: " + e.field + " is " + strconv.Itoa(e.value) + ", must be >= 0 (0 means the default)"
}

func (e *limitsError) Unwrap() error { return ErrInvalidLimits }

// Check reports whether v keeps the limits, as a [*LimitError] naming the first offending path
// (prefixed with prefix, e.g. "desired"); key count and size are totals over v. It also requires
// every key and string to be valid UTF-8 (a [*SyntaxError] otherwise), since only such values
// encode and parse back unchanged. [Document.Apply] runs it on every result.
func (l Limits) Check(v Value, prefix string) error {
	l, err := l.withDefaults()
	if err != nil {
		return err
	}
	return l.check(v, prefix)
}

func (l Limits) check(v Value, prefix string) error {
	c := checker{lim: l}
	if !c.walk(v, 0) {
		var path []pathSeg
		if prefix != "" {
			path = append(path, pathSeg{key: prefix, raw: true})
		}
		for i := len(c.rev) - 1; i >= 0; i-- {
			path = append(path, c.rev[i])
		}
		return c.fail(renderPath(path))
	}
	if c.size > l.MaxDocumentBytes {
		return &LimitError{Rule: RuleDocumentBytes, Limit: l.MaxDocumentBytes, Actual: c.size, Path: prefix, Offset: -1}
	}
	return nil
}

// checker walks a value once, counting keys and encoded bytes. On the first failure it records
// the error (without its path) and collects the path on the way back up, in reverse.
type checker struct {
	lim  Limits
	keys int
	size int
	fail func(path string) error
	rev  []pathSeg
}

func (c *checker) limit(r Rule, limit, actual int) bool {
	c.fail = func(path string) error {
		return &LimitError{Rule: r, Limit: limit, Actual: actual, Path: path, Offset: -1}
	}
	return false
}

func (c *checker) syntax(msg string) bool {
	c.fail = func(path string) error { return &SyntaxError{Offset: -1, Path: path, Msg: msg} }
	return false
}

func (c *checker) walk(v Value, depth int) bool {
	switch v.kind {
	case Object, Array:
	case String:
		c.size += stringLen(v.s)
		if !utf8.ValidString(v.s) {
			return c.syntax("string is not valid UTF-8")
		}
		return true
	default:
		c.size += encodedLen(v)
		return true
	}
	depth++
	if depth > c.lim.MaxDepth {
		return c.limit(RuleDepth, c.lim.MaxDepth, depth)
	}
	c.size += 2
	if len(v.obj) > 1 {
		c.size += len(v.obj) - 1
	}
	if v.kind == Array {
		for i, m := range v.obj {
			if !c.walk(m.Value, depth) {
				c.rev = append(c.rev, pathSeg{index: i, isIndex: true})
				return false
			}
		}
		return true
	}
	for _, m := range v.obj {
		ok := true
		c.keys++
		switch {
		case c.keys > c.lim.MaxKeys:
			ok = c.limit(RuleKeys, c.lim.MaxKeys, c.keys)
		case len(m.Key) > c.lim.MaxKeyLength:
			ok = c.limit(RuleKeyLength, c.lim.MaxKeyLength, len(m.Key))
		case !utf8.ValidString(m.Key):
			ok = c.syntax("key is not valid UTF-8")
		default:
			c.size += stringLen(m.Key) + 1
			ok = c.walk(m.Value, depth)
		}
		if !ok {
			c.rev = append(c.rev, pathSeg{key: m.Key})
			return false
		}
	}
	return true
}
