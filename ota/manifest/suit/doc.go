// Package suit verifies and reads SUIT envelopes: the IETF Software Updates for Internet of
// Things manifest format, draft-ietf-suit-manifest-37 (tested against the draft's six
// published examples). fleetkit's own, smaller manifest is the parent package
// [github.com/fleetkit/fleetkit/ota/manifest]; this package lets a fleetkit device or server
// accept updates from SUIT tooling.
//
// [Verify] authenticates an envelope and extracts what an update agent needs: the sequence
// number, the component identifiers, and per component the vendor and class IDs, image digest,
// image size, slot and URI that the command sequences set.
//
// # Authentication
//
// The authentication wrapper holds a SUIT_Digest of the manifest and one or more
// authentication blocks, each a tagged COSE_Sign1 (RFC 9052) whose detached payload is that
// encoded SUIT_Digest. [Verify] requires at least one block to verify with a key from the
// caller's cose.Keys (COSE_Mac0 and other blocks are not accepted as authentication). Only
// then does it compare the digest with the SHA-256 of the manifest element as it appears in
// the envelope, bstr head included (the "bstr-wrapped manifest"), and only after that is the
// manifest parsed. Severable elements (install, text, ...) that the manifest holds as a digest
// are parsed only when the envelope carries them and their SHA-256 (again over the bstr as it
// appears in the envelope) matches; absent ones are listed in [Manifest.Severed]. Only SHA-256
// (COSE alg -16) digests are supported.
//
// # Interpretation
//
// This package is not a SUIT command interpreter: it does not evaluate conditions or run
// fetch, copy or invoke. It follows set-component-index (an index, true, or a list),
// override-parameters, run-sequence and try-each, and records the parameters each component
// receives: values set unconditionally go to [Component] Parameters (later sequences override
// earlier ones, in manifest order: shared sequence, validate, load, invoke, payload-fetch,
// install), and values set inside try-each branches go to Alternatives, merged by component
// slot. Unknown commands, parameters and manifest members are skipped.
//
// Errors are [*Error] values naming the element at fault and wrapping a sentinel:
// [ErrMalformed], [ErrUnsupported], [ErrSignature], [ErrUnknownKey], [ErrDigestMismatch].
//
// The package imports only the standard library and fleetkit's cose and internal/cbor.
package suit
