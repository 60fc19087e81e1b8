package queue

import (
	"errors"
	"fmt"
)

// Sentinel errors. Test for them with errors.Is; the errors returned by the
// queue wrap them with detail.
var (
	// ErrFull is returned by Append under the Reject policy when the record
	// would take the queue past Config.MaxBytes or Config.MaxRecords. Nothing
	// already in the queue is lost; retry after acknowledging records.
	ErrFull = errors.New("queue: full")
	// ErrTooLarge is returned by Append for a record longer than
	// Config.MaxRecordSize.
	ErrTooLarge = errors.New("queue: record too large")
	// ErrClosed is returned by every method called after Close.
	ErrClosed = errors.New("queue: closed")
	// ErrInvalidConfig is wrapped by the *ConfigError Open returns for a
	// Config that breaks a rule.
	ErrInvalidConfig = errors.New("queue: invalid config")
	// ErrUnknownSeq is returned by Ack for a sequence number the queue never
	// issued (zero, or above the newest appended record).
	ErrUnknownSeq = errors.New("queue: unknown sequence number")
	// ErrLocked is returned by Open when another Queue (in this or another
	// process) holds the directory.
	ErrLocked = errors.New("queue: directory locked by another queue")
	// ErrCorrupt is wrapped by every CorruptionReport: a segment, record or
	// acknowledgement file failed its checks.
	ErrCorrupt = errors.New("queue: corrupt data")
	// ErrSync is wrapped by the error returned when fsync fails. The data was
	// written to the operating system but its durability against power loss is
	// unknown; an Append that returns ErrSync still returns a valid sequence
	// number and the record is in the queue.
	ErrSync = errors.New("queue: fsync failed")
)

// ConfigError describes the Config field that broke a rule. It wraps
// ErrInvalidConfig.
type ConfigError struct {
	Field string // name of the Config field
	Rule  string // the rule it broke
}

// Error implements error.
func (e *ConfigError) Error() string {
	return fmt.Sprintf("queue: invalid config: %s: %s", e.Field, e.Rule)
}

// Unwrap returns ErrInvalidConfig.
func (e *ConfigError) Unwrap() error { return ErrInvalidConfig }

// CorruptionReport describes one damaged region found in the queue directory,
// on Open or while reading. It is passed to Config.OnCorrupt and is also an
// error wrapping ErrCorrupt.
type CorruptionReport struct {
	// File is the base name of the damaged file (a segment, "acks.log" or
	// "ack.ckpt").
	File string
	// Offset and Length give the damaged byte range within File. Length -1
	// means "to the end of the file".
	Offset, Length int64
	// Seq is the sequence number of the damaged record when it is known
	// (damage detected while reading), otherwise 0.
	Seq uint64
	// Reason names the check that failed, e.g. "payload checksum mismatch".
	Reason string
	// Quarantine is the path the damaged file was moved or copied to, with a
	// ".reason" text file beside it; empty when nothing was moved (damage
	// detected while reading is quarantined on the next Open).
	Quarantine string
}

// Error implements error.
func (r CorruptionReport) Error() string {
	s := fmt.Sprintf("queue: corrupt data in %s at byte %d", r.File, r.Offset)
	if r.Length >= 0 {
		s += fmt.Sprintf(" (+%d bytes)", r.Length)
	}
	if r.Seq != 0 {
		s += fmt.Sprintf(", seq %d", r.Seq)
	}
	s += ": " + r.Reason
	if r.Quarantine != "" {
		s += " (quarantined to " + r.Quarantine + ")"
	}
	return s
}

// Unwrap returns ErrCorrupt.
func (r CorruptionReport) Unwrap() error { return ErrCorrupt }
