package slo

import (
	_ "embed"
	"encoding/json"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// burnVectors mirrors testdata/slo-burn-rates.json (see testdata/SOURCE.md).
type burnVectors struct {
	SLO         float64 `json:"slo"`
	PeriodHours float64 `json:"period_hours"`
	Rows        []struct {
		Severity       string  `json:"severity"`
		LongWindow     string  `json:"long_window"`
		ShortWindow    string  `json:"short_window"`
		BurnRate       float64 `json:"burn_rate"`
		BudgetConsumed float64 `json:"budget_consumed"`
	} `json:"rows"`
	Formulas map[string]string `json:"formulas"`
	Checks   []struct {
		Row                 string  `json:"row"`
		ComputedBurnRate    float64 `json:"computed_burn_rate"`
		ErrorRatioThreshold float64 `json:"error_ratio_threshold"`
		TimeToExhaustionH   float64 `json:"time_to_exhaustion_hours"`
	} `json:"checks"`
	Table54 []struct {
		BurnRate         float64 `json:"burn_rate"`
		ErrorRate        float64 `json:"error_rate"`
		TimeToExhaustion string  `json:"time_to_exhaustion"`
	} `json:"table_5_4_burn_rates_99_9"`
	Table56 []struct {
		BudgetConsumed float64 `json:"budget_consumed"`
		Window         string  `json:"window"`
		BurnRate       float64 `json:"burn_rate"`
		Notification   string  `json:"notification"`
	} `json:"table_5_6_multi_burn_rate"`
	FinalRules map[string]string `json:"workbook_final_rules"`
	Published  []struct {
		What   string             `json:"what"`
		Inputs map[string]float64 `json:"inputs"`
		// Expected is a number or a prose string, depending on the check.
		Expected      json.RawMessage `json:"expected"`
		ExpectedHours float64         `json:"expected_hours"`
		Exact         float64         `json:"exact"`
		ExactMinutes  float64         `json:"exact_minutes"`
	} `json:"published_numeric_checks"`
}

// burnRatesJSON is embedded rather than read at run time so that the vectors also run where the
// test binary has no file system: TinyGo's wasip1 runner preopens no directory.
//
//go:embed testdata/slo-burn-rates.json
var burnRatesJSON []byte

func loadVectors(t testing.TB) burnVectors {
	t.Helper()
	var v burnVectors
	if err := json.Unmarshal(burnRatesJSON, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// parseWindow reads the vectors' "5m", "1h", "3d" and "24h" spellings.
func parseWindow(t testing.TB, s string) time.Duration {
	t.Helper()
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil {
			t.Fatalf("window %q: %v", s, err)
		}
		return time.Duration(n) * 24 * time.Hour
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		t.Fatalf("window %q: %v", s, err)
	}
	return d
}

func near(a, b, rel float64) bool {
	return math.Abs(a-b) <= rel*math.Max(math.Abs(a), math.Abs(b))
}

func TestVectorsRows(t *testing.T) {
	v := loadVectors(t)
	period := time.Duration(v.PeriodHours * float64(time.Hour))
	if period != DefaultPeriod {
		t.Fatalf("period %v, DefaultPeriod %v", period, DefaultPeriod)
	}
	p := DefaultPolicy()
	if len(p) != len(v.Rows) {
		t.Fatalf("DefaultPolicy has %d rows, vectors %d", len(p), len(v.Rows))
	}
	for i, row := range v.Rows {
		long, short := parseWindow(t, row.LongWindow), parseWindow(t, row.ShortWindow)
		r := p[i]
		if string(r.Severity) != row.Severity || r.LongWindow != long || r.ShortWindow != short || r.BurnRate != row.BurnRate {
			t.Errorf("row %d: DefaultPolicy %v, vectors %+v", i, r, row)
		}
		if got := ThresholdBurnRate(row.BudgetConsumed, period, long); !near(got, row.BurnRate, 1e-12) {
			t.Errorf("row %d: ThresholdBurnRate = %v, want %v", i, got, row.BurnRate)
		}
		if got := r.BudgetConsumed(period); !near(got, row.BudgetConsumed, 1e-12) {
			t.Errorf("row %d: BudgetConsumed at alert = %v, want %v", i, got, row.BudgetConsumed)
		}
		// Formula "short_window_guideline": short = long / 12.
		if short != long/12 {
			t.Errorf("row %d: short window %v is not long/12 = %v", i, short, long/12)
		}
	}
	for i, row := range v.Table56 {
		w := parseWindow(t, row.Window)
		if got := ThresholdBurnRate(row.BudgetConsumed, period, w); !near(got, row.BurnRate, 1e-12) {
			t.Errorf("table 5-6 row %d: burn rate %v, want %v", i, got, row.BurnRate)
		}
		if string(p[i].Severity) != row.Notification || p[i].LongWindow != w {
			t.Errorf("table 5-6 row %d: policy row %v, want %s over %s", i, p[i], row.Notification, row.Window)
		}
	}
}

func TestVectorsChecks(t *testing.T) {
	v := loadVectors(t)
	period := time.Duration(v.PeriodHours * float64(time.Hour))
	p := DefaultPolicy()
	for i, c := range v.Checks {
		r := p[i]
		if formatWindow(r.LongWindow) != c.Row {
			t.Fatalf("check %d is for row %s, policy row %d is %v", i, c.Row, i, r)
		}
		if got := r.Threshold(v.SLO); !near(got, c.ErrorRatioThreshold, 1e-9) {
			t.Errorf("row %s: threshold error ratio %v, want %v", c.Row, got, c.ErrorRatioThreshold)
		}
		if got := BurnRate(c.ErrorRatioThreshold, v.SLO); !near(got, c.ComputedBurnRate, 1e-9) {
			t.Errorf("row %s: burn rate %v, want %v", c.Row, got, c.ComputedBurnRate)
		}
		if got := TimeToExhaustion(period, c.ComputedBurnRate).Hours(); !near(got, c.TimeToExhaustionH, 1e-12) {
			t.Errorf("row %s: time to exhaustion %vh, want %vh", c.Row, got, c.TimeToExhaustionH)
		}
	}
}

func TestVectorsTable54(t *testing.T) {
	v := loadVectors(t)
	period := time.Duration(v.PeriodHours * float64(time.Hour))
	for _, row := range v.Table54 {
		if got := BurnRate(row.ErrorRate, v.SLO); !near(got, row.BurnRate, 1e-9) {
			t.Errorf("error rate %v: burn rate %v, want %v", row.ErrorRate, got, row.BurnRate)
		}
		// The table prints whole units, truncated ("43 minutes" for 43.2).
		n, unit, ok := strings.Cut(row.TimeToExhaustion, " ")
		if !ok {
			t.Fatalf("cannot read %q", row.TimeToExhaustion)
		}
		want, err := strconv.Atoi(n)
		if err != nil {
			t.Fatal(err)
		}
		u := map[string]time.Duration{"days": 24 * time.Hour, "minutes": time.Minute}[unit]
		if u == 0 {
			t.Fatalf("unit %q", unit)
		}
		if got := TimeToExhaustion(period, row.BurnRate) / u; int(got) != want {
			t.Errorf("burn rate %v: exhausts in %d %s, want %d", row.BurnRate, got, unit, want)
		}
	}
}

// ruleTerm reads one "(rateL > B*0.001 AND rateS > B*0.001)" term; "B*" is omitted when B is 1.
var ruleTerm = regexp.MustCompile(`\(rate(\w+) > (?:([\d.]+)\*)?0\.001 AND rate(\w+) > (?:([\d.]+)\*)?0\.001\)`)

func TestVectorsWorkbookRules(t *testing.T) {
	v := loadVectors(t)
	var want Policy
	for _, sev := range []Severity{Page, Ticket} {
		terms := ruleTerm.FindAllStringSubmatch(v.FinalRules[string(sev)], -1)
		if len(terms) != 2 {
			t.Fatalf("%s rule: %d terms parsed from %q", sev, len(terms), v.FinalRules[string(sev)])
		}
		for _, m := range terms {
			br := 1.0
			if m[2] != "" {
				br, _ = strconv.ParseFloat(m[2], 64)
			}
			if m[2] != m[4] {
				t.Fatalf("term %q uses two burn rates", m[0])
			}
			want = append(want, Rule{Severity: sev, LongWindow: parseWindow(t, m[1]), ShortWindow: parseWindow(t, m[3]), BurnRate: br})
		}
	}
	got := WorkbookPolicy()
	if len(got) != len(want) {
		t.Fatalf("WorkbookPolicy = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("WorkbookPolicy[%d] = %v, want %v", i, got[i], want[i])
		}
	}
}

func TestVectorsPublishedChecks(t *testing.T) {
	v := loadVectors(t)
	period := time.Duration(v.PeriodHours * float64(time.Hour))
	if len(v.Published) != 5 {
		t.Fatalf("%d published checks, this test knows 5", len(v.Published))
	}
	for _, c := range v.Published {
		switch {
		case strings.HasPrefix(c.What, "Table 5-2"):
			w := time.Duration(c.Inputs["window_hours"] * float64(time.Hour))
			got := DetectionTime(c.Inputs["slo"], c.Inputs["error_ratio"], w, 1)
			if got != 129600*time.Millisecond {
				t.Errorf("%s: %v, want 129.6s", c.What, got)
			}
			// "2 min 10 s" is the rounding printed in the Workbook.
			if got.Round(10*time.Second) != 2*time.Minute+10*time.Second {
				t.Errorf("%s: %v does not round to 2m10s", c.What, got)
			}
		case strings.HasPrefix(c.What, "Section 4"):
			var want float64
			if err := json.Unmarshal(c.Expected, &want); err != nil {
				t.Fatal(err)
			}
			w := time.Duration(c.Inputs["window_hours"] * float64(time.Hour))
			p := time.Duration(c.Inputs["period_hours"] * float64(time.Hour))
			if got := ThresholdBurnRate(c.Inputs["budget_consumed"], p, w); !near(got, want, 1e-12) {
				t.Errorf("%s: %v, want %v", c.What, got, want)
			}
		case strings.HasPrefix(c.What, "Table 5-5"):
			got := TimeToExhaustion(period, c.Inputs["burn_rate"]).Hours()
			if !near(got, c.Exact, 1e-12) || math.Floor(got*10)/10 != c.ExpectedHours {
				t.Errorf("%s: %vh, want %vh (printed %v)", c.What, got, c.Exact, c.ExpectedHours)
			}
		case strings.HasPrefix(c.What, "Table 5-4"):
			if got := TimeToExhaustion(period, c.Inputs["burn_rate"]).Minutes(); !near(got, c.ExactMinutes, 1e-12) {
				t.Errorf("%s: %v min, want %v", c.What, got, c.ExactMinutes)
			}
		case strings.HasPrefix(c.What, "Table 5-3"):
			br := BurnRate(c.Inputs["error_ratio"], v.SLO)
			got := BudgetConsumed(br, time.Duration(c.Inputs["hours"]*float64(time.Hour)), period)
			if !near(got, 1/0.001/720, 1e-9) || math.Round(got*100) != 139 {
				t.Errorf("%s: %v, want 1.3889 (printed as 140%%)", c.What, got)
			}
		default:
			t.Errorf("unknown check %q", c.What)
		}
	}
}

// TestVectorsDetectionTimes checks the detection-time formula for each row of Table 5-8 against a
// full outage: the long window needs BurnRate × (1-SLO) of its length in errors.
func TestVectorsDetectionTimes(t *testing.T) {
	v := loadVectors(t)
	want := map[string]time.Duration{"1h": 51840 * time.Millisecond, "6h": 129600 * time.Millisecond, "3d": 259200 * time.Millisecond}
	for _, r := range DefaultPolicy() {
		got := DetectionTime(v.SLO, 1, r.LongWindow, r.BurnRate)
		if d := got - want[formatWindow(r.LongWindow)]; d < -time.Microsecond || d > time.Microsecond {
			t.Errorf("%v: detection %v, want %v", r, got, want[formatWindow(r.LongWindow)])
		}
		// The formula with burn rate 1 is the plain-window detection time.
		if plain := DetectionTime(v.SLO, 1, r.LongWindow, 1); !near(float64(plain)*r.BurnRate, float64(got), 1e-9) {
			t.Errorf("%v: plain detection %v × %v != burn-rate detection %v", r, plain, r.BurnRate, got)
		}
		// At exactly the threshold error ratio the alert never fires.
		if got := DetectionTime(v.SLO, r.Threshold(v.SLO), r.LongWindow, r.BurnRate); got != Never {
			t.Errorf("%v: detection at the threshold = %v, want Never", r, got)
		}
	}
}
