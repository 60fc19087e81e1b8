package slo

import (
	"math"
	"strconv"
	"unsafe"
)

// Default sketch layout: 2% relative accuracy for values from 1e5 to 8.64e13 (100µs to 24h in
// nanoseconds): 516 buckets plus one below Min and one above Max.
const (
	DefaultRelativeAccuracy = 0.02
	DefaultSketchMin        = 1e5
	DefaultSketchMax        = 8.64e13
)

// SketchConfig lays out a [Sketch]. The zero value selects every default.
type SketchConfig struct {
	// RelativeAccuracy is the guaranteed relative error α of a quantile for values in [Min, Max]:
	// the estimate x̂ of a true quantile x satisfies |x̂-x| <= α·x. Default
	// [DefaultRelativeAccuracy] (0.02). It must be in (0, 0.5).
	RelativeAccuracy float64
	// Min is the smallest value told apart; smaller values (including 0) share one bucket and read
	// as the smallest value observed. Default [DefaultSketchMin]. It must be positive.
	Min float64
	// Max is the largest value told apart; larger values share one bucket and read as the largest
	// value observed. Default [DefaultSketchMax]. It must be greater than Min.
	Max float64
}

func (c SketchConfig) withDefaults() SketchConfig {
	if c.RelativeAccuracy == 0 {
		c.RelativeAccuracy = DefaultRelativeAccuracy
	}
	if c.Min == 0 {
		c.Min = DefaultSketchMin
	}
	if c.Max == 0 {
		c.Max = DefaultSketchMax
	}
	return c
}

func (c SketchConfig) validate(prefix string) error {
	switch {
	case !(c.RelativeAccuracy > 0 && c.RelativeAccuracy < 0.5):
		return &ConfigError{Field: prefix + "RelativeAccuracy", Rule: "must be in (0, 0.5), got " + formatFloat(c.RelativeAccuracy)}
	case !(c.Min > 0) || math.IsInf(c.Min, 0):
		return &ConfigError{Field: prefix + "Min", Rule: "must be positive and finite, got " + formatFloat(c.Min)}
	case !(c.Max > c.Min) || math.IsInf(c.Max, 0):
		return &ConfigError{Field: prefix + "Max", Rule: "must be finite and greater than Min, got " + formatFloat(c.Max)}
	}
	// !(n <= …) also refuses a NaN count: an accuracy so fine that (1+α)/(1-α) rounds to 1.
	if n := math.Ceil(math.Log(c.Max)/logGamma(c.RelativeAccuracy)) - math.Ceil(math.Log(c.Min)/logGamma(c.RelativeAccuracy)); !(n <= 1<<16) {
		return &ConfigError{Field: prefix + "RelativeAccuracy", Rule: "layout needs more than 65536 buckets"}
	}
	return nil
}

func formatFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func logGamma(alpha float64) float64 { return math.Log((1 + alpha) / (1 - alpha)) }

// layout maps values to bucket keys: key(v) = ceil(log_γ v) with γ = (1+α)/(1-α). Every value in
// bucket k lies in (γ^(k-1), γ^k], and the bucket reads as 2γ^k/(γ+1), within α of any of them.
//
// Keys are kept as float64 integers, never converted to int: with a fine accuracy and an extreme
// Min a key exceeds 32 bits (α = 1e-7 and Min = 1e300 give keys near 3.5e9), which would wrap
// or saturate on a 32-bit platform. Only the bucket number, key - offset in [0, n), becomes an int.
type layout struct {
	gamma, logGamma float64
	min, max        float64
	offset          float64 // key of the first keyed bucket, an integer
	n               int     // number of keyed buckets, at most 65537
}

func newLayout(c SketchConfig) layout {
	lg := logGamma(c.RelativeAccuracy)
	lo := math.Ceil(math.Log(c.Min) / lg)
	hi := math.Ceil(math.Log(c.Max) / lg)
	return layout{gamma: math.Exp(lg), logGamma: lg, min: c.Min, max: c.Max, offset: lo, n: int(hi-lo) + 1}
}

// slot returns the bucket of v: -1 for values below min, n for values above max.
func (l *layout) slot(v float64) int {
	if v < l.min {
		return -1
	}
	if v > l.max {
		return l.n
	}
	k := math.Ceil(math.Log(v)/l.logGamma) - l.offset
	// Guard the edges against rounding in Log; clamp before converting, so no key reaches int.
	return int(min(max(k, 0), float64(l.n-1)))
}

func (l *layout) value(i int) float64 {
	return 2 * math.Exp((float64(i)+l.offset)*l.logGamma) / (l.gamma + 1)
}

// quantile walks the buckets in value order. countAt(i) is the count of bucket i, with i = -1 the
// below-min bucket and i = n the above-max bucket; total is their sum; lo and hi the observed extremes.
// The extremes are exact: q = 0 reads lo and q = 1 reads hi.
func (l *layout) quantile(q float64, total uint64, lo, hi float64, countAt func(i int) uint64) float64 {
	switch q {
	case 0:
		return lo
	case 1:
		return hi
	}
	rank := q * float64(total-1)
	var cum uint64
	for i := -1; i <= l.n; i++ {
		cum += countAt(i)
		if float64(cum) > rank {
			var v float64
			switch i {
			case -1:
				v = lo
			case l.n:
				v = hi
			default:
				v = l.value(i)
			}
			return min(max(v, lo), hi)
		}
	}
	return hi
}

// Sketch is a streaming quantile sketch with bounded memory and a guaranteed relative error: a
// log-bucketed histogram in the manner of DDSketch (Masson, Rim and Lee, "DDSketch: A Fast and
// Fully-Mergeable Quantile Sketch with Relative-Error Guarantees", VLDB 2019), with a fixed,
// dense set of buckets between Min and Max. Memory is 8 bytes per bucket:
// about ln(Max/Min)/ln((1+α)/(1-α))+3 buckets: 518 buckets, 4,144 bytes of counts with the defaults.
// A Sketch is not safe for concurrent use.
type Sketch struct {
	l      layout
	counts []uint64 // counts[0] is below Min, counts[n+1] above Max
	total  uint64
	lo, hi float64
}

// NewSketch returns an empty Sketch laid out by cfg (zero fields take their defaults).
func NewSketch(cfg SketchConfig) (*Sketch, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate("Sketch."); err != nil {
		return nil, err
	}
	s := &Sketch{l: newLayout(cfg)}
	s.counts = make([]uint64, s.l.n+2)
	return s, nil
}

// Add records one value. Negative values, NaN and infinities are an [ArgumentError]. Add does
// not allocate.
func (s *Sketch) Add(v float64) error {
	if !(v >= 0) || math.IsInf(v, 1) {
		return &ArgumentError{Arg: "v", Rule: "must be a finite, non-negative number"}
	}
	s.add(v)
	return nil
}

func (s *Sketch) add(v float64) {
	s.counts[s.l.slot(v)+1]++
	if s.total == 0 || v < s.lo {
		s.lo = v
	}
	if s.total == 0 || v > s.hi {
		s.hi = v
	}
	s.total++
}

// Count returns the number of values recorded.
func (s *Sketch) Count() uint64 { return s.total }

// Min returns the smallest value recorded (0 when empty).
func (s *Sketch) Min() float64 { return s.lo }

// Max returns the largest value recorded (0 when empty).
func (s *Sketch) Max() float64 { return s.hi }

// Quantile returns the q-quantile (q in [0, 1]) of the values recorded: the value of rank
// floor(q·(n-1)) in sorted order, within RelativeAccuracy of it when it lies in [Min, Max].
// Quantiles 0 and 1 are the exact smallest and largest values recorded.
// It returns [ErrNoData] when the sketch is empty and an [ArgumentError] when q is outside [0, 1].
func (s *Sketch) Quantile(q float64) (float64, error) {
	if !(q >= 0 && q <= 1) {
		return 0, &ArgumentError{Arg: "q", Rule: "must be in [0, 1], got " + formatFloat(q)}
	}
	if s.total == 0 {
		return 0, ErrNoData
	}
	return s.l.quantile(q, s.total, s.lo, s.hi, func(i int) uint64 { return s.counts[i+1] }), nil
}

// Merge adds every value recorded in o to s. Both must share one layout (the same SketchConfig);
// otherwise Merge returns an [ArgumentError] and changes nothing.
func (s *Sketch) Merge(o *Sketch) error {
	if s.l != o.l {
		return &ArgumentError{Arg: "o", Rule: "sketch layouts differ"}
	}
	if o.total == 0 {
		return nil
	}
	for i, c := range o.counts {
		s.counts[i] += c
	}
	if s.total == 0 || o.lo < s.lo {
		s.lo = o.lo
	}
	if s.total == 0 || o.hi > s.hi {
		s.hi = o.hi
	}
	s.total += o.total
	return nil
}

// Reset empties the sketch, keeping its memory.
func (s *Sketch) Reset() {
	clear(s.counts)
	s.total, s.lo, s.hi = 0, 0, 0
}

// MemoryBytes returns the bytes held by the sketch: its buckets and its header (whose size
// depends on the platform's word size).
func (s *Sketch) MemoryBytes() int { return len(s.counts)*8 + int(unsafe.Sizeof(*s)) }
