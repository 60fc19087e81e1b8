package senml

// Field is a set of SenML fields, one bit per field of RFC 8428 Table 1. A [Record] tracks which
// of its fields are present in [Record.Fields], so a present zero (a time of 0, an empty unit,
// a false boolean) is told apart from an absent field without pointers.
type Field uint16

// The fields of RFC 8428 Table 1.
const (
	FieldBaseName    Field = 1 << iota // bn, CBOR -2
	FieldBaseTime                      // bt, CBOR -3
	FieldBaseUnit                      // bu, CBOR -4
	FieldBaseValue                     // bv, CBOR -5
	FieldBaseSum                       // bs, CBOR -6
	FieldBaseVersion                   // bver, CBOR -1
	FieldName                          // n, CBOR 0
	FieldUnit                          // u, CBOR 1
	FieldValue                         // v, CBOR 2
	FieldStringValue                   // vs, CBOR 3
	FieldBoolValue                     // vb, CBOR 4
	FieldDataValue                     // vd, CBOR 8
	FieldSum                           // s, CBOR 5
	FieldTime                          // t, CBOR 6
	FieldUpdateTime                    // ut, CBOR 7
)

// BaseFields is the set of base fields (labels starting with "b").
const BaseFields = FieldBaseName | FieldBaseTime | FieldBaseUnit | FieldBaseValue | FieldBaseSum | FieldBaseVersion

// ValueFields is the set of value fields; a valid record has exactly one of them, or none when
// it has a sum.
const ValueFields = FieldValue | FieldStringValue | FieldBoolValue | FieldDataValue

// Version is the SenML version this package implements (RFC 8428): the default of bver.
const Version = 10

// Label returns the JSON label of a single field ("bn", "v", ...), or "" when f is not exactly
// one field.
func (f Field) Label() string {
	switch f {
	case FieldBaseName:
		return "bn"
	case FieldBaseTime:
		return "bt"
	case FieldBaseUnit:
		return "bu"
	case FieldBaseValue:
		return "bv"
	case FieldBaseSum:
		return "bs"
	case FieldBaseVersion:
		return "bver"
	case FieldName:
		return "n"
	case FieldUnit:
		return "u"
	case FieldValue:
		return "v"
	case FieldStringValue:
		return "vs"
	case FieldBoolValue:
		return "vb"
	case FieldDataValue:
		return "vd"
	case FieldSum:
		return "s"
	case FieldTime:
		return "t"
	case FieldUpdateTime:
		return "ut"
	}
	return ""
}

// Record is one SenML Record (RFC 8428 §4). Only the fields whose bit is set in Fields are
// present; the others are ignored by the encoders and by [Pack.Resolve], whatever they hold.
// The Set methods store a field and mark it present in one step.
type Record struct {
	// Fields is the set of fields present in the record.
	Fields Field

	// BaseName (bn) is prepended to the names of this and the following records.
	BaseName string
	// BaseTime (bt) is added to the times of this and the following records.
	BaseTime float64
	// BaseUnit (bu) is the unit of this and the following records that have none.
	BaseUnit string
	// BaseValue (bv) is added to the values (v) of this and the following records.
	BaseValue float64
	// BaseSum (bs) is added to the sums (s) of this and the following records.
	BaseSum float64
	// BaseVersion (bver) is the SenML version of the pack; [Version] (10) when absent.
	BaseVersion int

	// Name (n) is appended to the base name to name the sensor.
	Name string
	// Unit (u) is the unit of the measurement (RFC 8428 §12.1 registry, e.g. "Cel").
	Unit string
	// Value (v) is a numeric value.
	Value float64
	// StringValue (vs) is a string value.
	StringValue string
	// BoolValue (vb) is a boolean value.
	BoolValue bool
	// DataValue (vd) is an opaque binary value: base64url in JSON, a byte string in CBOR.
	DataValue []byte
	// Sum (s) is the integrated sum of the values over time, in unit times seconds.
	Sum float64
	// Time (t) is the time of the measurement: seconds since the Unix epoch when the resolved
	// time is at least 2**28, otherwise seconds relative to "now".
	Time float64
	// UpdateTime (ut) is the maximum time in seconds before the sensor sends an update.
	UpdateTime float64
}

// Has reports whether every field in f is present in r.
func (r *Record) Has(f Field) bool { return r.Fields&f == f }

// Clear marks the fields in f absent and zeroes them.
func (r *Record) Clear(f Field) {
	r.Fields &^= f
	if f&FieldBaseName != 0 {
		r.BaseName = ""
	}
	if f&FieldBaseTime != 0 {
		r.BaseTime = 0
	}
	if f&FieldBaseUnit != 0 {
		r.BaseUnit = ""
	}
	if f&FieldBaseValue != 0 {
		r.BaseValue = 0
	}
	if f&FieldBaseSum != 0 {
		r.BaseSum = 0
	}
	if f&FieldBaseVersion != 0 {
		r.BaseVersion = 0
	}
	if f&FieldName != 0 {
		r.Name = ""
	}
	if f&FieldUnit != 0 {
		r.Unit = ""
	}
	if f&FieldValue != 0 {
		r.Value = 0
	}
	if f&FieldStringValue != 0 {
		r.StringValue = ""
	}
	if f&FieldBoolValue != 0 {
		r.BoolValue = false
	}
	if f&FieldDataValue != 0 {
		r.DataValue = nil
	}
	if f&FieldSum != 0 {
		r.Sum = 0
	}
	if f&FieldTime != 0 {
		r.Time = 0
	}
	if f&FieldUpdateTime != 0 {
		r.UpdateTime = 0
	}
}

// SetBaseName sets bn.
func (r *Record) SetBaseName(s string) { r.BaseName = s; r.Fields |= FieldBaseName }

// SetBaseTime sets bt.
func (r *Record) SetBaseTime(t float64) { r.BaseTime = t; r.Fields |= FieldBaseTime }

// SetBaseUnit sets bu.
func (r *Record) SetBaseUnit(s string) { r.BaseUnit = s; r.Fields |= FieldBaseUnit }

// SetBaseValue sets bv.
func (r *Record) SetBaseValue(v float64) { r.BaseValue = v; r.Fields |= FieldBaseValue }

// SetBaseSum sets bs.
func (r *Record) SetBaseSum(v float64) { r.BaseSum = v; r.Fields |= FieldBaseSum }

// SetBaseVersion sets bver.
func (r *Record) SetBaseVersion(v int) { r.BaseVersion = v; r.Fields |= FieldBaseVersion }

// SetName sets n.
func (r *Record) SetName(s string) { r.Name = s; r.Fields |= FieldName }

// SetUnit sets u.
func (r *Record) SetUnit(s string) { r.Unit = s; r.Fields |= FieldUnit }

// SetValue sets the numeric value v.
func (r *Record) SetValue(v float64) { r.Value = v; r.Fields |= FieldValue }

// SetStringValue sets the string value vs.
func (r *Record) SetStringValue(s string) { r.StringValue = s; r.Fields |= FieldStringValue }

// SetBoolValue sets the boolean value vb.
func (r *Record) SetBoolValue(b bool) { r.BoolValue = b; r.Fields |= FieldBoolValue }

// SetDataValue sets the data value vd. The record keeps b (it does not copy it).
func (r *Record) SetDataValue(b []byte) { r.DataValue = b; r.Fields |= FieldDataValue }

// SetSum sets the sum s.
func (r *Record) SetSum(v float64) { r.Sum = v; r.Fields |= FieldSum }

// SetTime sets the time t.
func (r *Record) SetTime(t float64) { r.Time = t; r.Fields |= FieldTime }

// SetUpdateTime sets the update time ut.
func (r *Record) SetUpdateTime(t float64) { r.UpdateTime = t; r.Fields |= FieldUpdateTime }

// Pack is a SenML Pack: an ordered list of records whose base fields apply to the records that
// follow them (RFC 8428 §4).
type Pack []Record

// reset prepares a reused record slot for decoding: it clears every field but remembers the
// strings and the data-value buffer the slot held, so that decoding the same names and units
// again (the common case when a Pack is reused) neither allocates nor retains stale data.
func (r *Record) reset() {
	*r = Record{
		BaseName:    r.BaseName,
		BaseUnit:    r.BaseUnit,
		Name:        r.Name,
		Unit:        r.Unit,
		StringValue: r.StringValue,
		DataValue:   r.DataValue[:0],
	}
}

// finish zeroes the remembered strings of fields the decoder did not set, so an absent field
// reads as its zero value.
func (r *Record) finish() {
	if r.Fields&FieldBaseName == 0 {
		r.BaseName = ""
	}
	if r.Fields&FieldBaseUnit == 0 {
		r.BaseUnit = ""
	}
	if r.Fields&FieldName == 0 {
		r.Name = ""
	}
	if r.Fields&FieldUnit == 0 {
		r.Unit = ""
	}
	if r.Fields&FieldStringValue == 0 {
		r.StringValue = ""
	}
	if r.Fields&FieldDataValue == 0 {
		r.DataValue = nil
	}
}

// intern returns old when it equals b (no allocation), and string(b) otherwise.
func intern(old string, b []byte) string {
	if old == string(b) {
		return old
	}
	return string(b)
}

// next returns dst extended by one record, reusing the slot's storage when capacity allows.
func next(dst Pack) (Pack, *Record) {
	if len(dst) < cap(dst) {
		dst = dst[:len(dst)+1]
		r := &dst[len(dst)-1]
		r.reset()
		return dst, r
	}
	dst = append(dst, Record{})
	return dst, &dst[len(dst)-1]
}
