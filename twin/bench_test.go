package twin

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"
)

// benchDocs returns a realistic desired/reported pair: about 1 KiB of desired state in nested
// groups (network, sensors, schedule, LED...), with reported equal on about half of the leaves.
func benchDocs(tb testing.TB) (desired, reported []byte) {
	var d, r strings.Builder
	d.WriteString(`{"config":{"version":"2.4.1","logLevel":"info","telemetry":{"intervalSec":30,"batch":10,"compress":true}},`)
	r.WriteString(`{"config":{"version":"2.4.0","logLevel":"info","telemetry":{"intervalSec":60,"batch":10,"compress":true}},`)
	d.WriteString(`"network":{"wifi":{"ssid":"plant-floor-2","channel":11,"band":"5GHz"},"mqtt":{"host":"broker.example.com","port":8883,"keepalive":60}},`)
	r.WriteString(`"network":{"wifi":{"ssid":"plant-floor-1","channel":11,"band":"2.4GHz"},"mqtt":{"host":"broker.example.com","port":8883,"keepalive":30}},`)
	d.WriteString(`"sensors":{`)
	r.WriteString(`"sensors":{`)
	for i := 0; i < 10; i++ {
		if i > 0 {
			d.WriteByte(',')
			r.WriteByte(',')
		}
		n := strconv.Itoa(i)
		d.WriteString(`"s` + n + `":{"enabled":true,"rateHz":` + strconv.Itoa(i*10) + `,"threshold":` + n + `.5}`)
		if i%2 == 0 {
			r.WriteString(`"s` + n + `":{"enabled":true,"rateHz":` + strconv.Itoa(i*10) + `,"threshold":` + n + `.5}`)
		} else {
			r.WriteString(`"s` + n + `":{"enabled":false,"rateHz":` + strconv.Itoa(i*10) + `,"threshold":` + n + `.25}`)
		}
	}
	d.WriteString(`},"schedule":[{"at":"06:00","mode":"day"},{"at":"22:00","mode":"night"}],"led":{"color":"#00ff00","brightness":80},"tags":["line-3","press"],"location":{"site":"Rotterdam-2","building":"B7","floor":2,"zone":"assembly-north"}}`)
	r.WriteString(`},"schedule":[{"at":"06:00","mode":"day"},{"at":"21:00","mode":"night"}],"led":{"color":"#00ff00","brightness":80},"tags":["line-3","press"],"location":{"site":"Rotterdam-2","building":"B7","floor":3,"zone":"assembly-south"},"uptime":123456,"rssi":-61}`)
	if !json.Valid([]byte(d.String())) || !json.Valid([]byte(r.String())) {
		tb.Fatal("invalid bench JSON")
	}
	return []byte(d.String()), []byte(r.String())
}

func benchDocument(tb testing.TB) *Document {
	dj, rj := benchDocs(tb)
	var d Document
	apply(tb, &d, Desired, string(dj), t0)
	apply(tb, &d, Reported, string(rj), t0)
	return &d
}

func TestBenchDocumentShape(t *testing.T) {
	dj, _ := benchDocs(t)
	if len(dj) < 900 || len(dj) > 1200 {
		t.Errorf("desired is %d bytes, want about 1 KiB", len(dj))
	}
	d := benchDocument(t)
	var all []Leaf
	all = DeltaLeaves(all, d.Desired(), EmptyObject())
	delta := d.DeltaLeaves(nil)
	if len(delta)*3 < len(all) || len(delta)*3 > 2*len(all) {
		t.Errorf("delta has %d of %d leaves, want about half", len(delta), len(all))
	}
}

func BenchmarkDelta(b *testing.B) {
	d := benchDocument(b)
	b.ReportAllocs()
	for b.Loop() {
		_ = d.Delta()
	}
}

func BenchmarkDeltaLeaves(b *testing.B) {
	d := benchDocument(b)
	var buf []Leaf
	b.ReportAllocs()
	for b.Loop() {
		buf = d.DeltaLeaves(buf[:0])
	}
}

func BenchmarkApply10Keys(b *testing.B) {
	base := benchDocument(b)
	patch := mustParse(b, `{"config":{"logLevel":"debug","telemetry":{"intervalSec":15}},"network":{"wifi":{"channel":6},"mqtt":{"keepalive":45}},`+
		`"sensors":{"s1":{"enabled":true},"s3":{"threshold":1.5}},"led":{"brightness":50},"tags":["line-4"],"newKey":"x"}`)
	b.ReportAllocs()
	at := t0
	for b.Loop() {
		d := *base
		at = at.Add(time.Millisecond)
		if _, err := d.Apply(Update{Section: Desired, Patch: patch, Time: at}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	dj, _ := benchDocs(b)
	b.Run("twin", func(b *testing.B) {
		b.SetBytes(int64(len(dj)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Parse(dj, Limits{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding_json", func(b *testing.B) {
		b.SetBytes(int64(len(dj)))
		b.ReportAllocs()
		for b.Loop() {
			var m map[string]any
			if err := json.Unmarshal(dj, &m); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkEncode(b *testing.B) {
	dj, _ := benchDocs(b)
	v := mustParse(b, string(dj))
	var m map[string]any
	if err := json.Unmarshal(dj, &m); err != nil {
		b.Fatal(err)
	}
	b.Run("twin", func(b *testing.B) {
		var buf []byte
		b.SetBytes(int64(len(dj)))
		b.ReportAllocs()
		for b.Loop() {
			buf = v.AppendJSON(buf[:0])
		}
	})
	b.Run("encoding_json", func(b *testing.B) {
		b.SetBytes(int64(len(dj)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(m); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkDocumentJSON(b *testing.B) {
	d := benchDocument(b)
	enc := d.AppendJSON(nil)
	b.Run("encode", func(b *testing.B) {
		var buf []byte
		b.ReportAllocs()
		for b.Loop() {
			buf = d.AppendJSON(buf[:0])
		}
	})
	b.Run("parse", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ParseDocument(enc, Limits{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
