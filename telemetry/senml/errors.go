package senml

import (
	"errors"
	"strconv"
)

// Sentinel errors. Every error this package returns is an [*Error] wrapping one of these; test
// for them with errors.Is, and use errors.As with [*Error] for the record, field and offset.
var (
	// ErrSyntax means the input is not well-formed JSON (RFC 8259) or CBOR (RFC 8949), or is not
	// an array of maps/objects as RFC 8428 §5 and §6 require.
	ErrSyntax = errors.New("malformed input")
	// ErrType means a field has the wrong type (e.g. a string where Table 1 wants a number).
	ErrType = errors.New("field has the wrong type")
	// ErrDuplicate means a field appears twice in one record.
	ErrDuplicate = errors.New("field appears twice in a record")
	// ErrMustUnderstand means a record carries an unknown field whose label ends in "_", which
	// RFC 8428 §4.4 requires a receiver to reject.
	ErrMustUnderstand = errors.New("unknown must-understand field")
	// ErrName means a resolved name breaks RFC 8428 §4.5.1: it is empty, has a character outside
	// A-Z a-z 0-9 - : . / _, or does not start with A-Z a-z 0-9.
	ErrName = errors.New("invalid name")
	// ErrNoValue means a record has neither a value nor a sum (RFC 8428 §4.2).
	ErrNoValue = errors.New("record has no value and no sum")
	// ErrMultipleValues means a record has more than one of v, vs, vb, vd (RFC 8428 §4.2).
	ErrMultipleValues = errors.New("record has more than one value")
	// ErrVersion means bver is not a positive integer, is larger than the version this package
	// understands ([Version]), or differs between records of one pack (RFC 8428 §4.4).
	ErrVersion = errors.New("unsupported or inconsistent version")
	// ErrNumber means a number is not finite or is out of range for its field.
	ErrNumber = errors.New("invalid number")
	// ErrText means a string is not valid UTF-8 (RFC 8428 §5 allows only UTF-8).
	ErrText = errors.New("invalid UTF-8 text")
	// ErrDataValue means a JSON vd is not base64url (RFC 4648 §5) text.
	ErrDataValue = errors.New("invalid base64url data value")
	// ErrDepth means unknown fields nest deeper than the decoder follows (MaxDepth levels).
	ErrDepth = errors.New("nesting too deep")
)

// MaxDepth is how deeply the decoders follow nested arrays and maps inside the values of
// unknown fields before they fail with [ErrDepth].
const MaxDepth = 32

// Error locates a failure: which record, which field, and for the decoders the byte offset.
type Error struct {
	// Record is the index of the record in the pack, or -1 when the failure is outside any
	// record (e.g. the top-level array).
	Record int
	// Field is the label of the field ("bn", "v", an unknown label ...), or "" when the failure
	// is not about one field.
	Field string
	// Offset is the byte offset in the input where the failure was found, or -1 for failures
	// found by [Pack.Validate] and [Pack.Resolve], which read no bytes.
	Offset int
	// Err is one of the package's sentinel errors.
	Err error
	// Detail says more; it may be empty.
	Detail string
	// cause is an underlying error (e.g. from the CBOR primitives), reachable with errors.As.
	cause error
}

// Error implements error.
func (e *Error) Error() string {
	s := "senml: "
	if e.Record >= 0 {
		s += "record " + strconv.Itoa(e.Record) + ": "
	}
	if e.Field != "" {
		s += "field " + strconv.Quote(e.Field) + ": "
	}
	if e.Offset >= 0 {
		s += "offset " + strconv.Itoa(e.Offset) + ": "
	}
	s += e.Err.Error()
	if e.Detail != "" {
		s += " (" + e.Detail + ")"
	}
	return s
}

// Unwrap returns the sentinel error and, when there is one, the underlying cause.
func (e *Error) Unwrap() []error {
	if e.cause != nil {
		return []error{e.Err, e.cause}
	}
	return []error{e.Err}
}
