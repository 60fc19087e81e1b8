package cbor

import "testing"

// BenchmarkAppend encodes a small SenML-like record into a reused buffer.
func BenchmarkAppend(b *testing.B) {
	b.ReportAllocs()
	buf := make([]byte, 0, 64)
	for i := 0; i < b.N; i++ {
		buf = buf[:0]
		buf = AppendMapHeader(buf, 3)
		buf = AppendInt(buf, -2)
		buf = AppendText(buf, "urn:dev:ow:10e2073a01080063")
		buf = AppendUint(buf, 0)
		buf = AppendText(buf, "temp")
		buf = AppendUint(buf, 2)
		buf = AppendFloat64(buf, 23.5)
	}
	b.SetBytes(int64(len(buf)))
}

// BenchmarkDecode reads the same record back with the typed readers, and skips it whole.
func BenchmarkDecode(b *testing.B) {
	var in []byte
	in = AppendMapHeader(in, 3)
	in = AppendInt(in, -2)
	in = AppendText(in, "urn:dev:ow:10e2073a01080063")
	in = AppendUint(in, 0)
	in = AppendText(in, "temp")
	in = AppendUint(in, 2)
	in = AppendFloat64(in, 23.5)
	b.Run("typed", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(in)))
		for i := 0; i < b.N; i++ {
			d := NewDecoder(in, Deterministic)
			n, _ := d.ReadMapHeader()
			for j := 0; j < n; j++ {
				k, _ := d.ReadInt()
				switch k {
				case 2:
					_, _ = d.ReadFloat()
				default:
					_, _ = d.ReadText()
				}
			}
			if d.Finish() != nil {
				b.Fatal("not at end")
			}
		}
	})
	b.Run("skip", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(in)))
		for i := 0; i < b.N; i++ {
			d := NewDecoder(in, Options{})
			if d.Skip() != nil {
				b.Fatal("skip failed")
			}
		}
	})
}
