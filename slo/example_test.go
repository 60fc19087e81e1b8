package slo_test

import (
	"fmt"
	"time"

	"github.com/fleetkit/fleetkit/slo"
)

// A command-success SLO of 99.9% over 30 days with the Workbook's alert table: a day of clean
// traffic, then ten minutes in which every command fails. The page fires at the first evaluation
// after the 1h window has burned 2% of the budget; the ticket fires a minute later because the 3d
// window holds only one day of history so far. The page resolves once the 30m short window has
// cleared after recovery; the ticket stays until its 6h short window clears.
func Example() {
	commands, err := slo.NewOutcomes(slo.WindowConfig{})
	if err != nil {
		panic(err)
	}
	objective, err := slo.New(slo.Config{Name: "command-success", Target: 0.999}, commands)
	if err != nil {
		panic(err)
	}
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var ev slo.Evaluation
	minute := func(outcome slo.Outcome) {
		now = now.Add(time.Minute)
		for range 100 {
			_ = commands.Observe(now, outcome)
		}
		_ = objective.Evaluate(now, &ev)
		for _, tr := range ev.Transitions {
			fmt.Println(now.Format("15:04"), tr.Severity, tr.Kind)
		}
	}
	for range 24 * 60 {
		minute(slo.Succeeded)
	}
	for range 10 {
		minute(slo.Failed)
	}
	report, _ := objective.Report(now)
	fmt.Println(report)
	for range 60 {
		minute(slo.Succeeded)
	}
	// Output:
	// 00:01 page fired
	// 00:02 ticket fired
	// SLO command-success: target 99.9% over 30d
	//   SLI 99.310% (144000 good of 145000), error budget 0.1%, remaining -589.7%
	//   burn rate: 5m 1000.00x, 30m 333.33x, 1h 166.67x, 6h 27.78x, 3d 6.90x
	//   ALERT page: 14.4x over 1h and 5m (observed 166.67x and 1000.00x) since 2026-03-02T00:01:00Z
	//   ALERT page: 6x over 6h and 30m (observed 27.78x and 333.33x) since 2026-03-02T00:03:00Z
	//   ALERT ticket: 1x over 3d and 6h (observed 6.90x and 27.78x) since 2026-03-02T00:02:00Z
	// 00:40 page resolved
}

// The Workbook's arithmetic for a 99.9% SLO over 30 days.
func ExampleThresholdBurnRate() {
	period := 30 * 24 * time.Hour
	fmt.Println("burn rate to spend 2% in 1h:", slo.ThresholdBurnRate(0.02, period, time.Hour))
	fmt.Println("threshold error ratio:", slo.DefaultPolicy()[0].Threshold(0.999))
	fmt.Println("budget lasts at 14.4x:", slo.TimeToExhaustion(period, 14.4))
	fmt.Println("100% outage detected after:", slo.DetectionTime(0.999, 1, time.Hour, 14.4))
	// Output:
	// burn rate to spend 2% in 1h: 14.4
	// threshold error ratio: 0.014400000000000013
	// budget lasts at 14.4x: 50h0m0s
	// 100% outage detected after: 51.84s
}

// A counter answers any trailing window from one stream of events.
func ExampleCounter() {
	c, _ := slo.NewCounter(slo.WindowConfig{}) // 1-minute buckets for 6h, 1-hour buckets for 30 days
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	_ = c.Add(now.Add(-2*time.Hour), 900, 1000)
	_ = c.Add(now.Add(-10*time.Minute), 95, 100)
	_ = c.Observe(now, false)
	for _, w := range []time.Duration{5 * time.Minute, time.Hour, 3 * time.Hour} {
		n, _ := c.Count(now, w)
		fmt.Printf("%v: %d good of %d, error ratio %.4f\n", w, n.Good, n.Total, n.ErrorRatio())
	}
	// Output:
	// 5m0s: 0 good of 1, error ratio 1.0000
	// 1h0m0s: 95 good of 101, error ratio 0.0594
	// 3h0m0s: 995 good of 1101, error ratio 0.0963
}

// Delivery latency: good when at most 500ms, with percentiles over the last hour.
func ExampleLatency() {
	delivery, _ := slo.NewLatency(slo.LatencyConfig{Threshold: 500 * time.Millisecond})
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for i := range 1000 {
		_ = delivery.Observe(now, time.Duration(i+1)*time.Millisecond)
	}
	n, _ := delivery.Count(now, time.Hour)
	p99, _ := delivery.Quantile(now, 0.99)
	fmt.Printf("good %d of %d, p99 %v (exact 990ms, within 2%%)\n", n.Good, n.Total, p99.Round(time.Millisecond))
	// Output:
	// good 500 of 1000, p99 980ms (exact 990ms, within 2%)
}

// Telemetry freshness: a record is fresh when ingested within 30s of its own timestamp.
func ExampleFreshness() {
	fresh, _ := slo.NewFreshness(slo.LatencyConfig{Threshold: 30 * time.Second})
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	_ = fresh.ObserveRecord(now, now.Add(-2*time.Second))
	_ = fresh.ObserveRecord(now, now.Add(-45*time.Second))
	_ = fresh.ObserveRecord(now, now.Add(3*time.Second)) // device clock ahead: age 0
	n, _ := fresh.Count(now, 5*time.Minute)
	fmt.Printf("fresh %d of %d, %d stamped in the future\n", n.Good, n.Total, fresh.Skewed())
	// Output:
	// fresh 2 of 3, 1 stamped in the future
}

// Connectivity from presence samples: connected device-time over registered device-time.
func ExampleConnectivity() {
	conn, _ := slo.NewConnectivity(slo.ConnectivityConfig{})
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	_ = conn.Observe(now, 98, 100)
	_ = conn.Observe(now.Add(30*time.Second), 90, 100) // 98 of 100 held for 30s
	_ = conn.Observe(now.Add(60*time.Second), 90, 100) // 90 of 100 held for 30s
	n, _ := conn.Count(now.Add(time.Minute), 2*time.Minute)
	fmt.Printf("connectivity %.2f%%\n", 100*n.Ratio())
	// Output:
	// connectivity 94.00%
}
