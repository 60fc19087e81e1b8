// Package senml encodes, decodes, validates and resolves Sensor Measurement Lists (SenML,
// RFC 8428) in JSON (application/senml+json, §5) and CBOR (application/senml+cbor, §6).
//
// It is TinyGo-friendly: standard library only (plus fleetkit's internal/cbor primitives), no
// reflection, no goroutines, no clock, and append-style APIs over caller-owned buffers.
//
// # Model
//
// A [Pack] is a slice of [Record]. A Record holds every field of RFC 8428 Table 1 (base fields
// bn bt bu bv bs bver, regular fields n u v vs vb vd s t ut) as plain values, and a bit set,
// [Record.Fields], of the fields that are present; the Set methods set a value and its bit in one
// step. Presence bits, not pointers, keep a record one flat value: cheap to copy and reuse, and
// a present zero (t = 0, vb = false, u = "") is distinct from an absent field.
//
//	var r senml.Record
//	r.SetName("temp")
//	r.SetUnit("Cel")
//	r.SetValue(23.1)
//	buf = senml.AppendCBOR(buf[:0], senml.Pack{r})
//
// # Encoding and decoding
//
// [AppendJSON] and [AppendCBOR] append a pack to a byte slice and never allocate beyond growing
// it. [ParseJSON] and [ParseCBOR] append decoded records to a Pack and reuse its spare
// capacity: a slot that held the same name or unit keeps its string, and its vd buffer is
// reused, so a long-lived Pack decoded into again and again stops allocating. [Pack] also
// implements json.Marshaler/Unmarshaler and the MarshalCBOR/UnmarshalCBOR pair that CBOR
// libraries look for. The decoders accept any well-formed input (JSON escapes and surrogate
// pairs, numbers with exponents; CBOR integers or floats of any width, indefinite lengths), and
// check form: types per Table 1/2, no duplicate field in a record, UTF-8 text, vd as unpadded
// base64url in JSON (RFC 4648 §5, as §5 requires; padded input is refused) and as a byte string
// in CBOR. The encoders write fields in one fixed order, numbers as the shortest text that reads
// back exactly (JSON) or as an integer when integral and otherwise the shortest exact float
// (CBOR), which reproduces the §6 example byte for byte.
//
// Unknown fields are ignored as §4.4 requires, so they do not survive a decode/encode round
// trip; an unknown label ending in "_" fails with [ErrMustUnderstand].
//
// # Validation and resolution
//
// Decoding does not apply the semantic rules; [Pack.Validate] does (§4.4 version, §4.5 names,
// exactly one value or a sum, finite numbers), and [Pack.Resolve] validates and produces the
// resolved records of §4.6: names concatenated, units defaulted from bu, bv and bs added, times
// made absolute with the 2**28 rule ([RelativeLimit]) against a now the caller passes in, bver
// kept when it is not 10, records sorted chronologically (stable). Decisions where RFC 8428
// leaves room:
//   - A record with only base fields (like the first record of §5.1.7) is allowed and yields no
//     resolved record; a record with any regular field needs a value or a sum.
//   - bv is added to numeric values only; a record with vs, vb or vd ignores it.
//   - A sum is resolved as bs+s whenever either is present, per §4.5.4.
//   - bver must be 1..10 and equal in all records; a record without bver before the first
//     bver counts as version 10, so a bver that first appears after record 0 with another
//     value is a mismatch.
//
// # Performance
//
// The CBOR decoder reads the few item shapes SenML uses straight from the bytes, one head decode
// per item, and hands only the values of unknown fields to fleetkit's internal/cbor primitives to
// check and skip; the encoders use internal/cbor's append-style heads. The JSON decoder is a
// single-pass scanner that aliases unescaped strings until they are stored and converts integers of
// up to 15 characters without strconv. Neither decoder allocates when decoding into a reused Pack
// whose names and units repeat; the encoders never allocate into a buffer with room. The package
// builds with TinyGo (checked for cortex-m-qemu and wasip1).
//
// # Errors
//
// Every error is an [*Error] carrying the record index, the field label, the byte offset (for
// the decoders) and a sentinel for errors.Is: [ErrSyntax], [ErrType], [ErrDuplicate],
// [ErrMustUnderstand], [ErrName], [ErrNoValue], [ErrMultipleValues], [ErrVersion], [ErrNumber],
// [ErrText], [ErrDataValue], [ErrDepth].
package senml
