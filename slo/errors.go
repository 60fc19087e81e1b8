package slo

import (
	"errors"
	"strconv"
	"time"
)

// Sentinel errors. Test for them with errors.Is; the typed errors below carry the detail and
// match the sentinel they wrap.
var (
	// ErrInvalidConfig reports a configuration that breaks a documented rule (see [ConfigError]).
	ErrInvalidConfig = errors.New("slo: invalid configuration")
	// ErrInvalidArgument reports a call argument that breaks a documented rule (see [ArgumentError]).
	ErrInvalidArgument = errors.New("slo: invalid argument")
	// ErrTooOld reports an event older than everything a [Counter] still retains; it was not
	// counted (see [StaleError] and [Counter.Rejected]).
	ErrTooOld = errors.New("slo: event older than the retained span")
	// ErrWindow reports a query window that is not positive or is longer than the retained span.
	ErrWindow = errors.New("slo: window out of range")
	// ErrNoData reports a query that has nothing to answer from (an empty sketch or window).
	ErrNoData = errors.New("slo: no data")
	// ErrGap reports a connectivity sampling gap that was not credited (see [GapError]).
	ErrGap = errors.New("slo: sampling gap")
	// ErrCorrupt reports snapshot bytes that cannot be restored (see [DecodeError]).
	ErrCorrupt = errors.New("slo: corrupt snapshot")
)

// ConfigError names the configuration field that broke a rule. It matches [ErrInvalidConfig].
type ConfigError struct {
	Field string // dotted field path, e.g. "Window.Resolution" or "Policy[2].ShortWindow"
	Rule  string // the rule that was broken
}

// Error describes the field and the rule it broke.
func (e *ConfigError) Error() string {
	return "slo: invalid configuration: " + e.Field + ": " + e.Rule
}

// Unwrap returns [ErrInvalidConfig].
func (e *ConfigError) Unwrap() error { return ErrInvalidConfig }

// ArgumentError names the argument that broke a rule. It matches [ErrInvalidArgument].
type ArgumentError struct {
	Arg  string // the parameter name
	Rule string // the rule that was broken
}

// Error describes the argument and the rule it broke.
func (e *ArgumentError) Error() string {
	return "slo: invalid argument " + e.Arg + ": " + e.Rule
}

// Unwrap returns [ErrInvalidArgument].
func (e *ArgumentError) Unwrap() error { return ErrInvalidArgument }

// StaleError describes an event that fell outside a [Counter]'s retained span. It matches [ErrTooOld].
type StaleError struct {
	At     time.Time // the event's time
	Oldest time.Time // the start of the oldest bucket still retained
}

// Error describes the event time and the oldest retained time.
func (e *StaleError) Error() string {
	return "slo: event at " + e.At.UTC().Format(time.RFC3339Nano) +
		" is older than the retained span starting " + e.Oldest.UTC().Format(time.RFC3339Nano)
}

// Unwrap returns [ErrTooOld].
func (e *StaleError) Unwrap() error { return ErrTooOld }

// WindowError describes a query window outside (0, span]. It matches [ErrWindow].
type WindowError struct {
	Window time.Duration // the window asked for
	Span   time.Duration // the longest window the counter answers
}

// Error describes the window and the allowed range.
func (e *WindowError) Error() string {
	return "slo: window " + e.Window.String() + " outside (0, " + e.Span.String() + "]"
}

// Unwrap returns [ErrWindow].
func (e *WindowError) Unwrap() error { return ErrWindow }

// GapError describes a connectivity sampling interval longer than the configured maximum: the
// interval was not credited as connected or disconnected time. It matches [ErrGap].
type GapError struct {
	From, To time.Time     // the uncredited interval
	Max      time.Duration // the configured ConnectivityConfig.MaxGap
}

// Error describes the uncredited interval.
func (e *GapError) Error() string {
	return "slo: sampling gap of " + e.To.Sub(e.From).String() + " exceeds MaxGap " + e.Max.String() +
		"; interval not credited"
}

// Unwrap returns [ErrGap].
func (e *GapError) Unwrap() error { return ErrGap }

// DecodeError locates the rule a snapshot broke. It matches [ErrCorrupt].
type DecodeError struct {
	Offset int    // byte offset in the snapshot where decoding failed
	Rule   string // the rule that was broken
}

// Error describes the byte offset and the rule broken.
func (e *DecodeError) Error() string {
	return "slo: corrupt snapshot at byte " + strconv.Itoa(e.Offset) + ": " + e.Rule
}

// Unwrap returns [ErrCorrupt].
func (e *DecodeError) Unwrap() error { return ErrCorrupt }
