package promslo

import (
	"testing"
	"time"

	"github.com/fleetkit/fleetkit/slo"
)

// t0 is the fixed scrape time of the tests.
var t0 = time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)

// policy has exact thresholds for target 0.875 (error budget 0.125, exact in binary):
// page above 1.5x over 1h and 5m, ticket above 1x over 6h and 30m.
var policy = slo.Policy{
	{Severity: slo.Page, LongWindow: time.Hour, ShortWindow: 5 * time.Minute, BurnRate: 1.5},
	{Severity: slo.Ticket, LongWindow: 6 * time.Hour, ShortWindow: 30 * time.Minute, BurnRate: 1},
}

// commands returns an Outcomes objective over 24h: 24 successes two hours before t0, then 6
// successes and 2 failures 90 seconds before t0. Windows up to 1h see an error ratio of 0.25
// (burn rate 2: the page row fires); 6h and the 1d period see 2 of 32 (0.0625, burn rate 0.5),
// which leaves half the budget.
func commands(t testing.TB, name string) (*slo.Objective, *slo.Outcomes) {
	t.Helper()
	src, err := slo.NewOutcomes(slo.WindowConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for range 24 {
		must(t, src.Observe(t0.Add(-2*time.Hour), slo.Succeeded))
	}
	for range 6 {
		must(t, src.Observe(t0.Add(-90*time.Second), slo.Succeeded))
	}
	for range 2 {
		must(t, src.Observe(t0.Add(-90*time.Second), slo.Failed))
	}
	o, err := slo.New(slo.Config{Name: name, Target: 0.875, Period: 24 * time.Hour, Policy: policy}, src)
	if err != nil {
		t.Fatal(err)
	}
	return o, src
}

// delivery returns a Latency objective with five deliveries of 100ms 90 seconds before t0, all
// within the 1s threshold: every quantile is exactly 0.1s (the sketch's extremes are exact).
func delivery(t testing.TB) (*slo.Objective, *slo.Latency) {
	t.Helper()
	src, err := slo.NewLatency(slo.LatencyConfig{Threshold: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		must(t, src.Observe(t0.Add(-90*time.Second), 100*time.Millisecond))
	}
	o, err := slo.New(slo.Config{Name: "delivery", Target: 0.875, Period: 24 * time.Hour, Policy: policy}, src)
	if err != nil {
		t.Fatal(err)
	}
	return o, src
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// fixture returns a Collector at t0 over commands and delivery, evaluated once at t0.
func fixture(t testing.TB) *Collector {
	t.Helper()
	c, err := New(Config{Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	cmd, _ := commands(t, "commands")
	del, _ := delivery(t)
	must(t, c.Add(cmd))
	must(t, c.Add(del))
	if _, err := c.Evaluate(t0); err != nil {
		t.Fatal(err)
	}
	return c
}
