package cbor

import (
	"errors"
	"strconv"
)

// Sentinel errors. Every error returned by a [Decoder] is an [*Error] wrapping one of these.
var (
	// ErrTruncated means the input ended inside an item.
	ErrTruncated = errors.New("truncated input")
	// ErrLength means a declared length or element count exceeds the bytes that remain.
	ErrLength = errors.New("length exceeds remaining input")
	// ErrType means the item has another major type or simple value than the reader expects.
	ErrType = errors.New("unexpected item type")
	// ErrNonShortest means a head's argument was not encoded in its shortest form while
	// [Options.RequireShortest] is set.
	ErrNonShortest = errors.New("argument not in shortest form")
	// ErrIndefinite means an indefinite-length item was found where it is not allowed.
	ErrIndefinite = errors.New("indefinite-length item not allowed")
	// ErrMalformed means the bytes are not well-formed CBOR (reserved additional information,
	// indefinite length on a type that has none, a two-byte simple value below 32, a string
	// chunk of another type, or a stray "break").
	ErrMalformed = errors.New("malformed item")
	// ErrOverflow means an integer does not fit the Go type it is read into.
	ErrOverflow = errors.New("integer overflow")
	// ErrDepth means items are nested deeper than [Options.MaxDepth].
	ErrDepth = errors.New("nesting too deep")
	// ErrTrailing means bytes remain after the last expected item.
	ErrTrailing = errors.New("trailing bytes")
)

// Error is a decoding failure at a byte offset of the input.
type Error struct {
	// Offset is the byte offset of the head of the item that failed.
	Offset int
	// Err is one of the package's sentinel errors.
	Err error
	// Detail says more (e.g. which type was expected); it may be empty.
	Detail string
}

// Error implements error.
func (e *Error) Error() string {
	s := "cbor: offset " + strconv.Itoa(e.Offset) + ": " + e.Err.Error()
	if e.Detail != "" {
		s += " (" + e.Detail + ")"
	}
	return s
}

// Unwrap returns the sentinel error.
func (e *Error) Unwrap() error { return e.Err }

func newError(off int, err error, detail string) error {
	return &Error{Offset: off, Err: err, Detail: detail}
}
