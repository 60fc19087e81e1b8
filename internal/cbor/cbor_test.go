package cbor

import (
	"encoding/hex"
	"errors"
	"math"
	"testing"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// RFC 8949 Appendix A, Table 6: integers.
var appendixAInts = []struct {
	v   int64
	hex string
}{
	{0, "00"}, {1, "01"}, {10, "0a"}, {23, "17"}, {24, "1818"}, {25, "1819"},
	{100, "1864"}, {1000, "1903e8"}, {1000000, "1a000f4240"},
	{1000000000000, "1b000000e8d4a51000"},
	{-1, "20"}, {-10, "29"}, {-100, "3863"}, {-1000, "3903e7"},
	{math.MinInt64, "3b7fffffffffffffff"}, {math.MaxInt64, "1b7fffffffffffffff"},
}

func TestAppendixAIntegers(t *testing.T) {
	for _, tc := range appendixAInts {
		want := mustHex(t, tc.hex)
		if got := AppendInt(nil, tc.v); hex.EncodeToString(got) != tc.hex {
			t.Errorf("AppendInt(%d) = %x, want %s", tc.v, got, tc.hex)
		}
		d := NewDecoder(want, Deterministic)
		got, err := d.ReadInt()
		if err != nil || got != tc.v || !d.Done() {
			t.Errorf("ReadInt(%s) = %d, %v (done %v), want %d", tc.hex, got, err, d.Done(), tc.v)
		}
	}
	// 18446744073709551615 and -18446744073709551616 (Appendix A).
	if got := AppendUint(nil, math.MaxUint64); hex.EncodeToString(got) != "1bffffffffffffffff" {
		t.Errorf("AppendUint(max) = %x", got)
	}
	d := NewDecoder(mustHex(t, "1bffffffffffffffff"), Options{})
	if v, err := d.ReadUint(); err != nil || v != math.MaxUint64 {
		t.Errorf("ReadUint(max) = %d, %v", v, err)
	}
	for _, h := range []string{"1bffffffffffffffff", "3bffffffffffffffff"} {
		d := NewDecoder(mustHex(t, h), Options{})
		if _, err := d.ReadInt(); !errors.Is(err, ErrOverflow) {
			t.Errorf("ReadInt(%s) err = %v, want ErrOverflow", h, err)
		}
	}
}

// RFC 8949 Appendix A: floating-point values, encoded in preferred (shortest) form.
var appendixAFloats = []struct {
	v   float64
	hex string
}{
	{0.0, "f90000"}, {math.Copysign(0, -1), "f98000"}, {1.0, "f93c00"}, {1.1, "fb3ff199999999999a"},
	{1.5, "f93e00"}, {65504.0, "f97bff"}, {100000.0, "fa47c35000"},
	{3.4028234663852886e+38, "fa7f7fffff"}, {1.0e+300, "fb7e37e43c8800759c"},
	{5.960464477539063e-8, "f90001"}, {0.00006103515625, "f90400"}, {-4.0, "f9c400"},
	{-4.1, "fbc010666666666666"}, {math.Inf(1), "f97c00"}, {math.NaN(), "f97e00"},
	{math.Inf(-1), "f9fc00"},
}

func TestAppendixAFloats(t *testing.T) {
	for _, tc := range appendixAFloats {
		if got := AppendFloat64(nil, tc.v); hex.EncodeToString(got) != tc.hex {
			t.Errorf("AppendFloat64(%v) = %x, want %s", tc.v, got, tc.hex)
		}
		d := NewDecoder(mustHex(t, tc.hex), Deterministic)
		got, err := d.ReadFloat()
		if err != nil {
			t.Errorf("ReadFloat(%s): %v", tc.hex, err)
			continue
		}
		if math.IsNaN(tc.v) != math.IsNaN(got) || (!math.IsNaN(tc.v) && (got != tc.v || math.Signbit(got) != math.Signbit(tc.v))) {
			t.Errorf("ReadFloat(%s) = %v, want %v", tc.hex, got, tc.v)
		}
	}
	// Non-preferred encodings from Appendix A decode to the same values.
	for _, tc := range []struct {
		hex string
		v   float64
	}{{"fa7f800000", math.Inf(1)}, {"fb7ff0000000000000", math.Inf(1)}, {"faff800000", math.Inf(-1)}, {"f97e00", math.NaN()}, {"fa7fc00000", math.NaN()}} {
		d := NewDecoder(mustHex(t, tc.hex), Options{})
		got, err := d.ReadFloat()
		if err != nil || math.IsNaN(got) != math.IsNaN(tc.v) || (!math.IsNaN(tc.v) && got != tc.v) {
			t.Errorf("ReadFloat(%s) = %v, %v; want %v", tc.hex, got, err, tc.v)
		}
	}
}

func TestFloatHalfRoundTrip(t *testing.T) {
	// Every finite half value survives decode -> AppendFloat64 as a half.
	for h := 0; h < 0x10000; h++ {
		if h&0x7c00 == 0x7c00 {
			continue // Inf/NaN covered above
		}
		f := HalfToFloat64(uint16(h))
		got := AppendFloat64(nil, f)
		if len(got) != 3 || got[0] != 0xf9 || uint16(got[1])<<8|uint16(got[2]) != uint16(h) {
			t.Fatalf("half %#04x (%v) re-encoded as %x", h, f, got)
		}
	}
}

// RFC 8949 Appendix A: the other items, read structurally with ReadRaw and the typed readers.
func TestAppendixAItems(t *testing.T) {
	items := []string{
		"f4", "f5", "f6", "f7", "f0", "f8ff", "c074323031332d30332d32315432303a30343a30305a",
		"c11a514b67b0", "c1fb41d452d9ec200000", "d74401020304", "d818456449455446",
		"d82076687474703a2f2f7777772e6578616d706c652e636f6d", "40", "4401020304", "60", "6161",
		"6449455446", "62225c", "62c3bc", "63e6b0b4", "64f0908591", "80", "83010203",
		"8301820203820405", "98190102030405060708090a0b0c0d0e0f101112131415161718181819",
		"a0", "a201020304", "a26161016162820203", "826161a161626163",
		"a56161614161626142616361436164614461656145",
		"5f42010243030405ff", "7f657374726561646d696e67ff", "9fff", "9f018202039f0405ffff",
		"9f01820203820405ff", "83018202039f0405ff", "83019f0203ff820405",
		"9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff",
		"bf61610161629f0203ffff", "826161bf61626163ff", "bf6346756ef563416d7421ff",
	}
	for _, h := range items {
		in := mustHex(t, h)
		d := NewDecoder(in, Options{})
		raw, err := d.ReadRaw()
		if err != nil || len(raw) != len(in) || !d.Done() {
			t.Errorf("ReadRaw(%s) = %x, %v", h, raw, err)
		}
	}
	// Typed readers on selected items.
	d := NewDecoder(mustHex(t, "a26161016162820203"), Deterministic)
	if n, err := d.ReadMapHeader(); n != 2 || err != nil {
		t.Fatalf("map header = %d, %v", n, err)
	}
	if k, err := d.ReadText(); string(k) != "a" || err != nil {
		t.Fatalf("key = %q, %v", k, err)
	}
	if v, err := d.ReadUint(); v != 1 || err != nil {
		t.Fatalf("value = %d, %v", v, err)
	}
	if k, err := d.ReadText(); string(k) != "b" || err != nil {
		t.Fatalf("key = %q, %v", k, err)
	}
	if n, err := d.ReadArrayHeader(); n != 2 || err != nil {
		t.Fatalf("array header = %d, %v", n, err)
	}
	if err := d.Skip(); err != nil {
		t.Fatal(err)
	}
	if err := d.Skip(); err != nil || d.Finish() != nil {
		t.Fatalf("skip = %v, finish = %v", err, d.Finish())
	}

	d = NewDecoder(mustHex(t, "c11a514b67b0"), Deterministic)
	if tag, err := d.ReadTag(); tag != 1 || err != nil {
		t.Fatalf("tag = %d, %v", tag, err)
	}
	if v, err := d.ReadUint(); v != 1363896240 || err != nil {
		t.Fatalf("epoch = %d, %v", v, err)
	}

	d = NewDecoder(mustHex(t, "4401020304f5f4f6"), Deterministic)
	if b, err := d.ReadBytes(); hex.EncodeToString(b) != "01020304" || err != nil {
		t.Fatalf("bytes = %x, %v", b, err)
	}
	if b, err := d.ReadBool(); !b || err != nil {
		t.Fatalf("true = %v, %v", b, err)
	}
	if b, err := d.ReadBool(); b || err != nil {
		t.Fatalf("false = %v, %v", b, err)
	}
	if err := d.ReadNull(); err != nil {
		t.Fatal(err)
	}

	// Chunked string read chunk by chunk (Appendix A: (_ h'0102', h'030405')).
	d = NewDecoder(mustHex(t, "5f42010243030405ff"), Options{})
	h, err := d.ReadHead()
	if err != nil || h.Major != MajorBytes || !h.Indefinite {
		t.Fatalf("chunked head = %+v, %v", h, err)
	}
	var joined []byte
	for !d.AtBreak() {
		c, err := d.ReadBytes()
		if err != nil {
			t.Fatal(err)
		}
		joined = append(joined, c...)
	}
	if err := d.ReadBreak(); err != nil || hex.EncodeToString(joined) != "0102030405" {
		t.Fatalf("chunks = %x, %v", joined, err)
	}

	// Indefinite array via ReadArrayHeader.
	d = NewDecoder(mustHex(t, "9f0102ff"), Options{})
	if n, err := d.ReadArrayHeader(); n != Indefinite || err != nil {
		t.Fatalf("indefinite array = %d, %v", n, err)
	}
}

func TestAppendRoundTrip(t *testing.T) {
	var b []byte
	b = AppendMapHeader(b, 3)
	b = AppendText(b, "a")
	b = AppendBytes(b, []byte{1, 2})
	b = AppendInt(b, -5)
	b = AppendTag(b, 18)
	b = AppendArrayHeader(b, 2)
	b = AppendNull(b)
	b = AppendBool(b, true)
	b = AppendUint(b, 500)
	b = AppendBytesHeader(b, 1)
	b = append(b, 0x00)
	want := "a3616142010224d282f6f51901f44100"
	if hex.EncodeToString(b) != want {
		t.Fatalf("got %x, want %s", b, want)
	}
	d := NewDecoder(b, Deterministic)
	if err := d.Skip(); err != nil || !d.Done() {
		t.Fatalf("skip: %v", err)
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		hex  string
		opts Options
		read func(*Decoder) error
		want error
		off  int
	}{
		{"empty", "", Options{}, (*Decoder).Skip, ErrTruncated, 0},
		{"truncated argument", "19 01", Options{}, (*Decoder).Skip, ErrTruncated, 0},
		{"truncated string", "44 0102", Options{}, (*Decoder).Skip, ErrLength, 0},
		{"huge string length", "5b 7fffffffffffffff 00", Options{}, (*Decoder).Skip, ErrLength, 0},
		{"huge array count", "9b 00000000ffffffff 00", Options{}, (*Decoder).Skip, ErrLength, 0},
		{"map count beyond half", "a2 0102 03", Options{}, (*Decoder).Skip, ErrLength, 0},
		{"truncated nested", "82 01 82 02", Options{}, (*Decoder).Skip, ErrLength, 2},
		{"truncated nested item", "82 01 81 19 01", Options{}, (*Decoder).Skip, ErrTruncated, 3},
		{"reserved info 28", "1c", Options{}, (*Decoder).Skip, ErrMalformed, 0},
		{"reserved info 30 nested", "81 7e", Options{}, (*Decoder).Skip, ErrMalformed, 1},
		{"indefinite uint", "1f", Options{}, (*Decoder).Skip, ErrMalformed, 0},
		{"indefinite tag", "df 01", Options{}, (*Decoder).Skip, ErrMalformed, 0},
		{"stray break", "ff", Options{}, (*Decoder).Skip, ErrMalformed, 0},
		{"stray break in array", "82 01 ff", Options{}, (*Decoder).Skip, ErrMalformed, 2},
		{"two-byte simple below 32", "f8 18", Options{}, (*Decoder).Skip, ErrMalformed, 0},
		{"chunk of other type", "5f 61 61 ff", Options{}, (*Decoder).Skip, ErrMalformed, 1},
		{"nested chunked", "5f 5f ff ff", Options{}, (*Decoder).Skip, ErrMalformed, 1},
		{"indefinite map odd", "bf 01 ff", Options{}, (*Decoder).Skip, ErrMalformed, 2},
		{"missing break", "9f 01 02", Options{}, (*Decoder).Skip, ErrTruncated, 3},
		{"tag without content", "c1", Options{}, (*Decoder).Skip, ErrTruncated, 0},
		{"indefinite rejected", "9f ff", Deterministic, (*Decoder).Skip, ErrIndefinite, 0},
		{"indefinite nested rejected", "82 01 5f ff", Deterministic, (*Decoder).Skip, ErrIndefinite, 2},
		{"non-shortest 1-byte", "18 17", Deterministic, (*Decoder).Skip, ErrNonShortest, 0},
		{"non-shortest 2-byte", "19 00ff", Deterministic, (*Decoder).Skip, ErrNonShortest, 0},
		{"non-shortest 4-byte", "1a 0000ffff", Deterministic, (*Decoder).Skip, ErrNonShortest, 0},
		{"non-shortest 8-byte", "1b 00000000ffffffff", Deterministic, (*Decoder).Skip, ErrNonShortest, 0},
		{"non-shortest length", "58 01 00", Deterministic, (*Decoder).Skip, ErrNonShortest, 0},
		{"depth", "81818181 00", Options{MaxDepth: 3}, (*Decoder).Skip, ErrDepth, 3},
		{"depth via tags", "c1c1c1c1 00", Options{MaxDepth: 2}, (*Decoder).Skip, ErrDepth, 2},
		{"uint wants uint", "61 61", Options{}, func(d *Decoder) error { _, err := d.ReadUint(); return err }, ErrType, 0},
		{"int wants int", "f6", Options{}, func(d *Decoder) error { _, err := d.ReadInt(); return err }, ErrType, 0},
		{"bytes wants bytes", "60", Options{}, func(d *Decoder) error { _, err := d.ReadBytes(); return err }, ErrType, 0},
		{"bytes chunked", "5f ff", Options{}, func(d *Decoder) error { _, err := d.ReadBytes(); return err }, ErrIndefinite, 0},
		{"text wants text", "40", Options{}, func(d *Decoder) error { _, err := d.ReadText(); return err }, ErrType, 0},
		{"array wants array", "a0", Options{}, func(d *Decoder) error { _, err := d.ReadArrayHeader(); return err }, ErrType, 0},
		{"map wants map", "80", Options{}, func(d *Decoder) error { _, err := d.ReadMapHeader(); return err }, ErrType, 0},
		{"tag wants tag", "01", Options{}, func(d *Decoder) error { _, err := d.ReadTag(); return err }, ErrType, 0},
		{"float wants float", "f5", Options{}, func(d *Decoder) error { _, err := d.ReadFloat(); return err }, ErrType, 0},
		{"bool wants bool", "f6", Options{}, func(d *Decoder) error { _, err := d.ReadBool(); return err }, ErrType, 0},
		{"bool not float", "f93c00", Options{}, func(d *Decoder) error { _, err := d.ReadBool(); return err }, ErrType, 0},
		{"null wants null", "f7", Options{}, (*Decoder).ReadNull, ErrType, 0},
		{"break wants break", "00", Options{}, (*Decoder).ReadBreak, ErrType, 0},
		{"break truncated", "", Options{}, (*Decoder).ReadBreak, ErrTruncated, 0},
		{"trailing", "00 00", Options{}, func(d *Decoder) error { _ = d.Skip(); return d.Finish() }, ErrTrailing, 1},
		{"break not map", "ff", Options{}, func(d *Decoder) error { _, err := d.ReadMapHeader(); return err }, ErrType, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := mustHex(t, stripSpaces(tc.hex))
			d := NewDecoder(in, tc.opts)
			err := tc.read(&d)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			var ce *Error
			if !errors.As(err, &ce) || ce.Offset != tc.off {
				t.Fatalf("err = %#v, want *Error at offset %d", err, tc.off)
			}
			if tc.want != ErrTrailing && d.Offset() != 0 {
				t.Fatalf("decoder moved to %d after a failed read", d.Offset())
			}
		})
	}
}

func stripSpaces(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != ' ' {
			out = append(out, s[i])
		}
	}
	return string(out)
}

func TestPeekHead(t *testing.T) {
	d := NewDecoder([]byte{0x19, 0x01, 0xf4}, Options{})
	h, err := d.PeekHead()
	if err != nil || h.Major != MajorUint || h.Arg != 500 || h.Info != 25 || d.Offset() != 0 {
		t.Fatalf("peek = %+v, %v, offset %d", h, err, d.Offset())
	}
	if h, err := d.ReadHead(); err != nil || h.Arg != 500 || d.Offset() != 3 || d.Remaining() != 0 {
		t.Fatalf("read = %+v, %v, offset %d", h, err, d.Offset())
	}
}

func TestErrorMessage(t *testing.T) {
	d := NewDecoder([]byte{0x61, 0x61}, Options{})
	_, err := d.ReadUint()
	want := "cbor: offset 0: unexpected item type (want unsigned integer, got text string)"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %q", err, want)
	}
}

func TestNoAllocs(t *testing.T) {
	buf := make([]byte, 0, 64)
	in := mustHex(t, "a26161016162820203")
	allocs := testing.AllocsPerRun(100, func() {
		buf = buf[:0]
		buf = AppendMapHeader(buf, 1)
		buf = AppendText(buf, "k")
		buf = AppendFloat64(buf, 1.5)
		d := NewDecoder(in, Deterministic)
		_ = d.Skip()
		d = NewDecoder(in, Deterministic)
		_, _ = d.ReadMapHeader()
		_, _ = d.ReadText()
		_, _ = d.ReadUint()
	})
	if allocs != 0 {
		t.Fatalf("allocs = %v, want 0", allocs)
	}
}

func FuzzSkip(f *testing.F) {
	for _, h := range []string{"a26161016162820203", "5f42010243030405ff", "bf61610161629f0203ffff",
		"c11a514b67b0", "f97e00", "9b00000000ffffffff00", "8181818181818100"} {
		f.Add(mustHex(f, h))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, opts := range []Options{{}, Deterministic, {MaxDepth: 4}} {
			d := NewDecoder(in, opts)
			for !d.Done() {
				start := d.Offset()
				raw, err := d.ReadRaw()
				if err != nil {
					var ce *Error
					if !errors.As(err, &ce) || ce.Offset < start || ce.Offset > len(in) || d.Offset() != start {
						t.Fatalf("bad error %v at offset %d (start %d)", err, ce.Offset, start)
					}
					break
				}
				if len(raw) == 0 || d.Offset() <= start {
					t.Fatalf("no progress at %d", start)
				}
			}
		}
	})
}

// FuzzReaders runs every typed reader over arbitrary bytes: none may panic, a failed read must
// leave the decoder where it was, and a successful one must make progress.
func FuzzReaders(f *testing.F) {
	for _, h := range []string{"1bffffffffffffffff", "3b7fffffffffffffff", "4401020304", "6449455446",
		"83010203", "a201020304", "c11a514b67b0", "f93c00", "fa47c35000", "fb3ff199999999999a", "f5", "f6", "ff"} {
		f.Add(mustHex(f, h))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		readers := []func(*Decoder) error{
			func(d *Decoder) error { _, err := d.ReadUint(); return err },
			func(d *Decoder) error { _, err := d.ReadInt(); return err },
			func(d *Decoder) error { _, err := d.ReadBytes(); return err },
			func(d *Decoder) error { _, err := d.ReadText(); return err },
			func(d *Decoder) error { _, err := d.ReadArrayHeader(); return err },
			func(d *Decoder) error { _, err := d.ReadMapHeader(); return err },
			func(d *Decoder) error { _, err := d.ReadTag(); return err },
			func(d *Decoder) error { _, err := d.ReadFloat(); return err },
			func(d *Decoder) error { _, err := d.ReadBool(); return err },
			(*Decoder).ReadNull,
			(*Decoder).ReadBreak,
			func(d *Decoder) error { _, err := d.ReadHead(); return err },
		}
		for i, read := range readers {
			d := NewDecoder(in, Options{})
			err := read(&d)
			if err != nil && d.Offset() != 0 {
				t.Fatalf("reader %d moved to %d on error %v", i, d.Offset(), err)
			}
			if err == nil && d.Offset() == 0 {
				t.Fatalf("reader %d made no progress", i)
			}
			if err == nil && d.Offset() > len(in) {
				t.Fatalf("reader %d read past the end", i)
			}
		}
	})
}
