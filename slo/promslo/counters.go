package promslo

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// Counters counts an ingestion pipeline's records: ingested, dropped as duplicates and rejected.
// Its methods are safe for concurrent use and lock-free, so an ingestion path calls them per
// record. It is a prometheus.Collector exporting three counters labelled with the pipeline:
//
//	<namespace>_ingest_records_total{pipeline}     records accepted
//	<namespace>_ingest_duplicates_total{pipeline}  records dropped as duplicates
//	<namespace>_ingest_rejected_total{pipeline}    records refused (invalid, too old, ...)
//
// Packages that only increment should accept a small interface of their own (for example
// interface{ AddIngested(uint64) }) rather than import this package, which pulls in
// client_golang.
type Counters struct {
	ingested, duplicates, rejected atomic.Uint64
	descIngested, descDuplicates   *prometheus.Desc
	descRejected                   *prometheus.Desc
}

// NewCounters returns zeroed Counters for the named pipeline (the pipeline label, e.g.
// "telemetry"), with metric names under namespace ([DefaultNamespace] when empty). Register one
// Counters per pipeline: the pipeline label tells them apart on one registry.
func NewCounters(namespace, pipeline string) (*Counters, error) {
	if namespace == "" {
		namespace = DefaultNamespace
	}
	if !validNamespace(namespace) {
		return nil, &ConfigError{Field: "namespace", Rule: "must match [a-zA-Z_:][a-zA-Z0-9_:]*, got " + quote(namespace)}
	}
	if pipeline == "" {
		return nil, &ConfigError{Field: "pipeline", Rule: "must not be empty"}
	}
	l := prometheus.Labels{"pipeline": pipeline}
	desc := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(namespace, "ingest", name), help, nil, l)
	}
	return &Counters{
		descIngested:   desc("records_total", "Records accepted by the ingestion pipeline."),
		descDuplicates: desc("duplicates_total", "Records dropped by the ingestion pipeline as duplicates."),
		descRejected:   desc("rejected_total", "Records refused by the ingestion pipeline (invalid, too old, over a limit)."),
	}, nil
}

// AddIngested counts n records accepted.
func (c *Counters) AddIngested(n uint64) { c.ingested.Add(n) }

// AddDuplicates counts n records dropped as duplicates.
func (c *Counters) AddDuplicates(n uint64) { c.duplicates.Add(n) }

// AddRejected counts n records refused.
func (c *Counters) AddRejected(n uint64) { c.rejected.Add(n) }

// Ingested returns the records accepted so far.
func (c *Counters) Ingested() uint64 { return c.ingested.Load() }

// Duplicates returns the records dropped as duplicates so far.
func (c *Counters) Duplicates() uint64 { return c.duplicates.Load() }

// Rejected returns the records refused so far.
func (c *Counters) Rejected() uint64 { return c.rejected.Load() }

// Describe sends the three counters' descriptors.
func (c *Counters) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.descIngested
	ch <- c.descDuplicates
	ch <- c.descRejected
}

// Collect sends the three counters' current values.
func (c *Counters) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(c.descIngested, prometheus.CounterValue, float64(c.ingested.Load()))
	ch <- prometheus.MustNewConstMetric(c.descDuplicates, prometheus.CounterValue, float64(c.duplicates.Load()))
	ch <- prometheus.MustNewConstMetric(c.descRejected, prometheus.CounterValue, float64(c.rejected.Load()))
}
