package store

import (
	"context"
	"errors"
	"strconv"
)

// Record is one stored twin: its key, its store version and its encoded document.
type Record struct {
	Device  string
	Name    string
	Version uint64 // starts at 1 for a new record, +1 on every CompareAndSet
	Doc     []byte // the twin.Document JSON encoding; owned by the caller once returned
}

// Store keeps twin documents under compare-and-set. Implementations are safe for concurrent use.
type Store interface {
	// Get returns the record of (device, name), or an error matching ErrNotFound.
	Get(ctx context.Context, device, name string) (Record, error)
	// CompareAndSet stores doc for (device, name) if the stored version is expected (0: the
	// record must not exist) and returns the new version, expected+1. A different stored version
	// fails with a *ConflictError (ErrConflict); the record is then unchanged. doc is copied.
	CompareAndSet(ctx context.Context, device, name string, expected uint64, doc []byte) (uint64, error)
	// Delete removes (device, name) if its version is expected (0: whatever the version). A
	// missing record fails with ErrNotFound, another version with ErrConflict.
	Delete(ctx context.Context, device, name string, expected uint64) error
	// List returns the records of device (every device when device is ""), sorted by device and
	// name.
	List(ctx context.Context, device string) ([]Record, error)
	// Close releases the store. Later calls fail with ErrClosed.
	Close() error
}

// Sentinel errors: test with errors.Is.
var (
	// ErrNotFound: no record for the key.
	ErrNotFound = errors.New("store: twin not found")
	// ErrConflict: the stored version is not the expected one. Detail: *ConflictError.
	ErrConflict = errors.New("store: version conflict")
	// ErrInvalidKey: a device or twin name breaks the key rules. Detail: *KeyError.
	ErrInvalidKey = errors.New("store: invalid key")
	// ErrCorrupt: a stored record failed its integrity check and was quarantined. Detail: *CorruptError.
	ErrCorrupt = errors.New("store: corrupt record")
	// ErrLocked: another store owns the directory.
	ErrLocked = errors.New("store: directory locked by another store")
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("store: closed")
	// ErrInvalidQuery: a query predicate is malformed. Detail: *QueryError.
	ErrInvalidQuery = errors.New("store: invalid query")
)

// ConflictError reports a compare-and-set whose expected version was stale.
type ConflictError struct {
	Device, Name string
	Expected     uint64 // the version the caller expected (0: absent)
	Current      uint64 // the stored version (0: absent)
}

// Error describes the failure: what, where and the rule broken.
func (e *ConflictError) Error() string {
	return "store: version conflict on " + keyString(e.Device, e.Name) + ": expected version " +
		strconv.FormatUint(e.Expected, 10) + ", stored version " + strconv.FormatUint(e.Current, 10)
}

// Unwrap returns ErrConflict.
func (e *ConflictError) Unwrap() error { return ErrConflict }

// NotFound returns an error matching ErrNotFound that names the key.
func NotFound(device, name string) error {
	return &notFoundError{device, name}
}

type notFoundError struct{ device, name string }

func (e *notFoundError) Error() string {
	return "store: twin " + keyString(e.device, e.name) + " not found"
}
func (e *notFoundError) Unwrap() error     { return ErrNotFound }
func keyString(device, name string) string { return strconv.Quote(device) + "/" + strconv.Quote(name) }

// CorruptError reports a stored record that failed its integrity check: where it was and why.
type CorruptError struct {
	Device, Name string
	Location     string // where the damaged record was moved (file path), or "" if left in place
	Reason       string
}

// Error describes the failure: what, where and the rule broken.
func (e *CorruptError) Error() string {
	s := "store: corrupt record " + keyString(e.Device, e.Name) + ": " + e.Reason
	if e.Location != "" {
		s += " (quarantined as " + e.Location + ")"
	}
	return s
}

// Unwrap returns ErrCorrupt.
func (e *CorruptError) Unwrap() error { return ErrCorrupt }
