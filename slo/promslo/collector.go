package promslo

import (
	"errors"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/fleetkit/fleetkit/slo"
)

// DefaultNamespace prefixes every metric name when Config.Namespace is empty.
const DefaultNamespace = "fleetkit"

// DefaultQuantiles are the latency quantiles exported when Config.Quantiles is nil.
var DefaultQuantiles = []float64{0.5, 0.9, 0.99}

// Config configures a [Collector]. The zero value works.
type Config struct {
	// Namespace prefixes metric names: <Namespace>_slo_burn_rate. Default [DefaultNamespace].
	Namespace string
	// ConstLabels are added to every metric, e.g. {"region": "eu"}. They are what tells two
	// Collectors registered on one registry apart. Default none.
	ConstLabels prometheus.Labels
	// Locker guards the objectives and their sources: every scrape holds it while reading them.
	// Pass the mutex the caller already holds while feeding the SLIs (Observe, Add) and
	// evaluating, so that scrapes, ingestion and Evaluate cannot race. nil: the Collector owns a
	// mutex, and the caller feeds the SLIs inside [Collector.Do].
	Locker sync.Locker
	// Now is the clock a scrape reads the windows at. nil selects time.Now; tests and simulations
	// pass a virtual clock.
	Now func() time.Time
	// Quantiles are the latency quantiles exported for objectives whose source is an
	// [slo.Quantiler] ([slo.Latency], [slo.Freshness]). Each must be in [0, 1]. nil selects
	// [DefaultQuantiles]; an empty non-nil slice exports none.
	Quantiles []float64
}

// objective is one registered Objective with its label values computed once.
type objective struct {
	o          *slo.Objective
	name       string
	windows    []time.Duration // policy windows, then the period when it is not one of them
	labels     []string        // window label of each entry of windows
	periodAt   int             // index of the period in windows
	severities []slo.Severity
	quantiles  []string // label of each quantile; nil when the source is not a Quantiler
	q          slo.Quantiler
}

// Collector is a prometheus.Collector that exports the state of a set of [slo.Objective]s at each
// scrape: per window the good and total events, error ratio, burn rate, budget consumed and time
// to exhaustion; per objective the target, period and budget remaining; per severity whether an
// alert is firing; and latency quantiles when the source keeps them. See the package
// documentation for the metric names and the locking rules.
//
// A Collector is safe for concurrent use: every method takes the Locker.
type Collector struct {
	mu        sync.Locker
	now       func() time.Time
	quantiles []float64
	objs      []*objective

	target, period, budgetRemaining *prometheus.Desc
	good, total, errorRatio         *prometheus.Desc
	burnRate, budgetConsumed, tte   *prometheus.Desc
	firing, latency                 *prometheus.Desc
}

// New returns an empty Collector configured by cfg. It returns a [ConfigError] (matching
// [ErrInvalid]) when a quantile is outside [0, 1], Namespace is not a valid metric name prefix, or
// a ConstLabels name is invalid or one the Collector sets (slo, window, severity, q).
func New(cfg Config) (*Collector, error) {
	if cfg.Namespace == "" {
		cfg.Namespace = DefaultNamespace
	}
	if cfg.Locker == nil {
		cfg.Locker = new(sync.Mutex)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Quantiles == nil {
		cfg.Quantiles = DefaultQuantiles
	}
	for i, q := range cfg.Quantiles {
		if !(q >= 0 && q <= 1) {
			return nil, &ConfigError{Field: "Quantiles[" + strconv.Itoa(i) + "]", Rule: "must be in [0, 1], got " + formatFloat(q)}
		}
	}
	if !validNamespace(cfg.Namespace) {
		return nil, &ConfigError{Field: "Namespace", Rule: "must match [a-zA-Z_:][a-zA-Z0-9_:]*, got " + quote(cfg.Namespace)}
	}
	for name := range cfg.ConstLabels {
		switch {
		case !validLabelName(name):
			return nil, &ConfigError{Field: "ConstLabels", Rule: "label name must match [a-zA-Z_][a-zA-Z0-9_]* and not start with __, got " + quote(name)}
		case name == "slo" || name == "window" || name == "severity" || name == "q":
			return nil, &ConfigError{Field: "ConstLabels", Rule: "label " + quote(name) + " is one the Collector sets itself"}
		}
	}
	c := &Collector{mu: cfg.Locker, now: cfg.Now, quantiles: append([]float64(nil), cfg.Quantiles...)}
	desc := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(cfg.Namespace, "slo", name), help, labels, cfg.ConstLabels)
	}
	c.target = desc("target_ratio", "Objective: the fraction of events promised to be good.", "slo")
	c.period = desc("period_seconds", "Compliance period the error budget covers.", "slo")
	c.budgetRemaining = desc("budget_remaining_ratio",
		"Fraction of the error budget left over the period: 1 - bad/((1-target)*total); negative when overspent.", "slo")
	c.good = desc("window_good_events", "Good events in the trailing window.", "slo", "window")
	c.total = desc("window_events", "Valid events (good and bad) in the trailing window.", "slo", "window")
	c.errorRatio = desc("error_ratio", "Bad/total events in the trailing window; 0 without events.", "slo", "window")
	c.burnRate = desc("burn_rate", "Error ratio over the window divided by the error budget; 1 spends the budget exactly over the period.", "slo", "window")
	c.budgetConsumed = desc("budget_consumed_ratio", "Fraction of the period's error budget spent at the window's burn rate over the window: burn_rate*window/period.", "slo", "window")
	c.tte = desc("time_to_exhaustion_seconds", "How long the remaining budget lasts at the window's burn rate; +Inf when nothing burns, 0 when spent.", "slo", "window")
	c.firing = desc("alert_firing", "1 while a multiwindow, multi-burn-rate alert row of the severity fires (as of the last evaluation), else 0.", "slo", "severity")
	c.latency = desc("latency_quantile_seconds", "Latency (or freshness age) quantile of the SLI over its recent quantile window.", "slo", "q")
	return c, nil
}

// Add registers o under its name ([slo.Objective.Name]), the value of the slo label. A nil o is
// an error matching [ErrInvalid]; a name already added one matching [ErrDuplicate].
func (c *Collector) Add(o *slo.Objective) error {
	if o == nil {
		return &ConfigError{Field: "o", Rule: "must not be nil"}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.objs {
		if e.name == o.Name() {
			return &DuplicateError{Name: o.Name()}
		}
	}
	e := &objective{o: o, name: o.Name(), windows: o.Windows(), severities: o.Severities(), periodAt: -1}
	for i, w := range e.windows {
		if w == o.Period() {
			e.periodAt = i
		}
	}
	if e.periodAt < 0 {
		e.periodAt = len(e.windows)
		e.windows = append(e.windows, o.Period())
	}
	for _, w := range e.windows {
		e.labels = append(e.labels, slo.FormatWindow(w))
	}
	if q, ok := o.Source().(slo.Quantiler); ok && len(c.quantiles) > 0 {
		e.q = q
		for _, v := range c.quantiles {
			e.quantiles = append(e.quantiles, formatFloat(v))
		}
	}
	c.objs = append(c.objs, e)
	return nil
}

// Do runs fn while holding the Collector's Locker. Feed the SLIs and evaluate objectives inside
// Do when the Collector owns its lock (Config.Locker was nil); fn must not call the Collector.
func (c *Collector) Do(fn func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fn()
}

// Evaluation is the result of evaluating one objective with [Collector.Evaluate].
type Evaluation struct {
	Name string // the objective's name
	slo.Evaluation
}

// Evaluate runs [slo.Objective.Evaluate] at now for every added objective, in the order they were
// added, holding the Locker, and returns their results (whose Transitions say when to notify).
// An objective whose source fails is reported in the returned error as an [ObjectiveError] and
// left out of the results; the others are still evaluated.
func (c *Collector) Evaluate(now time.Time) ([]Evaluation, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Evaluation, 0, len(c.objs))
	var errs []error
	for _, e := range c.objs {
		ev := Evaluation{Name: e.name}
		if err := e.o.Evaluate(now, &ev.Evaluation); err != nil {
			errs = append(errs, &ObjectiveError{Name: e.name, Err: err})
			continue
		}
		out = append(out, ev)
	}
	return out, errors.Join(errs...)
}

// Describe sends the descriptors of every metric the Collector can export.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range [...]*prometheus.Desc{c.target, c.period, c.budgetRemaining, c.good, c.total,
		c.errorRatio, c.burnRate, c.budgetConsumed, c.tte, c.firing, c.latency} {
		ch <- d
	}
}

// Collect reads every objective at Config.Now while holding the Locker, releases it, and then
// builds and sends the metrics, so ingestion waits only for the reads. It does not evaluate
// alerts: alert_firing reports the last Evaluate. An objective whose source fails sends an
// invalid metric carrying an [ObjectiveError], which fails the scrape (promhttp answers 500 by
// default) rather than exporting a partial picture silently.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	now := c.now()
	objs := c.objs[:len(c.objs):len(c.objs)] // entries are immutable once added
	readings := make([]reading, len(objs))
	for i, e := range objs {
		readings[i] = c.read(e, now)
	}
	c.mu.Unlock()
	for i, e := range objs {
		if err := readings[i].err; err != nil {
			ch <- prometheus.NewInvalidMetric(c.target, &ObjectiveError{Name: e.name, Err: err})
			continue
		}
		c.send(ch, e, &readings[i])
	}
}

// reading is what a scrape reads from one objective under the lock.
type reading struct {
	counts    []slo.Count     // one per window of the objective
	firing    []bool          // one per severity
	quantiles []time.Duration // one per quantile, or none without data
	err       error
}

func (c *Collector) read(e *objective, now time.Time) reading {
	r := reading{counts: make([]slo.Count, len(e.windows)), firing: make([]bool, len(e.severities))}
	for i, w := range e.windows {
		n, err := e.o.Count(now, w)
		if err != nil {
			return reading{err: err}
		}
		r.counts[i] = n
	}
	for i, sev := range e.severities {
		r.firing[i] = e.o.Firing(sev)
	}
	for i := 0; e.q != nil && i < len(c.quantiles); i++ {
		d, err := e.q.Quantile(now, c.quantiles[i])
		if errors.Is(err, slo.ErrNoData) {
			break // no observation in the quantile window: no sample rather than a made-up 0
		}
		if err != nil {
			return reading{err: err}
		}
		r.quantiles = append(r.quantiles, d)
	}
	return r
}

func (c *Collector) send(ch chan<- prometheus.Metric, e *objective, r *reading) {
	target, period := e.o.Target(), e.o.Period()
	remaining := budgetRemaining(r.counts[e.periodAt], target)
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	gauge(c.target, target, e.name)
	gauge(c.period, period.Seconds(), e.name)
	gauge(c.budgetRemaining, remaining, e.name)
	for i, w := range e.windows {
		n, label := r.counts[i], e.labels[i]
		br := slo.BurnRate(n.ErrorRatio(), target)
		gauge(c.good, float64(n.Good), e.name, label)
		gauge(c.total, float64(n.Total), e.name, label)
		gauge(c.errorRatio, n.ErrorRatio(), e.name, label)
		gauge(c.burnRate, br, e.name, label)
		gauge(c.budgetConsumed, slo.BudgetConsumed(br, w, period), e.name, label)
		gauge(c.tte, timeToExhaustion(remaining, period, br), e.name, label)
	}
	for i, sev := range e.severities {
		v := 0.0
		if r.firing[i] {
			v = 1
		}
		gauge(c.firing, v, e.name, string(sev))
	}
	for i, d := range r.quantiles {
		gauge(c.latency, d.Seconds(), e.name, e.quantiles[i])
	}
}

// budgetRemaining is [slo.Objective.BudgetRemaining] from a count already read.
func budgetRemaining(n slo.Count, target float64) float64 {
	if n.Total == 0 {
		return 1
	}
	return 1 - float64(n.Bad())/(slo.ErrorBudget(target)*float64(n.Total))
}

// timeToExhaustion is [slo.Objective.TimeToExhaustion] in seconds, with +Inf for [slo.Never].
func timeToExhaustion(remaining float64, period time.Duration, burnRate float64) float64 {
	switch {
	case remaining <= 0:
		return 0
	case burnRate <= 0:
		return math.Inf(1)
	}
	return remaining * period.Seconds() / burnRate
}

func formatFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func validNamespace(s string) bool {
	for i, r := range s {
		switch {
		case r == '_' || r == ':' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z'):
		case i > 0 && r >= '0' && r <= '9':
		default:
			return false
		}
	}
	return s != ""
}

func quote(s string) string { return strconv.Quote(s) }

func validLabelName(s string) bool {
	if s == "" || len(s) >= 2 && s[:2] == "__" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z'):
		case i > 0 && r >= '0' && r <= '9':
		default:
			return false
		}
	}
	return true
}
