package slo

import (
	"errors"
	"math"
	"testing"
	"time"
)

// The tests in this file pin down arithmetic that depends on the width of int or on how a
// platform converts float64 to integers (amd64 wraps, TinyGo saturates). They pass on 64-bit and
// 32-bit targets alike: GOARCH=386, GOARCH=arm and TinyGo's wasip1.

// TestSketchKeysBeyond32Bits uses a layout whose bucket keys (ceil(log_γ v)) are around 3.5e9,
// far outside a 32-bit int, while the layout itself has few buckets.
func TestSketchKeysBeyond32Bits(t *testing.T) {
	const alpha = 1e-7
	s, err := NewSketch(SketchConfig{RelativeAccuracy: alpha, Min: 1e300, Max: 1.0001e300})
	if err != nil {
		t.Fatal(err)
	}
	if s.l.offset < math.MaxInt32 || s.l.n > 1000 {
		t.Fatalf("layout offset %v, %d buckets: the test needs keys beyond 32 bits", s.l.offset, s.l.n)
	}
	values := []float64{1.00001e300, 1.00002e300, 1.00005e300, 1.00007e300, 1.00009e300}
	for _, v := range values {
		if err := s.Add(v); err != nil {
			t.Fatal(err)
		}
	}
	for i, q := range []float64{0, 0.25, 0.5, 0.75, 1} {
		got, err := s.Quantile(q)
		if err != nil {
			t.Fatal(err)
		}
		if want := values[i]; math.Abs(got-want) > alpha*want {
			t.Errorf("q=%v: %v, want %v within %v", q, got, want, alpha)
		}
	}
	// Buckets are told apart: the five values land in distinct buckets.
	seen := map[int]bool{}
	for _, v := range values {
		seen[s.l.slot(v)] = true
	}
	if len(seen) != len(values) {
		t.Errorf("%d distinct buckets for %d values 1e-5 apart", len(seen), len(values))
	}
}

func TestSketchAccuracyTooFine(t *testing.T) {
	// (1+α)/(1-α) rounds to 1: the bucket count is NaN, which must be refused, not laid out.
	_, err := NewSketch(SketchConfig{RelativeAccuracy: 1e-17})
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Field != "Sketch.RelativeAccuracy" {
		t.Errorf("error %v, want a ConfigError on Sketch.RelativeAccuracy", err)
	}
}

// TestLatencyQuantileSaturates observes the longest Duration: its float64 value is 2^63, which
// a plain conversion turns into a negative Duration on amd64.
func TestLatencyQuantileSaturates(t *testing.T) {
	l, err := NewLatency(LatencyConfig{Threshold: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Observe(t0, math.MaxInt64); err != nil {
		t.Fatal(err)
	}
	for _, q := range []float64{0.5, 1} {
		if got, err := l.Quantile(t0, q); err != nil || got != math.MaxInt64 {
			t.Errorf("q=%v: %v, %v; want %v", q, got, err, time.Duration(math.MaxInt64))
		}
	}
	for _, tc := range []struct {
		ns   float64
		want time.Duration
	}{
		{0, 0},
		{1.5, 2},
		{float64(time.Hour), time.Hour},
		{math.MaxInt64, math.MaxInt64},
		{1e300, math.MaxInt64},
		{math.Inf(1), math.MaxInt64},
	} {
		if got := durationOf(tc.ns); got != tc.want {
			t.Errorf("durationOf(%v) = %v, want %v", tc.ns, got, tc.want)
		}
	}
}

func TestWidthConfigLimits(t *testing.T) {
	var ce *ConfigError
	_, err := NewLatency(LatencyConfig{Threshold: time.Second, QuantileInterval: math.MaxInt64 / 2, QuantileIntervals: 3})
	if !errors.As(err, &ce) || ce.Field != "QuantileInterval" {
		t.Errorf("QuantileWindow overflowing: %v", err)
	}
	l, err := NewLatency(LatencyConfig{Threshold: time.Second, QuantileInterval: math.MaxInt64 / 2, QuantileIntervals: 2})
	if err != nil || l.QuantileWindow() != math.MaxInt64-1 {
		t.Errorf("largest QuantileWindow: %v, %v", l, err)
	}
	_, err = NewCounter(WindowConfig{Resolution: 1 << 52, FineSpan: 1 << 52, CoarseResolution: 1 << 52, Span: MaxSpan + 1<<52})
	if !errors.As(err, &ce) || ce.Field != "Window.Span" {
		t.Errorf("Span beyond MaxSpan: %v", err)
	}
	// The longest span, with whole-span windows: the arithmetic of Count stays inside int64.
	c, err := NewCounter(WindowConfig{Resolution: 1 << 52, FineSpan: 1 << 52, CoarseResolution: 1 << 52, Span: MaxSpan})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Add(t0, 3, 4); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Count(t0, MaxSpan); err != nil || got != (Count{Good: 3, Total: 4}) {
		t.Errorf("Count over MaxSpan: %+v, %v", got, err)
	}
}

// TestConnectivityNearYear2262 credits an interval whose next bucket boundary lies past the
// largest int64 nanosecond: the boundary must not wrap around to 1677.
func TestConnectivityNearYear2262(t *testing.T) {
	c, err := NewConnectivity(ConnectivityConfig{})
	if err != nil {
		t.Fatal(err)
	}
	end := time.Unix(maxUnix, 0)
	start := end.Add(-90 * time.Second)
	if err := c.Observe(start, 3, 4); err != nil {
		t.Fatal(err)
	}
	if err := c.Observe(end, 3, 4); err != nil {
		t.Fatal(err)
	}
	got, err := c.Count(end, 5*time.Minute)
	if want := (Count{Good: 3 * 90_000, Total: 4 * 90_000}); err != nil || got != want {
		t.Errorf("Count = %+v, %v; want %+v", got, err, want)
	}
}
