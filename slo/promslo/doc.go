// Package promslo exports the state of [slo.Objective]s to Prometheus
// (github.com/prometheus/client_golang), following the metrics the Google SRE Workbook's chapter 5,
// "Alerting on SLOs" (https://sre.google/workbook/alerting-on-slos/), reasons with: error ratio and
// burn rate per window, error budget remaining, and the multiwindow, multi-burn-rate alerts.
//
// It is a leaf package: the slo package stays standard-library only (and TinyGo-friendly); only a
// service that imports promslo pulls in client_golang.
//
// # Metrics
//
// A [Collector] computes every value at scrape time from the objectives (const metrics; nothing
// is cached between scrapes). With the default namespace "fleetkit":
//
//	fleetkit_slo_target_ratio{slo}                          the objective, e.g. 0.999
//	fleetkit_slo_period_seconds{slo}                        the compliance period
//	fleetkit_slo_budget_remaining_ratio{slo}                1 - bad/((1-target)·total) over the period
//	fleetkit_slo_window_good_events{slo,window}             good events in the window
//	fleetkit_slo_window_events{slo,window}                  all valid events in the window
//	fleetkit_slo_error_ratio{slo,window}                    bad/total (0 without events)
//	fleetkit_slo_burn_rate{slo,window}                      error_ratio/(1-target)
//	fleetkit_slo_budget_consumed_ratio{slo,window}          burn_rate·window/period
//	fleetkit_slo_time_to_exhaustion_seconds{slo,window}     remaining·period/burn_rate (+Inf: not burning)
//	fleetkit_slo_alert_firing{slo,severity}                 0 or 1, as of the last evaluation
//	fleetkit_slo_latency_quantile_seconds{slo,q}            for Latency and Freshness sources
//
// window takes every distinct window of the objective's policy and its period, spelled as the slo
// package spells windows (5m, 30m, 1h, 6h, 3d, 30d: [slo.FormatWindow]); severity takes the
// policy's severities (page, ticket). The per-window counts are gauges, not counters: a trailing
// window forgets old events, so its counts go down. Latency quantiles are gauges labelled q (the
// quantile, e.g. q="0.99") rather than a summary, because the sketch keeps no sum, and Prometheus
// reserves the quantile label for summaries. They cover the source's recent quantile window
// ([slo.Latency.QuantileWindow], 50 to 60 minutes by default), not the policy windows. A source
// whose quantile window holds no observation exports no quantile sample (rather than a made-up 0).
//
// [Counters] is a separate Collector for an ingestion pipeline: records ingested, dropped as
// duplicates and rejected, as <namespace>_ingest_*_total counters with a pipeline label. Its
// methods are atomic, so ingestion code increments them without a lock.
//
// # Concurrency: one lock for ingestion, evaluation and scrapes
//
// The slo types are not safe for concurrent use, and a scrape reads the SLIs' counters while
// ingestion writes them. So the Collector holds one [sync.Locker] around every read, and the same
// lock must be held by whoever feeds the SLIs and evaluates:
//
//   - Config.Locker set: the caller's own mutex. The caller keeps locking it around Observe and
//     Evaluate as before; scrapes take it too.
//   - Config.Locker nil: the Collector owns a mutex. Feed the SLIs inside [Collector.Do], and
//     evaluate with [Collector.Evaluate], which evaluates every objective under the lock.
//
// A scrape holds the lock only while it reads the windows, alert states and quantiles (about 7 µs
// per objective with the default layout and policy); it builds the metrics after releasing it. A scrape does not evaluate: alert_firing reports the state of
// the last [slo.Objective.Evaluate], so alerts change on the caller's cadence and transitions are
// never consumed by a scrape. Prometheus alerting rules may instead use burn_rate directly.
//
// # Time
//
// A scrape reads the windows at Config.Now (default time.Now), so a simulation in virtual time
// passes its clock. A source error (for example a clock outside the years 1678 to 2262) fails the
// scrape with an [ObjectiveError] instead of exporting a partial picture.
//
// # Errors
//
// Test with errors.Is against [ErrInvalid] and [ErrDuplicate]; errors.As gives [ConfigError]
// (field and rule), [DuplicateError] and [ObjectiveError] (which wraps the slo error).
package promslo
