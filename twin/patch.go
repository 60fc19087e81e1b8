package twin

import "strings"

// Merge applies patch to target as a JSON merge patch (RFC 7396 section 2) and returns the
// result; neither argument is modified and unchanged subtrees are shared. A non-object patch
// replaces the target; an object patch merges member by member: null deletes the member, an
// object merges recursively (into {} when the member is missing or not an object), any other
// value replaces the member. Arrays are never merged, only replaced.
//
// Merge is the bare RFC algorithm with no limits; [Document.Apply] adds the twin rules (object
// patches only, limits, metadata, version).
func Merge(target, patch Value) Value {
	if patch.kind != Object {
		return patch
	}
	if target.kind != Object {
		target = EmptyObject()
	}
	out := make([]Member, 0, len(target.obj)+len(patch.obj))
	t, p := target.obj, patch.obj
	for len(t) > 0 || len(p) > 0 {
		switch c := cmpHeads(t, p); {
		case c < 0: // only in target
			out = append(out, t[0])
			t = t[1:]
		case c > 0: // only in patch
			if pv := p[0].Value; pv.kind != Null {
				out = append(out, Member{Key: p[0].Key, Value: Merge(Value{}, pv)})
			}
			p = p[1:]
		default:
			if pv := p[0].Value; pv.kind != Null {
				out = append(out, Member{Key: p[0].Key, Value: Merge(t[0].Value, pv)})
			}
			t, p = t[1:], p[1:]
		}
	}
	return Value{kind: Object, obj: out}
}

// cmpHeads compares the first keys of two sorted member lists; an empty list sorts last.
func cmpHeads(t, p []Member) int {
	switch {
	case len(t) == 0:
		return 1
	case len(p) == 0:
		return -1
	}
	return strings.Compare(t[0].Key, p[0].Key)
}

// Changes reports whether Merge(target, patch) differs from target, without building it: the
// "did this patch change anything" test of a reconcile loop. Numbers compare by value (see [Equal]).
func Changes(target, patch Value) bool {
	if patch.kind != Object {
		return !Equal(target, patch)
	}
	if target.kind != Object {
		return true
	}
	for _, m := range patch.obj {
		tv, ok := target.Lookup(m.Key)
		switch {
		case m.Value.kind == Null:
			if ok {
				return true
			}
		case !ok:
			return true
		case Changes(tv, m.Value):
			return true
		}
	}
	return false
}

// Diff returns a merge patch that turns from into to: Merge(from, Diff(from, to)) equals to.
// Members missing from to become null, changed leaves and arrays are carried whole, equal
// subtrees are left out; Diff of equal objects is {}. A merge patch cannot create an object
// member whose value is null (null means delete), so a to holding one fails with
// [ErrUnrepresentable] naming its path. Twin sections never hold such members.
func Diff(from, to Value) (Value, error) {
	if to.kind != Object {
		return to, nil
	}
	if from.kind != Object {
		if p, ok := findNullMember(to, nil); ok {
			return Value{}, &unrepresentableError{path: p}
		}
		return to, nil
	}
	return diffObjects(from, to, nil)
}

func diffObjects(from, to Value, path Path) (Value, error) {
	out := []Member{}
	t, p := from.obj, to.obj
	for len(t) > 0 || len(p) > 0 {
		switch c := cmpHeads(t, p); {
		case c < 0: // removed
			out = append(out, Member{Key: t[0].Key})
			t = t[1:]
		case c > 0: // added
			if err := noNullMember(p[0], path); err != nil {
				return Value{}, err
			}
			out = append(out, p[0])
			p = p[1:]
		default:
			fv, tv := t[0].Value, p[0].Value
			if err := noNullMember(p[0], path); err != nil {
				return Value{}, err
			}
			switch {
			case fv.kind == Object && tv.kind == Object:
				sub, err := diffObjects(fv, tv, append(path, p[0].Key))
				if err != nil {
					return Value{}, err
				}
				if len(sub.obj) > 0 {
					out = append(out, Member{Key: p[0].Key, Value: sub})
				}
			case !Equal(fv, tv):
				out = append(out, p[0])
			}
			t, p = t[1:], p[1:]
		}
	}
	return Value{kind: Object, obj: out}, nil
}

func noNullMember(m Member, path Path) error {
	p := append(path[:len(path):len(path)], m.Key)
	if m.Value.kind == Null {
		return &unrepresentableError{path: p}
	}
	if q, ok := findNullMember(m.Value, p); ok {
		return &unrepresentableError{path: q}
	}
	return nil
}

// findNullMember returns the path of the first object member (at any depth, not inside arrays)
// whose value is null.
func findNullMember(v Value, path Path) (Path, bool) {
	for _, m := range v.Members() {
		p := append(path[:len(path):len(path)], m.Key)
		if m.Value.kind == Null {
			return p, true
		}
		if q, ok := findNullMember(m.Value, p); ok {
			return q, true
		}
	}
	return nil, false
}

// unrepresentableError names the null member a merge patch cannot create. It wraps ErrUnrepresentable.
type unrepresentableError struct {
	path Path
}

func (e *unrepresentableError) Error() string {
	return "twin: diff: member " + e.path.String() + " is null, which a merge patch cannot express (null deletes)"
}

func (e *unrepresentableError) Unwrap() error { return ErrUnrepresentable }
