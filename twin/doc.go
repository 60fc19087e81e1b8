// Package twin is the digital-twin document model of fleetkit: JSON values, the twin document
// with desired and reported state, per-leaf metadata, versions and acknowledgements, JSON merge
// patches, the delta, limits and a conflict-resolution hook. It is what the device and cloud
// sides of twin synchronisation share, and it behaves the way users of AWS IoT Device Shadow,
// Azure IoT Hub device twins and Eclipse Ditto expect.
//
// Specifications: JSON is RFC 8259 (https://www.rfc-editor.org/rfc/rfc8259); updates are JSON
// Merge Patches, RFC 7396 (https://www.rfc-editor.org/rfc/rfc7396); the document shape and delta
// follow the AWS IoT Device Shadow service documents
// (https://docs.aws.amazon.com/iot/latest/developerguide/device-shadow-document.html); the
// acknowledgement fields follow the IoT Plug and Play conventions for writable properties
// (https://learn.microsoft.com/azure/iot/concepts-convention).
//
// The package uses only the standard library (no encoding/json, no reflection), starts no
// goroutines and reads no clock — every update carries its time — so it builds with TinyGo for
// devices (checked for wasip1 and cortex-m) as well as for cloud services. A [Document] is not
// safe for concurrent use; a [Value] is immutable and may be shared freely.
//
// # JSON values
//
// [Parse] reads RFC 8259 JSON into a [Value] tree and [Value.AppendJSON] writes it back
// (append-style, into a caller-owned buffer). Decisions, made for determinism and exact round
// trips:
//
//   - Objects keep their members sorted by key (bytewise), so encoding is canonical: the same
//     tree always encodes to the same bytes, diffs and deltas come out in a stable order, and
//     lookups are binary searches. Input key order is not preserved.
//   - Numbers keep their literal text: 12345678901234567890123456789 or 1e400 round-trip
//     exactly, with no float64 rounding. [Equal] (and so the delta and "did it change") compares
//     numbers by exact decimal value: 21.5, 21.50 and 2.15e1 are equal; 9007199254740993 and
//     9007199254740992 are not. [Value.AsFloat64], [Value.AsInt64] and [Value.AsUint64] convert.
//   - Parsing is strict: UTF-8 only, no duplicate keys ([ErrDuplicateKey]: a duplicate would be
//     silent loss), no lone UTF-16 surrogates in \u escapes (they have no UTF-8 form), nothing
//     after the value. Encoding escapes only what JSON requires.
//   - Limits ([Limits]) are enforced while parsing: the input length first, then nesting depth
//     before descending, key length and the running member count as each key is read. Memory
//     therefore stays within a small multiple of MaxDocumentBytes whatever the input, and the
//     recursion depth within MaxDepth.
//
// Errors name the rule and where it was broken: [*SyntaxError] (byte offset and path, e.g.
// "invalid JSON: lone UTF-16 surrogate in a \u escape at net.ssid (byte offset 16)") and
// [*LimitError] (rule, limit, value found, path such as desired.network.wifi.ssid, offset).
//
// Values are built with [ObjectOf], [ArrayOf], [StringOf], [IntOf], [UintOf], [FloatOf],
// [NumberOf], [BoolOf], [NullValue]; read with [Value.Get] (by [Path]), [Value.Lookup],
// [Value.Index], [Value.Members]; changed, as new values sharing unchanged subtrees, with [Set],
// [Delete] and [Merge].
//
// # Limits
//
// A zero [Limits] field means its default. The size and depth defaults are Azure's twin limits,
// the larger of the two clouds', so state that fits AWS or Azure fits here:
//
//	MaxDocumentBytes 32768  per section (Azure: 32 KB each for desired and reported; AWS: 8 KB of state)
//	MaxDepth         10     objects and arrays, section root = 1 (Azure: 10; AWS: 6)
//	MaxKeyLength     256    bytes per key (Azure allows 1 KB; property names are far shorter)
//	MaxKeys          1024   members per section, all levels (bounds memory beyond the byte size)
//
// Callers mirroring AWS set Limits{MaxDocumentBytes: 8192, MaxDepth: 6}.
//
// # Document
//
// A [Document] holds the desired section (what the cloud wants), the reported section (what the
// device has), the last-update time of every leaf of each (a leaf is a scalar or an array;
// arrays are replaced whole, so they have one time), acknowledgements, the version (the count of
// accepted updates) and the desired version (the version of the last desired update). Named
// twins are one Document per (device, name); [Document.Name] is carried into the encoding.
//
// [Document.Apply] takes an [Update]: a merge patch for one section, the time, an optional
// expected version and an optional client token. It
//
//   - fails with [ErrConflict] (a [*ConflictError] with both versions) when CheckVersion is set
//     and the version differs — compare-and-set, as every twin store does;
//   - requires an object patch ([ErrNotObject] otherwise: a section is always an object, so the
//     RFC's "replace the whole target" case does not apply);
//   - merges per RFC 7396 into a copy (values are immutable), stamps every leaf the patch sets
//     with the update time (also when the value did not change, as AWS does), drops the
//     metadata of deleted leaves, and checks the limits on the result;
//   - on success increments the version by exactly one and returns a [Result] echoing the
//     client token. A failed update leaves the document exactly as it was.
//
// No-op updates are accepted and bump the version, as in AWS IoT: the version counts accepted
// writes, so a client can always tell its write landed. Result.Changed is false for them, and
// [Changes] answers "would this patch change anything" before applying it.
//
// The JSON encoding ([Document.AppendJSON], read back by [ParseDocument]) is the AWS shadow
// shape with timestamps in Unix milliseconds (AWS uses seconds; device-side last-writer-wins
// needs finer times):
//
//	{"name":"config",
//	 "state":{"desired":{"led":{"on":true}},"reported":{"led":{"on":false}}},
//	 "metadata":{"desired":{"led":{"on":{"timestamp":1795586400000}}},"reported":{...}},
//	 "ack":{"led":{"ac":200,"av":3,"ad":"applied"}},
//	 "version":4,"desiredVersion":3,"timestamp":1795586401000}
//
// "name" is left out when empty. Metadata mirrors the state exactly; ParseDocument rejects
// anything else, and unknown members, with [ErrInvalidDocument] and the path.
//
// # Acknowledgements
//
// A device acknowledges desired properties the Plug and Play way: for a top-level desired
// property, a status code "ac", the desired version applied "av" and a description "ad"
// ([Ack]). Acknowledgements live in their own "ack" section keyed by property, not inside
// reported: reported keeps the plain values, so the delta (desired vs reported) needs no
// special cases and a reported value is never wrapped. They are written with reported updates
// ([Update.Acks]); an ack may not name a desired version above [Document.DesiredVersion] and
// replaces the previous ack of its property. Acks count against MaxKeys and MaxDocumentBytes.
//
// # Delta
//
// [Delta] (and [Document.Delta]) is every desired leaf whose value differs from reported, as an
// object shaped like desired, following AWS shadow delta semantics: nested leaves at their full
// path, arrays compared whole, a desired leaf missing from reported included, keys only in
// reported never included, and an empty desired object (no leaves) never included. Numbers
// compare by value. [DeltaLeaves] gives the same as a flat, sorted list of [Leaf] (path and
// value) — the device's to-do list — and [Document.AppendDeltaJSON] the AWS-shaped delta message
// ({"state":delta,"metadata":desired times of its leaves,"version":N,"timestamp":ms}).
//
// # Reconciling and conflicts
//
// A device typically keeps its reported state as a [Value], changes it with [Set] and [Delete],
// and sends [Diff](lastSent, current): one merge patch that coalesces any number of offline
// changes. [Changes] tells whether a patch would change anything. [Update.Stamps] carries the
// time each leaf really changed, so metadata stays true to offline edits.
//
// When changes made offline meet changes that reached the twin meanwhile, [Resolve] merges the
// two reported patches given per-leaf times ([Stamped]; [StampPatch] stamps a whole patch, and a
// Document's [Document.Metadata] already is a stamp tree) under a [Policy]: [DeviceWins] (the
// device is the authority on its own state) or [LastWriterWins] (the later stamp wins, the
// device on a tie). Objects present on both sides merge member by member; only leaves set by
// both sides conflict.
//
// # Errors
//
// Decide with [errors.Is] on the sentinels: [ErrSyntax], [ErrDuplicateKey], [ErrNumber],
// [ErrLimit], [ErrNotObject], [ErrConflict], [ErrInvalidUpdate], [ErrInvalidDocument],
// [ErrUnrepresentable], [ErrInvalidLimits]. Read detail with [errors.As] into [*SyntaxError],
// [*LimitError], [*ConflictError], [*DocumentError] or [*NumberError].
package twin
