package slo

import (
	"math"
	"strconv"
	"time"
)

// Severity names how an alert notifies. Rows of one severity are ORed into one alert.
type Severity string

// The Workbook's severities.
const (
	// Page wakes someone up: the budget is burning fast enough to need a human now.
	Page Severity = "page"
	// Ticket files a ticket: the budget is burning too fast to last the period.
	Ticket Severity = "ticket"
)

// Rule is one row of a multiwindow, multi-burn-rate alert: it fires while the burn rate exceeds
// BurnRate over both LongWindow and ShortWindow (each strictly greater than
// BurnRate × (1 - target)). The long window gives significance; the short window makes the alert
// reset soon after the errors stop.
type Rule struct {
	Severity    Severity      // how the row notifies; must not be empty
	LongWindow  time.Duration // must be positive and no longer than the source's span
	ShortWindow time.Duration // must be positive and no longer than LongWindow (the Workbook uses LongWindow/12)
	BurnRate    float64       // threshold burn rate; must be positive and finite
}

// Threshold returns the error ratio the row must exceed in both windows: BurnRate × (1 - target).
func (r Rule) Threshold(target float64) float64 { return r.BurnRate * ErrorBudget(target) }

// BudgetConsumed returns the fraction of the period's budget spent by the time the row's long
// window alone would fire: BurnRate × LongWindow / period.
func (r Rule) BudgetConsumed(period time.Duration) float64 {
	return BudgetConsumed(r.BurnRate, r.LongWindow, period)
}

// String describes the row, e.g. "page: 14.4x over 1h and 5m".
func (r Rule) String() string {
	return string(r.Severity) + ": " + strconv.FormatFloat(r.BurnRate, 'f', -1, 64) + "x over " +
		formatWindow(r.LongWindow) + " and " + formatWindow(r.ShortWindow)
}

// Policy is the ordered list of alert rows of an SLO.
type Policy []Rule

// DefaultPolicy returns the SRE Workbook's recommended rows (Table 5-8) for a 30-day period:
//
//	page   14.4x over 1h and 5m   (2% of the budget spent)
//	page      6x over 6h and 30m  (5%)
//	ticket    1x over 3d and 6h   (10%)
//
// For another period, scale the burn rates with [ThresholdBurnRate] to keep the same shares.
func DefaultPolicy() Policy {
	return Policy{
		{Severity: Page, LongWindow: time.Hour, ShortWindow: 5 * time.Minute, BurnRate: 14.4},
		{Severity: Page, LongWindow: 6 * time.Hour, ShortWindow: 30 * time.Minute, BurnRate: 6},
		{Severity: Ticket, LongWindow: 3 * 24 * time.Hour, ShortWindow: 6 * time.Hour, BurnRate: 1},
	}
}

// WorkbookPolicy returns [DefaultPolicy] plus the ticket row the Workbook's final example rule
// also uses: 3x over 24h and 2h.
func WorkbookPolicy() Policy {
	p := DefaultPolicy()
	return append(p[:2:2],
		Rule{Severity: Ticket, LongWindow: 24 * time.Hour, ShortWindow: 2 * time.Hour, BurnRate: 3},
		p[2])
}

func (p Policy) validate(target float64, span time.Duration) error {
	for i, r := range p {
		f := "Policy[" + strconv.Itoa(i) + "]."
		switch {
		case r.Severity == "":
			return &ConfigError{Field: f + "Severity", Rule: "must not be empty"}
		case !(r.BurnRate > 0) || math.IsInf(r.BurnRate, 0):
			return &ConfigError{Field: f + "BurnRate", Rule: "must be positive and finite, got " + formatFloat(r.BurnRate)}
		case r.Threshold(target) >= 1:
			return &ConfigError{Field: f + "BurnRate", Rule: "threshold error ratio BurnRate×(1-Target) = " +
				formatFloat(r.Threshold(target)) + " is at least 1, so the row can never fire"}
		case r.LongWindow <= 0 || r.LongWindow > span:
			return &ConfigError{Field: f + "LongWindow", Rule: "must be in (0, " + span.String() + "], got " + r.LongWindow.String()}
		case r.ShortWindow <= 0 || r.ShortWindow > r.LongWindow:
			return &ConfigError{Field: f + "ShortWindow", Rule: "must be in (0, LongWindow], got " + r.ShortWindow.String()}
		}
	}
	return nil
}

// Alert is a firing row: which row, what it saw, and since when.
type Alert struct {
	Rule          int           // index of the row in the SLO's Policy
	Severity      Severity      // the row's severity
	LongWindow    time.Duration // the row's long window
	ShortWindow   time.Duration // the row's short window
	Threshold     float64       // the row's BurnRate
	LongBurnRate  float64       // burn rate observed over LongWindow
	ShortBurnRate float64       // burn rate observed over ShortWindow
	Since         time.Time     // the evaluation at which the row started firing
}

// TransitionKind says whether a severity started or stopped firing.
type TransitionKind uint8

// Transition kinds.
const (
	Fired    TransitionKind = iota + 1 // no row of the severity fired before; one fires now
	Resolved                           // a row of the severity fired before; none fires now
)

// String returns "fired" or "resolved".
func (k TransitionKind) String() string {
	switch k {
	case Fired:
		return "fired"
	case Resolved:
		return "resolved"
	}
	return "transition(" + strconv.Itoa(int(k)) + ")"
}

// Transition is a change of a severity's state between two evaluations: the moment to notify.
// Rows of one severity are ORed, so a second row of a firing severity starting to fire is not
// a transition.
type Transition struct {
	Severity Severity
	Kind     TransitionKind
	At       time.Time // the evaluation that saw the change
	Since    time.Time // for Resolved: when the severity had fired
}

// Evaluation is the result of [Objective.Evaluate]. Reuse one Evaluation across calls to avoid
// allocating: Evaluate truncates and refills its slices.
type Evaluation struct {
	At          time.Time    // the now of the evaluation
	Alerts      []Alert      // firing rows, in Policy order
	Transitions []Transition // severity changes since the previous evaluation, in first-row order
}

// Firing reports whether any row of sev is firing.
func (e *Evaluation) Firing(sev Severity) bool {
	for _, a := range e.Alerts {
		if a.Severity == sev {
			return true
		}
	}
	return false
}

// Evaluate reads every window of the policy at now, decides which rows fire and records which
// severities fired or resolved since the previous call, into ev. Each distinct window is read
// once. Call it on a regular cadence (every Resolution, say) with non-decreasing now; the SLO
// remembers firing state between calls so a caller notifies once per Fired transition. When the
// source returns an error, Evaluate returns it and the alert state is unchanged.
func (s *Objective) Evaluate(now time.Time, ev *Evaluation) error {
	ev.At = now
	ev.Alerts = ev.Alerts[:0]
	ev.Transitions = ev.Transitions[:0]
	if err := s.readWindows(now); err != nil {
		return err
	}
	firingSev := s.sevNow
	clear(firingSev)
	for i, r := range s.policy {
		st := &s.rules[i]
		long, short := s.burn(st.long), s.burn(st.short)
		fires := exceeds(long, r.BurnRate) && exceeds(short, r.BurnRate)
		if fires && !st.firing {
			st.since = now
		}
		st.firing = fires
		if fires {
			firingSev[st.sev] = true
			ev.Alerts = append(ev.Alerts, s.alert(i, long, short))
		}
	}
	for i := range s.sevs {
		sv := &s.sevs[i]
		switch {
		case firingSev[i] && !sv.firing:
			sv.firing, sv.since = true, now
			ev.Transitions = append(ev.Transitions, Transition{Severity: sv.sev, Kind: Fired, At: now})
		case !firingSev[i] && sv.firing:
			sv.firing = false
			ev.Transitions = append(ev.Transitions, Transition{Severity: sv.sev, Kind: Resolved, At: now, Since: sv.since})
		}
	}
	return nil
}

// Firing reports whether any row of sev was firing at the last [Objective.Evaluate] (for exporters
// and dashboards that read state without evaluating).
func (s *Objective) Firing(sev Severity) bool {
	for _, st := range s.sevs {
		if st.sev == sev {
			return st.firing
		}
	}
	return false
}

// Severities returns the policy's distinct severities in first-row order.
func (s *Objective) Severities() []Severity {
	out := make([]Severity, len(s.sevs))
	for i, st := range s.sevs {
		out[i] = st.sev
	}
	return out
}

func (s *Objective) readWindows(now time.Time) error {
	for i, w := range s.windows {
		c, err := s.src.Count(now, w)
		if err != nil {
			return err
		}
		s.counts[i] = c
	}
	return nil
}

func (s *Objective) burn(window int) float64 {
	return BurnRate(s.counts[window].ErrorRatio(), s.target)
}

func (s *Objective) alert(i int, long, short float64) Alert {
	r := s.policy[i]
	return Alert{Rule: i, Severity: r.Severity, LongWindow: r.LongWindow, ShortWindow: r.ShortWindow,
		Threshold: r.BurnRate, LongBurnRate: long, ShortBurnRate: short, Since: s.rules[i].since}
}
