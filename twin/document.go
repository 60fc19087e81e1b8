package twin

import (
	"math"
	"strconv"
	"time"
)

// Section names one half of a twin's state.
type Section uint8

// The two sections. The zero Section is invalid, so an [Update] must say which it patches.
const (
	Desired  Section = iota + 1 // what the cloud (operator, application) wants
	Reported                    // what the device says it has
)

// String returns "desired" or "reported".
func (s Section) String() string {
	switch s {
	case Desired:
		return "desired"
	case Reported:
		return "reported"
	}
	return "section(" + strconv.Itoa(int(s)) + ")"
}

// Document is one digital twin: the desired and reported sections (JSON objects), per-leaf
// update times for each, desired-change acknowledgements, and a version. The zero Document is
// an empty twin at version 0 with default limits. A Document is not safe for concurrent use;
// the values it returns are immutable and may be shared.
type Document struct {
	// Name optionally names the twin (e.g. "" for the classic twin, "config" for a named one).
	// The package only carries it into the JSON encoding; a store keys documents by (device, Name).
	Name string
	// Limits apply to each section and to the acknowledgements; zero fields mean the defaults.
	Limits Limits

	desired, reported         Value // objects, or null meaning {}
	desiredMeta, reportedMeta Value // same shape, each leaf a Number of Unix milliseconds
	acks                      []Ack // sorted by Property, unique
	version                   uint64
	desiredVersion            uint64
	updated                   int64 // Unix milliseconds of the last accepted update, 0 if none
}

// Ack acknowledges a desired property, the way an Azure IoT Plug and Play device answers a
// writable property: with a status code, the desired version it applied and a description.
// Acks live in their own section of the document, keyed by Property; they are written with
// reported updates ([Update.Acks]) and never take part in the delta.
type Ack struct {
	// Property is the top-level desired property acknowledged (a key of the desired object).
	Property string
	// Code is the status ("ac"), HTTP-like: 200 applied, 202 in progress, 400 rejected, 500 failed.
	Code int
	// Version is the desired version applied ("av"): a [Document.DesiredVersion] the device saw.
	Version uint64
	// Description is a human-readable detail ("ad"); may be empty.
	Description string
}

// Update is one change to a document: a merge patch for one section, optionally with
// acknowledgements, a compare-and-set version and a client token.
type Update struct {
	// Section is the section Patch applies to: [Desired] or [Reported].
	Section Section
	// Patch is an RFC 7396 merge patch and must be an object ({} for an update that only carries
	// Acks). Build it with [ParseObject], [ObjectOf] or [Set].
	Patch Value
	// Acks, allowed only with Section Reported, replace the acknowledgements of their properties.
	Acks []Ack
	// CheckVersion makes the update a compare-and-set: it fails with [ErrConflict] unless the
	// document is at Version.
	CheckVersion bool
	// Version is the expected current version when CheckVersion is set.
	Version uint64
	// ClientToken is echoed in the [Result] for correlation; the package does not interpret it.
	ClientToken string
	// Time stamps every leaf the patch touches and becomes the document's timestamp; it is
	// required (the package reads no clock).
	Time time.Time
	// Stamps optionally gives per-leaf write times for Patch, shaped like it, with Unix
	// millisecond integers as leaves (see [Stamped]): for example the times of offline changes
	// coalesced into one patch, so that metadata keeps when each leaf really changed. A number
	// in place of an object stamps every leaf below; leaves without a stamp get Time. Zero (null)
	// means no per-leaf times.
	Stamps Value
}

// Result describes an accepted update.
type Result struct {
	Version     uint64    // the document's new version (previous + 1)
	ClientToken string    // Update.ClientToken, echoed
	Changed     bool      // whether any value or acknowledgement changed
	Time        time.Time // Update.Time, at millisecond precision
}

// Version returns the document version: the number of accepted updates.
func (d *Document) Version() uint64 { return d.version }

// DesiredVersion returns the version at which the desired section was last updated (0 if never):
// the version a device names in [Ack.Version].
func (d *Document) DesiredVersion() uint64 { return d.desiredVersion }

// Timestamp returns the time of the last accepted update (the zero time if none).
func (d *Document) Timestamp() time.Time {
	if d.version == 0 {
		return time.Time{}
	}
	return time.UnixMilli(d.updated).UTC()
}

// Desired returns the desired section, an object.
func (d *Document) Desired() Value { return orEmpty(d.desired) }

// Reported returns the reported section, an object.
func (d *Document) Reported() Value { return orEmpty(d.reported) }

// State returns the given section ({} for an invalid Section).
func (d *Document) State(s Section) Value {
	data, _ := d.section(s)
	return orEmpty(data)
}

// Metadata returns the metadata tree of a section: an object of the same shape as the section
// in which every leaf (scalar or array) is replaced by its last update time in Unix milliseconds.
func (d *Document) Metadata(s Section) Value {
	_, meta := d.section(s)
	return orEmpty(meta)
}

// Updated returns when the value at path in section s was last written: the leaf's time, or for
// an object the latest time of any leaf below it. It returns false when there is no such value
// or no leaf below it.
func (d *Document) Updated(s Section, path ...string) (time.Time, bool) {
	_, meta := d.section(s)
	m, ok := meta.Get(path...)
	if !ok {
		return time.Time{}, false
	}
	ms, ok := latestStamp(m)
	if !ok {
		return time.Time{}, false
	}
	return time.UnixMilli(ms).UTC(), true
}

// Acks returns the acknowledgements, sorted by property. The slice is a copy.
func (d *Document) Acks() []Ack { return append([]Ack(nil), d.acks...) }

// Ack returns the acknowledgement of a desired property.
func (d *Document) Ack(property string) (Ack, bool) {
	i, ok := findAck(d.acks, property)
	if !ok {
		return Ack{}, false
	}
	return d.acks[i], true
}

// Clone returns an independent copy of d (values are immutable, so this is cheap).
func (d *Document) Clone() *Document {
	c := *d
	c.acks = d.Acks()
	return &c
}

func (d *Document) section(s Section) (data, meta Value) {
	switch s {
	case Desired:
		return d.desired, d.desiredMeta
	case Reported:
		return d.reported, d.reportedMeta
	}
	return Value{}, Value{}
}

func orEmpty(v Value) Value {
	if v.kind != Object {
		return EmptyObject()
	}
	return v
}

// Apply applies an update: it checks the expected version, merges the patch into the section
// (RFC 7396), stamps every leaf the patch sets with u.Time and drops the metadata of deleted
// leaves, records the acknowledgements, checks the limits on the result, and on success
// increments the version by exactly one.
//
// Every accepted update increments the version, also one that changes nothing (as AWS IoT does):
// the touched leaves get the new time and Result.Changed is false, so a caller can skip
// publishing. A failed update leaves the document exactly as it was. Errors: [ErrConflict]
// (stale expected version), [ErrNotObject] (patch not an object), [ErrLimit] (the result would
// break a limit, with the path, e.g. desired.network.wifi.ssid), [ErrSyntax] (a key or string
// that is not valid UTF-8), [ErrInvalidUpdate] (no time, bad section or acknowledgement, version
// exhausted), [ErrInvalidLimits].
func (d *Document) Apply(u Update) (Result, error) {
	lim, err := d.Limits.withDefaults()
	if err != nil {
		return Result{}, err
	}
	if u.Section != Desired && u.Section != Reported {
		return Result{}, invalidUpdate("section must be Desired or Reported, got " + u.Section.String())
	}
	if u.Time.IsZero() {
		return Result{}, invalidUpdate("time is required (the package reads no clock)")
	}
	if u.CheckVersion && u.Version != d.version {
		return Result{}, &ConflictError{Expected: u.Version, Current: d.version}
	}
	if d.version == math.MaxUint64 {
		return Result{}, invalidUpdate("version is exhausted")
	}
	if u.Patch.kind != Object {
		return Result{}, &kindError{what: u.Section.String() + " patch", want: Object, got: u.Patch.kind}
	}
	if len(u.Acks) > 0 && u.Section != Reported {
		return Result{}, invalidUpdate("acknowledgements go with reported updates")
	}
	ms := u.Time.UnixMilli()
	stamp := IntOf(ms)

	// A patch nested deeper than MaxDepth yields a result as deep (every object in a patch
	// becomes an object in the result): refuse it before recursing into it.
	if p, deep := tooDeep(u.Patch, 1, lim.MaxDepth, Path{u.Section.String()}); deep {
		return Result{}, &LimitError{Rule: RuleDepth, Limit: lim.MaxDepth, Actual: lim.MaxDepth + 1, Path: p.String(), Offset: -1}
	}
	data, meta := d.section(u.Section)
	if p, ok := badStamps(u.Stamps, Path{"stamps"}); !ok {
		return Result{}, invalidUpdate(p.String() + ": stamps must be objects and integer Unix milliseconds")
	}
	nd, nm, changed := mergeStamped(orEmpty(data), orEmpty(meta), u.Patch, u.Stamps, stamp)
	if err := lim.check(nd, u.Section.String()); err != nil {
		return Result{}, err
	}
	acks := d.acks
	if len(u.Acks) > 0 {
		var ackChanged bool
		acks, ackChanged, err = d.mergeAcks(u.Acks, lim)
		if err != nil {
			return Result{}, err
		}
		changed = changed || ackChanged
	}

	// Commit: nothing below can fail.
	d.version++
	switch u.Section {
	case Desired:
		d.desired, d.desiredMeta = nd, nm
		d.desiredVersion = d.version
	case Reported:
		d.reported, d.reportedMeta = nd, nm
	}
	d.acks = acks
	d.updated = ms
	return Result{Version: d.version, ClientToken: u.ClientToken, Changed: changed, Time: time.UnixMilli(ms).UTC()}, nil
}

// ApplyJSON parses patch (a JSON merge patch object) under d.Limits with [ParseObject], sets it
// as u.Patch and applies u with [Document.Apply]. Invalid JSON ([ErrSyntax]), a patch breaking
// the limits while parsing ([ErrLimit]) or not an object ([ErrNotObject]) fails before the
// document is touched.
func (d *Document) ApplyJSON(u Update, patch []byte) (Result, error) {
	p, err := ParseObject(patch, d.Limits)
	if err != nil {
		return Result{}, err
	}
	u.Patch = p
	return d.Apply(u)
}

// badStamps checks a stamp tree: objects nest, leaves are integers. It returns the path of the
// first bad leaf and false.
func badStamps(s Value, path Path) (Path, bool) {
	switch s.kind {
	case Null:
		return nil, true
	case Number:
		_, ok := s.AsInt64()
		return path, ok
	case Object:
		for _, m := range s.obj {
			if p, ok := badStamps(m.Value, append(path[:len(path):len(path)], m.Key)); !ok {
				return p, false
			}
		}
		return nil, true
	}
	return path, false
}

// mergeStamped merges object patch p into target t (with metadata tm), stamping each set leaf
// with its time from the stamp tree ps or else with stamp. It reports whether the data changed.
func mergeStamped(t, tm, p, ps, stamp Value) (Value, Value, bool) {
	changed := false
	if t.kind != Object {
		changed = true
		t, tm = EmptyObject(), EmptyObject()
	}
	out := make([]Member, 0, len(t.obj)+len(p.obj))
	outMeta := make([]Member, 0, len(t.obj)+len(p.obj))
	keep := func(m Member) {
		out = append(out, m)
		if mv, ok := tm.Lookup(m.Key); ok {
			outMeta = append(outMeta, Member{Key: m.Key, Value: mv})
		}
	}
	set := func(key string, tv, tmv, pv Value, exists bool) {
		leafStamp, sub := stamp, Value{}
		if s, ok := ps.Lookup(key); ok {
			switch s.kind {
			case Number:
				ms, _ := s.AsInt64() // checked by badStamps
				leafStamp = IntOf(ms)
			case Object:
				sub = s
			}
		}
		if pv.kind == Object {
			nv, nmv, c := mergeStamped(tv, tmv, pv, sub, leafStamp)
			out = append(out, Member{Key: key, Value: nv})
			outMeta = append(outMeta, Member{Key: key, Value: nmv})
			changed = changed || c || !exists
			return
		}
		out = append(out, Member{Key: key, Value: pv})
		outMeta = append(outMeta, Member{Key: key, Value: leafStamp})
		changed = changed || !exists || !Equal(tv, pv)
	}
	tl, pl := t.obj, p.obj
	for len(tl) > 0 || len(pl) > 0 {
		switch c := cmpHeads(tl, pl); {
		case c < 0:
			keep(tl[0])
			tl = tl[1:]
		case c > 0:
			if pv := pl[0].Value; pv.kind != Null {
				set(pl[0].Key, Value{}, Value{}, pv, false)
			}
			pl = pl[1:]
		default:
			if pv := pl[0].Value; pv.kind == Null {
				changed = true
			} else {
				tmv, _ := tm.Lookup(tl[0].Key)
				set(pl[0].Key, tl[0].Value, tmv, pv, true)
			}
			tl, pl = tl[1:], pl[1:]
		}
	}
	return Value{kind: Object, obj: out}, Value{kind: Object, obj: outMeta}, changed
}

// tooDeep reports whether object or array v, at depth, holds a container deeper than max, and
// the path of the first such container.
func tooDeep(v Value, depth, max int, path Path) (Path, bool) {
	if depth > max {
		return path, true
	}
	for _, m := range v.obj {
		if k := m.Value.kind; k == Object || k == Array {
			if p, deep := tooDeep(m.Value, depth+1, max, append(path[:len(path):len(path)], m.Key)); deep {
				return p, true
			}
		}
	}
	return nil, false
}

// latestStamp returns the latest leaf time in a metadata tree.
func latestStamp(m Value) (int64, bool) {
	switch m.kind {
	case Number:
		return m.AsInt64()
	case Object:
		var best int64
		found := false
		for _, mm := range m.obj {
			if t, ok := latestStamp(mm.Value); ok && (!found || t > best) {
				best, found = t, true
			}
		}
		return best, found
	}
	return 0, false
}

func invalidUpdate(msg string) error { return &updateError{msg: msg} }

// updateError reports a malformed update. It wraps ErrInvalidUpdate.
type updateError struct{ msg string }

func (e *updateError) Error() string { return "twin: invalid update: " + e.msg }
func (e *updateError) Unwrap() error { return ErrInvalidUpdate }
