package slo

import (
	"slices"
	"time"
)

// DefaultPeriod is the SLO period used when Config.Period is zero.
const DefaultPeriod = 30 * 24 * time.Hour

// Config configures an [Objective]. Target is required; other zero fields take their defaults.
type Config struct {
	// Name identifies the SLO in reports and alerts, e.g. "command-success". Default "slo".
	Name string
	// Target is the objective, the fraction of good events promised, in (0, 1): 0.999 for 99.9%.
	Target float64
	// Period is the SLO's compliance period, the window the error budget covers.
	// Default [DefaultPeriod] (30 days). It must not exceed the source's Span.
	Period time.Duration
	// Policy holds the alert rows. nil selects [DefaultPolicy]; an empty non-nil Policy disables
	// alerting. Every window must be positive and no longer than the source's Span.
	Policy Policy
}

// Objective is a service level objective (SLO) over a [Source]: its error budget, burn rates,
// time to exhaustion and multiwindow, multi-burn-rate alerts. An Objective keeps no events of its
// own (the Source does) and starts no goroutines: callers pass now. It is not safe for
// concurrent use.
type Objective struct {
	name   string
	target float64
	period time.Duration
	policy Policy
	src    Source

	windows []time.Duration // distinct policy windows, ascending
	counts  []Count         // scratch, one per window
	rules   []ruleState
	sevs    []severityState
	sevNow  []bool // scratch, one per severity
}

type ruleState struct {
	long, short int // indexes into windows
	sev         int // index into sevs
	firing      bool
	since       time.Time
}

type severityState struct {
	sev    Severity
	firing bool
	since  time.Time
}

// New returns an Objective over src configured by cfg. It returns a [ConfigError] naming the field that
// breaks a rule (Target, Period, Policy[i].…).
func New(cfg Config, src Source) (*Objective, error) {
	if cfg.Name == "" {
		cfg.Name = "slo"
	}
	if cfg.Period == 0 {
		cfg.Period = DefaultPeriod
	}
	if cfg.Policy == nil {
		cfg.Policy = DefaultPolicy()
	}
	if src == nil {
		return nil, &ConfigError{Field: "src", Rule: "must not be nil"}
	}
	switch {
	case !(cfg.Target > 0 && cfg.Target < 1):
		return nil, &ConfigError{Field: "Target", Rule: "must be in (0, 1), got " + formatFloat(cfg.Target)}
	case cfg.Period < 0:
		return nil, &ConfigError{Field: "Period", Rule: "must be positive, got " + cfg.Period.String()}
	case cfg.Period > src.Span():
		return nil, &ConfigError{Field: "Period", Rule: "must not exceed the source's span " + src.Span().String() +
			", got " + cfg.Period.String()}
	}
	if err := cfg.Policy.validate(cfg.Target, src.Span()); err != nil {
		return nil, err
	}
	s := &Objective{name: cfg.Name, target: cfg.Target, period: cfg.Period, policy: slices.Clone(cfg.Policy), src: src}
	for _, r := range s.policy {
		s.windows = append(s.windows, r.LongWindow, r.ShortWindow)
	}
	slices.Sort(s.windows)
	s.windows = slices.Compact(s.windows)
	s.counts = make([]Count, len(s.windows))
	for _, r := range s.policy {
		st := ruleState{
			long:  slices.Index(s.windows, r.LongWindow),
			short: slices.Index(s.windows, r.ShortWindow),
			sev:   -1,
		}
		for i := range s.sevs {
			if s.sevs[i].sev == r.Severity {
				st.sev = i
			}
		}
		if st.sev < 0 {
			st.sev = len(s.sevs)
			s.sevs = append(s.sevs, severityState{sev: r.Severity})
		}
		s.rules = append(s.rules, st)
	}
	s.sevNow = make([]bool, len(s.sevs))
	return s, nil
}

// Name returns the SLO's name.
func (s *Objective) Name() string { return s.name }

// Target returns the objective, e.g. 0.999.
func (s *Objective) Target() float64 { return s.target }

// Period returns the compliance period.
func (s *Objective) Period() time.Duration { return s.period }

// Policy returns a copy of the alert rows.
func (s *Objective) Policy() Policy { return slices.Clone(s.policy) }

// Source returns the SLI the SLO reads.
func (s *Objective) Source() Source { return s.src }

// Windows returns the distinct windows the policy reads, shortest first.
func (s *Objective) Windows() []time.Duration { return slices.Clone(s.windows) }

// ErrorBudget returns 1 - Target: the fraction of events allowed to be bad.
func (s *Objective) ErrorBudget() float64 { return ErrorBudget(s.target) }

// Count returns good and total events in the window ending at now, read from the source.
func (s *Objective) Count(now time.Time, window time.Duration) (Count, error) {
	return s.src.Count(now, window)
}

// BurnRate returns the burn rate over the window ending at now: the window's error ratio
// divided by the error budget. A window without events burns at 0.
func (s *Objective) BurnRate(now time.Time, window time.Duration) (float64, error) {
	c, err := s.src.Count(now, window)
	if err != nil {
		return 0, err
	}
	return BurnRate(c.ErrorRatio(), s.target), nil
}

// BudgetRemaining returns the fraction of the error budget left over the period ending at now:
// 1 - bad / (ErrorBudget × total). It is 1 with no events and goes negative once the period has
// had more bad events than the budget allows.
func (s *Objective) BudgetRemaining(now time.Time) (float64, error) {
	c, err := s.src.Count(now, s.period)
	if err != nil {
		return 0, err
	}
	return remaining(c, s.target), nil
}

func remaining(c Count, target float64) float64 {
	if c.Total == 0 {
		return 1
	}
	return 1 - float64(c.Bad())/(ErrorBudget(target)*float64(c.Total))
}

// TimeToExhaustion returns how long the remaining budget lasts if the burn rate observed over
// window (ending at now) continues: remaining × Period / burnRate. It is 0 when the budget is
// already spent and [Never] when nothing is burning.
func (s *Objective) TimeToExhaustion(now time.Time, window time.Duration) (time.Duration, error) {
	rem, err := s.BudgetRemaining(now)
	if err != nil {
		return 0, err
	}
	br, err := s.BurnRate(now, window)
	if err != nil {
		return 0, err
	}
	if rem <= 0 {
		return 0, nil
	}
	if br <= 0 {
		return Never, nil
	}
	return durationOrNever(rem * float64(s.period) / br), nil
}

// BudgetConsumed returns the fraction of the period's error budget that the bad events of the
// window ending at now used up, relative to the traffic of the window: burnRate × window / Period.
func (s *Objective) BudgetConsumed(now time.Time, window time.Duration) (float64, error) {
	br, err := s.BurnRate(now, window)
	if err != nil {
		return 0, err
	}
	return BudgetConsumed(br, window, s.period), nil
}
