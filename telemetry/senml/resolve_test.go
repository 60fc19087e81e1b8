package senml_test

import (
	"math"
	"testing"
	"time"

	"github.com/fleetkit/fleetkit/telemetry/senml"
)

func parse(t *testing.T, s string) senml.Pack {
	t.Helper()
	p, err := senml.ParseJSON([]byte(s), nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestValidateErrors(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		err    error
		record int
		field  string
	}{
		{"no value", `[{"n":"a"}]`, senml.ErrNoValue, 0, ""},
		{"name and base value only", `[{"bv":1},{"n":"a"}]`, senml.ErrNoValue, 1, ""},
		{"two values", `[{"n":"a","v":1,"vs":"x"}]`, senml.ErrMultipleValues, 0, ""},
		{"bool and data", `[{"n":"a","v":1},{"n":"b","vb":true,"vd":"AA"}]`, senml.ErrMultipleValues, 1, ""},
		{"empty name", `[{"v":1}]`, senml.ErrName, 0, "bn"},
		{"empty name and base name", `[{"bn":"","n":"","v":1}]`, senml.ErrName, 0, "n"},
		{"bad first char", `[{"n":"-a","v":1}]`, senml.ErrName, 0, "n"},
		{"bad first char of base name", `[{"bn":"_x","n":"a","v":1}]`, senml.ErrName, 0, "n"},
		{"space in name", `[{"bn":"dev/","n":"a b","v":1}]`, senml.ErrName, 0, "n"},
		{"bad char in base name only", `[{"bn":"a b","v":1}]`, senml.ErrName, 0, "bn"},
		{"non-ASCII name", `[{"n":"café","v":1}]`, senml.ErrName, 0, "n"},
		{"version too new", `[{"bver":11,"n":"a","v":1}]`, senml.ErrVersion, 0, "bver"},
		{"version changes", `[{"bver":5,"n":"a","v":1},{"bver":6,"n":"b","v":1}]`, senml.ErrVersion, 1, "bver"},
		{"version after default records", `[{"n":"a","v":1},{"bver":5,"n":"b","v":1}]`, senml.ErrVersion, 1, "bver"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := parse(t, tt.in)
			e := wantErr(t, p.Validate(), tt.err, tt.record, tt.field)
			if e.Offset != -1 {
				t.Errorf("offset %d, want -1", e.Offset)
			}
			out, err := p.Resolve(make(senml.Pack, 0, 2), 0)
			wantErr(t, err, tt.err, tt.record, tt.field)
			if len(out) != 0 {
				t.Errorf("Resolve returned records on error: %+v", out)
			}
		})
	}
}

func TestValidateProgrammaticRecords(t *testing.T) {
	var r senml.Record
	r.SetName("a")
	r.SetValue(1)
	r.SetTime(math.Inf(-1))
	wantErr(t, senml.Pack{r}.Validate(), senml.ErrNumber, 0, "t")
	r.SetTime(0)
	r.SetUnit("\xff")
	wantErr(t, senml.Pack{r}.Validate(), senml.ErrText, 0, "u")
	r.Clear(senml.FieldUnit)
	r.SetBaseVersion(0)
	wantErr(t, senml.Pack{r}.Validate(), senml.ErrVersion, 0, "bver")
	r.Clear(senml.FieldBaseVersion)
	if err := (senml.Pack{r}).Validate(); err != nil {
		t.Fatal(err)
	}
	if r.Has(senml.FieldUnit) || r.Unit != "" || !r.Has(senml.FieldName|senml.FieldValue) {
		t.Fatalf("Clear: %+v", r)
	}
	// Resolving a huge base time plus time overflows: reported, not returned as +Inf.
	var big senml.Record
	big.SetName("a")
	big.SetValue(1)
	big.SetBaseTime(math.MaxFloat64)
	big.SetTime(math.MaxFloat64)
	if _, err := (senml.Pack{big}).Resolve(nil, 0); err == nil {
		t.Fatal("overflowing time resolved")
	}
}

func TestResolve(t *testing.T) {
	const now = 1.7e9
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"relative time is added to now",
			`[{"n":"a","v":1,"t":-10}]`,
			`[{"n":"a","t":1699999990,"v":1}]`},
		{"absent time means now",
			`[{"n":"a","v":1}]`,
			`[{"n":"a","t":1700000000,"v":1}]`},
		{"absolute time stays",
			`[{"n":"a","v":1,"t":268435456}]`,
			`[{"n":"a","t":268435456,"v":1}]`},
		{"just below 2**28 is relative",
			`[{"n":"a","v":1,"t":268435455}]`,
			`[{"n":"a","t":1968435455,"v":1}]`},
		{"base time plus time crosses 2**28",
			`[{"bt":268435450,"n":"a","v":1,"t":6}]`,
			`[{"n":"a","t":268435456,"v":1}]`},
		{"base value and base sum add up",
			`[{"bn":"d/","bv":100,"bs":5,"n":"a","v":1.5,"s":2},{"n":"b","v":-1},{"n":"c","vs":"x"}]`,
			`[{"n":"d/a","t":1700000000,"v":101.5,"s":7},{"n":"d/b","t":1700000000,"v":99,"s":5},{"n":"d/c","t":1700000000,"vs":"x","s":5}]`},
		{"sum without value",
			`[{"n":"a","s":3}]`,
			`[{"n":"a","t":1700000000,"s":3}]`},
		{"unit falls back to base unit, base fields change",
			`[{"bn":"x:","bu":"A","n":"a","v":1},{"bu":"V","n":"b","u":"W","v":2},{"bn":"y:","n":"c","v":3}]`,
			`[{"n":"x:a","u":"A","t":1700000000,"v":1},{"n":"x:b","u":"W","t":1700000000,"v":2},{"n":"y:c","u":"V","t":1700000000,"v":3}]`},
		{"chronological and stable",
			`[{"bt":1600000000,"n":"a","v":1,"t":5},{"n":"b","v":2},{"n":"c","v":3,"t":5},{"n":"d","v":4,"t":-1}]`,
			`[{"n":"d","t":1599999999,"v":4},{"n":"b","t":1600000000,"v":2},{"n":"a","t":1600000005,"v":1},{"n":"c","t":1600000005,"v":3}]`},
		{"version kept when not 10",
			`[{"bver":3,"n":"a","vb":true},{"n":"b","vd":"AQI","ut":30}]`,
			`[{"bver":3,"n":"a","t":1700000000,"vb":true},{"bver":3,"n":"b","t":1700000000,"ut":30,"vd":"AQI"}]`},
		{"version 10 dropped",
			`[{"bver":10,"n":"a","v":1}]`,
			`[{"n":"a","t":1700000000,"v":1}]`},
		{"base-only records yield nothing",
			`[{"bn":"a"},{"v":1},{"bn":"b","bt":1600000000},{"v":2}]`,
			`[{"n":"b","t":1600000000,"v":2},{"n":"a","t":1700000000,"v":1}]`},
		{"empty pack", `[]`, `[]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := parse(t, tt.in)
			if err := p.Validate(); err != nil {
				t.Fatal(err)
			}
			prefix := make(senml.Pack, 1)
			prefix[0].SetName("keep")
			out, err := p.Resolve(prefix, now)
			if err != nil {
				t.Fatal(err)
			}
			if out[0].Name != "keep" {
				t.Fatal("Resolve overwrote dst")
			}
			// want is written with plain numbers; normalise it to the encoder's form.
			want := string(senml.AppendJSON(nil, parse(t, tt.want)))
			if got := string(senml.AppendJSON(nil, out[1:])); got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
}

func TestTimeConversion(t *testing.T) {
	tm := time.Date(2010, 6, 8, 18, 1, 16, 1e6, time.UTC)
	f := senml.FromTime(tm)
	if math.Abs(f-1276020076.001) > 1e-6 {
		t.Fatalf("FromTime = %v", f)
	}
	if back := senml.ToTime(f); !back.Equal(tm) {
		t.Fatalf("ToTime = %v, want %v", back, tm)
	}
	if !senml.ToTime(math.NaN()).IsZero() || !senml.ToTime(1e300).IsZero() {
		t.Fatal("ToTime accepted an impossible time")
	}
	if got := senml.ToTime(-1.5); !got.Equal(time.Unix(-2, 5e8)) {
		t.Fatalf("ToTime(-1.5) = %v", got)
	}
}

func TestFieldLabel(t *testing.T) {
	want := []string{"bn", "bt", "bu", "bv", "bs", "bver", "n", "u", "v", "vs", "vb", "vd", "s", "t", "ut"}
	for i, w := range want {
		if got := senml.Field(1 << i).Label(); got != w {
			t.Errorf("bit %d: %q, want %q", i, got, w)
		}
	}
	if got := (senml.FieldName | senml.FieldValue).Label(); got != "" {
		t.Errorf("two fields: %q", got)
	}
}

func TestRecordSetAndClear(t *testing.T) {
	var r senml.Record
	r.SetBaseName("a")
	r.SetBaseTime(1)
	r.SetBaseUnit("u")
	r.SetBaseValue(1)
	r.SetBaseSum(1)
	r.SetBaseVersion(1)
	r.SetName("n")
	r.SetUnit("u")
	r.SetValue(1)
	r.SetStringValue("s")
	r.SetBoolValue(true)
	r.SetDataValue([]byte{1})
	r.SetSum(1)
	r.SetTime(1)
	r.SetUpdateTime(1)
	all := senml.Field(1<<15 - 1)
	if r.Fields != all || !r.Has(senml.BaseFields|senml.ValueFields) {
		t.Fatalf("fields %b", r.Fields)
	}
	r.Clear(senml.BaseFields)
	if r.Has(senml.FieldBaseName) || r.BaseName != "" || r.BaseVersion != 0 || r.Name != "n" {
		t.Fatalf("after Clear(BaseFields): %+v", r)
	}
	r.Clear(all)
	if r.Fields != 0 || r.Name != "" || r.Value != 0 || r.DataValue != nil || r.BoolValue || r.UpdateTime != 0 {
		t.Fatalf("after Clear(all): %+v", r)
	}
}
