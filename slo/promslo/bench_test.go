package promslo

import (
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/fleetkit/fleetkit/slo"
)

// BenchmarkScrape10 gathers a registry holding a Collector of ten objectives with the default
// policy and period (five windows plus the 30d period each; every second one over a Latency with
// three quantiles), each fed a day of events: the cost of one Prometheus scrape.
func BenchmarkScrape10(b *testing.B) {
	c := tenObjectives(b)
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := reg.Gather(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLockedRead10 measures the part of the same scrape that holds the lock (and so stalls
// ingestion): reading every window, alert state and quantile of the ten objectives.
func BenchmarkLockedRead10(b *testing.B) {
	c := tenObjectives(b)
	b.ReportAllocs()
	for b.Loop() {
		for _, e := range c.objs {
			if r := c.read(e, t0); r.err != nil {
				b.Fatal(r.err)
			}
		}
	}
}

func tenObjectives(b *testing.B) *Collector {
	c, err := New(Config{Now: func() time.Time { return t0 }})
	must(b, err)
	for i := range 10 {
		var src slo.Source
		if i%2 == 0 {
			o, _ := slo.NewOutcomes(slo.WindowConfig{})
			for m := range 24 * 60 {
				outcome := slo.Succeeded
				if m%100 == 0 {
					outcome = slo.Failed
				}
				must(b, o.Observe(t0.Add(-time.Duration(m)*time.Minute), outcome))
			}
			src = o
		} else {
			l, _ := slo.NewLatency(slo.LatencyConfig{Threshold: time.Second})
			for m := range 24 * 60 {
				must(b, l.Observe(t0.Add(-time.Duration(m)*time.Minute), time.Duration(m)*time.Millisecond))
			}
			src = l
		}
		o, err := slo.New(slo.Config{Name: "slo-" + strconv.Itoa(i), Target: 0.999}, src)
		must(b, err)
		must(b, c.Add(o))
	}
	return c
}
