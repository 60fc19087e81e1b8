package senml_test

import (
	"bytes"
	"errors"
	"math"
	"testing"

	"github.com/fleetkit/fleetkit/telemetry/senml"
)

// wantErr checks that err is an *Error with the sentinel, record and field given.
func wantErr(t *testing.T, err error, sentinel error, record int, field string) *senml.Error {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Fatalf("error %v, want %v", err, sentinel)
	}
	var e *senml.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %T is not *senml.Error", err)
	}
	if e.Record != record || e.Field != field {
		t.Fatalf("error at record %d field %q, want record %d field %q (%v)", e.Record, e.Field, record, field, err)
	}
	return e
}

func TestParseJSONErrors(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		err    error
		record int
		field  string
		offset int
	}{
		{"empty input", ``, senml.ErrSyntax, -1, "", 0},
		{"not an array", `{"n":"a","v":1}`, senml.ErrSyntax, -1, "", 0},
		{"record not an object", `[1]`, senml.ErrSyntax, 0, "", 1},
		{"unterminated array", `[{"n":"a","v":1}`, senml.ErrSyntax, -1, "", 16},
		{"trailing data", `[] x`, senml.ErrSyntax, -1, "", 3},
		{"trailing comma", `[{"v":1},]`, senml.ErrSyntax, 1, "", 9},
		{"missing colon", `[{"v" 1}]`, senml.ErrSyntax, 0, "", 6},
		{"unquoted key", `[{v:1}]`, senml.ErrSyntax, 0, "", 2},
		{"name is a number", `[{"n":1,"v":1}]`, senml.ErrType, 0, "n", 6},
		{"value is a string", `[{"n":"a","v":"1"}]`, senml.ErrType, 0, "v", 14},
		{"value is null", `[{"n":"a","v":null}]`, senml.ErrType, 0, "v", 14},
		{"vb is a number", `[{"n":"a","vb":1}]`, senml.ErrType, 0, "vb", 15},
		{"bt is a bool", `[{"n":"a","v":1},{"bt":true}]`, senml.ErrType, 1, "bt", 23},
		{"duplicate field", `[{"n":"a","v":1,"v":2}]`, senml.ErrDuplicate, 0, "v", 16},
		{"must understand", `[{"n":"a","v":1,"foo_":2}]`, senml.ErrMustUnderstand, 0, "foo_", 16},
		{"bver fraction", `[{"bver":5.5,"n":"a","v":1}]`, senml.ErrVersion, 0, "bver", 9},
		{"bver zero", `[{"bver":0,"n":"a","v":1}]`, senml.ErrVersion, 0, "bver", 9},
		{"vd padded", `[{"n":"a","vd":"aGk="}]`, senml.ErrDataValue, 0, "vd", 15},
		{"vd standard alphabet", `[{"n":"a","vd":"+/8"}]`, senml.ErrDataValue, 0, "vd", 15},
		{"number leading zero", `[{"n":"a","v":01}]`, senml.ErrSyntax, 0, "", 15},
		{"number bare dot", `[{"n":"a","v":1.}]`, senml.ErrSyntax, 0, "v", 14},
		{"number bare exponent", `[{"n":"a","v":1e}]`, senml.ErrSyntax, 0, "v", 14},
		{"number plus sign", `[{"n":"a","v":+1}]`, senml.ErrType, 0, "v", 14},
		{"number overflow", `[{"n":"a","v":1e400}]`, senml.ErrNumber, 0, "v", 14},
		{"bad escape", `[{"n":"a\x","v":1}]`, senml.ErrSyntax, 0, "n", 8},
		{"short unicode escape", `[{"n":"\u12","v":1}]`, senml.ErrSyntax, 0, "n", 7},
		{"lone high surrogate", `[{"n":"a","vs":"\ud83d"}]`, senml.ErrText, 0, "vs", 16},
		{"lone low surrogate", `[{"n":"a","vs":"\ude00x"}]`, senml.ErrText, 0, "vs", 16},
		{"raw control char", "[{\"n\":\"a\",\"vs\":\"a\x01\"}]", senml.ErrSyntax, 0, "vs", 17},
		{"invalid UTF-8", "[{\"n\":\"a\",\"vs\":\"\xff\"}]", senml.ErrText, 0, "vs", 16},
		{"unterminated string", `[{"n":"a`, senml.ErrSyntax, 0, "n", 8},
		{"unknown value malformed", `[{"x":[1,}]`, senml.ErrSyntax, 0, "x", 9},
		{"unknown value bad literal", `[{"x":nul}]`, senml.ErrSyntax, 0, "x", 6},
		{"unknown value too deep", `[{"x":` + string(bytes.Repeat([]byte("["), 40)) + `}]`, senml.ErrDepth, 0, "x", 38},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := make(senml.Pack, 1, 4)
			dst[0].SetName("kept")
			out, err := senml.ParseJSON([]byte(tt.in), dst)
			e := wantErr(t, err, tt.err, tt.record, tt.field)
			if e.Offset != tt.offset {
				t.Errorf("offset %d, want %d (%v)", e.Offset, tt.offset, err)
			}
			if len(out) != 1 || out[0].Name != "kept" {
				t.Errorf("dst not restored: %+v", out)
			}
		})
	}
}

func TestParseJSONGrammar(t *testing.T) {
	in := " \r\n\t[ { \"n\" : \"a\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\u00fc\" , \"v\" : -1.5E+2 ," +
		" \"x\" : {\"y\":[true,false,null,\"s\\n\",-0.0e-1,{}],\"z\":[]}, \"vb_no\":1 } , {\"n\":\"b\",\"vb\":true,\"t\":-0}," +
		" {\"n\":\"c\",\"vs\":\"\",\"u\":\"\"}, {} ] \n"
	p, err := senml.ParseJSON([]byte(in), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(p) != 4 {
		t.Fatalf("got %d records", len(p))
	}
	if want := "a\"\\/\b\f\n\r\t\u00e9\U0001F600\u00fc"; p[0].Name != want {
		t.Errorf("name %q, want %q", p[0].Name, want)
	}
	if p[0].Value != -150 || p[0].Fields != senml.FieldName|senml.FieldValue {
		t.Errorf("record 0: %+v", p[0])
	}
	if !p[1].BoolValue || !p[1].Has(senml.FieldTime) || !math.Signbit(p[1].Time) {
		t.Errorf("record 1: %+v", p[1])
	}
	if !p[2].Has(senml.FieldStringValue|senml.FieldUnit) || p[2].StringValue != "" {
		t.Errorf("record 2: %+v", p[2])
	}
	if p[3].Fields != 0 {
		t.Errorf("record 3: %+v", p[3])
	}
	// Encoding escapes what it must and reads back the same.
	enc := senml.AppendJSON(nil, p)
	q, err := senml.ParseJSON(enc, nil)
	if err != nil {
		t.Fatalf("%v in %s", err, enc)
	}
	if again := senml.AppendJSON(nil, q); !bytes.Equal(again, enc) {
		t.Errorf("round trip:\n%s\n%s", enc, again)
	}
	if got, want := string(senml.AppendJSON(nil, senml.Pack{q[0]})), `[{"n":"a\"\\/\u0008\u000c\n\r\té😀ü","v":-150}]`; got != want {
		t.Errorf("escaped:\ngot  %s\nwant %s", got, want)
	}
}

func TestAppendJSONNumbersAndData(t *testing.T) {
	var r senml.Record
	r.SetBaseTime(1.276020076001e+09)
	r.SetBaseVersion(5)
	r.SetName("x")
	r.SetDataValue([]byte("hi \n"))
	r.SetSum(1e-7)
	r.SetUpdateTime(0.5)
	got := string(senml.AppendJSON(nil, senml.Pack{r}))
	want := `[{"bt":1.276020076001e+09,"bver":5,"n":"x","ut":0.5,"vd":"aGkgCg","s":1e-07}]`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	var nan senml.Record
	nan.SetName("x")
	nan.SetValue(math.NaN())
	if got := string(senml.AppendJSON(nil, senml.Pack{nan})); got != `[{"n":"x","v":null}]` {
		t.Errorf("NaN: %s", got)
	}
	if _, err := (senml.Pack{nan}).MarshalJSON(); !errors.Is(err, senml.ErrNumber) {
		t.Errorf("MarshalJSON(NaN) error %v, want ErrNumber", err)
	}
	// Invalid UTF-8 is replaced, never emitted raw.
	var bad senml.Record
	bad.SetName("a\xffb")
	if got := string(senml.AppendJSON(nil, senml.Pack{bad})); got != `[{"n":"a\ufffdb"}]` {
		t.Errorf("invalid UTF-8: %s", got)
	}
}

func TestPackJSONMethods(t *testing.T) {
	var p senml.Pack
	if err := p.UnmarshalJSON([]byte(`[{"n":"a","v":1},{"n":"b","v":2}]`)); err != nil {
		t.Fatal(err)
	}
	b, err := p.MarshalJSON()
	if err != nil || string(b) != `[{"n":"a","v":1},{"n":"b","v":2}]` {
		t.Fatalf("%s %v", b, err)
	}
	if err := p.UnmarshalJSON([]byte(`[{"n":"c","v":3}]`)); err != nil || len(p) != 1 || p[0].Name != "c" {
		t.Fatalf("reuse: %+v %v", p, err)
	}
	if err := p.UnmarshalJSON([]byte(`[{"n":3}]`)); err == nil || len(p) != 0 {
		t.Fatalf("error leaves %+v, %v", p, err)
	}
}

func TestParseJSONReusesStorage(t *testing.T) {
	in := []byte(`[{"bn":"dev:","n":"temp","u":"Cel","v":21.5,"vd":"aGkgCg"},{"n":"hum","vs":"dry"}]`)
	p, err := senml.ParseJSON(in, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Absent fields of a reused slot read as zero values.
	p, err = senml.ParseJSON([]byte(`[{"n":"x","v":1},{"n":"hum","vs":"dry"}]`), p[:0])
	if err != nil {
		t.Fatal(err)
	}
	if p[0].BaseName != "" || p[0].Unit != "" || p[0].DataValue != nil || p[0].Name != "x" {
		t.Fatalf("stale fields: %+v", p[0])
	}
	allocs := testing.AllocsPerRun(100, func() {
		p, err = senml.ParseJSON(in, p[:0])
	})
	if err != nil || allocs != 0 {
		t.Errorf("steady-state decode: %v allocs, err %v", allocs, err)
	}
	if p[0].Name != "temp" || string(p[0].DataValue) != "hi \n" || p[1].StringValue != "dry" {
		t.Errorf("decoded %+v", p)
	}
}
