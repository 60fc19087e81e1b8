package senml_test

import (
	"testing"

	"github.com/fxamacker/cbor/v2"

	"github.com/fleetkit/fleetkit/telemetry/senml"
)

// benchRecord is the 8-field record of the benchmarks: bn bt bu n u v t ut.
func benchRecord() senml.Record {
	var r senml.Record
	r.SetBaseName("urn:dev:ow:10e2073a01080063:")
	r.SetBaseTime(1.276020076001e+09)
	r.SetBaseUnit("A")
	r.SetName("voltage")
	r.SetUnit("V")
	r.SetValue(120.1)
	r.SetTime(-5)
	r.SetUpdateTime(60)
	return r
}

func benchPack() senml.Pack { return senml.Pack{benchRecord()} }

// fxRecord is the same record for github.com/fxamacker/cbor/v2 with generic struct tags.
type fxRecord struct {
	BaseName   string   `cbor:"-2,keyasint,omitempty"`
	BaseTime   float64  `cbor:"-3,keyasint,omitempty"`
	BaseUnit   string   `cbor:"-4,keyasint,omitempty"`
	Name       string   `cbor:"0,keyasint,omitempty"`
	Unit       string   `cbor:"1,keyasint,omitempty"`
	Value      *float64 `cbor:"2,keyasint,omitempty"`
	Time       float64  `cbor:"6,keyasint,omitempty"`
	UpdateTime float64  `cbor:"7,keyasint,omitempty"`
}

func BenchmarkCBOR(b *testing.B) {
	p := benchPack()
	enc := senml.AppendCBOR(nil, p)
	b.Run("senml/encode", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 128)
		for b.Loop() {
			buf = senml.AppendCBOR(buf[:0], p)
		}
		b.ReportMetric(float64(len(buf)), "bytes")
	})
	b.Run("senml/decode", func(b *testing.B) {
		b.ReportAllocs()
		var q senml.Pack
		for b.Loop() {
			var err error
			if q, err = senml.ParseCBOR(enc, q[:0]); err != nil {
				b.Fatal(err)
			}
		}
	})
	v := 120.1
	fx := []fxRecord{{BaseName: "urn:dev:ow:10e2073a01080063:", BaseTime: 1.276020076001e+09, BaseUnit: "A",
		Name: "voltage", Unit: "V", Value: &v, Time: -5, UpdateTime: 60}}
	em, err := cbor.CoreDetEncOptions().EncMode()
	if err != nil {
		b.Fatal(err)
	}
	fxEnc, err := em.Marshal(fx)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("fxamacker/encode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := em.Marshal(fx); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(fxEnc)), "bytes")
	})
	b.Run("fxamacker/decode", func(b *testing.B) {
		b.ReportAllocs()
		var out []fxRecord
		for b.Loop() {
			if err := cbor.Unmarshal(fxEnc, &out); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkJSON(b *testing.B) {
	p := benchPack()
	enc := senml.AppendJSON(nil, p)
	b.Run("encode", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 256)
		for b.Loop() {
			buf = senml.AppendJSON(buf[:0], p)
		}
		b.ReportMetric(float64(len(buf)), "bytes")
	})
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		var q senml.Pack
		for b.Loop() {
			var err error
			if q, err = senml.ParseJSON(enc, q[:0]); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkPackSize encodes the RFC 8428 §5.1.3 pack (13 records) and reports the JSON and CBOR
// sizes of the same pack.
func BenchmarkPackSize(b *testing.B) {
	p, err := senml.ParseJSON(readFile(b, "wg-repo/ex5.gen.json"), nil)
	if err != nil {
		b.Fatal(err)
	}
	jsonSize := len(senml.AppendJSON(nil, p))
	cborSize := len(senml.AppendCBOR(nil, p))
	for _, c := range []struct {
		name string
		enc  func([]byte, senml.Pack) []byte
		dec  func([]byte, senml.Pack) (senml.Pack, error)
	}{{"json", senml.AppendJSON, senml.ParseJSON}, {"cbor", senml.AppendCBOR, senml.ParseCBOR}} {
		b.Run(c.name+"/encode", func(b *testing.B) {
			b.ReportAllocs()
			buf := make([]byte, 0, 1024)
			for b.Loop() {
				buf = c.enc(buf[:0], p)
			}
			b.ReportMetric(float64(jsonSize), "json-bytes")
			b.ReportMetric(float64(cborSize), "cbor-bytes")
		})
		in := c.enc(nil, p)
		b.Run(c.name+"/decode", func(b *testing.B) {
			b.ReportAllocs()
			var q senml.Pack
			for b.Loop() {
				if q, err = c.dec(in, q[:0]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("resolve", func(b *testing.B) {
		b.ReportAllocs()
		var out senml.Pack
		for b.Loop() {
			if out, err = p.Resolve(out[:0], 1.5e9); err != nil {
				b.Fatal(err)
			}
		}
	})
}
