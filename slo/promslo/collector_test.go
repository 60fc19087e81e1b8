package promslo

import (
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/fleetkit/fleetkit/slo"
)

// wantCommands is the exposition of the commands fixture at t0, computed by hand: target 0.875
// (budget 0.125) over 1d; 5m..1h hold 6 good of 8 (error ratio 0.25, burn rate 2); 6h and 1d hold
// 30 of 32 (0.0625, burn rate 0.5); remaining 1 - 2/(0.125×32) = 0.5; budget consumed
// burn×window/1d; time to exhaustion 0.5×86400/burn; the page row (1.5x over 1h and 5m) fires.
const wantCommands = `
# HELP fleetkit_slo_alert_firing 1 while a multiwindow, multi-burn-rate alert row of the severity fires (as of the last evaluation), else 0.
# TYPE fleetkit_slo_alert_firing gauge
fleetkit_slo_alert_firing{severity="page",slo="commands"} 1
fleetkit_slo_alert_firing{severity="ticket",slo="commands"} 0
# HELP fleetkit_slo_budget_consumed_ratio Fraction of the period's error budget spent at the window's burn rate over the window: burn_rate*window/period.
# TYPE fleetkit_slo_budget_consumed_ratio gauge
fleetkit_slo_budget_consumed_ratio{slo="commands",window="1d"} 0.5
fleetkit_slo_budget_consumed_ratio{slo="commands",window="1h"} 0.08333333333333333
fleetkit_slo_budget_consumed_ratio{slo="commands",window="30m"} 0.041666666666666664
fleetkit_slo_budget_consumed_ratio{slo="commands",window="5m"} 0.006944444444444444
fleetkit_slo_budget_consumed_ratio{slo="commands",window="6h"} 0.125
# HELP fleetkit_slo_budget_remaining_ratio Fraction of the error budget left over the period: 1 - bad/((1-target)*total); negative when overspent.
# TYPE fleetkit_slo_budget_remaining_ratio gauge
fleetkit_slo_budget_remaining_ratio{slo="commands"} 0.5
# HELP fleetkit_slo_burn_rate Error ratio over the window divided by the error budget; 1 spends the budget exactly over the period.
# TYPE fleetkit_slo_burn_rate gauge
fleetkit_slo_burn_rate{slo="commands",window="1d"} 0.5
fleetkit_slo_burn_rate{slo="commands",window="1h"} 2
fleetkit_slo_burn_rate{slo="commands",window="30m"} 2
fleetkit_slo_burn_rate{slo="commands",window="5m"} 2
fleetkit_slo_burn_rate{slo="commands",window="6h"} 0.5
# HELP fleetkit_slo_error_ratio Bad/total events in the trailing window; 0 without events.
# TYPE fleetkit_slo_error_ratio gauge
fleetkit_slo_error_ratio{slo="commands",window="1d"} 0.0625
fleetkit_slo_error_ratio{slo="commands",window="1h"} 0.25
fleetkit_slo_error_ratio{slo="commands",window="30m"} 0.25
fleetkit_slo_error_ratio{slo="commands",window="5m"} 0.25
fleetkit_slo_error_ratio{slo="commands",window="6h"} 0.0625
# HELP fleetkit_slo_period_seconds Compliance period the error budget covers.
# TYPE fleetkit_slo_period_seconds gauge
fleetkit_slo_period_seconds{slo="commands"} 86400
# HELP fleetkit_slo_target_ratio Objective: the fraction of events promised to be good.
# TYPE fleetkit_slo_target_ratio gauge
fleetkit_slo_target_ratio{slo="commands"} 0.875
# HELP fleetkit_slo_time_to_exhaustion_seconds How long the remaining budget lasts at the window's burn rate; +Inf when nothing burns, 0 when spent.
# TYPE fleetkit_slo_time_to_exhaustion_seconds gauge
fleetkit_slo_time_to_exhaustion_seconds{slo="commands",window="1d"} 86400
fleetkit_slo_time_to_exhaustion_seconds{slo="commands",window="1h"} 21600
fleetkit_slo_time_to_exhaustion_seconds{slo="commands",window="30m"} 21600
fleetkit_slo_time_to_exhaustion_seconds{slo="commands",window="5m"} 21600
fleetkit_slo_time_to_exhaustion_seconds{slo="commands",window="6h"} 86400
# HELP fleetkit_slo_window_events Valid events (good and bad) in the trailing window.
# TYPE fleetkit_slo_window_events gauge
fleetkit_slo_window_events{slo="commands",window="1d"} 32
fleetkit_slo_window_events{slo="commands",window="1h"} 8
fleetkit_slo_window_events{slo="commands",window="30m"} 8
fleetkit_slo_window_events{slo="commands",window="5m"} 8
fleetkit_slo_window_events{slo="commands",window="6h"} 32
# HELP fleetkit_slo_window_good_events Good events in the trailing window.
# TYPE fleetkit_slo_window_good_events gauge
fleetkit_slo_window_good_events{slo="commands",window="1d"} 30
fleetkit_slo_window_good_events{slo="commands",window="1h"} 6
fleetkit_slo_window_good_events{slo="commands",window="30m"} 6
fleetkit_slo_window_good_events{slo="commands",window="5m"} 6
fleetkit_slo_window_good_events{slo="commands",window="6h"} 30
`

func TestExpositionOutcomes(t *testing.T) {
	c, err := New(Config{Now: func() time.Time { return t0 }})
	must(t, err)
	o, _ := commands(t, "commands")
	must(t, c.Add(o))
	evs, err := c.Evaluate(t0)
	if err != nil || len(evs) != 1 || evs[0].Name != "commands" || len(evs[0].Transitions) != 1 ||
		evs[0].Transitions[0].Severity != slo.Page || evs[0].Transitions[0].Kind != slo.Fired {
		t.Fatalf("Evaluate: %+v, %v", evs, err)
	}
	if err := testutil.CollectAndCompare(c, strings.NewReader(wantCommands)); err != nil {
		t.Error(err)
	}
}

func TestExpositionLatency(t *testing.T) {
	const want = `
# HELP fleetkit_slo_latency_quantile_seconds Latency (or freshness age) quantile of the SLI over its recent quantile window.
# TYPE fleetkit_slo_latency_quantile_seconds gauge
fleetkit_slo_latency_quantile_seconds{q="0.5",slo="delivery"} 0.1
fleetkit_slo_latency_quantile_seconds{q="0.9",slo="delivery"} 0.1
fleetkit_slo_latency_quantile_seconds{q="0.99",slo="delivery"} 0.1
# HELP fleetkit_slo_time_to_exhaustion_seconds How long the remaining budget lasts at the window's burn rate; +Inf when nothing burns, 0 when spent.
# TYPE fleetkit_slo_time_to_exhaustion_seconds gauge
fleetkit_slo_time_to_exhaustion_seconds{slo="delivery",window="1d"} +Inf
fleetkit_slo_time_to_exhaustion_seconds{slo="delivery",window="1h"} +Inf
fleetkit_slo_time_to_exhaustion_seconds{slo="delivery",window="30m"} +Inf
fleetkit_slo_time_to_exhaustion_seconds{slo="delivery",window="5m"} +Inf
fleetkit_slo_time_to_exhaustion_seconds{slo="delivery",window="6h"} +Inf
`
	c, err := New(Config{Now: func() time.Time { return t0 }})
	must(t, err)
	o, _ := delivery(t)
	must(t, c.Add(o))
	if err := testutil.CollectAndCompare(c, strings.NewReader(want),
		"fleetkit_slo_latency_quantile_seconds", "fleetkit_slo_time_to_exhaustion_seconds"); err != nil {
		t.Error(err)
	}
	// Custom quantiles; none when the window holds no observation.
	c2, err := New(Config{Now: func() time.Time { return t0.Add(3 * time.Hour) }, Quantiles: []float64{0, 1}, Namespace: "edge"})
	must(t, err)
	must(t, c2.Add(o))
	if n := testutil.CollectAndCount(c2, "edge_slo_latency_quantile_seconds"); n != 0 {
		t.Errorf("%d quantile samples without data, want 0", n)
	}
	c2.now = func() time.Time { return t0 }
	if n := testutil.CollectAndCount(c2, "edge_slo_latency_quantile_seconds"); n != 2 {
		t.Errorf("%d quantile samples, want 2", n)
	}
	// A source that keeps no percentiles exports none.
	c3, err := New(Config{Now: func() time.Time { return t0 }})
	must(t, err)
	cmd, _ := commands(t, "commands")
	must(t, c3.Add(cmd))
	if n := testutil.CollectAndCount(c3, "fleetkit_slo_latency_quantile_seconds"); n != 0 {
		t.Errorf("%d quantile samples for an Outcomes source", n)
	}
}

func TestBudgetSpent(t *testing.T) {
	// Only failures: remaining 1 - 4/(0.125×4) = -7, time to exhaustion 0.
	src, _ := slo.NewOutcomes(slo.WindowConfig{})
	for range 4 {
		must(t, src.Observe(t0.Add(-time.Minute), slo.Failed))
	}
	o, err := slo.New(slo.Config{Name: "ota", Target: 0.875, Period: 24 * time.Hour, Policy: policy}, src)
	must(t, err)
	c, _ := New(Config{Now: func() time.Time { return t0 }, ConstLabels: prometheus.Labels{"region": "eu"}})
	must(t, c.Add(o))
	want := `
# HELP fleetkit_slo_budget_remaining_ratio Fraction of the error budget left over the period: 1 - bad/((1-target)*total); negative when overspent.
# TYPE fleetkit_slo_budget_remaining_ratio gauge
fleetkit_slo_budget_remaining_ratio{region="eu",slo="ota"} -7
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), "fleetkit_slo_budget_remaining_ratio"); err != nil {
		t.Error(err)
	}
	if v := gauge(t, c, "fleetkit_slo_time_to_exhaustion_seconds", "5m"); v != 0 {
		t.Errorf("time to exhaustion of a spent budget: %v", v)
	}
	if v := gauge(t, c, "fleetkit_slo_burn_rate", "5m"); v != 8 {
		t.Errorf("burn rate of a full outage at budget 0.125: %v", v)
	}
}

// gauge gathers c and returns the value of name with the given window label.
func gauge(t *testing.T, c prometheus.Collector, name, window string) float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	must(t, err)
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "window" && l.GetValue() == window {
					return m.GetGauge().GetValue()
				}
			}
		}
	}
	t.Fatalf("%s{window=%q} not exported", name, window)
	return math.NaN()
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		cfg   Config
		field string
	}{
		{Config{Quantiles: []float64{0.5, 1.5}}, "Quantiles[1]"},
		{Config{Quantiles: []float64{math.NaN()}}, "Quantiles[0]"},
		{Config{Namespace: "9lives"}, "Namespace"},
		{Config{Namespace: "a-b"}, "Namespace"},
		{Config{ConstLabels: prometheus.Labels{"slo": "x"}}, "ConstLabels"},
		{Config{ConstLabels: prometheus.Labels{"__name": "x"}}, "ConstLabels"},
		{Config{ConstLabels: prometheus.Labels{"a.b": "x"}}, "ConstLabels"},
	} {
		_, err := New(tc.cfg)
		var ce *ConfigError
		if !errors.Is(err, ErrInvalid) || !errors.As(err, &ce) || ce.Field != tc.field {
			t.Errorf("%+v: %v, want a ConfigError on %s", tc.cfg, err, tc.field)
		}
	}
	if _, err := New(Config{Namespace: "edge:fleet_1", ConstLabels: prometheus.Labels{"region": "eu"}}); err != nil {
		t.Errorf("valid config: %v", err)
	}
	c, _ := New(Config{})
	if err := c.Add(nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("Add(nil): %v", err)
	}
	o, _ := commands(t, "commands")
	must(t, c.Add(o))
	again, _ := commands(t, "commands")
	var de *DuplicateError
	if err := c.Add(again); !errors.Is(err, ErrDuplicate) || !errors.As(err, &de) || de.Name != "commands" {
		t.Errorf("duplicate name: %v", err)
	}
}

// TestSourceErrorFailsScrape: a clock the slo package refuses fails the scrape with an
// ObjectiveError, over HTTP too (promhttp answers 500).
func TestSourceErrorFailsScrape(t *testing.T) {
	ancient := time.Date(1500, 1, 1, 0, 0, 0, 0, time.UTC)
	c, _ := New(Config{Now: func() time.Time { return ancient }})
	o, _ := commands(t, "commands")
	must(t, c.Add(o))
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	_, err := reg.Gather()
	var oe *ObjectiveError
	if !errors.As(err, &oe) || oe.Name != "commands" || !errors.Is(err, slo.ErrInvalidArgument) {
		t.Errorf("Gather: %v", err)
	}
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("status %d, want 500", resp.StatusCode)
	}
	_, err = c.Evaluate(ancient)
	if !errors.As(err, &oe) || oe.Name != "commands" {
		t.Errorf("Evaluate: %v", err)
	}
}

func TestScrapeOverHTTP(t *testing.T) {
	c := fixture(t)
	ingest, err := NewCounters("", "telemetry")
	must(t, err)
	ingest.AddIngested(40)
	ingest.AddDuplicates(3)
	ingest.AddRejected(1)
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c, ingest)
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()

	want := `
# HELP fleetkit_ingest_duplicates_total Records dropped by the ingestion pipeline as duplicates.
# TYPE fleetkit_ingest_duplicates_total counter
fleetkit_ingest_duplicates_total{pipeline="telemetry"} 3
# HELP fleetkit_ingest_records_total Records accepted by the ingestion pipeline.
# TYPE fleetkit_ingest_records_total counter
fleetkit_ingest_records_total{pipeline="telemetry"} 40
# HELP fleetkit_ingest_rejected_total Records refused by the ingestion pipeline (invalid, too old, over a limit).
# TYPE fleetkit_ingest_rejected_total counter
fleetkit_ingest_rejected_total{pipeline="telemetry"} 1
` + wantCommands
	names := []string{"fleetkit_ingest_duplicates_total", "fleetkit_ingest_records_total", "fleetkit_ingest_rejected_total",
		"fleetkit_slo_alert_firing", "fleetkit_slo_burn_rate", "fleetkit_slo_window_events"}
	// The fixture also exports "delivery": compare only the lines of commands and the counters.
	resp, err := http.Get(srv.URL + "/metrics")
	must(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	for _, line := range strings.Split(want, "\n") {
		if strings.Contains(line, `slo="commands"`) || strings.HasPrefix(line, "fleetkit_ingest") {
			if !strings.Contains(string(body), line+"\n") {
				t.Errorf("scrape lacks %q", line)
			}
		}
	}
	for _, line := range []string{
		`fleetkit_slo_latency_quantile_seconds{q="0.99",slo="delivery"} 0.1`,
		`fleetkit_slo_alert_firing{severity="page",slo="delivery"} 0`,
	} {
		if !strings.Contains(string(body), line+"\n") {
			t.Errorf("scrape lacks %q", line)
		}
	}
	// ScrapeAndCompare parses the exposition back: the counters exactly.
	if err := testutil.ScrapeAndCompare(srv.URL+"/metrics", strings.NewReader(want), names[:3]...); err != nil {
		t.Error(err)
	}
	problems, err := testutil.GatherAndLint(reg)
	must(t, err)
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}

// lockRecorder is a sync.Locker that records whether it is held, so a source can check that
// the Collector reads it under the lock.
type lockRecorder struct {
	mu    sync.Mutex
	held  bool
	locks int
}

func (l *lockRecorder) Lock()   { l.mu.Lock(); l.held = true; l.locks++ }
func (l *lockRecorder) Unlock() { l.held = false; l.mu.Unlock() }

// guardedSource fails the test when it is read without the lock held.
type guardedSource struct {
	slo.Source
	t    *testing.T
	lock *lockRecorder
}

func (g guardedSource) Count(now time.Time, w time.Duration) (slo.Count, error) {
	if !g.lock.held {
		g.t.Error("source read without the Collector's lock")
	}
	return g.Source.Count(now, w)
}

func TestCallerLocker(t *testing.T) {
	lock := &lockRecorder{}
	_, src := commands(t, "commands")
	o, err := slo.New(slo.Config{Name: "guarded", Target: 0.875, Period: 24 * time.Hour, Policy: policy},
		guardedSource{Source: src, t: t, lock: lock})
	must(t, err)
	c, _ := New(Config{Locker: lock, Now: func() time.Time { return t0 }})
	must(t, c.Add(o))
	_, err = c.Evaluate(t0)
	must(t, err)
	if n := testutil.CollectAndCount(c, "fleetkit_slo_burn_rate"); n != 5 {
		t.Errorf("%d burn rates, want 5", n)
	}
	ran := false
	c.Do(func() { ran = lock.held })
	if !ran || lock.locks < 4 {
		t.Errorf("Do ran under the lock: %v; %d locks", ran, lock.locks)
	}
}

// TestConcurrentIngestEvaluateScrape runs ingestion (inside Do), evaluation and scrapes at once;
// run with -race.
func TestConcurrentIngestEvaluateScrape(t *testing.T) {
	c, _ := New(Config{Now: func() time.Time { return t0 }})
	o, src := commands(t, "commands")
	must(t, c.Add(o))
	ingest, _ := NewCounters("", "commands")
	reg := prometheus.NewRegistry()
	reg.MustRegister(c, ingest)
	const n = 200
	var wg sync.WaitGroup
	wg.Add(3)
	go func() {
		defer wg.Done()
		for i := range n {
			var err error
			c.Do(func() { err = src.Observe(t0.Add(-time.Duration(i)*time.Millisecond), slo.Succeeded) })
			if err != nil {
				t.Error(err)
				return
			}
			ingest.AddIngested(1)
		}
	}()
	go func() {
		defer wg.Done()
		for range n / 10 {
			if _, err := c.Evaluate(t0); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	go func() {
		defer wg.Done()
		for range n / 10 {
			if _, err := reg.Gather(); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	wg.Wait()
	if v := gauge(t, c, "fleetkit_slo_window_events", "5m"); v != 8+n {
		t.Errorf("5m events after ingestion: %v, want %d", v, 8+n)
	}
	if ingest.Ingested() != n {
		t.Errorf("Ingested = %d", ingest.Ingested())
	}
}

func TestCounters(t *testing.T) {
	for _, tc := range []struct{ ns, pipeline, field string }{
		{"", "", "pipeline"},
		{"bad-ns", "x", "namespace"},
	} {
		var ce *ConfigError
		if _, err := NewCounters(tc.ns, tc.pipeline); !errors.As(err, &ce) || ce.Field != tc.field {
			t.Errorf("NewCounters(%q, %q): %v", tc.ns, tc.pipeline, err)
		}
	}
	c, err := NewCounters("gw", "telemetry")
	must(t, err)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 250 {
				c.AddIngested(2)
				c.AddDuplicates(1)
			}
		}()
	}
	wg.Wait()
	c.AddRejected(5)
	if c.Ingested() != 2000 || c.Duplicates() != 1000 || c.Rejected() != 5 {
		t.Errorf("counts %d %d %d", c.Ingested(), c.Duplicates(), c.Rejected())
	}
	want := `
# HELP gw_ingest_records_total Records accepted by the ingestion pipeline.
# TYPE gw_ingest_records_total counter
gw_ingest_records_total{pipeline="telemetry"} 2000
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), "gw_ingest_records_total"); err != nil {
		t.Error(err)
	}
	// Two pipelines register side by side.
	other, _ := NewCounters("gw", "commands")
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(c); err != nil {
		t.Fatal(err)
	}
	if err := reg.Register(other); err != nil {
		t.Errorf("second pipeline: %v", err)
	}
}
