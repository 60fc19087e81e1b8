// Package manifest is fleetkit's signed OTA (over-the-air update) manifest: what image a
// device should install, how to check it, and who vouches for it. It is inspired by SUIT
// (draft-ietf-suit-manifest) but much smaller; the [github.com/fleetkit/fleetkit/ota/manifest/suit]
// sub-package reads and verifies real SUIT envelopes.
//
// # Format
//
// The manifest body is a deterministically encoded CBOR map (RFC 8949 §4.2.1) with integer
// keys: 1 format version (1), 2 sequence number, 3 vendor ID and 4 class ID (16-byte UUIDs, as
// in SUIT), 5 component name, 6 image digest ([-16, h'<32 bytes>'], a SUIT_Digest with
// SHA-256), 7 image size, 8 URIs (1 to [MaxURIs] text strings), and the optional 9 minimum
// current sequence number, 10 expiry (unix seconds) and 11 human-readable version. Keys must
// appear in ascending order, once; unknown keys are refused (a new field means a new format
// version, so an old device never ignores a constraint it does not understand). Text is UTF-8
// of at most [MaxTextLen] bytes.
//
// # Envelope and signatures
//
// The body is the payload of a COSE envelope (RFC 9052) signed with EdDSA (Ed25519) or ES256
// (see package [github.com/fleetkit/fleetkit/cose]): [Sign] with one signer writes a
// COSE_Sign1 (tag 18), with several a COSE_Sign (tag 98) carrying one signature per signer.
// The envelope must be tagged. Every signature binds the external data [ExternalAAD], so a
// signature the same key made for another purpose never passes as a manifest signature.
//
// Threshold signing (TUF-like): a [TrustStore] holds n trusted keys by key ID and a threshold
// k. A manifest is authentic when valid signatures by at least k distinct trusted keys are
// present; a key counted once is never counted again, signatures by unknown keys are ignored
// but do not help, and at most [MaxSignatures] are examined. COSE_Sign was chosen over several
// COSE_Sign1 envelopes because the payload is carried once and one envelope travels as one
// object. Key rotation: ship a store with old and new keys, then sign with the new ones;
// removing a key from the store revokes it.
//
// # Verification
//
// [Verifier.Verify] checks the signatures before the body is parsed: until then only the COSE
// structure and the alg and kid headers are read. Then it checks, in order: vendor ID, class
// ID, expiry, minimum version, anti-rollback and image size. Anti-rollback: a sequence number
// below the device's is refused; an equal one is accepted only when the image digest is the
// installed one (an idempotent re-install or re-verification after a reboot) and refused
// otherwise, so two different images can never share a sequence number on one device.
// Sequence numbers start at 1; a device with nothing installed reports 0.
//
// Each failure is an [*Error] naming the [Check] and the field, wrapping one sentinel:
// [ErrSignature], [ErrUnknownKey], [ErrThreshold], [ErrMalformed], [ErrVendor], [ErrClass],
// [ErrExpired], [ErrBelowMinimum], [ErrRollback], [ErrOversize]; the image checks add
// [ErrTruncated] and [ErrDigestMismatch].
//
// # Streaming the image
//
// [NewImageVerifier] returns an io.Writer that hashes the image as it arrives, in constant
// memory, refuses the first byte beyond the declared size with [ErrOversize], and whose
// [ImageVerifier.Finish] reports [ErrTruncated] or [ErrDigestMismatch]. Its progress can be
// saved and restored (MarshalBinary/UnmarshalBinary) to resume an interrupted download.
//
// The package imports only the standard library (and fleetkit's cose and internal/cbor), starts
// no goroutines, reads no clock (the caller passes now), and is meant to build with TinyGo.
package manifest
