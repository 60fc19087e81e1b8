package twin

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Path addresses a value inside nested objects, one key per step: Path{"network", "wifi",
// "ssid"}. Arrays are leaves in a twin (merge patches replace them whole), so a Path never steps
// into one.
type Path []string

// String renders the path with dots: network.wifi.ssid. A key that is empty or holds '.', '[',
// ']', '"' or '\', or is not valid UTF-8, is rendered as a quoted JSON string in brackets:
// a["b.c"].d. The empty path renders as "".
func (p Path) String() string {
	var b strings.Builder
	for i, k := range p {
		appendKey(&b, k, i == 0)
	}
	return b.String()
}

// pathSeg is one step of a path while parsing or checking: an object key or an array index. raw
// keys (section names used as prefixes) are written as they are.
type pathSeg struct {
	key     string
	index   int
	isIndex bool
	raw     bool
}

func renderPath(segs []pathSeg) string {
	var b strings.Builder
	for i, s := range segs {
		switch {
		case s.isIndex:
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.index))
			b.WriteByte(']')
		case s.raw:
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s.key)
		default:
			appendKey(&b, s.key, i == 0)
		}
	}
	return b.String()
}

func appendKey(b *strings.Builder, k string, first bool) {
	if k == "" || strings.ContainsAny(k, `.[]"\`) || !utf8.ValidString(k) {
		b.WriteByte('[')
		b.Write(appendString(nil, k))
		b.WriteByte(']')
		return
	}
	if !first {
		b.WriteByte('.')
	}
	b.WriteString(k)
}

// Get returns the value at path inside v, stepping through objects. Get() returns v itself.
func (v Value) Get(path ...string) (Value, bool) {
	for _, k := range path {
		next, ok := v.Lookup(k)
		if !ok {
			return Value{}, false
		}
		v = next
	}
	return v, true
}

// Set returns a copy of v with val stored at path; v is not modified. Missing objects along the
// path are created, and a null v is treated as {}. A step into a value that exists but is not
// an object fails with [ErrNotObject]. Set stores val as given, null included, which makes it the
// way to build a merge patch: Set(patch, NullValue(), "a", "b") yields {"a":{"b":null}}, a patch
// that deletes a.b. Set with an empty path returns val.
func Set(v Value, val Value, path ...string) (Value, error) {
	if len(path) == 0 {
		return val, nil
	}
	if v.kind == Null {
		v = EmptyObject()
	}
	if v.kind != Object {
		return Value{}, &pathError{op: "set", path: Path(path), at: 0, kind: v.kind}
	}
	var (
		child Value
		err   error
	)
	i, found := v.find(path[0])
	if found {
		child = v.obj[i].Value
		if len(path) > 1 && child.kind != Object {
			return Value{}, &pathError{op: "set", path: Path(path), at: 1, kind: child.kind}
		}
	}
	child, err = Set(child, val, path[1:]...)
	if err != nil {
		var pe *pathError
		if asPathError(err, &pe) {
			pe.path = Path(path)
			pe.at++
		}
		return Value{}, err
	}
	return v.with(i, found, path[0], child), nil
}

// Delete returns a copy of v without the member at path (v itself if there is none).
func Delete(v Value, path ...string) Value {
	out, _ := deletePath(v, path)
	return out
}

func deletePath(v Value, path []string) (Value, bool) {
	if len(path) == 0 || v.kind != Object {
		return v, false
	}
	i, found := v.find(path[0])
	if !found {
		return v, false
	}
	if len(path) == 1 {
		ms := make([]Member, 0, len(v.obj)-1)
		ms = append(ms, v.obj[:i]...)
		ms = append(ms, v.obj[i+1:]...)
		return Value{kind: Object, obj: ms}, true
	}
	nc, deleted := deletePath(v.obj[i].Value, path[1:])
	if !deleted {
		return v, false
	}
	return v.with(i, true, path[0], nc), true
}

// with returns a copy of object v with key set to val at index i (replacing it when found).
func (v Value) with(i int, found bool, key string, val Value) Value {
	n := len(v.obj)
	if !found {
		n++
	}
	ms := make([]Member, 0, n)
	ms = append(ms, v.obj[:i]...)
	ms = append(ms, Member{Key: key, Value: val})
	if found {
		i++
	}
	ms = append(ms, v.obj[i:]...)
	return Value{kind: Object, obj: ms}
}

// pathError reports a path step into a non-object. It wraps [ErrNotObject].
type pathError struct {
	op   string
	path Path
	at   int // index of the step whose value is not an object
	kind Kind
}

func (e *pathError) Error() string {
	where := Path(e.path[:e.at]).String()
	if where == "" {
		where = "the root"
	}
	return "twin: " + e.op + " " + e.path.String() + ": " + where + " is a " + e.kind.String() + ", not an object"
}

func (e *pathError) Unwrap() error { return ErrNotObject }

func asPathError(err error, target **pathError) bool {
	pe, ok := err.(*pathError)
	if ok {
		*target = pe
	}
	return ok
}
