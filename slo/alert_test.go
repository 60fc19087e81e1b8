package slo

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// t0 is an arbitrary, minute-aligned start for simulations.
var t0 = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

// sim drives a Counter and an SLO in virtual time: perSecond events each second, a fraction of
// them bad, and an evaluation every step.
type sim struct {
	t         *testing.T
	c         *Counter
	s         *Objective
	now       time.Time
	perSecond uint64
	step      time.Duration
	carry     float64
	ev        Evaluation
	log       []Transition // every transition seen
}

func newSim(t *testing.T, wc WindowConfig, p Policy) *sim {
	t.Helper()
	c, err := NewCounter(wc)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Name: "sim", Target: 0.999, Policy: p}, c)
	if err != nil {
		t.Fatal(err)
	}
	return &sim{t: t, c: c, s: s, now: t0, perSecond: 100, step: time.Minute}
}

// run advances d at errRatio, calling each after every evaluation with the time elapsed in this run.
func (m *sim) run(d time.Duration, errRatio float64, each func(elapsed time.Duration, ev *Evaluation)) {
	m.t.Helper()
	start := m.now
	for m.now.Sub(start) < d {
		m.now = m.now.Add(time.Second)
		m.carry += float64(m.perSecond) * errRatio
		bad := uint64(math.Floor(m.carry))
		m.carry -= float64(bad)
		if err := m.c.Add(m.now, m.perSecond-bad, m.perSecond); err != nil {
			m.t.Fatal(err)
		}
		if m.now.Sub(start)%m.step == 0 {
			if err := m.s.Evaluate(m.now, &m.ev); err != nil {
				m.t.Fatal(err)
			}
			m.log = append(m.log, m.ev.Transitions...)
			if each != nil {
				each(m.now.Sub(start), &m.ev)
			}
		}
	}
}

func (m *sim) quiet(elapsed time.Duration, ev *Evaluation) {
	m.t.Helper()
	if len(ev.Alerts) > 0 || len(ev.Transitions) > 0 {
		m.t.Fatalf("at %v: unexpected alerts %+v transitions %+v", elapsed, ev.Alerts, ev.Transitions)
	}
}

func within(got, want, tol time.Duration) bool { return got >= want-tol && got <= want+tol }

// TestOutageFiresAndResets: a sudden 100% outage after four days of clean traffic fires each row
// of the Workbook table within one evaluation step of its predicted detection time
// ((1-SLO)/error_ratio × window × burn_rate), and each severity resolves within one step of the
// moment its short windows clear after recovery, while the long windows still burn.
func TestOutageFiresAndResets(t *testing.T) {
	m := newSim(t, WindowConfig{}, DefaultPolicy())
	m.run(4*24*time.Hour, 0, m.quiet)

	first := map[int]time.Duration{}
	m.run(time.Hour, 1, func(el time.Duration, ev *Evaluation) {
		for _, a := range ev.Alerts {
			if _, ok := first[a.Rule]; !ok {
				first[a.Rule] = el
			}
		}
	})
	for i, r := range DefaultPolicy() {
		want := DetectionTime(0.999, 1, r.LongWindow, r.BurnRate)
		got, ok := first[i]
		if !ok || !within(got, want, m.step) {
			t.Errorf("%v: fired after %v (fired=%v), predicted %v", r, got, ok, want)
		}
	}
	if want := []Transition{{Severity: Page, Kind: Fired, At: t0.Add(96*time.Hour + time.Minute)}}; !slices.Equal(m.log[:1], want) {
		t.Errorf("first transition %+v, want %+v", m.log[:1], want)
	}
	if len(m.log) != 2 || m.log[1].Severity != Ticket || m.log[1].Kind != Fired {
		t.Fatalf("transitions during the outage: %+v, want page then ticket fired", m.log)
	}

	// Recovery: a row clears when its short window holds no more than the threshold in errors:
	// W × (1 - threshold) after the errors stop.
	clear := func(w time.Duration, r Rule) time.Duration {
		return time.Duration(float64(w) * (1 - r.Threshold(0.999)))
	}
	p := DefaultPolicy()
	m.log = m.log[:0]
	var row0Clear, pageResolved, ticketResolved time.Duration = -1, -1, -1
	m.run(7*time.Hour, 0, func(el time.Duration, ev *Evaluation) {
		firing0 := false
		for _, a := range ev.Alerts {
			firing0 = firing0 || a.Rule == 0
		}
		if !firing0 && row0Clear < 0 {
			row0Clear = el
		}
		for _, tr := range ev.Transitions {
			if tr.Kind != Resolved {
				t.Errorf("at %v: unexpected %+v", el, tr)
				continue
			}
			var long time.Duration
			switch tr.Severity {
			case Page:
				pageResolved, long = el, p[1].LongWindow
			case Ticket:
				ticketResolved, long = el, p[2].LongWindow
			}
			// The long window alone would keep the alert firing: the short window reset it.
			br, err := m.s.BurnRate(m.now, long)
			if err != nil || br <= 6 && tr.Severity == Page || br <= 1 {
				t.Errorf("%s resolved with the %v burn rate at %v (%v)", tr.Severity, long, br, err)
			}
		}
	})
	if want := clear(p[0].ShortWindow, p[0]); !within(row0Clear, want, m.step) {
		t.Errorf("1h/5m row cleared after %v, predicted %v", row0Clear, want)
	}
	if want := clear(p[1].ShortWindow, p[1]); !within(pageResolved, want, m.step) {
		t.Errorf("page resolved after %v, predicted %v (30m short window)", pageResolved, want)
	}
	if want := clear(p[2].ShortWindow, p[2]); !within(ticketResolved, want, m.step) {
		t.Errorf("ticket resolved after %v, predicted %v (6h short window)", ticketResolved, want)
	}
	if len(m.log) != 2 {
		t.Errorf("transitions after recovery: %+v, want one page and one ticket resolution", m.log)
	}
	if m.log[0].Since != t0.Add(96*time.Hour+time.Minute) {
		t.Errorf("page resolution Since = %v", m.log[0].Since)
	}
}

// TestSlowBurn: a steady 2x burn (error ratio 0.002 at 99.9%) after clean traffic never pages and
// never trips the Workbook's extra 3x ticket row; the 3d/6h 1x row fires once the 3d window's
// ratio passes 0.001, i.e. after DetectionTime(0.999, 0.002, 3d, 1) = 36h. With 1-hour coarse
// buckets the 3d window's old edge is rounded to ±30 minutes, which moves the detection by up to
// ±15.5 minutes; with 1-minute coarse buckets it is within one step.
func TestSlowBurn(t *testing.T) {
	for _, tc := range []struct {
		name string
		wc   WindowConfig
		tol  time.Duration
	}{
		{"default layout", WindowConfig{}, 16 * time.Minute},
		{"minute layout", WindowConfig{CoarseResolution: time.Minute}, time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newSim(t, tc.wc, WorkbookPolicy())
			m.perSecond = 10
			m.run(3*24*time.Hour+time.Hour, 0, m.quiet)
			fired := time.Duration(-1)
			m.run(48*time.Hour, 0.002, func(el time.Duration, ev *Evaluation) {
				for _, a := range ev.Alerts {
					if a.Severity != Ticket || a.LongWindow != 3*24*time.Hour {
						t.Fatalf("at %v: row %v fired (%+v)", el, m.s.Policy()[a.Rule], a)
					}
					if fired < 0 {
						fired = el
					}
				}
			})
			want := DetectionTime(0.999, 0.002, 3*24*time.Hour, 1)
			if want != 36*time.Hour {
				t.Fatalf("predicted %v", want)
			}
			if !within(fired, want, tc.tol) {
				t.Errorf("ticket fired after %v, predicted %v ± %v", fired, want, tc.tol)
			}
			if len(m.log) != 1 || m.log[0].Severity != Ticket || m.log[0].Kind != Fired {
				t.Errorf("transitions %+v, want one ticket fired", m.log)
			}
		})
	}
}

// TestExactThreshold: an error ratio exactly at a row's threshold in both windows does not fire that
// row (the condition is strictly greater); one more bad event does. Rows with lower thresholds fire.
func TestExactThreshold(t *testing.T) {
	const perMinute = 5000
	for i, r := range DefaultPolicy() {
		t.Run(r.String(), func(t *testing.T) {
			c, _ := NewCounter(WindowConfig{})
			s, err := New(Config{Target: 0.999}, c)
			if err != nil {
				t.Fatal(err)
			}
			badF := perMinute * r.Threshold(0.999)
			bad := uint64(math.Round(badF))
			if math.Abs(badF-float64(bad)) > 1e-9 {
				t.Fatalf("threshold %v is not a whole number of %d events", r.Threshold(0.999), perMinute)
			}
			now := t0
			for range 4 * 24 * 60 {
				now = now.Add(time.Minute)
				if err := c.Add(now, perMinute-bad, perMinute); err != nil {
					t.Fatal(err)
				}
			}
			var ev Evaluation
			if err := s.Evaluate(now, &ev); err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, a := range ev.Alerts {
				got = append(got, a.Rule)
			}
			var want []int
			for j, o := range DefaultPolicy() {
				if o.BurnRate < r.BurnRate {
					want = append(want, j)
				}
			}
			if !slices.Equal(got, want) {
				t.Fatalf("at exactly %vx: rows %v fire, want %v", r.BurnRate, got, want)
			}
			if err := c.Add(now, 0, 1); err != nil {
				t.Fatal(err)
			}
			if err := s.Evaluate(now, &ev); err != nil {
				t.Fatal(err)
			}
			if !slices.ContainsFunc(ev.Alerts, func(a Alert) bool { return a.Rule == i }) {
				t.Fatalf("one bad event above %vx: row does not fire (%+v)", r.BurnRate, ev.Alerts)
			}
		})
	}
}

// TestNoiseNeverFires: random error ratios that stay below every threshold on average, with short
// spikes, never fire and never transition over four days evaluated every minute.
func TestNoiseNeverFires(t *testing.T) {
	c, _ := NewCounter(WindowConfig{})
	s, err := New(Config{Target: 0.999, Policy: WorkbookPolicy()}, c)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	now := t0
	var ev Evaluation
	var maxBurn float64
	for minute := range 4 * 24 * 60 {
		now = now.Add(time.Minute)
		bad := rng.Uint64N(6) // 0..5 of 5000: mean 0.05%
		if minute >= 24*60 && minute%17 == 0 {
			bad += 20 // after a day of history, a spike: 0.45% in that minute
		}
		if err := c.Add(now, 5000-bad, 5000); err != nil {
			t.Fatal(err)
		}
		if err := s.Evaluate(now, &ev); err != nil {
			t.Fatal(err)
		}
		if len(ev.Alerts) > 0 || len(ev.Transitions) > 0 {
			t.Fatalf("minute %d: %+v %+v", minute, ev.Alerts, ev.Transitions)
		}
		br, _ := s.BurnRate(now, 5*time.Minute)
		maxBurn = max(maxBurn, br)
	}
	// The noise is not trivially zero: the 5m window saw a burn rate above 1x.
	if maxBurn <= 1 {
		t.Errorf("max 5m burn rate %v: the noise is too weak to test anything", maxBurn)
	}
}

func TestNoDataNeverFires(t *testing.T) {
	c, _ := NewCounter(WindowConfig{})
	s, _ := New(Config{Target: 0.99}, c)
	var ev Evaluation
	if err := s.Evaluate(t0, &ev); err != nil || len(ev.Alerts) != 0 {
		t.Fatalf("empty: %+v %v", ev, err)
	}
	if br, err := s.BurnRate(t0, time.Hour); err != nil || br != 0 {
		t.Fatalf("empty burn rate %v %v", br, err)
	}
}

// TestEvaluateOnlyShortWindow: a burst that trips the short window but not the long one does not fire.
func TestEvaluateOnlyShortWindow(t *testing.T) {
	c, _ := NewCounter(WindowConfig{})
	s, _ := New(Config{Target: 0.999}, c)
	now := t0
	for range 120 {
		now = now.Add(time.Minute)
		_ = c.Add(now, 1000, 1000)
	}
	// 100 bad events in the last minute: 5m ratio 100/5100 ≈ 2%, 1h ratio 100/60100 ≈ 0.17%.
	_ = c.Add(now, 0, 100)
	var ev Evaluation
	_ = s.Evaluate(now, &ev)
	b5, _ := s.BurnRate(now, 5*time.Minute)
	b1h, _ := s.BurnRate(now, time.Hour)
	if !(b5 > 14.4 && b1h < 14.4) {
		t.Fatalf("setup: 5m %vx, 1h %vx", b5, b1h)
	}
	if ev.Firing(Page) {
		t.Fatalf("short window alone fired: %+v", ev.Alerts)
	}
}

func TestEvaluateSameSeverityORed(t *testing.T) {
	// Two page rows firing at once give one Fired transition; the page resolves only when both clear.
	src := &fixedSource{span: DefaultSpan, counts: map[time.Duration]Count{}}
	s, err := New(Config{Target: 0.999}, src)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.Severities(), []Severity{Page, Ticket}) {
		t.Errorf("Severities %v", s.Severities())
	}
	set := func(ratio1h, ratio6h float64) {
		for _, w := range []time.Duration{5 * time.Minute, time.Hour} {
			src.counts[w] = Count{Good: uint64(1e6 * (1 - ratio1h)), Total: 1e6}
		}
		for _, w := range []time.Duration{30 * time.Minute, 6 * time.Hour} {
			src.counts[w] = Count{Good: uint64(1e6 * (1 - ratio6h)), Total: 1e6}
		}
	}
	var ev Evaluation
	steps := []struct {
		r1h, r6h float64
		rules    []int
		trans    []TransitionKind
	}{
		{0, 0, nil, nil},
		{0.02, 0, []int{0}, []TransitionKind{Fired}},
		{0.02, 0.01, []int{0, 1}, nil},
		{0, 0.01, []int{1}, nil},
		{0, 0, nil, []TransitionKind{Resolved}},
		{0, 0.01, []int{1}, []TransitionKind{Fired}},
	}
	for i, st := range steps {
		set(st.r1h, st.r6h)
		now := t0.Add(time.Duration(i) * time.Minute)
		if err := s.Evaluate(now, &ev); err != nil {
			t.Fatal(err)
		}
		var rules []int
		for _, a := range ev.Alerts {
			rules = append(rules, a.Rule)
		}
		var kinds []TransitionKind
		for _, tr := range ev.Transitions {
			kinds = append(kinds, tr.Kind)
			if tr.Severity != Page || !tr.At.Equal(now) {
				t.Errorf("step %d: transition %+v", i, tr)
			}
		}
		if !slices.Equal(rules, st.rules) || !slices.Equal(kinds, st.trans) {
			t.Errorf("step %d: rows %v transitions %v, want %v %v", i, rules, kinds, st.rules, st.trans)
		}
		if ev.Firing(Page) != (len(st.rules) > 0) || ev.Firing(Ticket) {
			t.Errorf("step %d: Evaluation.Firing(page) = %v", i, ev.Firing(Page))
		}
		if s.Firing(Page) != (len(st.rules) > 0) || s.Firing(Ticket) || s.Firing("nonesuch") {
			t.Errorf("step %d: Firing(page) = %v", i, s.Firing(Page))
		}
	}
}

// fixedSource returns preset counts per window.
type fixedSource struct {
	span   time.Duration
	counts map[time.Duration]Count
	err    error
}

func (f *fixedSource) Count(_ time.Time, w time.Duration) (Count, error) { return f.counts[w], f.err }
func (f *fixedSource) Span() time.Duration                               { return f.span }

func TestEvaluateSourceError(t *testing.T) {
	boom := errors.New("boom")
	s, err := New(Config{Target: 0.999}, &fixedSource{span: DefaultSpan, err: boom})
	if err != nil {
		t.Fatal(err)
	}
	var ev Evaluation
	if err := s.Evaluate(t0, &ev); !errors.Is(err, boom) {
		t.Fatalf("Evaluate error %v", err)
	}
	if _, err := s.Report(t0); !errors.Is(err, boom) {
		t.Fatalf("Report error %v", err)
	}
}

func TestEvaluateAllocs(t *testing.T) {
	c, _ := NewCounter(WindowConfig{})
	s, _ := New(Config{Target: 0.999, Policy: WorkbookPolicy()}, c)
	now := t0
	for range 600 {
		now = now.Add(time.Minute)
		_ = c.Add(now, 0, 10)
	}
	var ev Evaluation
	_ = s.Evaluate(now, &ev) // grow the slices once
	if n := testing.AllocsPerRun(50, func() { _ = s.Evaluate(now, &ev) }); n != 0 {
		t.Errorf("Evaluate allocates %v times per call", n)
	}
	if len(ev.Alerts) != 4 { // all errors: every row fires
		t.Errorf("alerts %+v", ev.Alerts)
	}
}

func TestRuleString(t *testing.T) {
	got := []string{}
	for _, r := range WorkbookPolicy() {
		got = append(got, r.String())
	}
	want := []string{"page: 14.4x over 1h and 5m", "page: 6x over 6h and 30m", "ticket: 3x over 1d and 2h", "ticket: 1x over 3d and 6h"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if Fired.String() != "fired" || Resolved.String() != "resolved" || TransitionKind(9).String() != "transition(9)" {
		t.Error("TransitionKind.String")
	}
}
