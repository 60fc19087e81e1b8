package senml_test

import (
	"bytes"
	"encoding/hex"
	"math"
	"testing"

	"github.com/fleetkit/fleetkit/telemetry/senml"
)

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestAppendCBORNumbers(t *testing.T) {
	tests := []struct {
		v    float64
		want string // the encoded value after the key
	}{
		{0, "00"},
		{-5, "24"},
		{5, "05"},
		{1276020076, "1a4c0e856c"},
		{1.5, "f93e00"},
		{math.Copysign(0, -1), "f98000"},
		{0.1, "fb3fb999999999999a"},
		{100000.5, "fa47c35040"},
		{1 << 63, "fa5f000000"},
		{-(1 << 63), "3b7fffffffffffffff"},
		{math.Inf(1), "f97c00"},
		{math.NaN(), "f97e00"},
	}
	for _, tt := range tests {
		var r senml.Record
		r.SetValue(tt.v)
		got := senml.AppendCBOR(nil, senml.Pack{r})
		want := mustHex(t, "81a102"+tt.want)
		if !bytes.Equal(got, want) {
			t.Errorf("v=%v: got %x, want %x", tt.v, got, want)
		}
		p, err := senml.ParseCBOR(got, nil)
		if err != nil {
			t.Fatalf("v=%v: %v", tt.v, err)
		}
		if g := p[0].Value; g != tt.v && !(math.IsNaN(g) && math.IsNaN(tt.v)) || math.Signbit(g) != math.Signbit(tt.v) {
			t.Errorf("v=%v decodes to %v", tt.v, g)
		}
	}
}

func TestCBORAllFieldsRoundTrip(t *testing.T) {
	var r senml.Record
	r.SetBaseName("urn:dev:x:")
	r.SetBaseTime(1.7e9)
	r.SetBaseUnit("Cel")
	r.SetBaseValue(-2.25)
	r.SetBaseSum(100)
	r.SetBaseVersion(10)
	r.SetName("t")
	r.SetUnit("K")
	r.SetTime(-1.5)
	r.SetUpdateTime(60)
	r.SetSum(3.5)
	var s, b, d senml.Record
	s.SetStringValue("é ok")
	b.SetBoolValue(true)
	d.SetDataValue([]byte{0, 1, 0xff})
	r.SetValue(20.5)
	p := senml.Pack{r, s, b, d}
	enc := senml.AppendCBOR(nil, p)
	q, err := senml.ParseCBOR(enc, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := senml.AppendJSON(nil, q), senml.AppendJSON(nil, p); !bytes.Equal(got, want) {
		t.Fatalf("round trip:\ngot  %s\nwant %s", got, want)
	}
	if q[0].Fields != r.Fields || !bytes.Equal(q[3].DataValue, d.DataValue) {
		t.Fatalf("decoded %+v", q)
	}
	// The decoded data value is a copy, not an alias of the input.
	enc[len(enc)-1] = 0
	if q[3].DataValue[2] != 0xff {
		t.Fatal("DataValue aliases the input")
	}
	b2, _ := p.MarshalCBOR()
	var p2 senml.Pack
	if err := p2.UnmarshalCBOR(b2); err != nil || len(p2) != 4 {
		t.Fatalf("UnmarshalCBOR: %v %+v", err, p2)
	}
}

func TestParseCBORAccepts(t *testing.T) {
	tests := []struct {
		name, hex string
		check     func(senml.Pack) bool
	}{
		// [_ {_ 0: "a", 2: 1.0 (float64)}]
		{"indefinite lengths", "9fbf006161" + "02fb3ff0000000000000" + "ff" + "ff", func(p senml.Pack) bool {
			return len(p) == 1 && p[0].Name == "a" && p[0].Value == 1
		}},
		{"float32 and float16 and integers", "81a4006161" + "02fa3fc00000" + "06f93c00" + "0739ffff", func(p senml.Pack) bool {
			return p[0].Value == 1.5 && p[0].Time == 1 && p[0].UpdateTime == -65536
		}},
		{"unknown integer and text keys skipped", "81a4006161" + "0201" + "0981a10102" + "616c82f6f7", func(p senml.Pack) bool {
			return p[0].Fields == senml.FieldName|senml.FieldValue && p[0].Value == 1
		}},
		{"huge negative integer value", "81a2006161" + "023bffffffffffffffff", func(p senml.Pack) bool {
			return p[0].Value == -18446744073709551616
		}},
		{"empty pack", "80", func(p senml.Pack) bool { return len(p) == 0 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := mustHex(t, tt.hex)
			p, err := senml.ParseCBOR(in, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(p) {
				t.Fatalf("decoded %+v", p)
			}
		})
	}
}

func TestParseCBORErrors(t *testing.T) {
	tests := []struct {
		name   string
		hex    string
		err    error
		record int
		field  string
		offset int
	}{
		{"empty", "", senml.ErrSyntax, -1, "", 0},
		{"not an array", "a0", senml.ErrSyntax, -1, "", 0},
		{"record not a map", "8101", senml.ErrSyntax, 0, "", 1},
		{"truncated", "81a2006161", senml.ErrSyntax, 0, "", 1}, // 2 pairs need 4 more bytes
		{"trailing bytes", "8000", senml.ErrSyntax, -1, "", 1},
		{"name not text", "81a10001", senml.ErrType, 0, "n", 3},
		{"value is text", "81a1026131", senml.ErrType, 0, "v", 3},
		{"value is bool", "81a102f5", senml.ErrType, 0, "v", 3},
		{"vb is int", "81a10401", senml.ErrType, 0, "vb", 3},
		{"vd is text", "81a1086161", senml.ErrType, 0, "vd", 3},
		{"name invalid UTF-8", "81a10061ff", senml.ErrText, 0, "n", 3},
		{"duplicate", "81a202010201", senml.ErrDuplicate, 0, "v", 4},
		{"must understand", "81a16478797a5f01", senml.ErrMustUnderstand, 0, "xyz_", 2},
		{"key is a float", "81a1f93c0001", senml.ErrSyntax, 0, "", 2},
		{"bver fraction", "81a120f93e00", senml.ErrVersion, 0, "bver", 3},
		{"bver negative", "81a12020", senml.ErrVersion, 0, "bver", 3},
		{"second record truncated", "82a10201a102", senml.ErrSyntax, 1, "", 4},
		{"value truncated", "81a102fb3ff0", senml.ErrSyntax, 0, "v", 3},
		{"unknown value too deep", "81a109" + "8181818181818181818181818181818181818181818181818181818181818181818101", senml.ErrDepth, 0, "", 35},
		{"reserved info", "81a1021c", senml.ErrSyntax, 0, "v", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := mustHex(t, tt.hex)
			dst := make(senml.Pack, 0, 4)
			out, err := senml.ParseCBOR(in, dst)
			e := wantErr(t, err, tt.err, tt.record, tt.field)
			if e.Offset != tt.offset {
				t.Errorf("offset %d, want %d (%v)", e.Offset, tt.offset, err)
			}
			if len(out) != 0 {
				t.Errorf("dst not restored: %+v", out)
			}
		})
	}
}

func TestAppendCBORReusedBufferDoesNotAllocate(t *testing.T) {
	p := benchPack()
	buf := make([]byte, 0, 256)
	allocs := testing.AllocsPerRun(100, func() {
		buf = senml.AppendCBOR(buf[:0], p)
		buf = senml.AppendJSON(buf[:0], p)
	})
	if allocs != 0 {
		t.Fatalf("%v allocs", allocs)
	}
	var q senml.Pack
	in := senml.AppendCBOR(nil, p)
	q, _ = senml.ParseCBOR(in, q)
	allocs = testing.AllocsPerRun(100, func() {
		q, _ = senml.ParseCBOR(in, q[:0])
	})
	if allocs != 0 {
		t.Fatalf("steady-state CBOR decode: %v allocs", allocs)
	}
}
