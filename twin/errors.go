package twin

import (
	"errors"
	"strconv"
)

// Sentinel errors. Test for them with [errors.Is]; the typed errors below carry the detail
// (rule, path, byte offset) and wrap one of these.
var (
	// ErrSyntax: the input is not valid JSON (RFC 8259). Detail: [*SyntaxError].
	ErrSyntax = errors.New("twin: invalid JSON")
	// ErrDuplicateKey: an object has the same key twice. RFC 8259 leaves the meaning of
	// duplicates open; twin rejects them so that no value is silently dropped. Detail: [*SyntaxError].
	ErrDuplicateKey = errors.New("twin: duplicate object key")
	// ErrNumber: a number literal is not valid JSON, or a float is NaN or infinite. Detail: [*NumberError].
	ErrNumber = errors.New("twin: invalid number")
	// ErrLimit: a [Limits] rule was broken. Detail: [*LimitError].
	ErrLimit = errors.New("twin: limit exceeded")
	// ErrNotObject: a value that must be an object (a section, a patch, a path step) is not.
	ErrNotObject = errors.New("twin: not a JSON object")
	// ErrConflict: an update expected a version other than the current one. Detail: [*ConflictError].
	ErrConflict = errors.New("twin: version conflict")
	// ErrInvalidUpdate: an update is malformed (no time, bad acknowledgement, version exhausted).
	ErrInvalidUpdate = errors.New("twin: invalid update")
	// ErrInvalidDocument: an encoded document is well-formed JSON but not a valid twin document
	// (missing or mistyped field, metadata that does not match the state).
	ErrInvalidDocument = errors.New("twin: invalid document")
	// ErrUnrepresentable: [Diff] was asked for a patch that RFC 7396 cannot express (an object
	// member whose value is null).
	ErrUnrepresentable = errors.New("twin: not expressible as a merge patch")
	// ErrInvalidLimits: a [Limits] field is negative.
	ErrInvalidLimits = errors.New("twin: invalid limits")
)

// SyntaxError describes invalid JSON: what was wrong, where (byte offset into the input, -1 when
// the value was not parsed from bytes) and the path of the value being read. It wraps [ErrSyntax],
// and also [ErrDuplicateKey] when Duplicate is set.
type SyntaxError struct {
	Offset    int    // byte offset in the input, or -1
	Path      string // path of the enclosing value, e.g. "network.wifi" or "list[2]"; "" at the root
	Msg       string // what rule was broken
	Duplicate bool   // the error is a duplicate object key
}

// Error returns the message: the rule, the path and the byte offset.
func (e *SyntaxError) Error() string {
	s := "twin: invalid JSON: " + e.Msg
	if e.Path != "" {
		s += " at " + e.Path
	}
	if e.Offset >= 0 {
		s += " (byte offset " + strconv.Itoa(e.Offset) + ")"
	}
	return s
}

// Unwrap returns [ErrSyntax], plus [ErrDuplicateKey] for a duplicate key.
func (e *SyntaxError) Unwrap() []error {
	if e.Duplicate {
		return []error{ErrSyntax, ErrDuplicateKey}
	}
	return []error{ErrSyntax}
}

// NumberError reports a number literal that is not valid JSON. It wraps [ErrNumber].
type NumberError struct {
	Literal string
}

// Error returns the message with the rejected literal.
func (e *NumberError) Error() string {
	return "twin: invalid number " + strconv.Quote(e.Literal) + ": RFC 8259 section 6 grammar, no NaN or infinity"
}

// Unwrap returns [ErrNumber].
func (e *NumberError) Unwrap() error { return ErrNumber }

// ConflictError reports a failed compare-and-set. It wraps [ErrConflict].
type ConflictError struct {
	Expected uint64 // the version the update expected
	Current  uint64 // the document's version
}

// Error returns the message with both versions.
func (e *ConflictError) Error() string {
	return "twin: version conflict: update expected version " + strconv.FormatUint(e.Expected, 10) +
		", document is at version " + strconv.FormatUint(e.Current, 10)
}

// Unwrap returns [ErrConflict].
func (e *ConflictError) Unwrap() error { return ErrConflict }
