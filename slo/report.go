package slo

import (
	"strconv"
	"strings"
	"time"
)

// Quantiler is implemented by SLIs that keep percentiles ([Latency], [Freshness]). A [Report] of
// an SLO whose source is a Quantiler includes its p50, p90 and p99.
type Quantiler interface {
	Quantile(now time.Time, q float64) (time.Duration, error)
}

// WindowStatus is what one trailing window holds.
type WindowStatus struct {
	Window   time.Duration
	Count    Count
	BurnRate float64
}

// QuantileValue is one percentile of a latency-like SLI.
type QuantileValue struct {
	Q     float64 // in [0, 1]
	Value time.Duration
}

// Report is a snapshot of an SLO for people: the SLI over the period, the budget left, the burn
// rate per policy window, percentiles when the source keeps them, and the rows firing. Its String
// method renders it as text.
type Report struct {
	Name            string
	Target          float64
	Period          time.Duration
	At              time.Time
	Count           Count   // good and total over the period
	BudgetRemaining float64 // fraction of the error budget left; negative when overspent
	Windows         []WindowStatus
	Quantiles       []QuantileValue // p50, p90, p99 when the source is a Quantiler with data
	Alerts          []Alert         // rows whose condition holds at At
}

// Report builds a [Report] at now. It reads the source but does not change the SLO's alert
// state: an alert's Since is the time the last [Objective.Evaluate] saw it start, or At when Evaluate
// has not seen it firing yet.
func (s *Objective) Report(now time.Time) (Report, error) {
	r := Report{Name: s.name, Target: s.target, Period: s.period, At: now}
	c, err := s.src.Count(now, s.period)
	if err != nil {
		return Report{}, err
	}
	r.Count = c
	r.BudgetRemaining = remaining(c, s.target)
	if err := s.readWindows(now); err != nil {
		return Report{}, err
	}
	for i, w := range s.windows {
		r.Windows = append(r.Windows, WindowStatus{Window: w, Count: s.counts[i], BurnRate: s.burn(i)})
	}
	for i, rule := range s.policy {
		st := s.rules[i]
		long, short := s.burn(st.long), s.burn(st.short)
		if exceeds(long, rule.BurnRate) && exceeds(short, rule.BurnRate) {
			a := s.alert(i, long, short)
			if !st.firing {
				a.Since = now
			}
			r.Alerts = append(r.Alerts, a)
		}
	}
	if q, ok := s.src.(Quantiler); ok {
		for _, p := range [...]float64{0.5, 0.9, 0.99} {
			if v, err := q.Quantile(now, p); err == nil {
				r.Quantiles = append(r.Quantiles, QuantileValue{Q: p, Value: v})
			}
		}
	}
	return r, nil
}

// SLI returns good/total over the period (1 with no events).
func (r Report) SLI() float64 { return r.Count.Ratio() }

// String renders the report as a few lines of text, for example:
//
//	SLO command-success: target 99.9% over 30d
//	  SLI 99.950% (19990 good of 20000), error budget 0.1%, remaining 50.0%
//	  burn rate: 5m 0.00x, 30m 0.00x, 1h 0.50x, 6h 0.20x, 3d 0.10x
//	  alerts: none
func (r Report) String() string {
	var b strings.Builder
	b.WriteString("SLO ")
	b.WriteString(r.Name)
	b.WriteString(": target ")
	b.WriteString(percent(r.Target, -1))
	b.WriteString(" over ")
	b.WriteString(formatWindow(r.Period))
	b.WriteString("\n  SLI ")
	if r.Count.Total == 0 {
		b.WriteString("n/a (no events)")
	} else {
		b.WriteString(percent(r.SLI(), 3))
		b.WriteString(" (")
		b.WriteString(strconv.FormatUint(r.Count.Good, 10))
		b.WriteString(" good of ")
		b.WriteString(strconv.FormatUint(r.Count.Total, 10))
		b.WriteString(")")
	}
	b.WriteString(", error budget ")
	b.WriteString(percent(ErrorBudget(r.Target), -1))
	b.WriteString(", remaining ")
	b.WriteString(percent(r.BudgetRemaining, 1))
	if len(r.Windows) > 0 {
		b.WriteString("\n  burn rate:")
		for i, w := range r.Windows {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteByte(' ')
			b.WriteString(formatWindow(w.Window))
			b.WriteByte(' ')
			b.WriteString(strconv.FormatFloat(w.BurnRate, 'f', 2, 64))
			b.WriteByte('x')
		}
	}
	if len(r.Quantiles) > 0 {
		b.WriteString("\n  percentiles:")
		for i, q := range r.Quantiles {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(" p")
			b.WriteString(strconv.FormatFloat(q.Q*100, 'g', 4, 64))
			b.WriteByte(' ')
			b.WriteString(roundDuration(q.Value).String())
		}
	}
	if len(r.Alerts) == 0 {
		b.WriteString("\n  alerts: none")
	}
	for _, a := range r.Alerts {
		b.WriteString("\n  ALERT ")
		b.WriteString(string(a.Severity))
		b.WriteString(": ")
		b.WriteString(strconv.FormatFloat(a.Threshold, 'f', -1, 64))
		b.WriteString("x over ")
		b.WriteString(formatWindow(a.LongWindow))
		b.WriteString(" and ")
		b.WriteString(formatWindow(a.ShortWindow))
		b.WriteString(" (observed ")
		b.WriteString(strconv.FormatFloat(a.LongBurnRate, 'f', 2, 64))
		b.WriteString("x and ")
		b.WriteString(strconv.FormatFloat(a.ShortBurnRate, 'f', 2, 64))
		b.WriteString("x) since ")
		b.WriteString(a.Since.UTC().Format(time.RFC3339))
	}
	return b.String()
}

// percent renders a fraction as a percentage with prec decimals (-1: shortest of 6 significant digits).
func percent(v float64, prec int) string {
	if prec < 0 {
		return strconv.FormatFloat(v*100, 'g', 6, 64) + "%"
	}
	return strconv.FormatFloat(v*100, 'f', prec, 64) + "%"
}

// FormatWindow renders a window in the Workbook's style, as reports, rule descriptions and
// exporters' window labels spell it: 5m, 1h, 3d; a duration that is not a whole number of seconds
// as time.Duration.String does (1.5s).
func FormatWindow(d time.Duration) string { return formatWindow(d) }

func formatWindow(d time.Duration) string {
	switch {
	case d <= 0:
		return d.String()
	case d%(24*time.Hour) == 0:
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	case d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	case d%time.Minute == 0:
		return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	case d%time.Second == 0:
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	}
	return d.String()
}

func roundDuration(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(time.Microsecond)
	}
	return d
}
