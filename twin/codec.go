package twin

import "strconv"

// AppendJSON appends the document's JSON encoding to dst and returns the extended slice:
//
//	{"name":"config",                                  (only when Name is set)
//	 "state":{"desired":{...},"reported":{...}},
//	 "metadata":{"desired":{"color":{"timestamp":1700000000000}},"reported":{...}},
//	 "ack":{"color":{"ac":200,"av":3,"ad":"applied"}},
//	 "version":4,"desiredVersion":3,"timestamp":1700000000000}
//
// The shape follows the AWS IoT Device Shadow document, with timestamps in Unix milliseconds
// (AWS uses seconds) and two additions: "ack" (see [Ack]) and "desiredVersion". Metadata mirrors
// the state: objects nest, and each leaf (scalar or array) is {"timestamp":ms}. Members are in
// sorted order, so the encoding is deterministic. [ParseDocument] reads it back.
func (d *Document) AppendJSON(dst []byte) []byte {
	dst = append(dst, '{')
	if d.Name != "" {
		dst = append(dst, `"name":`...)
		dst = appendString(dst, d.Name)
		dst = append(dst, ',')
	}
	dst = append(dst, `"state":{"desired":`...)
	dst = d.Desired().AppendJSON(dst)
	dst = append(dst, `,"reported":`...)
	dst = d.Reported().AppendJSON(dst)
	dst = append(dst, `},"metadata":{"desired":`...)
	dst = appendMeta(dst, d.Metadata(Desired))
	dst = append(dst, `,"reported":`...)
	dst = appendMeta(dst, d.Metadata(Reported))
	dst = append(dst, `},"ack":`...)
	dst = appendAcks(dst, d.acks)
	dst = append(dst, `,"version":`...)
	dst = strconv.AppendUint(dst, d.version, 10)
	dst = append(dst, `,"desiredVersion":`...)
	dst = strconv.AppendUint(dst, d.desiredVersion, 10)
	dst = append(dst, `,"timestamp":`...)
	dst = strconv.AppendInt(dst, d.updated, 10)
	return append(dst, '}')
}

// AppendDeltaJSON appends the delta message a twin service publishes to the device when
// desired and reported differ, in the AWS shadow delta shape:
//
//	{"state":{"led":{"on":true}},"metadata":{"led":{"on":{"timestamp":1795586400000}}},"version":4,"timestamp":1795586401000}
//
// "state" is [Document.Delta] and "metadata" holds the desired time of each of its leaves. When
// there is no delta the state is {}; publishing is then up to the caller (AWS publishes none).
func (d *Document) AppendDeltaJSON(dst []byte) []byte {
	delta := d.Delta()
	dst = append(dst, `{"state":`...)
	dst = delta.AppendJSON(dst)
	dst = append(dst, `,"metadata":`...)
	dst = appendDeltaMeta(dst, delta, d.Metadata(Desired))
	dst = append(dst, `,"version":`...)
	dst = strconv.AppendUint(dst, d.version, 10)
	dst = append(dst, `,"timestamp":`...)
	dst = strconv.AppendInt(dst, d.updated, 10)
	return append(dst, '}')
}

// appendDeltaMeta appends the metadata of the leaves of delta (shaped like desired) from the
// desired metadata tree.
func appendDeltaMeta(dst []byte, delta, meta Value) []byte {
	if delta.kind != Object {
		return appendMeta(dst, meta)
	}
	dst = append(dst, '{')
	for i, m := range delta.obj {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, m.Key)
		dst = append(dst, ':')
		mm, _ := meta.Lookup(m.Key)
		dst = appendDeltaMeta(dst, m.Value, mm)
	}
	return append(dst, '}')
}

func appendMeta(dst []byte, m Value) []byte {
	if m.kind != Object {
		dst = append(dst, `{"timestamp":`...)
		dst = append(dst, m.s...)
		return append(dst, '}')
	}
	dst = append(dst, '{')
	for i, mm := range m.obj {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, mm.Key)
		dst = append(dst, ':')
		dst = appendMeta(dst, mm.Value)
	}
	return append(dst, '}')
}

// DocumentError reports an encoded document that is valid JSON but not a valid twin document:
// the path of the offending member and the rule it broke. It wraps [ErrInvalidDocument].
type DocumentError struct {
	Path string
	Msg  string
}

// Error returns the message: the path and the rule.
func (e *DocumentError) Error() string {
	return "twin: invalid document: " + e.Path + ": " + e.Msg
}

// Unwrap returns [ErrInvalidDocument].
func (e *DocumentError) Unwrap() error { return ErrInvalidDocument }

// documentParseLimits returns the limits for parsing a whole encoded document: room for two
// sections, their metadata (up to about 40 bytes and two keys per member beyond the state) and
// the acknowledgements; the document's own member names must fit the key length. The exact limits are then checked per section.
func documentParseLimits(l Limits) Limits {
	// The metadata of a section's deepest leaf sits MaxDepth+3 levels deep; one more level lets
	// a section that is one level too deep reach the exact, better-worded section check.
	return Limits{
		MaxDocumentBytes: 5*l.MaxDocumentBytes + 80*l.MaxKeys + 1024,
		MaxDepth:         l.MaxDepth + 4,
		MaxKeyLength:     max(l.MaxKeyLength, len("desiredVersion")),
		MaxKeys:          10*l.MaxKeys + 32,
	}
}

// ParseDocument decodes a document written by [Document.AppendJSON] (for stores and for
// transferring whole twins), under lim, which is also set as the Limits of the result. The input
// may be at most 5×MaxDocumentBytes + 80×MaxKeys + 1024 bytes; each section must then keep lim
// exactly. Every member is checked: unknown members, metadata that does not mirror the state
// leaf for leaf, a desiredVersion above the version, or acks above the desiredVersion fail with
// [ErrInvalidDocument] naming the path; limits with [ErrLimit]; bad JSON with [ErrSyntax].
func ParseDocument(data []byte, lim Limits) (*Document, error) {
	lim, err := lim.withDefaults()
	if err != nil {
		return nil, err
	}
	root, err := parse(data, documentParseLimits(lim))
	if err != nil {
		return nil, err
	}
	if root.kind != Object {
		return nil, &DocumentError{Path: "(root)", Msg: "must be an object, got " + root.kind.String()}
	}
	d := &Document{Limits: lim}
	var state, metadata, ack Value
	var haveVersion, haveDV, haveTS bool
	for _, m := range root.obj {
		v := m.Value
		switch m.Key {
		case "name":
			s, ok := v.AsString()
			if !ok {
				return nil, docErr("name", "must be a string, got "+v.kind.String())
			}
			d.Name = s
		case "state":
			state = v
		case "metadata":
			metadata = v
		case "ack":
			ack = v
		case "version":
			if d.version, haveVersion = v.AsUint64(); !haveVersion {
				return nil, docErr("version", "must be an unsigned 64-bit integer, got "+v.String())
			}
		case "desiredVersion":
			if d.desiredVersion, haveDV = v.AsUint64(); !haveDV {
				return nil, docErr("desiredVersion", "must be an unsigned 64-bit integer, got "+v.String())
			}
		case "timestamp":
			if d.updated, haveTS = v.AsInt64(); !haveTS {
				return nil, docErr("timestamp", "must be a 64-bit integer of Unix milliseconds, got "+v.String())
			}
		default:
			return nil, docErr(Path{m.Key}.String(), "unknown member")
		}
	}
	switch {
	case state.kind != Object:
		return nil, docErr("state", "required object, got "+state.kind.String())
	case metadata.kind != Object:
		return nil, docErr("metadata", "required object, got "+metadata.kind.String())
	case !haveVersion:
		return nil, docErr("version", "required")
	case !haveDV:
		return nil, docErr("desiredVersion", "required")
	case !haveTS:
		return nil, docErr("timestamp", "required")
	case d.desiredVersion > d.version:
		return nil, docErr("desiredVersion", "is above version "+strconv.FormatUint(d.version, 10))
	}
	if err := checkKeys(state, "state", "desired", "reported"); err != nil {
		return nil, err
	}
	if err := checkKeys(metadata, "metadata", "desired", "reported"); err != nil {
		return nil, err
	}
	for _, s := range [...]Section{Desired, Reported} {
		data, _ := state.Lookup(s.String())
		if data.kind != Object {
			return nil, docErr("state."+s.String(), "required object, got "+data.kind.String())
		}
		if err := lim.check(data, s.String()); err != nil {
			return nil, err
		}
		mv, _ := metadata.Lookup(s.String())
		meta, err := decodeMeta(data, mv, Path{"metadata", s.String()})
		if err != nil {
			return nil, err
		}
		if s == Desired {
			d.desired, d.desiredMeta = data, meta
		} else {
			d.reported, d.reportedMeta = data, meta
		}
	}
	if ack.kind != Null {
		if d.acks, err = decodeAcks(ack, d.desiredVersion); err != nil {
			return nil, err
		}
		if _, _, err := (&Document{desiredVersion: d.desiredVersion}).mergeAcks(d.acks, lim); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func docErr(path, msg string) error { return &DocumentError{Path: path, Msg: msg} }

// checkKeys requires obj to have exactly the given keys.
func checkKeys(obj Value, where string, keys ...string) error {
	for _, m := range obj.obj {
		known := false
		for _, k := range keys {
			known = known || m.Key == k
		}
		if !known {
			return docErr(where+"."+Path{m.Key}.String(), "unknown member")
		}
	}
	for _, k := range keys {
		if _, ok := obj.Lookup(k); !ok {
			return docErr(where+"."+k, "required")
		}
	}
	return nil
}

// decodeMeta turns encoded metadata into a metadata tree, requiring it to mirror data exactly.
func decodeMeta(data, meta Value, path Path) (Value, error) {
	var rev []string
	v, msg, ok := decodeMetaAt(data, meta, &rev)
	if ok {
		return v, nil
	}
	p := append(Path(nil), path...)
	for i := len(rev) - 1; i >= 0; i-- {
		p = append(p, rev[i])
	}
	return Value{}, docErr(p.String(), msg)
}

// decodeMetaAt is decodeMeta without paths: on failure it returns the message and collects the
// path in reverse into rev on the way back up.
func decodeMetaAt(data, meta Value, rev *[]string) (Value, string, bool) {
	if data.kind != Object {
		ts, ok := meta.Lookup("timestamp")
		if meta.kind != Object || len(meta.obj) != 1 || !ok {
			return Value{}, `a leaf's metadata must be {"timestamp":ms}, got ` + meta.String(), false
		}
		if _, ok := ts.AsInt64(); !ok {
			*rev = append(*rev, "timestamp")
			return Value{}, "must be a 64-bit integer of Unix milliseconds, got " + ts.String(), false
		}
		return ts, "", true
	}
	if meta.kind != Object {
		return Value{}, "must be an object mirroring the state, got " + meta.kind.String(), false
	}
	out := make([]Member, len(data.obj))
	for i, dm := range data.obj {
		if i >= len(meta.obj) || meta.obj[i].Key != dm.Key {
			if i < len(meta.obj) && meta.obj[i].Key < dm.Key {
				*rev = append(*rev, meta.obj[i].Key)
				return Value{}, "metadata for a member the state does not have", false
			}
			*rev = append(*rev, dm.Key)
			return Value{}, "missing: every state member needs metadata", false
		}
		sub, msg, ok := decodeMetaAt(dm.Value, meta.obj[i].Value, rev)
		if !ok {
			*rev = append(*rev, dm.Key)
			return Value{}, msg, false
		}
		out[i] = Member{Key: dm.Key, Value: sub}
	}
	if len(meta.obj) > len(data.obj) {
		*rev = append(*rev, meta.obj[len(data.obj)].Key)
		return Value{}, "metadata for a member the state does not have", false
	}
	return Value{kind: Object, obj: out}, "", true
}

func decodeAcks(v Value, desiredVersion uint64) ([]Ack, error) {
	if v.kind != Object {
		return nil, docErr("ack", "must be an object, got "+v.kind.String())
	}
	acks := make([]Ack, 0, len(v.obj))
	for _, m := range v.obj {
		where := "ack." + Path{m.Key}.String()
		if m.Key == "" {
			return nil, docErr(where, "property is empty")
		}
		if m.Value.kind != Object {
			return nil, docErr(where, `must be {"ac":code,"av":version,"ad":description}, got `+m.Value.kind.String())
		}
		a := Ack{Property: m.Key}
		var haveAC, haveAV bool
		for _, f := range m.Value.obj {
			switch f.Key {
			case "ac":
				c, ok := f.Value.AsInt64()
				if !ok || c != int64(int(c)) {
					return nil, docErr(where+".ac", "must be an integer, got "+f.Value.String())
				}
				a.Code, haveAC = int(c), true
			case "av":
				if a.Version, haveAV = f.Value.AsUint64(); !haveAV {
					return nil, docErr(where+".av", "must be an unsigned 64-bit integer, got "+f.Value.String())
				}
				if a.Version > desiredVersion {
					return nil, docErr(where+".av", "is above desiredVersion "+strconv.FormatUint(desiredVersion, 10))
				}
			case "ad":
				s, ok := f.Value.AsString()
				if !ok {
					return nil, docErr(where+".ad", "must be a string, got "+f.Value.kind.String())
				}
				a.Description = s
			default:
				return nil, docErr(where+"."+Path{f.Key}.String(), "unknown member")
			}
		}
		if !haveAC || !haveAV {
			return nil, docErr(where, `"ac" and "av" are required`)
		}
		acks = append(acks, a)
	}
	return acks, nil
}
