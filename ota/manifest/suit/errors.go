package suit

import (
	"errors"

	"github.com/fleetkit/fleetkit/cose"
)

// Sentinel errors; test for them with errors.Is. Every error [Verify] returns is an [*Error]
// wrapping one of them.
var (
	// ErrMalformed means the envelope or manifest does not match the SUIT CDDL.
	ErrMalformed = errors.New("malformed SUIT envelope")
	// ErrUnsupported means a valid construct this package does not implement: a digest
	// algorithm other than SHA-256, a manifest version other than 1, an authentication block
	// other than COSE_Sign1.
	ErrUnsupported = errors.New("unsupported SUIT feature")
	// ErrSignature means no authentication block verifies (the same value as
	// cose.ErrSignature).
	ErrSignature = cose.ErrSignature
	// ErrUnknownKey means no authentication block names a trusted key (the same value as
	// cose.ErrUnknownKey).
	ErrUnknownKey = cose.ErrUnknownKey
	// ErrDigestMismatch means the manifest, or a severed element, does not match its signed
	// digest.
	ErrDigestMismatch = errors.New("digest mismatch")
)

// Error is a SUIT failure naming the element at fault.
type Error struct {
	// Field names the element (e.g. "authentication-wrapper", "manifest.common.components[1]").
	Field string
	// Err is one of the package's sentinel errors.
	Err error
	// Cause is the underlying error (a *cose.Error or *cbor.Error with its byte offset), or nil.
	Cause error
}

// Error implements error.
func (e *Error) Error() string {
	s := "suit: " + e.Field + ": " + e.Err.Error()
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

func fail(field string, err, cause error) error {
	return &Error{Field: field, Err: err, Cause: cause}
}
