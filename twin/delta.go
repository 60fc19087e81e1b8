package twin

// Leaf is one value with its full path, as listed by [DeltaLeaves].
type Leaf struct {
	Path  Path
	Value Value
}

// Delta returns the desired leaves whose value differs from reported, as an object shaped like
// desired (AWS IoT Device Shadow delta semantics): leaves are compared at their full path,
// arrays are compared whole, a desired leaf missing from reported is included, keys only in
// reported never appear, and an empty desired object has no leaves and so never appears. When a
// desired object meets a reported leaf, every desired leaf below it differs and the whole object
// is included. Numbers compare by value ([Equal]). The result is {} when reported is in sync.
func Delta(desired, reported Value) Value {
	if desired.kind != Object {
		return EmptyObject()
	}
	b := deltaBuilder{stack: make([]Member, 0, 16)}
	v, any := b.object(desired, reported)
	if !any {
		return EmptyObject()
	}
	return v
}

// deltaBuilder collects the members of the objects being built on one stack, so that each
// delta object is allocated once at its exact size.
type deltaBuilder struct {
	stack []Member
}

// object returns the delta of object d against r (r may be a non-object, meaning nothing below
// d is reported) and whether it has any leaf.
func (b *deltaBuilder) object(d, r Value) (Value, bool) {
	base := len(b.stack)
	var rl []Member
	if r.kind == Object {
		rl = r.obj
	}
	for _, m := range d.obj {
		// Both member lists are sorted: walk reported alongside desired.
		for len(rl) > 0 && rl[0].Key < m.Key {
			rl = rl[1:]
		}
		ok := len(rl) > 0 && rl[0].Key == m.Key
		var rv Value
		if ok {
			rv = rl[0].Value
		}
		if m.Value.kind == Object {
			if !ok || rv.kind != Object {
				if hasLeaf(m.Value) {
					b.stack = append(b.stack, m)
				}
				continue
			}
			if sub, any := b.object(m.Value, rv); any {
				b.stack = append(b.stack, Member{Key: m.Key, Value: sub})
			}
			continue
		}
		if !ok || !Equal(m.Value, rv) {
			b.stack = append(b.stack, m)
		}
	}
	if len(b.stack) == base {
		return Value{}, false
	}
	out := make([]Member, len(b.stack)-base)
	copy(out, b.stack[base:])
	clear(b.stack[base:])
	b.stack = b.stack[:base]
	return Value{kind: Object, obj: out}, true
}

// hasLeaf reports whether object v has a non-object value somewhere below it.
func hasLeaf(v Value) bool {
	for _, m := range v.obj {
		if m.Value.kind != Object || hasLeaf(m.Value) {
			return true
		}
	}
	return false
}

// DeltaLeaves appends to dst the leaves of [Delta](desired, reported), each with its full path,
// in path order (keys sorted bytewise at each level), and returns the extended slice.
func DeltaLeaves(dst []Leaf, desired, reported Value) []Leaf {
	if desired.kind != Object {
		return dst
	}
	return deltaLeaves(dst, desired, reported, nil)
}

func deltaLeaves(dst []Leaf, d, r Value, path Path) []Leaf {
	for _, m := range d.obj {
		p := append(path[:len(path):len(path)], m.Key)
		rv, ok := r.Lookup(m.Key)
		if m.Value.kind == Object {
			if !ok || rv.kind != Object {
				rv = Value{}
			}
			dst = deltaLeaves(dst, m.Value, rv, p)
			continue
		}
		if !ok || !Equal(m.Value, rv) {
			dst = append(dst, Leaf{Path: p, Value: m.Value})
		}
	}
	return dst
}

// Delta returns [Delta](d.Desired(), d.Reported()).
func (d *Document) Delta() Value { return Delta(d.desired, d.reported) }

// DeltaLeaves appends the delta's leaves to dst; see [DeltaLeaves].
func (d *Document) DeltaLeaves(dst []Leaf) []Leaf { return DeltaLeaves(dst, d.desired, d.reported) }
