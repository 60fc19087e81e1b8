// Package cose signs and verifies CBOR Object Signing and Encryption messages: COSE_Sign1
// (one signer) and COSE_Sign (several signers), RFC 9052 §4, with the algorithms of RFC 9053
// §2: EdDSA (alg -8, Ed25519 via crypto/ed25519) and ECDSA ES256 (alg -7, P-256 with SHA-256);
// ES384 (-35) and ES512 (-36) are supported as well. ECDSA signatures are the fixed-width r||s
// form COSE requires, not ASN.1.
//
// # Keys
//
// A [Signer] wraps any crypto.Signer (an in-memory key, an HSM, a secure element) and binds it to
// one [Algorithm] and key ID. A [Verifier] binds a public key to one algorithm and, optionally,
// a key ID. The algorithm is a property of the trusted key, not of the message: a message whose
// alg header names another algorithm fails with [ErrAlgorithmMismatch], and a message without
// an alg header is verified with the key's algorithm. This closes algorithm-confusion attacks
// and lets alg sit in either header bucket (the cose-wg vector sign-pass-01 puts it in the
// unprotected one). RFC 9053 says the ECDSA curve SHOULD match the hash (P-256 for ES256, P-384
// for ES384, P-521 for ES512); the package accepts any NIST curve with any of the three, the
// signature width following the curve, because published vectors (ecdsa-sig-04: ES512 with
// P-256) use such pairs. Key lookup goes through the one-method [Keys] interface ([KeyFunc]
// adapts a function; a single *Verifier is a Keys too).
//
// # Verification order
//
// Decoding ([DecodeSign1], [DecodeSign]) checks the CBOR structure and interprets only two
// header parameters: alg (label 1) and kid (label 4). A crit parameter (label 2) naming
// anything else fails with [ErrCritical]; a label repeated within or across buckets is
// malformed. The payload stays opaque bytes until [Sign1.Verify] or [Sign.VerifySignature] has
// checked the signature, so callers parse nothing an attacker wrote before it is authenticated.
// Decoding never allocates in proportion to a length an attacker wrote: lengths are checked
// against the input, and a COSE_Sign may carry at most [MaxSignatures] signatures.
//
// # Tags
//
// A message is accepted tagged (18 for COSE_Sign1, 98 for COSE_Sign) or untagged; any other tag
// fails with [ErrTag] even when the signature is valid (cose-wg sign-fail-01).
//
// # Empty protected header
//
// When the protected bucket holds no entries it is signed as a zero-length bstr, whether it was
// sent as a zero-length bstr or as an encoded empty map (the byte A0). RFC 9052 §3 requires
// senders to use the zero-length bstr, and the cose-wg vector sign-pass-01 (protected bucket
// A0, signature over the zero-length bstr) shows verifiers treating the two alike; the package
// follows the vector. It always sends the zero-length bstr itself.
//
// # Detached payloads and external data
//
// [SignOptions.Detached] writes a null payload; the verifier passes the payload in
// [VerifyOptions.Payload]. Supplying a payload for a message that has one (or none for a
// detached message) fails with [ErrPayload]. External additional authenticated data
// (RFC 9052 §4.3) goes in [SignOptions.ExternalAAD] and [VerifyOptions.ExternalAAD].
//
// # Errors
//
// Failures are [*Error] values naming the field (and, for COSE_Sign, the signature index) and
// wrapping a sentinel for errors.Is ([ErrMalformed], [ErrTag], [ErrUnsupportedAlgorithm],
// [ErrAlgorithmMismatch], [ErrUnknownKey], [ErrSignature], [ErrPayload], [ErrCritical],
// [ErrKey]) and, for malformed CBOR, the *cbor.Error with the byte offset.
//
// Not implemented: COSE_Mac, COSE_Encrypt, counter signatures, Ed448 (no standard library
// support), and text-string algorithm names (reported as [ErrUnsupportedAlgorithm]).
//
// The package imports only the standard library and is meant to build with TinyGo.
package cose
