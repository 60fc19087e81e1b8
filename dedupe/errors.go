package dedupe

import (
	"errors"
	"strconv"
)

// Verdicts of a check. Check methods return nil for a sequence number or key seen for the first
// time, or exactly one of these sentinels (never wrapped, so == works as well as [errors.Is]).
var (
	// ErrReplay: the sequence number lies inside the window and was already accepted.
	ErrReplay = errors.New("dedupe: replayed sequence number")
	// ErrTooOld: the sequence number lies left of the window (more than the window size below
	// the highest accepted number), so whether it was seen is no longer known; it is refused.
	ErrTooOld = errors.New("dedupe: sequence number left of the window")
	// ErrLimit: the sequence number is at or above the configured limit ([Window.SetLimit],
	// [TrackerConfig.Limit]). The sender has exhausted its number space and must start a new
	// epoch (new key, new boot counter) before it is accepted again.
	ErrLimit = errors.New("dedupe: sequence number at or above the limit")
)

// Errors about configuration, input size and snapshots, each wrapped with detail.
var (
	// ErrConfig: a constructor was given an out-of-range configuration value. The wrapping error
	// names the field, the value and the allowed range.
	ErrConfig = errors.New("dedupe: invalid configuration")
	// ErrTooLarge: a key, result or source ID is longer than the configured maximum. The
	// wrapping error names which and both lengths. Nothing was stored.
	ErrTooLarge = errors.New("dedupe: input too large")
	// ErrCorrupt: a snapshot failed a length, checksum or invariant check. See [SnapshotError].
	ErrCorrupt = errors.New("dedupe: corrupt snapshot")
	// ErrVersion: a snapshot has the right magic but a format version this package does not
	// read (written by a newer release). See [SnapshotError].
	ErrVersion = errors.New("dedupe: unsupported snapshot version")
	// ErrMismatch: a well-formed snapshot does not fit the receiver: a different window size,
	// or more entries than the receiver may hold. See [SnapshotError].
	ErrMismatch = errors.New("dedupe: snapshot does not fit the receiver")
)

// SnapshotError reports why UnmarshalBinary refused its input. The receiver is left unchanged.
// Err is [ErrCorrupt], [ErrVersion] or [ErrMismatch], so callers decide with [errors.Is] and
// log the detail.
type SnapshotError struct {
	// Kind is the snapshot kind: "window", "cache" or "tracker".
	Kind string
	// Offset is the byte offset in the input where the rule was broken.
	Offset int
	// Rule says which rule was broken, e.g. "crc32c mismatch".
	Rule string
	// Err is the sentinel: ErrCorrupt, ErrVersion or ErrMismatch.
	Err error
}

// Error implements error.
func (e *SnapshotError) Error() string {
	return "dedupe: " + e.Kind + " snapshot: byte " + strconv.Itoa(e.Offset) + ": " + e.Rule
}

// Unwrap returns the sentinel, for [errors.Is].
func (e *SnapshotError) Unwrap() error { return e.Err }
