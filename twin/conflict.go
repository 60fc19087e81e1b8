package twin

import (
	"math"
	"time"
)

// Policy decides which side wins when two reported patches set the same leaf.
type Policy uint8

const (
	// DeviceWins keeps the local (device) value of every conflicting leaf: the device is the
	// authority on what it has, so its offline changes override what others reported meanwhile.
	DeviceWins Policy = iota
	// LastWriterWins keeps the value written last according to the per-leaf timestamps; on a
	// tie the local side wins. Clock skew between the writers decides close calls, as with any
	// last-writer-wins scheme.
	LastWriterWins
)

// Stamped is a merge patch with the time each of its leaves was written: Stamps has the shape
// of Patch, with every leaf (including the nulls that delete) replaced by a Unix-millisecond
// number. A [Document]'s metadata ([Document.Metadata]) is a valid Stamps tree for any patch
// drawn from that section. A leaf with no stamp counts as written at the earliest possible time.
type Stamped struct {
	Patch  Value
	Stamps Value
}

// StampPatch returns patch with every leaf stamped at.
func StampPatch(patch Value, at time.Time) Stamped {
	return Stamped{Patch: patch, Stamps: stampLeaves(patch, IntOf(at.UnixMilli()))}
}

func stampLeaves(v, stamp Value) Value {
	if v.kind != Object {
		return stamp
	}
	out := make([]Member, len(v.obj))
	for i, m := range v.obj {
		out[i] = Member{Key: m.Key, Value: stampLeaves(m.Value, stamp)}
	}
	return Value{kind: Object, obj: out}
}

// Resolve merges two reported patches made against the same state — local (changes the device
// made, for example while offline) and remote (changes that reached the twin meanwhile) — into
// one patch, with the stamps of what it kept. Where the two patches are objects at the same path
// their members are combined; a member present on one side only is kept; where either side
// holds a leaf (scalar, array or null) at a path the other also sets, that is a conflict and
// policy picks the whole subtree of one side. Under [LastWriterWins] the side's time for a
// subtree is the latest stamp in it. Apply the result with
// Update{Section: Reported, Patch: r.Patch, Stamps: r.Stamps} so the metadata keeps the
// winning times.
func Resolve(local, remote Stamped, policy Policy) Stamped {
	p, s := resolve(local.Patch, local.Stamps, remote.Patch, remote.Stamps, policy)
	return Stamped{Patch: p, Stamps: s}
}

func resolve(lp, ls, rp, rs Value, policy Policy) (Value, Value) {
	if lp.kind == Object && rp.kind == Object {
		var out, outS []Member
		ll, rl := lp.obj, rp.obj
		for len(ll) > 0 || len(rl) > 0 {
			switch c := cmpHeads(ll, rl); {
			case c < 0:
				out = append(out, ll[0])
				outS = appendStamp(outS, ll[0].Key, stampOf(ls, ll[0].Key))
				ll = ll[1:]
			case c > 0:
				out = append(out, rl[0])
				outS = appendStamp(outS, rl[0].Key, stampOf(rs, rl[0].Key))
				rl = rl[1:]
			default:
				v, s := resolve(ll[0].Value, stampOf(ls, ll[0].Key), rl[0].Value, stampOf(rs, rl[0].Key), policy)
				out = append(out, Member{Key: ll[0].Key, Value: v})
				outS = appendStamp(outS, ll[0].Key, s)
				ll, rl = ll[1:], rl[1:]
			}
		}
		if out == nil {
			out, outS = []Member{}, []Member{}
		}
		return Value{kind: Object, obj: out}, Value{kind: Object, obj: outS}
	}
	if policy == LastWriterWins && latestOr(rs) > latestOr(ls) {
		return rp, rs
	}
	return lp, ls
}

// appendStamp appends a stamp member unless the stamp is missing (null).
func appendStamp(ms []Member, key string, stamp Value) []Member {
	if stamp.kind == Null {
		return ms
	}
	return append(ms, Member{Key: key, Value: stamp})
}

func stampOf(stamps Value, key string) Value {
	v, _ := stamps.Lookup(key)
	return v
}

func latestOr(stamps Value) int64 {
	t, ok := latestStamp(stamps)
	if !ok {
		return math.MinInt64
	}
	return t
}
