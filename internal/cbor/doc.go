// Package cbor holds the small, allocation-free CBOR (RFC 8949) primitives that fleetkit's
// TinyGo-friendly codecs (COSE, OTA manifests, SenML) are written with. It is not a generic
// reflection-based codec: callers write and read items one at a time.
//
// # Encoding
//
// Every encoder is append-style: it appends one item (or one item head) to a caller-owned slice
// and returns the extended slice, so a caller that reuses its buffer encodes without allocating.
// Heads are always written in the shortest form (RFC 8949 §4.2.1, "preferred serialization"), and
// [AppendFloat64] writes the shortest of float16/float32/float64 that keeps the value exactly.
// Arrays and maps are written as a header ([AppendArrayHeader], [AppendMapHeader]) followed by
// their elements; no indefinite-length items are ever produced.
//
// # Decoding
//
// A [Decoder] walks a []byte. [Decoder.ReadHead] reads one head (major type, additional
// information, argument); the typed readers ([Decoder.ReadUint], [Decoder.ReadInt],
// [Decoder.ReadBytes], [Decoder.ReadText], [Decoder.ReadArrayHeader], [Decoder.ReadMapHeader],
// [Decoder.ReadTag], [Decoder.ReadFloat], [Decoder.ReadBool], [Decoder.ReadNull]) read one item
// of the expected type and leave the decoder where it was when the item has another type, so a
// caller may try a second reader. [Decoder.Skip] steps over one whole item (nested items
// included, up to [Options.MaxDepth] levels), and [Decoder.ReadRaw] returns its encoded bytes.
// Byte and text strings are returned zero-copy: they alias the input.
//
// Well-formedness rules are enforced on every head: reserved additional information 28–30,
// indefinite length on major types 0, 1 and 6, two-byte simple values below 32, a "break" outside
// an indefinite-length item, and truncated input all fail. A length or element count is checked
// against the bytes that remain before it is returned (an array of n items needs at least n more
// bytes, a map at least 2n), so an attacker-chosen length can never make a caller allocate more
// than the input's size. [Options] adds the deterministic-encoding checks of RFC 8949 §4.2.1:
// RejectIndefinite refuses indefinite-length items and RequireShortest refuses heads whose
// argument was not encoded in the shortest form. Map key order and duplicate keys are not checked
// here; that is the map reader's business.
//
// Indefinite-length items, when allowed, are read with [Decoder.ReadHead] (whose Indefinite field
// is set) and [Decoder.ReadBreak]: [Decoder.ReadArrayHeader] and [Decoder.ReadMapHeader] return
// [Indefinite] for them, and a chunked string is read one chunk at a time with
// [Decoder.ReadBytes] or [Decoder.ReadText] until [Decoder.AtBreak] reports the end. The
// zero-copy [Decoder.ReadBytes] and [Decoder.ReadText] cannot join chunks, so they refuse an
// indefinite-length string head with [ErrIndefinite].
//
// # Errors
//
// Every decoding failure is an [*Error] carrying the byte offset of the offending item's head
// and one of the sentinel errors ([ErrTruncated], [ErrType], [ErrNonShortest], ...), testable
// with errors.Is.
//
// The package imports only the standard library, uses no reflection and starts no goroutines.
package cbor
