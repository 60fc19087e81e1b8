package slo

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"
)

func TestSketchConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		cfg   SketchConfig
		field string
	}{
		{SketchConfig{RelativeAccuracy: -0.1}, "Sketch.RelativeAccuracy"},
		{SketchConfig{RelativeAccuracy: 0.5}, "Sketch.RelativeAccuracy"},
		{SketchConfig{RelativeAccuracy: math.NaN()}, "Sketch.RelativeAccuracy"},
		{SketchConfig{RelativeAccuracy: 1e-9}, "Sketch.RelativeAccuracy"},
		{SketchConfig{Min: -1}, "Sketch.Min"},
		{SketchConfig{Min: math.Inf(1)}, "Sketch.Min"},
		{SketchConfig{Min: 10, Max: 5}, "Sketch.Max"},
		{SketchConfig{Max: math.Inf(1)}, "Sketch.Max"},
	} {
		_, err := NewSketch(tc.cfg)
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Field != tc.field {
			t.Errorf("%+v: error %v, want %s", tc.cfg, err, tc.field)
		}
	}
}

func TestSketchDefaults(t *testing.T) {
	s, err := NewSketch(SketchConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.counts) != 518 || s.MemoryBytes() != 518*8+int(unsafe.Sizeof(Sketch{})) {
		t.Errorf("default sketch: %d buckets, %d bytes", len(s.counts), s.MemoryBytes())
	}
}

// TestSketchAccuracy compares quantiles with the exact order statistics of random samples: every
// estimate of a value in [Min, Max] is within the configured relative accuracy.
func TestSketchAccuracy(t *testing.T) {
	qs := []float64{0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1}
	for _, alpha := range []float64{0.005, 0.01, 0.02, 0.05} {
		for name, gen := range map[string]func(r *rand.Rand) float64{
			"log-uniform": func(r *rand.Rand) float64 { return math.Exp(r.Float64()*20) * 1e6 },
			"exponential": func(r *rand.Rand) float64 { return r.ExpFloat64()*5e7 + 1e5 },
			"normal":      func(r *rand.Rand) float64 { return math.Abs(r.NormFloat64()*1e6 + 2e7) },
			"constant":    func(r *rand.Rand) float64 { return 123456789 },
		} {
			rng := rand.New(rand.NewPCG(7, uint64(alpha*1e4)))
			s, err := NewSketch(SketchConfig{RelativeAccuracy: alpha, Min: 1e5, Max: 1e15})
			if err != nil {
				t.Fatal(err)
			}
			vals := make([]float64, 20000)
			for i := range vals {
				vals[i] = gen(rng)
				if err := s.Add(vals[i]); err != nil {
					t.Fatal(err)
				}
			}
			slices.Sort(vals)
			for _, q := range qs {
				want := vals[int(q*float64(len(vals)-1))]
				got, err := s.Quantile(q)
				if err != nil {
					t.Fatal(err)
				}
				if math.Abs(got-want) > alpha*want*(1+1e-9) {
					t.Errorf("α=%v %s q=%v: %v, exact %v (error %.4f)", alpha, name, q, got, want, math.Abs(got-want)/want)
				}
			}
			if s.Count() != uint64(len(vals)) || s.Min() != vals[0] || s.Max() != vals[len(vals)-1] {
				t.Errorf("count %d min %v max %v", s.Count(), s.Min(), s.Max())
			}
		}
	}
}

func TestSketchOutOfRange(t *testing.T) {
	s, _ := NewSketch(SketchConfig{Min: 10, Max: 1000})
	for _, v := range []float64{0, 1, 2, 5000, 7000} {
		_ = s.Add(v)
	}
	for _, tc := range []struct{ q, want float64 }{
		{0, 0}, {0.25, 0}, {0.5, 0}, // below Min reads as the smallest value observed
		{0.75, 7000}, {1, 7000}, // above Max reads as the largest
	} {
		if got, _ := s.Quantile(tc.q); got != tc.want {
			t.Errorf("q=%v: %v, want %v", tc.q, got, tc.want)
		}
	}
}

func TestSketchErrors(t *testing.T) {
	s, _ := NewSketch(SketchConfig{})
	if _, err := s.Quantile(0.5); !errors.Is(err, ErrNoData) {
		t.Errorf("empty: %v", err)
	}
	for _, v := range []float64{-1, math.NaN(), math.Inf(1), math.Inf(-1)} {
		if err := s.Add(v); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("Add(%v): %v", v, err)
		}
	}
	_ = s.Add(1)
	for _, q := range []float64{-0.1, 1.1, math.NaN()} {
		var ae *ArgumentError
		if _, err := s.Quantile(q); !errors.As(err, &ae) || ae.Arg != "q" {
			t.Errorf("Quantile(%v): %v", q, err)
		}
	}
}

func TestSketchMergeReset(t *testing.T) {
	a, _ := NewSketch(SketchConfig{})
	b, _ := NewSketch(SketchConfig{})
	all, _ := NewSketch(SketchConfig{})
	rng := rand.New(rand.NewPCG(9, 9))
	for i := range 1000 {
		v := rng.Float64() * 1e9
		_ = all.Add(v)
		if i%3 == 0 {
			_ = a.Add(v)
		} else {
			_ = b.Add(v)
		}
	}
	if err := a.Merge(b); err != nil {
		t.Fatal(err)
	}
	for _, q := range []float64{0, 0.3, 0.5, 0.99, 1} {
		x, _ := a.Quantile(q)
		y, _ := all.Quantile(q)
		if x != y {
			t.Errorf("q=%v: merged %v, whole %v", q, x, y)
		}
	}
	other, _ := NewSketch(SketchConfig{RelativeAccuracy: 0.01})
	if err := a.Merge(other); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("merge across layouts: %v", err)
	}
	empty, _ := NewSketch(SketchConfig{})
	if err := empty.Merge(a); err != nil || empty.Count() != a.Count() || empty.Min() != a.Min() {
		t.Errorf("merge into empty: %v", err)
	}
	a.Reset()
	if _, err := a.Quantile(0.5); !errors.Is(err, ErrNoData) || a.Count() != 0 {
		t.Errorf("after Reset: %v", err)
	}
}

func TestSketchAddAllocs(t *testing.T) {
	s, _ := NewSketch(SketchConfig{})
	if n := testing.AllocsPerRun(100, func() { _ = s.Add(12345678) }); n != 0 {
		t.Errorf("Add allocates %v", n)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = s.Quantile(0.99) }); n != 0 {
		t.Errorf("Quantile allocates %v", n)
	}
}
