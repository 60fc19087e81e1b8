package slo

import (
	"strconv"
	"time"
)

// Outcome is the final state of an operation measured by an [Outcomes] SLI, such as a command
// or an OTA update on one device.
type Outcome uint8

// Outcomes. Succeeded is good; Failed and TimedOut are bad; Rejected and Cancelled are excluded
// from the SLI (counted by [Outcomes.Excluded]), because they are decisions of the device's
// validation or of an operator, not failures of the service — as the SRE Workbook leaves client
// errors out of an availability SLI.
const (
	// Succeeded: the command ran and reported success; the OTA image was installed, passed its
	// health check and was committed.
	Succeeded Outcome = iota + 1
	// Failed: the command reported failure; the OTA download, verification or install failed, or
	// the update was rolled back after a failed health check.
	Failed
	// TimedOut: no final answer before the deadline (a command expired, an OTA step timed out).
	TimedOut
	// Rejected: the device refused the operation as invalid (bad parameters, wrong image class).
	Rejected
	// Cancelled: an operator or campaign policy cancelled the operation before it completed.
	Cancelled
)

var outcomeNames = [...]string{Succeeded: "succeeded", Failed: "failed", TimedOut: "timed-out",
	Rejected: "rejected", Cancelled: "cancelled"}

// String returns the outcome's lower-case name.
func (o Outcome) String() string {
	if o >= Succeeded && o <= Cancelled {
		return outcomeNames[o]
	}
	return "outcome(" + strconv.Itoa(int(o)) + ")"
}

// Outcomes is a success-rate SLI over operation outcomes: the command success rate and the OTA
// success rate are both Outcomes. good = Succeeded, total = Succeeded + Failed + TimedOut.
// An Outcomes is not safe for concurrent use.
type Outcomes struct {
	counter  *Counter
	excluded uint64
}

// NewOutcomes returns an Outcomes SLI whose counter is laid out by window.
func NewOutcomes(window WindowConfig) (*Outcomes, error) {
	c, err := NewCounter(window)
	if err != nil {
		return nil, err
	}
	return &Outcomes{counter: c}, nil
}

// Observe records one operation that reached outcome o at now. An unknown outcome is an
// [ArgumentError]; an event older than the span returns a [StaleError]. Observe does not allocate.
func (s *Outcomes) Observe(now time.Time, o Outcome) error {
	switch o {
	case Succeeded:
		return s.counter.Add(now, 1, 1)
	case Failed, TimedOut:
		return s.counter.Add(now, 0, 1)
	case Rejected, Cancelled:
		s.excluded++
		return nil
	}
	return &ArgumentError{Arg: "o", Rule: "unknown outcome " + o.String()}
}

// Excluded returns how many Rejected and Cancelled outcomes were left out of the SLI.
func (s *Outcomes) Excluded() uint64 { return s.excluded }

// Count returns good and total outcomes in the window ending at now (see [Counter.Count]).
func (s *Outcomes) Count(now time.Time, window time.Duration) (Count, error) {
	return s.counter.Count(now, window)
}

// Span returns the longest window [Outcomes.Count] answers.
func (s *Outcomes) Span() time.Duration { return s.counter.Span() }

// Counter returns the underlying counter (for snapshots and direct reads).
func (s *Outcomes) Counter() *Counter { return s.counter }

// Duplicates is the duplicate-rate SLI over received messages: good = first deliveries,
// total = all deliveries, so the error ratio is the duplicate rate. Feed it from the dedupe
// package's verdicts. A Duplicates is not safe for concurrent use.
type Duplicates struct {
	counter *Counter
}

// NewDuplicates returns a Duplicates SLI whose counter is laid out by window.
func NewDuplicates(window WindowConfig) (*Duplicates, error) {
	c, err := NewCounter(window)
	if err != nil {
		return nil, err
	}
	return &Duplicates{counter: c}, nil
}

// Observe records one message received at now; duplicate reports whether it had been seen before.
func (d *Duplicates) Observe(now time.Time, duplicate bool) error {
	return d.counter.Observe(now, !duplicate)
}

// Add records unique first deliveries and duplicates received at now.
func (d *Duplicates) Add(now time.Time, unique, duplicates uint64) error {
	if unique+duplicates < unique {
		return &ArgumentError{Arg: "duplicates", Rule: "unique + duplicates overflows uint64"}
	}
	return d.counter.Add(now, unique, unique+duplicates)
}

// Rate returns the duplicate rate (duplicates / all messages) in the window ending at now.
func (d *Duplicates) Rate(now time.Time, window time.Duration) (float64, error) {
	c, err := d.counter.Count(now, window)
	return c.ErrorRatio(), err
}

// Count returns first deliveries (good) and all deliveries (total) in the window ending at now.
func (d *Duplicates) Count(now time.Time, window time.Duration) (Count, error) {
	return d.counter.Count(now, window)
}

// Span returns the longest window [Duplicates.Count] answers.
func (d *Duplicates) Span() time.Duration { return d.counter.Span() }

// Counter returns the underlying counter (for snapshots and direct reads).
func (d *Duplicates) Counter() *Counter { return d.counter }
