package slo

import (
	"math"
	"strconv"
	"time"
)

// Default percentile ring: six ten-minute sketches, so percentiles describe the last 50 to 60 minutes.
const (
	DefaultQuantileInterval  = 10 * time.Minute
	DefaultQuantileIntervals = 6
)

// LatencyConfig configures a [Latency] or [Freshness] SLI. Threshold is required; every other
// zero field takes its default.
type LatencyConfig struct {
	// Threshold is the goal: an observation is good when its duration is <= Threshold.
	// It must be positive.
	Threshold time.Duration
	// Window lays out the good/total counter (see [WindowConfig]).
	Window WindowConfig
	// Sketch lays out each percentile sketch; values are durations in nanoseconds
	// (defaults: 2% relative accuracy from 100µs to 24h).
	Sketch SketchConfig
	// QuantileInterval is the time one sketch of the percentile ring covers.
	// Default [DefaultQuantileInterval] (10 minutes).
	QuantileInterval time.Duration
	// QuantileIntervals is the number of sketches in the ring, 1 to 64.
	// Default [DefaultQuantileIntervals] (6).
	QuantileIntervals int
}

func (c LatencyConfig) withDefaults() LatencyConfig {
	if c.QuantileInterval == 0 {
		c.QuantileInterval = DefaultQuantileInterval
	}
	if c.QuantileIntervals == 0 {
		c.QuantileIntervals = DefaultQuantileIntervals
	}
	c.Sketch = c.Sketch.withDefaults()
	return c
}

// Latency is the SLI of a duration with a threshold, such as command or telemetry delivery
// latency: an observation is good when it is <= Threshold. Besides good/total over any window
// it keeps percentiles over a recent window in a ring of [Sketch]es (see [Latency.Quantile]).
// A Latency is not safe for concurrent use.
type Latency struct {
	threshold time.Duration
	counter   *Counter
	l         layout
	interval  int64
	slots     []Sketch
	epochs    []int64 // interval index each slot holds; math.MinInt64 when empty
	late      uint64
}

// NewLatency returns a Latency SLI configured by cfg. It returns a [ConfigError] when cfg breaks
// a rule documented on [LatencyConfig].
func NewLatency(cfg LatencyConfig) (*Latency, error) {
	cfg = cfg.withDefaults()
	switch {
	case cfg.Threshold <= 0:
		return nil, &ConfigError{Field: "Threshold", Rule: "must be positive, got " + cfg.Threshold.String()}
	case cfg.QuantileInterval <= 0:
		return nil, &ConfigError{Field: "QuantileInterval", Rule: "must be positive, got " + cfg.QuantileInterval.String()}
	case cfg.QuantileIntervals < 1 || cfg.QuantileIntervals > 64:
		return nil, &ConfigError{Field: "QuantileIntervals", Rule: "must be in [1, 64], got " + strconv.Itoa(cfg.QuantileIntervals)}
	case cfg.QuantileInterval > time.Duration(math.MaxInt64/int64(cfg.QuantileIntervals)):
		return nil, &ConfigError{Field: "QuantileInterval", Rule: "QuantileInterval × QuantileIntervals must fit a time.Duration, got " +
			cfg.QuantileInterval.String() + " × " + strconv.Itoa(cfg.QuantileIntervals)}
	}
	if err := cfg.Sketch.validate("Sketch."); err != nil {
		return nil, err
	}
	c, err := NewCounter(cfg.Window)
	if err != nil {
		return nil, err
	}
	l := &Latency{
		threshold: cfg.Threshold,
		counter:   c,
		l:         newLayout(cfg.Sketch),
		interval:  int64(cfg.QuantileInterval),
		slots:     make([]Sketch, cfg.QuantileIntervals),
		epochs:    make([]int64, cfg.QuantileIntervals),
	}
	for i := range l.slots {
		l.slots[i] = Sketch{l: l.l, counts: make([]uint64, l.l.n+2)}
		l.epochs[i] = math.MinInt64
	}
	return l, nil
}

// Threshold returns the goal: observations <= Threshold are good.
func (l *Latency) Threshold() time.Duration { return l.threshold }

// Observe records one duration d observed at now. A negative d is an [ArgumentError]; an event
// older than the counter's span returns a [StaleError]. Observe does not allocate.
func (l *Latency) Observe(now time.Time, d time.Duration) error {
	if d < 0 {
		return &ArgumentError{Arg: "d", Rule: "must not be negative, got " + d.String()}
	}
	if err := l.counter.Observe(now, d <= l.threshold); err != nil {
		return err
	}
	l.addQuantile(now, d)
	return nil
}

func (l *Latency) addQuantile(now time.Time, d time.Duration) {
	idx := floorDiv(now.UnixNano(), l.interval)
	k := mod(idx, int64(len(l.slots)))
	switch {
	case l.epochs[k] == idx:
	case l.epochs[k] < idx:
		l.slots[k].Reset()
		l.epochs[k] = idx
	default:
		// The slot already holds a newer interval: the observation is older than the ring.
		l.late++
		return
	}
	l.slots[k].add(float64(d))
}

// Count returns good and total observations in the window ending at now (see [Counter.Count]).
func (l *Latency) Count(now time.Time, window time.Duration) (Count, error) {
	return l.counter.Count(now, window)
}

// Span returns the longest window [Latency.Count] answers.
func (l *Latency) Span() time.Duration { return l.counter.Span() }

// Counter returns the underlying good/total counter (for snapshots and direct reads).
func (l *Latency) Counter() *Counter { return l.counter }

// QuantileWindow returns how far back [Latency.Quantile] looks: QuantileInterval ×
// QuantileIntervals. The window is aligned to whole intervals, so it covers between
// (QuantileIntervals-1) and QuantileIntervals intervals of real time.
func (l *Latency) QuantileWindow() time.Duration {
	return time.Duration(l.interval * int64(len(l.slots)))
}

// Late returns how many observations were counted but left out of the percentile ring because
// they were older than its window when they arrived.
func (l *Latency) Late() uint64 { return l.late }

// Quantile returns the q-quantile (q in [0, 1]) of the durations observed in the percentile
// window ending at now (see [Latency.QuantileWindow]), within the sketch's relative accuracy
// (see [Sketch.Quantile]). It returns [ErrNoData] when the window holds no observation and an
// [ArgumentError] when q is outside [0, 1]. Quantile does not allocate.
func (l *Latency) Quantile(now time.Time, q float64) (time.Duration, error) {
	if !(q >= 0 && q <= 1) {
		return 0, &ArgumentError{Arg: "q", Rule: "must be in [0, 1], got " + formatFloat(q)}
	}
	if err := checkTime(now); err != nil {
		return 0, err
	}
	idx := floorDiv(now.UnixNano(), l.interval)
	k := int64(len(l.slots))
	var valid uint64
	var total uint64
	var lo, hi float64
	for i := range l.slots {
		e := l.epochs[i]
		if e > idx || e <= idx-k || l.slots[i].total == 0 {
			continue
		}
		s := &l.slots[i]
		if total == 0 || s.lo < lo {
			lo = s.lo
		}
		if total == 0 || s.hi > hi {
			hi = s.hi
		}
		total += s.total
		valid |= 1 << uint(i)
	}
	if total == 0 {
		return 0, ErrNoData
	}
	v := l.l.quantile(q, total, lo, hi, func(b int) uint64 {
		var c uint64
		for i := range l.slots {
			if valid&(1<<uint(i)) != 0 {
				c += l.slots[i].counts[b+1]
			}
		}
		return c
	})
	return durationOf(v), nil
}

// durationOf converts nanoseconds held in a float64 to a Duration, saturating: an observation of
// math.MaxInt64 reads back as 2^63 in float64, which a plain conversion wraps to a negative
// Duration on some platforms (amd64) and saturates on others (TinyGo).
func durationOf(ns float64) time.Duration {
	if ns >= math.MaxInt64 {
		return math.MaxInt64
	}
	return time.Duration(math.Round(ns))
}

// Freshness is the telemetry freshness SLI: the age of each record when it is ingested
// (ingest time minus the record's own timestamp) is good when <= Threshold. It is a [Latency]
// fed with ages, so it has the same good/total counts and age percentiles.
type Freshness struct {
	*Latency
	skewed uint64
}

// NewFreshness returns a Freshness SLI configured by cfg (see [LatencyConfig]; Threshold is the
// maximum acceptable age).
func NewFreshness(cfg LatencyConfig) (*Freshness, error) {
	l, err := NewLatency(cfg)
	if err != nil {
		return nil, err
	}
	return &Freshness{Latency: l}, nil
}

// ObserveRecord records one record stamped recorded and ingested at now. A record stamped in the
// future (the device's clock is ahead) counts as age 0, which is fresh, and is counted by
// [Freshness.Skewed] so the skew stays visible.
func (f *Freshness) ObserveRecord(now, recorded time.Time) error {
	age := now.Sub(recorded)
	if age < 0 {
		f.skewed++
		age = 0
	}
	return f.Observe(now, age)
}

// Skewed returns how many records were stamped later than their ingest time.
func (f *Freshness) Skewed() uint64 { return f.skewed }
