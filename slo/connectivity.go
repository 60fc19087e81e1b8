package slo

import (
	"math"
	"time"
)

// DefaultMaxGap is the longest sampling interval a [Connectivity] SLI credits.
const DefaultMaxGap = 5 * time.Minute

// ConnectivityConfig configures a [Connectivity] SLI. The zero value selects every default.
type ConnectivityConfig struct {
	// Window lays out the counter (see [WindowConfig]).
	Window WindowConfig
	// MaxGap is the longest interval between two samples that is credited. A longer interval means
	// the sampler was not running: nobody knows which devices were connected, so the interval is
	// counted neither way and Observe returns a [GapError]. Default [DefaultMaxGap] (5 minutes).
	MaxGap time.Duration
}

// Connectivity is the connectivity SLI: connected device-time over registered device-time.
//
// It is fed samples of the fleet's state (how many devices are connected out of how many are
// expected to be), typically from the presence registry every few seconds. Each sample's counts
// hold until the next sample, so the interval between them is credited as connected × interval
// good device-milliseconds out of registered × interval total device-milliseconds, split across
// the counter's buckets. Memory does not grow with the fleet. A Connectivity is not safe for
// concurrent use.
type Connectivity struct {
	counter    *Counter
	maxGap     time.Duration
	last       time.Time
	connected  uint64
	registered uint64
	started    bool
}

// NewConnectivity returns a Connectivity SLI configured by cfg.
func NewConnectivity(cfg ConnectivityConfig) (*Connectivity, error) {
	if cfg.MaxGap == 0 {
		cfg.MaxGap = DefaultMaxGap
	}
	if cfg.MaxGap < 0 {
		return nil, &ConfigError{Field: "MaxGap", Rule: "must not be negative, got " + cfg.MaxGap.String()}
	}
	c, err := NewCounter(cfg.Window)
	if err != nil {
		return nil, err
	}
	return &Connectivity{counter: c, maxGap: cfg.MaxGap}, nil
}

// Observe records that at now, connected of registered devices are connected. It credits the
// interval since the previous sample with the previous sample's counts (the first sample only
// sets the state). now before the previous sample, or connected > registered, is an
// [ArgumentError] and changes nothing; an interval longer than MaxGap is not credited and returns
// a [GapError] (the new state is kept). Sub-millisecond remainders of each credited piece are
// truncated for connected and registered time alike, so the ratio is unbiased.
func (c *Connectivity) Observe(now time.Time, connected, registered int) error {
	if connected < 0 || registered < 0 {
		return &ArgumentError{Arg: "connected", Rule: "counts must not be negative"}
	}
	if connected > registered {
		return &ArgumentError{Arg: "connected", Rule: "must not exceed registered"}
	}
	if err := checkTime(now); err != nil {
		return err
	}
	if ms := uint64(c.maxGap/time.Millisecond) + 1; uint64(registered) > math.MaxUint64/ms {
		return &ArgumentError{Arg: "registered", Rule: "registered × MaxGap in milliseconds overflows 64 bits"}
	}
	if c.started && now.Before(c.last) {
		return &ArgumentError{Arg: "now", Rule: "must not be before the previous sample " + c.last.UTC().Format(time.RFC3339Nano)}
	}
	var err error
	if c.started {
		if gap := now.Sub(c.last); gap > c.maxGap {
			err = &GapError{From: c.last, To: now, Max: c.maxGap}
		} else {
			err = c.credit(c.last, now)
		}
	}
	c.started, c.last = true, now
	c.connected, c.registered = uint64(connected), uint64(registered)
	return err
}

// credit splits [from, to) at fine-bucket boundaries and adds each piece to its bucket.
func (c *Connectivity) credit(from, to time.Time) error {
	res := c.counter.res
	for t, stop := from.UnixNano(), to.UnixNano(); t < stop; {
		end := stop
		// The next boundary, unless it lies past int64 nanoseconds (near the year 2262).
		if next := floorDiv(t, res) + 1; next <= math.MaxInt64/res {
			end = min(next*res, stop)
		}
		ms := uint64((end - t) / int64(time.Millisecond))
		if ms > 0 {
			if err := c.counter.Add(time.Unix(0, t), c.connected*ms, c.registered*ms); err != nil {
				return err
			}
		}
		t = end
	}
	return nil
}

// Count returns connected (good) and registered (total) device-milliseconds in the window ending
// at now (see [Counter.Count]).
func (c *Connectivity) Count(now time.Time, window time.Duration) (Count, error) {
	return c.counter.Count(now, window)
}

// Span returns the longest window [Connectivity.Count] answers.
func (c *Connectivity) Span() time.Duration { return c.counter.Span() }

// Counter returns the underlying counter (for snapshots and direct reads).
func (c *Connectivity) Counter() *Counter { return c.counter }
