package promslo

import "errors"

// Sentinel errors; test with errors.Is.
var (
	// ErrInvalid: a Config field or an argument breaks a documented rule ([ConfigError]).
	ErrInvalid = errors.New("promslo: invalid configuration")
	// ErrDuplicate: an objective of the same name was already added ([DuplicateError]).
	ErrDuplicate = errors.New("promslo: duplicate objective name")
)

// ConfigError names the Config field or argument that breaks a rule. It matches [ErrInvalid].
type ConfigError struct {
	Field string // e.g. "Quantiles[1]", "Namespace", "o"
	Rule  string // the rule broken, with the offending value
}

// Error names the field and the rule.
func (e *ConfigError) Error() string { return "promslo: invalid " + e.Field + ": " + e.Rule }

// Is reports whether target is [ErrInvalid].
func (e *ConfigError) Is(target error) bool { return target == ErrInvalid }

// DuplicateError reports an objective name added twice: names are the slo label's values and
// must be unique within a Collector. It matches [ErrDuplicate].
type DuplicateError struct {
	Name string
}

// Error names the duplicate.
func (e *DuplicateError) Error() string { return "promslo: objective " + e.Name + " already added" }

// Is reports whether target is [ErrDuplicate].
func (e *DuplicateError) Is(target error) bool { return target == ErrDuplicate }

// ObjectiveError is a failure to read or evaluate one objective; it wraps the slo error (test it
// with errors.Is against slo's sentinels, such as slo.ErrInvalidArgument for a clock outside
// 1678..2262).
type ObjectiveError struct {
	Name string // the objective's name
	Err  error  // the error from the slo package
}

// Error names the objective and the cause.
func (e *ObjectiveError) Error() string { return "promslo: objective " + e.Name + ": " + e.Err.Error() }

// Unwrap returns the slo error.
func (e *ObjectiveError) Unwrap() error { return e.Err }
