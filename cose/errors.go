package cose

import (
	"errors"
	"strconv"
)

// Sentinel errors; test for them with errors.Is. Every error this package returns for a
// message is an [*Error] wrapping one of them.
var (
	// ErrMalformed means the message is not a well-formed COSE structure (the wrapped
	// *cbor.Error, when there is one, carries the byte offset).
	ErrMalformed = errors.New("malformed COSE message")
	// ErrTag means the message carries a CBOR tag other than the one its type allows
	// (18 for COSE_Sign1, 98 for COSE_Sign).
	ErrTag = errors.New("wrong CBOR tag")
	// ErrUnsupportedAlgorithm means the alg header names an algorithm this package does not
	// implement (or is a text string).
	ErrUnsupportedAlgorithm = errors.New("unsupported algorithm")
	// ErrAlgorithmMismatch means the alg header differs from the algorithm bound to the key.
	ErrAlgorithmMismatch = errors.New("algorithm does not match the key")
	// ErrUnknownKey means no trusted key matches the message's key ID.
	ErrUnknownKey = errors.New("unknown key")
	// ErrSignature means the signature does not verify.
	ErrSignature = errors.New("signature verification failed")
	// ErrPayload means a detached payload is missing, or was supplied for a message that
	// carries its own payload.
	ErrPayload = errors.New("payload missing or doubly supplied")
	// ErrCritical means the protected header lists a critical header parameter (crit, label
	// 2) that this package does not process.
	ErrCritical = errors.New("unsupported critical header")
	// ErrKey means a key does not suit the algorithm it was paired with.
	ErrKey = errors.New("key does not suit the algorithm")
)

// Error is a COSE failure with its location.
type Error struct {
	// Field names the part of the message at fault (e.g. "protected header alg").
	Field string
	// Signature is the index of the signature at fault in a COSE_Sign, or -1.
	Signature int
	// Err is one of the package's sentinel errors.
	Err error
	// Cause is the underlying error (e.g. a *cbor.Error with the byte offset), or nil.
	Cause error
}

// Error implements error.
func (e *Error) Error() string {
	s := "cose: "
	if e.Signature >= 0 {
		s += "signature " + strconv.Itoa(e.Signature) + ": "
	}
	if e.Field != "" {
		s += e.Field + ": "
	}
	s += e.Err.Error()
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	return s
}

// Unwrap returns the sentinel and the cause, so errors.Is and errors.As see both.
func (e *Error) Unwrap() []error {
	if e.Cause == nil {
		return []error{e.Err}
	}
	return []error{e.Err, e.Cause}
}

func fail(field string, sig int, err, cause error) error {
	return &Error{Field: field, Signature: sig, Err: err, Cause: cause}
}
