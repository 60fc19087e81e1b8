package slo

import (
	"testing"
	"time"
)

// BenchmarkCounterAdd is the cost of recording one event; time moves on by 1s per event, so a
// new fine bucket is cleared every 60 events.
func BenchmarkCounterAdd(b *testing.B) {
	c, _ := NewCounter(WindowConfig{})
	now := t0
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(time.Second)
		_ = c.Add(now, 1, 1)
	}
}

func BenchmarkOutcomesObserve(b *testing.B) {
	o, _ := NewOutcomes(WindowConfig{})
	now := t0
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(time.Second)
		_ = o.Observe(now, Succeeded)
	}
}

func BenchmarkLatencyObserve(b *testing.B) {
	l, _ := NewLatency(LatencyConfig{Threshold: time.Second})
	now := t0
	d := time.Millisecond
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(time.Second)
		d = d*7%(10*time.Second) + time.Millisecond
		_ = l.Observe(now, d)
	}
}

func BenchmarkLatencyQuantile(b *testing.B) {
	l, _ := NewLatency(LatencyConfig{Threshold: time.Second})
	now := t0
	for i := range 100000 {
		now = now.Add(30 * time.Millisecond)
		_ = l.Observe(now, time.Duration(i%5000)*time.Millisecond)
	}
	b.ReportAllocs()
	for b.Loop() {
		_, _ = l.Quantile(now, 0.99)
	}
}

func filledSLO(b *testing.B, p Policy) (*Objective, time.Time) {
	c, _ := NewCounter(WindowConfig{})
	s, err := New(Config{Target: 0.999, Policy: p}, c)
	if err != nil {
		b.Fatal(err)
	}
	now := t0
	for range 31 * 24 * 60 {
		now = now.Add(time.Minute)
		_ = c.Add(now, 995, 1000)
	}
	return s, now
}

// BenchmarkEvaluate is the cost of evaluating every row of the default policy (five distinct
// windows, 5m to 3d).
func BenchmarkEvaluate(b *testing.B) {
	s, now := filledSLO(b, DefaultPolicy())
	var ev Evaluation
	b.ReportAllocs()
	for b.Loop() {
		_ = s.Evaluate(now, &ev)
	}
}

func BenchmarkEvaluateWorkbook(b *testing.B) {
	s, now := filledSLO(b, WorkbookPolicy())
	var ev Evaluation
	b.ReportAllocs()
	for b.Loop() {
		_ = s.Evaluate(now, &ev)
	}
}

func BenchmarkBudgetRemaining(b *testing.B) {
	s, now := filledSLO(b, DefaultPolicy())
	b.ReportAllocs()
	for b.Loop() {
		_, _ = s.BudgetRemaining(now)
	}
}

func BenchmarkReport(b *testing.B) {
	s, now := filledSLO(b, DefaultPolicy())
	b.ReportAllocs()
	for b.Loop() {
		r, _ := s.Report(now)
		_ = r.String()
	}
}

// BenchmarkNewSLO measures the memory of one SLO with its counter: B/op is the bytes per SLO.
func BenchmarkNewSLO(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		c, _ := NewCounter(WindowConfig{})
		_, _ = New(Config{Target: 0.999}, c)
	}
}

// BenchmarkNewLatencySLO is the memory of a latency SLO: counter, six sketches and the SLO.
func BenchmarkNewLatencySLO(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		l, _ := NewLatency(LatencyConfig{Threshold: time.Second})
		_, _ = New(Config{Target: 0.999}, l)
	}
}

func BenchmarkSnapshot(b *testing.B) {
	c := filledCounter(b, WindowConfig{}, 100000, 1)
	buf := c.AppendSnapshot(nil)
	b.ReportAllocs()
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		buf = c.AppendSnapshot(buf[:0])
	}
}
