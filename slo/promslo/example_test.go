package promslo_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/fleetkit/fleetkit/slo"
	"github.com/fleetkit/fleetkit/slo/promslo"
)

// Export a command-success objective. The Collector owns the lock: ingestion runs inside Do,
// alerts are evaluated with Evaluate, and a scrape (here gathered and printed, in a service
// promhttp.HandlerFor(registry, ...) on /metrics) reads the windows at the injected clock.
func Example() {
	now := time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)
	commands, _ := slo.NewOutcomes(slo.WindowConfig{})
	objective, _ := slo.New(slo.Config{Name: "command-success", Target: 0.999}, commands)

	exporter, _ := promslo.New(promslo.Config{Now: func() time.Time { return now }})
	if err := exporter.Add(objective); err != nil {
		fmt.Println(err)
		return
	}
	ingest, _ := promslo.NewCounters("", "commands")
	registry := prometheus.NewRegistry()
	registry.MustRegister(exporter, ingest)

	// 1,000 commands in the last minute, 20 of them failed: a 2% error ratio burns the 0.1%
	// budget 20 times too fast (20 up to float64 rounding of 1-0.999), which pages (14.4x over 1h
	// and 5m) and, since this fresh counter's 3d window holds only this minute, tickets too.
	exporter.Do(func() {
		for i := range 1000 {
			outcome := slo.Succeeded
			if i%50 == 0 {
				outcome = slo.Failed
			}
			_ = commands.Observe(now.Add(-30*time.Second), outcome)
		}
	})
	ingest.AddIngested(1000)
	evaluations, _ := exporter.Evaluate(now)
	for _, ev := range evaluations {
		for _, tr := range ev.Transitions {
			fmt.Println(ev.Name, tr.Severity, tr.Kind)
		}
	}

	families, _ := registry.Gather()
	for _, mf := range families {
		var text strings.Builder
		_, _ = expfmt.MetricFamilyToText(&text, mf)
		for _, line := range strings.Split(text.String(), "\n") {
			if strings.HasPrefix(line, "fleetkit_slo_burn_rate") || strings.HasPrefix(line, "fleetkit_slo_alert_firing") ||
				strings.HasPrefix(line, "fleetkit_slo_budget_remaining_ratio") ||
				strings.HasPrefix(line, "fleetkit_ingest_records_total") {
				fmt.Println(line)
			}
		}
	}
	// Output:
	// command-success page fired
	// command-success ticket fired
	// fleetkit_ingest_records_total{pipeline="commands"} 1000
	// fleetkit_slo_alert_firing{severity="page",slo="command-success"} 1
	// fleetkit_slo_alert_firing{severity="ticket",slo="command-success"} 1
	// fleetkit_slo_budget_remaining_ratio{slo="command-success"} -18.999999999999982
	// fleetkit_slo_burn_rate{slo="command-success",window="1h"} 19.999999999999982
	// fleetkit_slo_burn_rate{slo="command-success",window="30d"} 19.999999999999982
	// fleetkit_slo_burn_rate{slo="command-success",window="30m"} 19.999999999999982
	// fleetkit_slo_burn_rate{slo="command-success",window="3d"} 19.999999999999982
	// fleetkit_slo_burn_rate{slo="command-success",window="5m"} 19.999999999999982
	// fleetkit_slo_burn_rate{slo="command-success",window="6h"} 19.999999999999982
}
