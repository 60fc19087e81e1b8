package manifest

import (
	"errors"

	"github.com/fleetkit/fleetkit/cose"
)

// Sentinel errors, one per check; test for them with errors.Is. Every error [Verifier.Verify],
// [Decode] and the [ImageVerifier] return is an [*Error] wrapping one of them.
var (
	// ErrSignature means a signature does not verify (the same value as cose.ErrSignature).
	ErrSignature = cose.ErrSignature
	// ErrUnknownKey means a signature names a key ID the trust store does not hold (the same
	// value as cose.ErrUnknownKey).
	ErrUnknownKey = cose.ErrUnknownKey
	// ErrThreshold means fewer distinct trusted keys signed than the trust store requires.
	ErrThreshold = errors.New("signature threshold not met")
	// ErrMalformed means the envelope or the manifest body breaks the format; the [*Error]
	// names the field.
	ErrMalformed = errors.New("malformed manifest")
	// ErrRollback means the manifest's sequence number is below the device's, or equal to it
	// with another image digest.
	ErrRollback = errors.New("sequence number rollback")
	// ErrVendor means the manifest is for another vendor ID.
	ErrVendor = errors.New("wrong vendor ID")
	// ErrClass means the manifest is for another class ID.
	ErrClass = errors.New("wrong class ID")
	// ErrExpired means the manifest's expiry time has passed.
	ErrExpired = errors.New("manifest expired")
	// ErrBelowMinimum means the device runs a sequence number below the manifest's minimum
	// (it must install an intermediate update first).
	ErrBelowMinimum = errors.New("device below minimum version")
	// ErrOversize means the envelope, or the image, is larger than allowed.
	ErrOversize = errors.New("oversize")
	// ErrTruncated means the image ended before its declared size.
	ErrTruncated = errors.New("image truncated")
	// ErrDigestMismatch means the image's SHA-256 differs from the manifest's digest.
	ErrDigestMismatch = errors.New("image digest mismatch")
)

// Check names the verification step that failed.
type Check string

// The checks, in the order [Verifier.Verify] applies them.
const (
	CheckEnvelope  Check = "envelope"  // size and COSE structure
	CheckSignature Check = "signature" // signatures and threshold
	CheckBody      Check = "body"      // manifest body format
	CheckVendor    Check = "vendor"    // vendor ID
	CheckClass     Check = "class"     // class ID
	CheckExpiry    Check = "expiry"    // expiry time
	CheckMinimum   Check = "minimum"   // minimum current sequence number
	CheckRollback  Check = "rollback"  // anti-rollback
	CheckSize      Check = "size"      // image size against the device's limit
	CheckImage     Check = "image"     // streamed image size and digest
)

// Error is a failed check.
type Error struct {
	// Check is the step that failed.
	Check Check
	// Field names the manifest field at fault (e.g. "sequence", "uris[1]"), or is empty.
	Field string
	// Err is one of the package's sentinel errors.
	Err error
	// Cause is the underlying error (a *cose.Error or *cbor.Error with its offset), or nil.
	Cause error
}

// Error implements error.
func (e *Error) Error() string {
	s := "manifest: " + string(e.Check) + " check: "
	if e.Field != "" {
		s += e.Field + ": "
	}
	s += e.Err.Error()
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	return s
}

// Unwrap returns the sentinel and the cause.
func (e *Error) Unwrap() []error {
	if e.Cause == nil {
		return []error{e.Err}
	}
	return []error{e.Err, e.Cause}
}

func fail(c Check, field string, err, cause error) error {
	return &Error{Check: c, Field: field, Err: err, Cause: cause}
}
