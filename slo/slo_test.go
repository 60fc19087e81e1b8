package slo

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestConfigErrors(t *testing.T) {
	c, _ := NewCounter(WindowConfig{})
	short, _ := NewCounter(WindowConfig{Span: 7 * 24 * time.Hour})
	for _, tc := range []struct {
		name  string
		cfg   Config
		src   Source
		field string
	}{
		{"no target", Config{}, c, "Target"},
		{"target 1", Config{Target: 1}, c, "Target"},
		{"target NaN", Config{Target: math.NaN()}, c, "Target"},
		{"negative period", Config{Target: 0.99, Period: -time.Hour, Policy: Policy{}}, c, "Period"},
		{"period beyond span", Config{Target: 0.999}, short, "Period"},
		{"nil source", Config{Target: 0.999}, nil, "src"},
		{"no severity", Config{Target: 0.999, Policy: Policy{{LongWindow: time.Hour, ShortWindow: time.Minute, BurnRate: 2}}}, c, "Policy[0].Severity"},
		{"zero burn rate", Config{Target: 0.999, Policy: Policy{{Severity: Page, LongWindow: time.Hour, ShortWindow: time.Minute}}}, c, "Policy[0].BurnRate"},
		{"infinite burn rate", Config{Target: 0.999, Policy: Policy{{Severity: Page, LongWindow: time.Hour, ShortWindow: time.Minute, BurnRate: math.Inf(1)}}}, c, "Policy[0].BurnRate"},
		{"can never fire", Config{Target: 0.9, Policy: DefaultPolicy()}, c, "Policy[0].BurnRate"},
		{"long window beyond span", Config{Target: 0.999, Period: 24 * time.Hour, Policy: Policy{{Severity: Page, LongWindow: 31 * 24 * time.Hour, ShortWindow: time.Hour, BurnRate: 1}}}, c, "Policy[0].LongWindow"},
		{"short longer than long", Config{Target: 0.999, Policy: Policy{DefaultPolicy()[0], {Severity: Page, LongWindow: time.Hour, ShortWindow: 2 * time.Hour, BurnRate: 1}}}, c, "Policy[1].ShortWindow"},
		{"zero short", Config{Target: 0.999, Policy: Policy{{Severity: Page, LongWindow: time.Hour, BurnRate: 1}}}, c, "Policy[0].ShortWindow"},
	} {
		_, err := New(tc.cfg, tc.src)
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Field != tc.field || !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%s: %v, want a ConfigError for %s", tc.name, err, tc.field)
		}
	}
}

func TestDefaults(t *testing.T) {
	c, _ := NewCounter(WindowConfig{})
	s, err := New(Config{Target: 0.995}, c)
	if err != nil {
		t.Fatal(err)
	}
	if s.Name() != "slo" || s.Period() != DefaultPeriod || s.Target() != 0.995 || s.Source() != Source(c) {
		t.Errorf("defaults: %q %v %v", s.Name(), s.Period(), s.Target())
	}
	if !slices.Equal(s.Policy(), DefaultPolicy()) {
		t.Errorf("policy %v", s.Policy())
	}
	want := []time.Duration{5 * time.Minute, 30 * time.Minute, time.Hour, 6 * time.Hour, 72 * time.Hour}
	if !slices.Equal(s.Windows(), want) {
		t.Errorf("windows %v", s.Windows())
	}
	if math.Abs(s.ErrorBudget()-0.005) > 1e-15 {
		t.Errorf("budget %v", s.ErrorBudget())
	}
	// An empty, non-nil policy disables alerting.
	s, err = New(Config{Target: 0.5, Policy: Policy{}}, c)
	if err != nil || len(s.Windows()) != 0 {
		t.Fatalf("empty policy: %v %v", s.Windows(), err)
	}
	var ev Evaluation
	if err := s.Evaluate(t0, &ev); err != nil || len(ev.Alerts) != 0 {
		t.Errorf("evaluate with no rows: %v %+v", err, ev)
	}
}

func TestBudget(t *testing.T) {
	c, _ := NewCounter(WindowConfig{})
	s, _ := New(Config{Name: "cmd", Target: 0.999}, c)
	now := t0
	check := func(name string, wantRem float64, wantTTE time.Duration) {
		t.Helper()
		rem, err := s.BudgetRemaining(now)
		if err != nil || math.Abs(rem-wantRem) > 1e-9 {
			t.Errorf("%s: remaining %v, %v; want %v", name, rem, err, wantRem)
		}
		tte, err := s.TimeToExhaustion(now, time.Hour)
		if err != nil || (tte-wantTTE).Abs() > time.Second {
			t.Errorf("%s: time to exhaustion %v, %v; want %v", name, tte, err, wantTTE)
		}
	}
	check("no events", 1, Never)
	// 10 days of clean traffic: 1,000,000 events per day.
	for range 10 * 24 {
		now = now.Add(time.Hour)
		_ = c.Add(now, 1000000/24, 1000000/24)
	}
	check("clean", 1, Never)
	// One hour at 0.4% errors: burn rate 4 over 1h.
	now = now.Add(time.Hour)
	_ = c.Add(now, 41666-167, 41666)
	br, _ := s.BurnRate(now, time.Hour)
	if math.Abs(br-4.008) > 0.001 {
		t.Fatalf("burn rate %v", br)
	}
	cnt, _ := s.Count(now, s.Period())
	rem := 1 - float64(cnt.Bad())/(0.001*float64(cnt.Total))
	check("burning", rem, time.Duration(rem*float64(30*24*time.Hour)/br))
	consumed, _ := s.BudgetConsumed(now, time.Hour)
	if want := br / 720; math.Abs(consumed-want) > 1e-12 {
		t.Errorf("budget consumed %v, want %v", consumed, want)
	}
	// Overspent: more bad events than the whole period allows.
	_ = c.Add(now, 0, 20000)
	rem, _ = s.BudgetRemaining(now)
	if rem >= 0 {
		t.Errorf("overspent remaining %v, want negative", rem)
	}
	if tte, _ := s.TimeToExhaustion(now, time.Hour); tte != 0 {
		t.Errorf("overspent time to exhaustion %v", tte)
	}
	for _, f := range []func() error{
		func() error { _, err := s.BurnRate(now, -1); return err },
		func() error { _, err := s.TimeToExhaustion(now, 0); return err },
		func() error { _, err := s.BudgetConsumed(now, 0); return err },
		func() error { _, err := s.Count(now, 0); return err },
	} {
		if err := f(); !errors.Is(err, ErrWindow) {
			t.Errorf("bad window: %v", err)
		}
	}
	bad := &fixedSource{span: DefaultSpan, err: ErrNoData}
	sb, _ := New(Config{Target: 0.999}, bad)
	if _, err := sb.BudgetRemaining(now); !errors.Is(err, ErrNoData) {
		t.Errorf("source error: %v", err)
	}
	if _, err := sb.TimeToExhaustion(now, time.Hour); !errors.Is(err, ErrNoData) {
		t.Errorf("source error: %v", err)
	}
}

func TestPureArithmetic(t *testing.T) {
	if TimeToExhaustion(time.Hour, 0) != Never || TimeToExhaustion(time.Hour, -1) != Never {
		t.Error("no burn must never exhaust")
	}
	if TimeToExhaustion(DefaultPeriod, 1e-12) != Never {
		t.Error("overflowing durations read Never")
	}
	if DetectionTime(0.999, 0, time.Hour, 14.4) != Never || DetectionTime(0.999, 0.01, time.Hour, 14.4) != Never {
		t.Error("an alert that cannot fire has detection time Never")
	}
	if got := DetectionTime(0.999, 0.5, time.Hour, 14.4); got != 103680*time.Millisecond {
		t.Errorf("50%% errors: detection %v", got)
	}
	if !exceeds(14.400001, 14.4) || exceeds(14.4, 14.4) || exceeds(BurnRate(0.0144, 0.999), 14.4) || exceeds(14.4*(1+1e-12), 14.4) {
		t.Error("exceeds is strictly greater with rounding tolerance")
	}
}

func TestReport(t *testing.T) {
	o, _ := NewOutcomes(WindowConfig{})
	s, _ := New(Config{Name: "command-success", Target: 0.999}, o)
	now := t0
	for range 24 * 60 {
		now = now.Add(time.Minute)
		for range 10 {
			_ = o.Observe(now, Succeeded)
		}
	}
	r, err := s.Report(now)
	if err != nil {
		t.Fatal(err)
	}
	want := `SLO command-success: target 99.9% over 30d
  SLI 100.000% (14400 good of 14400), error budget 0.1%, remaining 100.0%
  burn rate: 5m 0.00x, 30m 0.00x, 1h 0.00x, 6h 0.00x, 3d 0.00x
  alerts: none`
	if r.String() != want {
		t.Errorf("report:\n%s\nwant:\n%s", r, want)
	}
	// Two minutes of failures: the 1h/5m page row fires.
	for range 2 {
		now = now.Add(time.Minute)
		for range 10 {
			_ = o.Observe(now, Failed)
		}
	}
	var ev Evaluation
	_ = s.Evaluate(now.Add(-time.Minute), &ev)
	r, _ = s.Report(now)
	if len(r.Alerts) != 2 || r.Alerts[0].Since != now.Add(-time.Minute) || r.Alerts[1].Since != now {
		t.Fatalf("alerts %+v", r.Alerts)
	}
	got := r.String()
	for _, line := range []string{
		"  SLI 99.861% (14400 good of 14420), error budget 0.1%, remaining -38.7%",
		"  burn rate: 5m 400.00x, 30m 66.67x, 1h 33.33x, 6h 5.56x, 3d 1.39x",
		"  ALERT page: 14.4x over 1h and 5m (observed 33.33x and 400.00x) since 2026-01-06T00:01:00Z",
		"  ALERT ticket: 1x over 3d and 6h (observed 1.39x and 5.56x) since 2026-01-06T00:02:00Z",
	} {
		if !strings.Contains(got, line) {
			t.Errorf("report lacks %q:\n%s", line, got)
		}
	}
	if r.SLI() != 14400.0/14420 || r.Count.Total != 14420 || len(r.Windows) != 5 || r.Windows[0].Count != (Count{30, 50}) {
		t.Errorf("report fields %+v", r)
	}
	// An SLO with no events.
	empty, _ := NewOutcomes(WindowConfig{})
	se, _ := New(Config{Name: "ota", Target: 0.99, Policy: Policy{}}, empty)
	re, _ := se.Report(now)
	if want := "SLO ota: target 99% over 30d\n  SLI n/a (no events), error budget 1%, remaining 100.0%\n  alerts: none"; re.String() != want {
		t.Errorf("empty report:\n%s\nwant:\n%s", re, want)
	}
}

func TestReportQuantiles(t *testing.T) {
	l, _ := NewLatency(LatencyConfig{Threshold: 500 * time.Millisecond})
	s, _ := New(Config{Name: "delivery", Target: 0.99, Policy: Policy{}}, l)
	for i := range 100 {
		_ = l.Observe(t0, time.Duration(i+1)*10*time.Millisecond)
	}
	r, _ := s.Report(t0)
	if len(r.Quantiles) != 3 {
		t.Fatalf("quantiles %+v", r.Quantiles)
	}
	for i, want := range []time.Duration{500 * time.Millisecond, 900 * time.Millisecond, 990 * time.Millisecond} {
		q := r.Quantiles[i]
		if math.Abs(float64(q.Value-want)) > 0.02*float64(want) {
			t.Errorf("p%v = %v, want %v ± 2%%", q.Q*100, q.Value, want)
		}
	}
	if !strings.Contains(r.String(), "\n  percentiles: p50 ") || !strings.Contains(r.String(), ", p99 ") {
		t.Errorf("report:\n%s", r)
	}
}

func TestFormatWindow(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", 5 * time.Minute: "5m", 90 * time.Minute: "90m", 36 * time.Hour: "36h", 72 * time.Hour: "3d",
		90 * time.Second: "90s", 1500 * time.Millisecond: "1.5s",
	} {
		if got := formatWindow(d); got != want {
			t.Errorf("formatWindow(%v) = %q, want %q", d, got, want)
		}
	}
	for d, want := range map[time.Duration]time.Duration{
		1234567890: 1235 * time.Millisecond, 1234567: 1235 * time.Microsecond, 999: 999,
	} {
		if got := roundDuration(d); got != want {
			t.Errorf("roundDuration(%v) = %v", d, got)
		}
	}
}

func TestErrorMessages(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&ConfigError{Field: "Target", Rule: "must be in (0, 1)"}, "slo: invalid configuration: Target: must be in (0, 1)"},
		{&ArgumentError{Arg: "q", Rule: "must be in [0, 1]"}, "slo: invalid argument q: must be in [0, 1]"},
		{&WindowError{Window: 0, Span: time.Hour}, "slo: window 0s outside (0, 1h0m0s]"},
		{&DecodeError{Offset: 7, Rule: "bad magic"}, "slo: corrupt snapshot at byte 7: bad magic"},
		{&StaleError{At: t0, Oldest: t0.Add(time.Hour)}, "slo: event at 2026-01-05T00:00:00Z is older than the retained span starting 2026-01-05T01:00:00Z"},
		{&GapError{From: t0, To: t0.Add(time.Hour), Max: time.Minute}, "slo: sampling gap of 1h0m0s exceeds MaxGap 1m0s; interval not credited"},
	} {
		if tc.err.Error() != tc.want {
			t.Errorf("%q, want %q", tc.err.Error(), tc.want)
		}
	}
}
