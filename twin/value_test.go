package twin

import (
	"errors"
	"math"
	"testing"
)

func TestNumberEqual(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"1", "1", true},
		{"1", "1.0", true},
		{"1", "10e-1", true},
		{"1", "0.1e1", true},
		{"100", "1e2", true},
		{"100", "1E+2", true},
		{"0", "-0", true},
		{"0", "0.000e5", true},
		{"0.05", "5e-2", true},
		{"0.05", "0.5", false},
		{"1", "-1", false},
		{"12345678901234567890", "12345678901234567891", false},
		{"12345678901234567890", "1.234567890123456789e19", true},
		{"9007199254740993", "9007199254740992", false}, // equal as float64, different numbers
		{"1e400", "10e399", true},
		{"1e400", "1e401", false},
		{"-2.50", "-25e-1", true},
		{"105", "15", false},
		{"1.05", "1.5", false},
		// Exponents beyond int64 are compared exactly.
		{"1e1000000000000000000", "10e999999999999999999", true},
		{"1e1000000000000000000", "1e1000000000000000001", false},
		{"1e99999999999999999999", "1e99999999999999999998", false},
		{"1e99999999999999999999", "100e99999999999999999997", true},
		{"0.001e1000000000000000002", "1e999999999999999999", true},
		{"-1e-1000000000000000000", "-0.1e-999999999999999999", true},
		{"1e-1000000000000000000", "1e1000000000000000000", false},
		{"1E+0000000000000000000000000000001", "10", true},
		{"123e-99999999999999999999", "1.23e-99999999999999999997", true},
	}
	for _, tc := range tests {
		if got := Equal(mustNumber(t, tc.a), mustNumber(t, tc.b)); got != tc.want {
			t.Errorf("Equal(%s, %s) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
		if got := Equal(mustNumber(t, tc.b), mustNumber(t, tc.a)); got != tc.want {
			t.Errorf("Equal(%s, %s) = %v, want %v", tc.b, tc.a, got, tc.want)
		}
	}
}

func mustNumber(tb testing.TB, s string) Value {
	tb.Helper()
	v, err := NumberOf(s)
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

func TestConstructors(t *testing.T) {
	f, err := FloatOf(0.1)
	if err != nil || f.String() != "0.1" {
		t.Errorf("FloatOf(0.1) = %s, %v", f, err)
	}
	for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if _, err := FloatOf(bad); !errors.Is(err, ErrNumber) {
			t.Errorf("FloatOf(%v) = %v, want ErrNumber", bad, err)
		}
	}
	for _, bad := range []string{"", "01", "1.", ".5", "+1", "1e", "0x10", "NaN", "1 "} {
		if _, err := NumberOf(bad); !errors.Is(err, ErrNumber) {
			t.Errorf("NumberOf(%q) = %v, want ErrNumber", bad, err)
		}
	}
	if v := IntOf(math.MinInt64); v.String() != "-9223372036854775808" {
		t.Errorf("IntOf = %s", v)
	}
	if u, ok := UintOf(math.MaxUint64).AsUint64(); !ok || u != math.MaxUint64 {
		t.Errorf("UintOf round trip = %d, %v", u, ok)
	}
	if _, ok := mustNumber(t, "1.0").AsInt64(); ok {
		t.Error("AsInt64 accepted 1.0")
	}
	if x, ok := mustNumber(t, "2.5e1").AsFloat64(); !ok || x != 25 {
		t.Errorf("AsFloat64 = %v, %v", x, ok)
	}
	if _, ok := mustNumber(t, "1e400").AsFloat64(); ok {
		t.Error("AsFloat64 accepted 1e400")
	}
	if s, ok := StringOf("x").AsString(); !ok || s != "x" {
		t.Errorf("AsString = %q, %v", s, ok)
	}
	if b, ok := BoolOf(true).AsBool(); !ok || !b {
		t.Errorf("AsBool = %v, %v", b, ok)
	}
	if StringOf("bad\xffutf8").String() != "\"bad\ufffdutf8\"" {
		t.Errorf("invalid UTF-8 not replaced: %s", StringOf("bad\xffutf8"))
	}
	obj, err := ObjectOf(Member{"b", IntOf(1)}, Member{"a", ArrayOf(NullValue(), BoolOf(false))})
	if err != nil || obj.String() != `{"a":[null,false],"b":1}` {
		t.Errorf("ObjectOf = %s, %v", obj, err)
	}
	if _, err := ObjectOf(Member{"a", IntOf(1)}, Member{"a", IntOf(2)}); !errors.Is(err, ErrDuplicateKey) {
		t.Errorf("ObjectOf duplicate: %v", err)
	}
	if e, _ := ObjectOf(); e.String() != "{}" || e.Kind() != Object {
		t.Errorf("ObjectOf() = %s", e)
	}
	if NullValue().Kind() != Null || !(Value{}).IsNull() {
		t.Error("zero Value is not null")
	}
}

func TestEqualKinds(t *testing.T) {
	vals := []string{`null`, `true`, `false`, `1`, `"1"`, `[1]`, `[1,2]`, `{"a":1}`, `{"a":1,"b":2}`, `{"b":1}`, `[]`, `{}`}
	for i, a := range vals {
		for j, b := range vals {
			if got := Equal(mustParse(t, a), mustParse(t, b)); got != (i == j) {
				t.Errorf("Equal(%s, %s) = %v", a, b, got)
			}
		}
	}
}

func TestGetSetDelete(t *testing.T) {
	v := mustParse(t, `{"network":{"wifi":{"ssid":"home"}},"list":[1]}`)
	if got, ok := v.Get("network", "wifi", "ssid"); !ok || got.String() != `"home"` {
		t.Errorf("Get = %s, %v", got, ok)
	}
	if _, ok := v.Get("network", "eth"); ok {
		t.Error("Get of a missing key succeeded")
	}
	if _, ok := v.Get("list", "0"); ok {
		t.Error("Get stepped into an array")
	}
	if got, ok := v.Get(); !ok || !Equal(got, v) {
		t.Error("Get() is not the value itself")
	}

	w, err := Set(v, StringOf("office"), "network", "wifi", "ssid")
	if err != nil || w.String() != `{"list":[1],"network":{"wifi":{"ssid":"office"}}}` {
		t.Errorf("Set = %s, %v", w, err)
	}
	if v.String() != `{"list":[1],"network":{"wifi":{"ssid":"home"}}}` {
		t.Errorf("Set modified its input: %s", v)
	}
	w, err = Set(v, IntOf(5), "network", "eth", "mtu")
	if err != nil || w.String() != `{"list":[1],"network":{"eth":{"mtu":5},"wifi":{"ssid":"home"}}}` {
		t.Errorf("Set creating objects = %s, %v", w, err)
	}
	p, err := Set(Value{}, NullValue(), "a", "b")
	if err != nil || p.String() != `{"a":{"b":null}}` {
		t.Errorf("Set building a patch = %s, %v", p, err)
	}
	_, err = Set(v, IntOf(1), "list", "x")
	if !errors.Is(err, ErrNotObject) || err.Error() != "twin: set list.x: list is a array, not an object" {
		t.Errorf("Set through an array: %v", err)
	}
	_, err = Set(v, IntOf(1), "network", "wifi", "ssid", "x")
	if !errors.Is(err, ErrNotObject) || err.Error() != "twin: set network.wifi.ssid.x: network.wifi.ssid is a string, not an object" {
		t.Errorf("Set through a string: %v", err)
	}
	if _, err := Set(IntOf(1), IntOf(2), "a"); !errors.Is(err, ErrNotObject) {
		t.Errorf("Set on a number: %v", err)
	}

	d := Delete(v, "network", "wifi", "ssid")
	if d.String() != `{"list":[1],"network":{"wifi":{}}}` {
		t.Errorf("Delete = %s", d)
	}
	if d := Delete(v, "network", "nope"); d.String() != v.String() {
		t.Errorf("Delete of a missing key = %s", d)
	}
	if d := Delete(v, "list"); d.String() != `{"network":{"wifi":{"ssid":"home"}}}` {
		t.Errorf("Delete(list) = %s", d)
	}
}

func TestPathString(t *testing.T) {
	tests := []struct {
		p    Path
		want string
	}{
		{nil, ""},
		{Path{"a"}, "a"},
		{Path{"network", "wifi", "ssid"}, "network.wifi.ssid"},
		{Path{"a.b", "c"}, `["a.b"].c`},
		{Path{"a", ""}, `a[""]`},
		{Path{"x", `q"[`}, `x["q\"["]`},
	}
	for _, tc := range tests {
		if got := tc.p.String(); got != tc.want {
			t.Errorf("%q.String() = %s, want %s", []string(tc.p), got, tc.want)
		}
	}
}

func TestChangesAndDiff(t *testing.T) {
	target := mustParse(t, `{"a":1,"b":{"c":[1,2],"d":"x"}}`)
	tests := []struct {
		patch   string
		changes bool
	}{
		{`{}`, false},
		{`{"a":1.0}`, false},
		{`{"a":2}`, true},
		{`{"z":null}`, false},
		{`{"a":null}`, true},
		{`{"b":{"c":[1,2]}}`, false},
		{`{"b":{"c":[2,1]}}`, true},
		{`{"b":{"e":{}}}`, true},
		{`{"b":{}}`, false},
		{`{"a":{}}`, true},
		{`[]`, true},
	}
	for _, tc := range tests {
		p := mustParse(t, tc.patch)
		if got := Changes(target, p); got != tc.changes {
			t.Errorf("Changes(%s) = %v, want %v", tc.patch, got, tc.changes)
		}
		if got := !Equal(Merge(target, p), target); got != tc.changes {
			t.Errorf("Merge(%s) changed = %v, want %v", tc.patch, got, tc.changes)
		}
	}
	to := mustParse(t, `{"a":1,"b":{"c":[1],"e":true},"f":{"g":1}}`)
	d, err := Diff(target, to)
	if err != nil || d.String() != `{"b":{"c":[1],"d":null,"e":true},"f":{"g":1}}` {
		t.Errorf("Diff = %s, %v", d, err)
	}
	if d, err := Diff(target, target); err != nil || d.String() != `{}` {
		t.Errorf("Diff of equal values = %s, %v", d, err)
	}
	if _, err := Diff(target, mustParse(t, `{"a":{"n":null}}`)); !errors.Is(err, ErrUnrepresentable) ||
		err.Error() != "twin: diff: member a.n is null, which a merge patch cannot express (null deletes)" {
		t.Errorf("Diff to a null member: %v", err)
	}
}

func TestAccessors(t *testing.T) {
	v := mustParse(t, `{"n":12.50,"l":[true,"x"],"o":{"k":null}}`)
	n, _ := v.Lookup("n")
	if n.Literal() != "12.50" || StringOf("12").Literal() != "" {
		t.Errorf("Literal = %q", n.Literal())
	}
	if _, ok := StringOf("1").AsFloat64(); ok {
		t.Error("AsFloat64 of a string succeeded")
	}
	if _, ok := IntOf(-1).AsUint64(); ok {
		t.Error("AsUint64 of -1 succeeded")
	}
	l, _ := v.Lookup("l")
	if l.Len() != 2 || v.Len() != 3 || n.Len() != 0 {
		t.Errorf("Len = %d, %d, %d", l.Len(), v.Len(), n.Len())
	}
	if e, ok := l.Index(1); !ok || e.String() != `"x"` {
		t.Errorf("Index(1) = %s, %v", e, ok)
	}
	for _, i := range []int{-1, 2} {
		if _, ok := l.Index(i); ok {
			t.Errorf("Index(%d) succeeded", i)
		}
	}
	if _, ok := v.Index(0); ok {
		t.Error("Index on an object succeeded")
	}
	if ms := v.Members(); len(ms) != 3 || ms[0].Key != "l" || l.Members() != nil {
		t.Errorf("Members = %v", ms)
	}
	if _, ok := l.Lookup("0"); ok {
		t.Error("Lookup on an array succeeded")
	}
	kinds := map[Kind]string{Null: "null", Bool: "boolean", Number: "number", String: "string", Array: "array", Object: "object", Kind(9): "kind(9)"}
	for k, want := range kinds {
		if k.String() != want {
			t.Errorf("Kind(%d).String() = %s", k, k.String())
		}
	}
	if _, err := NumberOf("1.e3"); err == nil || err.Error() != `twin: invalid number "1.e3": RFC 8259 section 6 grammar, no NaN or infinity` {
		t.Errorf("NumberOf error = %v", err)
	}
	if err := (Limits{MaxKeys: 1}).Check(v, "x"); !errors.Is(err, ErrLimit) || err.Error() != "twin: limit exceeded: max-keys 1 (found 2 or more) at x.n" {
		t.Errorf("Check = %v", err)
	}
	if err := (Limits{MaxDepth: -2}).Check(v, ""); !errors.Is(err, ErrInvalidLimits) || err.Error() != "twin: invalid limits: MaxDepth is -2, must be >= 0 (0 means the default)" {
		t.Errorf("Check with bad limits = %v", err)
	}
	if _, err := Parse([]byte("\x01"), Limits{}); err == nil || err.Error() != "twin: invalid JSON: invalid character 0x01, want a value (byte offset 0)" {
		t.Errorf("control byte: %v", err)
	}
	var d Document
	apply(t, &d, Desired, `{"a":1}`, t0)
	if d.State(Desired).String() != `{"a":1}` || d.State(Reported).String() != `{}` || d.State(Section(7)).String() != `{}` {
		t.Errorf("State = %s %s", d.State(Desired), d.State(Reported))
	}
	if _, ok := d.Ack("a"); ok {
		t.Error("Ack of an unacknowledged property")
	}
}
