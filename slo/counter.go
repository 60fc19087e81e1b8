package slo

import (
	"math"
	"time"
	"unsafe"
)

// Default window layout: one-minute buckets for the last six hours, one-hour buckets for 30 days.
const (
	DefaultResolution       = time.Minute
	DefaultFineSpan         = 6 * time.Hour
	DefaultCoarseResolution = time.Hour
	DefaultSpan             = 30 * 24 * time.Hour
)

// MaxSpan is the longest Span a [WindowConfig] accepts: 2^62 ns, about 146 years. The bound keeps
// every sum of a span and a bucket width inside int64 nanoseconds, on 32-bit platforms too.
const MaxSpan time.Duration = 1 << 62

// WindowConfig lays out a [Counter]'s two rings of buckets. The zero value selects every default.
//
// Recent events are kept at Resolution for FineSpan + CoarseResolution; every event is also kept
// at CoarseResolution for Span. A window no longer than FineSpan, ending no earlier than
// CoarseResolution before the newest event, is answered from fine buckets only; a longer window
// takes its recent part from fine buckets and its older part from coarse buckets, so only the
// window's oldest edge is coarse (see the package documentation, "Accuracy").
type WindowConfig struct {
	// Resolution is the width of a fine bucket. Default [DefaultResolution] (1 minute).
	// It must be at least one millisecond.
	Resolution time.Duration
	// FineSpan is the longest window answered from fine buckets alone. Default [DefaultFineSpan]
	// (6 hours). It is rounded up to a whole number of Resolution and must be at least
	// CoarseResolution; fine buckets reach back FineSpan + CoarseResolution.
	FineSpan time.Duration
	// CoarseResolution is the width of a coarse bucket. Default [DefaultCoarseResolution] (1 hour).
	// It must be a whole multiple of Resolution.
	CoarseResolution time.Duration
	// Span is the longest window a query may ask for. Default [DefaultSpan] (30 days).
	// It must be at least FineSpan and at most [MaxSpan].
	Span time.Duration
}

// withDefaults applies the documented defaults in one place.
func (c WindowConfig) withDefaults() WindowConfig {
	if c.Resolution == 0 {
		c.Resolution = DefaultResolution
	}
	if c.FineSpan == 0 {
		c.FineSpan = DefaultFineSpan
	}
	if c.CoarseResolution == 0 {
		c.CoarseResolution = DefaultCoarseResolution
	}
	if c.Span == 0 {
		c.Span = DefaultSpan
	}
	return c
}

// validate checks the rules documented on [WindowConfig]; prefix names the enclosing field.
func (c WindowConfig) validate(prefix string) error {
	switch {
	case c.Resolution < time.Millisecond:
		return &ConfigError{Field: prefix + "Resolution", Rule: "must be at least 1ms, got " + c.Resolution.String()}
	case c.CoarseResolution < c.Resolution || c.CoarseResolution%c.Resolution != 0:
		return &ConfigError{Field: prefix + "CoarseResolution", Rule: "must be a positive whole multiple of Resolution " +
			c.Resolution.String() + ", got " + c.CoarseResolution.String()}
	case c.FineSpan < c.CoarseResolution:
		return &ConfigError{Field: prefix + "FineSpan", Rule: "must be at least CoarseResolution " +
			c.CoarseResolution.String() + ", got " + c.FineSpan.String()}
	case c.Span < c.FineSpan:
		return &ConfigError{Field: prefix + "Span", Rule: "must be at least FineSpan " + c.FineSpan.String() +
			", got " + c.Span.String()}
	case c.Span > MaxSpan:
		return &ConfigError{Field: prefix + "Span", Rule: "must be at most MaxSpan " + MaxSpan.String() +
			", got " + c.Span.String()}
	case c.FineSpan/c.Resolution > 1<<20:
		return &ConfigError{Field: prefix + "FineSpan", Rule: "more than 1<<20 fine buckets"}
	case c.Span/c.CoarseResolution > 1<<20:
		return &ConfigError{Field: prefix + "Span", Rule: "more than 1<<20 coarse buckets"}
	}
	return nil
}

// Count is the number of good and total events in a window.
type Count struct {
	Good  uint64 // events that met the SLI's goal
	Total uint64 // all valid events
}

// Bad returns Total - Good.
func (c Count) Bad() uint64 { return c.Total - c.Good }

// Ratio returns Good/Total, the SLI value; 1 when there are no events (nothing went wrong).
func (c Count) Ratio() float64 {
	if c.Total == 0 {
		return 1
	}
	return float64(c.Good) / float64(c.Total)
}

// ErrorRatio returns Bad/Total; 0 when there are no events.
func (c Count) ErrorRatio() float64 {
	if c.Total == 0 {
		return 0
	}
	return float64(c.Bad()) / float64(c.Total)
}

// Source is what an [Objective] reads: good and total events over a trailing window. [Counter] and
// every SLI in this package implement it.
type Source interface {
	// Count returns the events in the window ending at now (see [Counter.Count]).
	Count(now time.Time, window time.Duration) (Count, error)
	// Span returns the longest window Count answers.
	Span() time.Duration
}

type bucket struct {
	good, total uint64
}

// Counter is a streaming, bounded-memory sliding-window counter of good and total events.
//
// Time is passed in by the caller; a Counter starts no goroutines and uses no timers. Its memory is
// fixed at construction: 16 bytes per bucket, (FineSpan + CoarseResolution)/Resolution +
// Span/CoarseResolution + 1 buckets (1,141 buckets, 18,256 bytes with the defaults). A Counter is not safe for concurrent use; callers that
// share one guard it with a mutex.
type Counter struct {
	cfg     WindowConfig
	res     int64 // fine bucket width, ns
	ratio   int64 // fine buckets per coarse bucket
	fine    []bucket
	coarse  []bucket
	head    int64 // absolute fine index of the newest bucket
	started bool
	// rejected counts events refused as too old.
	rejected uint64
}

// NewCounter returns a Counter laid out by cfg (zero fields take their defaults).
// It returns a [ConfigError] when cfg breaks a rule documented on [WindowConfig].
func NewCounter(cfg WindowConfig) (*Counter, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate("Window."); err != nil {
		return nil, err
	}
	res := int64(cfg.Resolution)
	n := (int64(cfg.FineSpan) + res - 1) / res
	cr := int64(cfg.CoarseResolution)
	nc := (int64(cfg.Span)+cr-1)/cr + 1
	cfg.FineSpan = time.Duration(n * res)
	// One coarse bucket of slack: a window of FineSpan ending up to CoarseResolution before the
	// newest event is still answered from fine buckets.
	nf := n + cr/res
	return &Counter{
		cfg:    cfg,
		res:    res,
		ratio:  cr / res,
		fine:   make([]bucket, nf),
		coarse: make([]bucket, nc),
	}, nil
}

// Config returns the counter's layout with defaults applied (FineSpan rounded to whole buckets).
func (c *Counter) Config() WindowConfig { return c.cfg }

// Span returns the longest window [Counter.Count] answers (WindowConfig.Span).
func (c *Counter) Span() time.Duration { return c.cfg.Span }

// Rejected returns how many events (their total) were refused with [ErrTooOld] since construction.
func (c *Counter) Rejected() uint64 { return c.rejected }

// MemoryBytes returns the bytes held by the counter: its buckets and its header (whose size
// depends on the platform's word size).
func (c *Counter) MemoryBytes() int {
	return (len(c.fine)+len(c.coarse))*int(unsafe.Sizeof(bucket{})) + int(unsafe.Sizeof(*c))
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func mod(a, n int64) int {
	m := a % n
	if m < 0 {
		m += n
	}
	return int(m)
}

func (c *Counter) index(t time.Time) int64 { return floorDiv(t.UnixNano(), c.res) }

// Times whose Unix nanoseconds fit an int64: 1678 to 2262.
const (
	minUnix = math.MinInt64/int64(time.Second) + 1
	maxUnix = math.MaxInt64/int64(time.Second) - 1
)

// checkTime rejects times that time.Time.UnixNano cannot represent.
func checkTime(t time.Time) error {
	if s := t.Unix(); s < minUnix || s > maxUnix {
		return &ArgumentError{Arg: "now", Rule: "must be between the years 1678 and 2262 (Unix nanoseconds fit 64 bits)"}
	}
	return nil
}

// advance moves the newest bucket forward to fine index to, clearing buckets that fall out.
func (c *Counter) advance(to int64) {
	if !c.started {
		c.started, c.head = true, to
		return
	}
	if to <= c.head {
		return
	}
	nf := int64(len(c.fine))
	from := c.head + 1
	if to-from >= nf {
		from = to - nf + 1
	}
	for i := from; i <= to; i++ {
		c.fine[mod(i, nf)] = bucket{}
	}
	nc := int64(len(c.coarse))
	ch, ct := floorDiv(c.head, c.ratio), floorDiv(to, c.ratio)
	cfrom := ch + 1
	if ct-cfrom >= nc {
		cfrom = ct - nc + 1
	}
	for j := cfrom; j <= ct; j++ {
		c.coarse[mod(j, nc)] = bucket{}
	}
	c.head = to
}

// Observe records one event at now: good reports whether it met the SLI's goal.
// It returns a [StaleError] (matching [ErrTooOld]) when now is older than the retained span.
func (c *Counter) Observe(now time.Time, good bool) error {
	var g uint64
	if good {
		g = 1
	}
	return c.Add(now, g, 1)
}

// Add records total events at now, good of them good. Events may arrive late: an event older
// than the newest one lands in the bucket of its own time while that bucket is retained (fine
// buckets for FineSpan + CoarseResolution, coarse buckets for Span). Older events are refused with a [StaleError]
// and counted by [Counter.Rejected]. good > total, a time outside the years 1678 to 2262 and a
// bucket total that would overflow 64 bits are an [ArgumentError]. Add does not allocate.
func (c *Counter) Add(now time.Time, good, total uint64) error {
	if good > total {
		return &ArgumentError{Arg: "good", Rule: "must not exceed total"}
	}
	if err := checkTime(now); err != nil {
		return err
	}
	i := c.index(now)
	j := floorDiv(i, c.ratio)
	nf, nc := int64(len(c.fine)), int64(len(c.coarse))
	cb := &c.coarse[mod(j, nc)]
	if ch := floorDiv(c.head, c.ratio); c.started && j > ch-nc && j <= ch && cb.total > math.MaxUint64-total {
		// The coarse bucket holds every event of its fine buckets: if it cannot overflow, neither
		// can they. (A bucket newer than the head is cleared before it is written.)
		return &ArgumentError{Arg: "total", Rule: "bucket total would overflow 64 bits"}
	}
	c.advance(i)
	if i > c.head-nf {
		b := &c.fine[mod(i, nf)]
		b.good += good
		b.total += total
	}
	if ch := floorDiv(c.head, c.ratio); j <= ch-nc {
		c.rejected += total
		// A refused event is not older than 1678 (checkTime), so neither is the oldest bucket's
		// start: it fits int64 nanoseconds.
		return &StaleError{At: now, Oldest: time.Unix(0, (ch-nc+1)*c.ratio*c.res)}
	}
	cb.good += good
	cb.total += total
	return nil
}

// Count returns the good and total events in the trailing window ending at now. now need not be
// the time of the latest event: buckets after now are left out and buckets never written count
// as empty, so a query never changes the counter.
//
// The window is ceil(window/Resolution) fine buckets ending with the one that contains now; it
// covers between window-Resolution and window of real time (see the package documentation,
// "Accuracy"). The part of a window older than the fine ring is taken from coarse buckets, each
// included when its midpoint falls inside the window. window must be in (0, Span]; otherwise Count
// returns a [WindowError] (matching [ErrWindow]).
func (c *Counter) Count(now time.Time, window time.Duration) (Count, error) {
	if window <= 0 || window > c.cfg.Span {
		return Count{}, &WindowError{Window: window, Span: c.cfg.Span}
	}
	if err := checkTime(now); err != nil {
		return Count{}, err
	}
	if !c.started {
		return Count{}, nil
	}
	e := c.index(now)
	n := (int64(window) + c.res - 1) / c.res
	s := e - n + 1
	nf := int64(len(c.fine))
	oldest := c.head - nf + 1 // oldest retained fine index
	fineFrom := s
	var sum Count
	if s < oldest {
		// Recent part from fine buckets starting at a coarse boundary, older part from coarse.
		cb := floorDiv(oldest+c.ratio-1, c.ratio) // first coarse bucket wholly inside the fine ring
		fineFrom = cb * c.ratio
		nc := int64(len(c.coarse))
		ch := floorDiv(c.head, c.ratio)
		half := c.ratio / 2
		jFrom := floorDiv(s-half+c.ratio-1, c.ratio) // smallest j with j*ratio+half >= s
		jTo := min(cb-1, ch, floorDiv(e-half, c.ratio))
		jFrom = max(jFrom, ch-nc+1)
		for j := jFrom; j <= jTo; j++ {
			b := c.coarse[mod(j, nc)]
			sum.Good += b.good
			sum.Total += b.total
		}
	}
	for i := max(fineFrom, oldest); i <= min(e, c.head); i++ {
		b := c.fine[mod(i, nf)]
		sum.Good += b.good
		sum.Total += b.total
	}
	return sum, nil
}
