package slo

import (
	"errors"
	"math"
	"testing"
	"time"
)

func TestLatencyGoodBad(t *testing.T) {
	l, err := NewLatency(LatencyConfig{Threshold: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []time.Duration{0, 100 * time.Millisecond, 200 * time.Millisecond, 200*time.Millisecond + 1, time.Second} {
		if err := l.Observe(t0, d); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := l.Count(t0, time.Minute); got != (Count{Good: 3, Total: 5}) {
		t.Errorf("count %+v: d <= Threshold is good", got)
	}
	if err := l.Observe(t0, -time.Nanosecond); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("negative duration: %v", err)
	}
	if l.Threshold() != 200*time.Millisecond || l.Span() != DefaultSpan || l.Counter() == nil {
		t.Error("accessors")
	}
}

func TestLatencyConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		cfg   LatencyConfig
		field string
	}{
		{LatencyConfig{}, "Threshold"},
		{LatencyConfig{Threshold: time.Second, QuantileInterval: -1}, "QuantileInterval"},
		{LatencyConfig{Threshold: time.Second, QuantileIntervals: 65}, "QuantileIntervals"},
		{LatencyConfig{Threshold: time.Second, Sketch: SketchConfig{Min: -1}}, "Sketch.Min"},
		{LatencyConfig{Threshold: time.Second, Window: WindowConfig{Span: time.Minute}}, "Window.Span"},
	} {
		_, err := NewLatency(tc.cfg)
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Field != tc.field {
			t.Errorf("%+v: %v, want %s", tc.cfg, err, tc.field)
		}
	}
}

// TestLatencyQuantileWindow: percentiles cover the last QuantileIntervals intervals; older
// intervals drop out as time moves on, and observations older than the ring are counted as Late.
func TestLatencyQuantileWindow(t *testing.T) {
	l, err := NewLatency(LatencyConfig{Threshold: time.Second, QuantileInterval: time.Minute, QuantileIntervals: 3})
	if err != nil {
		t.Fatal(err)
	}
	if l.QuantileWindow() != 3*time.Minute {
		t.Errorf("QuantileWindow %v", l.QuantileWindow())
	}
	if _, err := l.Quantile(t0, 0.5); !errors.Is(err, ErrNoData) {
		t.Errorf("empty: %v", err)
	}
	// Minute 0: 100 × 10ms; minute 1: 100 × 20ms; minute 2: 100 × 40ms; minute 3: 100 × 80ms.
	for m, d := range []time.Duration{10, 20, 40, 80} {
		at := t0.Add(time.Duration(m)*time.Minute + time.Second)
		for range 100 {
			if err := l.Observe(at, d*time.Millisecond); err != nil {
				t.Fatal(err)
			}
		}
	}
	check := func(now time.Time, q float64, want time.Duration) {
		t.Helper()
		got, err := l.Quantile(now, q)
		if err != nil || math.Abs(float64(got-want)) > 0.02*float64(want) {
			t.Errorf("Quantile(%v, %v) = %v, %v; want %v ± 2%%", now.Sub(t0), q, got, err, want)
		}
	}
	now := t0.Add(3*time.Minute + 30*time.Second)
	check(now, 0, 20*time.Millisecond) // minute 0 has left the ring
	check(now, 0.5, 40*time.Millisecond)
	check(now, 1, 80*time.Millisecond)
	check(now.Add(time.Minute), 0, 40*time.Millisecond) // minute 1 has left too
	// An earlier query sees minutes 1 and 2: minute 0's slot now holds minute 3, newer than the query.
	check(now.Add(-time.Minute), 0, 20*time.Millisecond)
	check(now.Add(-time.Minute), 1, 40*time.Millisecond)
	if _, err := l.Quantile(now.Add(10*time.Minute), 0.5); !errors.Is(err, ErrNoData) {
		t.Errorf("after the ring expired: %v", err)
	}
	// An observation older than the ring is counted but not in percentiles.
	if err := l.Observe(t0, time.Hour); err != nil {
		t.Fatal(err)
	}
	if l.Late() != 1 {
		t.Errorf("Late = %d", l.Late())
	}
	check(now, 1, 80*time.Millisecond)
	if got, _ := l.Count(now, time.Hour); got != (Count{Good: 400, Total: 401}) {
		t.Errorf("count %+v", got)
	}
	if _, err := l.Quantile(now, 2); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("q=2: %v", err)
	}
}

func TestFreshness(t *testing.T) {
	f, err := NewFreshness(LatencyConfig{Threshold: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for _, age := range []time.Duration{-5 * time.Second, 0, 10 * time.Second, 30 * time.Second, 31 * time.Second, 10 * time.Minute} {
		if err := f.ObserveRecord(t0, t0.Add(-age)); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := f.Count(t0, time.Minute); got != (Count{Good: 4, Total: 6}) {
		t.Errorf("count %+v", got)
	}
	if f.Skewed() != 1 {
		t.Errorf("Skewed = %d", f.Skewed())
	}
	if p, _ := f.Quantile(t0, 0); p != 0 {
		t.Errorf("p0 %v: a future stamp counts as age 0", p)
	}
	if p, _ := f.Quantile(t0, 1); p != 10*time.Minute {
		t.Errorf("p100 %v", p)
	}
	if _, err := NewFreshness(LatencyConfig{}); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("no threshold: %v", err)
	}
}

func TestConnectivity(t *testing.T) {
	c, err := NewConnectivity(ConnectivityConfig{})
	if err != nil {
		t.Fatal(err)
	}
	now := t0
	sample := func(d time.Duration, connected, registered int) error {
		now = now.Add(d)
		return c.Observe(now, connected, registered)
	}
	// 9 of 10 connected for 30 minutes, then 5 of 10 for 30 minutes, sampled every 10 seconds.
	if err := sample(0, 9, 10); err != nil {
		t.Fatal(err)
	}
	for range 180 {
		if err := sample(10*time.Second, 9, 10); err != nil {
			t.Fatal(err)
		}
	}
	for range 180 {
		if err := sample(10*time.Second, 5, 10); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := c.Count(now, 2*time.Hour)
	if got.Total != 10*3600*1000 {
		t.Fatalf("total %d device-ms, want 36,000,000", got.Total)
	}
	// The first interval of the second half was credited with the previous state (9 of 10).
	wantGood := uint64(9*1800*1000 + 9*10*1000 + 5*1790*1000)
	if got.Good != wantGood || math.Abs(got.Ratio()-0.7) > 0.002 {
		t.Errorf("good %d (ratio %v), want %d", got.Good, got.Ratio(), wantGood)
	}
	// The last 5 minutes saw only 5 of 10.
	if r, _ := c.Count(now, 5*time.Minute); r.Ratio() != 0.5 {
		t.Errorf("5m ratio %v", r.Ratio())
	}
	// A gap longer than MaxGap is not credited.
	before, _ := c.Count(now, 24*time.Hour)
	err = sample(6*time.Minute, 10, 10)
	var ge *GapError
	if !errors.As(err, &ge) || !errors.Is(err, ErrGap) || ge.To.Sub(ge.From) != 6*time.Minute || ge.Max != DefaultMaxGap {
		t.Fatalf("gap: %v", err)
	}
	if after, _ := c.Count(now, 24*time.Hour); after != before {
		t.Errorf("gap credited: %+v -> %+v", before, after)
	}
	// The state after the gap is kept: the next interval is credited with 10 of 10.
	if err := sample(time.Minute, 10, 10); err != nil {
		t.Fatal(err)
	}
	if r, _ := c.Count(now, 2*time.Minute); r != (Count{Good: 600000, Total: 600000}) {
		t.Errorf("after the gap: %+v", r)
	}
	for _, tc := range []struct {
		at                    time.Duration
		connected, registered int
		arg                   string
	}{
		{time.Second, 11, 10, "connected"},
		{time.Second, -1, 10, "connected"},
		{-time.Second, 1, 10, "now"},
	} {
		var ae *ArgumentError
		if err := c.Observe(now.Add(tc.at), tc.connected, tc.registered); !errors.As(err, &ae) || ae.Arg != tc.arg {
			t.Errorf("%+v: %v", tc, err)
		}
	}
	if _, err := NewConnectivity(ConnectivityConfig{MaxGap: -1}); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("negative MaxGap: %v", err)
	}
	if c.Span() != DefaultSpan || c.Counter() == nil {
		t.Error("accessors")
	}
}

// TestConnectivitySplitsIntervals: an interval spanning bucket boundaries is credited to each
// bucket in proportion to its overlap.
func TestConnectivitySplitsIntervals(t *testing.T) {
	c, _ := NewConnectivity(ConnectivityConfig{})
	start := t0.Add(30 * time.Second)
	_ = c.Observe(start, 1, 2)
	_ = c.Observe(start.Add(4*time.Minute), 2, 2) // 4 minutes at 1 of 2
	for _, tc := range []struct {
		w    time.Duration
		want Count
	}{
		{time.Minute, Count{Good: 30000, Total: 60000}},      // the last 30s of the interval
		{2 * time.Minute, Count{Good: 90000, Total: 180000}}, // plus a full minute
		{5 * time.Minute, Count{Good: 240000, Total: 480000}},
	} {
		if got, _ := c.Count(start.Add(4*time.Minute), tc.w); got != tc.want {
			t.Errorf("%v: %+v, want %+v", tc.w, got, tc.want)
		}
	}
}

func TestOutcomes(t *testing.T) {
	s, err := NewOutcomes(WindowConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []Outcome{Succeeded, Succeeded, Succeeded, Failed, TimedOut, Rejected, Cancelled} {
		if err := s.Observe(t0, o); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := s.Count(t0, time.Hour); got != (Count{Good: 3, Total: 5}) || s.Excluded() != 2 {
		t.Errorf("count %+v excluded %d", got, s.Excluded())
	}
	if err := s.Observe(t0, Outcome(0)); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("unknown outcome: %v", err)
	}
	names := map[Outcome]string{Succeeded: "succeeded", Failed: "failed", TimedOut: "timed-out", Rejected: "rejected", Cancelled: "cancelled", 9: "outcome(9)"}
	for o, n := range names {
		if o.String() != n {
			t.Errorf("%d.String() = %q", o, o.String())
		}
	}
	if s.Counter() == nil || s.Span() != DefaultSpan {
		t.Error("accessors")
	}
	if _, err := NewOutcomes(WindowConfig{Resolution: 1}); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("bad window: %v", err)
	}
}

func TestDuplicates(t *testing.T) {
	d, err := NewDuplicates(WindowConfig{})
	if err != nil {
		t.Fatal(err)
	}
	_ = d.Observe(t0, false)
	_ = d.Observe(t0, true)
	if err := d.Add(t0, 6, 2); err != nil {
		t.Fatal(err)
	}
	if r, _ := d.Rate(t0, time.Minute); r != 0.3 {
		t.Errorf("rate %v, want 3 of 10", r)
	}
	if got, _ := d.Count(t0, time.Minute); got != (Count{Good: 7, Total: 10}) {
		t.Errorf("count %+v", got)
	}
	if err := d.Add(t0, math.MaxUint64, 1); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("overflow: %v", err)
	}
	if d.Counter() == nil || d.Span() != DefaultSpan {
		t.Error("accessors")
	}
	if _, err := NewDuplicates(WindowConfig{Resolution: 1}); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("bad window: %v", err)
	}
	if _, err := d.Rate(t0, 0); !errors.Is(err, ErrWindow) {
		t.Errorf("bad window: %v", err)
	}
}

func TestSLIInputLimits(t *testing.T) {
	ancient := time.Date(1500, 1, 1, 0, 0, 0, 0, time.UTC)
	l, _ := NewLatency(LatencyConfig{Threshold: time.Second})
	if err := l.Observe(ancient, time.Second); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("Latency.Observe: %v", err)
	}
	if _, err := l.Quantile(ancient, 0.5); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("Latency.Quantile: %v", err)
	}
	c, _ := NewConnectivity(ConnectivityConfig{})
	if err := c.Observe(ancient, 1, 1); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("Connectivity.Observe: %v", err)
	}
	// registered × (MaxGap in ms + 1) must fit 64 bits. With a 2^62 ns MaxGap the limit is about
	// four million devices (3,000,000 passes), so the case is the same where int has 32 bits.
	wide, _ := NewConnectivity(ConnectivityConfig{MaxGap: 1 << 62})
	var ae *ArgumentError
	if err := wide.Observe(t0, 0, math.MaxInt32); !errors.As(err, &ae) || ae.Arg != "registered" {
		t.Errorf("huge fleet: %v", err)
	}
	if err := wide.Observe(t0, 0, 3_000_000); err != nil {
		t.Errorf("fleet below the limit: %v", err)
	}
}
