package twin

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestDocumentJSONRoundTrip(t *testing.T) {
	d := Document{Name: "config"}
	apply(t, &d, Desired, `{"color":"red","net":{"wifi":{"ssid":"home"}},"l":[1,{"a":null}]}`, t0)
	apply(t, &d, Reported, `{"color":"green","e":{},"big":123456789012345678901234567890}`, t0.Add(time.Second))
	if _, err := d.Apply(Update{Section: Reported, Patch: EmptyObject(), Time: t0.Add(2 * time.Second),
		Acks: []Ack{{Property: "color", Code: 500, Version: 1, Description: "led \"broken\""}}}); err != nil {
		t.Fatal(err)
	}
	b := d.AppendJSON(nil)
	want := `{"name":"config","state":{"desired":{"color":"red","l":[1,{"a":null}],"net":{"wifi":{"ssid":"home"}}},` +
		`"reported":{"big":123456789012345678901234567890,"color":"green","e":{}}},` +
		`"metadata":{"desired":{"color":{"timestamp":1795586400000},"l":{"timestamp":1795586400000},"net":{"wifi":{"ssid":{"timestamp":1795586400000}}}},` +
		`"reported":{"big":{"timestamp":1795586401000},"color":{"timestamp":1795586401000},"e":{}}},` +
		`"ack":{"color":{"ac":500,"av":1,"ad":"led \"broken\""}},"version":3,"desiredVersion":1,"timestamp":1795586402000}`
	if string(b) != want {
		t.Fatalf("AppendJSON =\n%s\nwant\n%s", b, want)
	}
	if !json.Valid(b) {
		t.Fatal("encoding/json rejects the document")
	}
	got, err := ParseDocument(b, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if again := got.AppendJSON(nil); string(again) != want {
		t.Fatalf("round trip =\n%s\nwant\n%s", again, want)
	}
	if got.Version() != 3 || got.DesiredVersion() != 1 || !got.Timestamp().Equal(t0.Add(2*time.Second)) || got.Name != "config" {
		t.Errorf("decoded header: %d %d %v %q", got.Version(), got.DesiredVersion(), got.Timestamp(), got.Name)
	}
	// The decoded document keeps working: CAS and metadata carry on.
	if _, err := got.Apply(Update{Section: Desired, Patch: mustParse(t, `{"color":null}`), CheckVersion: true, Version: 3, Time: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if got.Metadata(Desired).String() != `{"l":1795586400000,"net":{"wifi":{"ssid":1795586400000}}}` {
		t.Errorf("metadata after update: %s", got.Metadata(Desired))
	}
	var empty Document
	if s := encoded(&empty); s != `{"state":{"desired":{},"reported":{}},"metadata":{"desired":{},"reported":{}},"ack":{},"version":0,"desiredVersion":0,"timestamp":0}` {
		t.Errorf("empty document = %s", s)
	}
}

func TestAppendDeltaJSON(t *testing.T) {
	var d Document
	apply(t, &d, Desired, `{"led":{"on":true,"color":"red"},"rate":5,"cfg":{"a":{"b":1}}}`, t0)
	apply(t, &d, Desired, `{"rate":10}`, t0.Add(time.Second))
	apply(t, &d, Reported, `{"led":{"on":false,"color":"red"},"rate":5,"cfg":3}`, t0.Add(2*time.Second))
	got := string(d.AppendDeltaJSON(nil))
	want := `{"state":{"cfg":{"a":{"b":1}},"led":{"on":true},"rate":10},` +
		`"metadata":{"cfg":{"a":{"b":{"timestamp":1795586400000}}},"led":{"on":{"timestamp":1795586400000}},"rate":{"timestamp":1795586401000}},` +
		`"version":3,"timestamp":1795586402000}`
	if got != want {
		t.Errorf("AppendDeltaJSON =\n%s\nwant\n%s", got, want)
	}
	apply(t, &d, Reported, `{"led":{"on":true},"rate":10,"cfg":{"a":{"b":1.0}}}`, t0.Add(3*time.Second))
	if got := string(d.AppendDeltaJSON(nil)); got != `{"state":{},"metadata":{},"version":4,"timestamp":1795586403000}` {
		t.Errorf("in sync: %s", got)
	}
}

func TestParseDocumentErrors(t *testing.T) {
	const ok = `{"state":{"desired":{"a":{"b":1}},"reported":{}},"metadata":{"desired":{"a":{"b":{"timestamp":5}}},"reported":{}},"ack":{},"version":1,"desiredVersion":1,"timestamp":5}`
	if _, err := ParseDocument([]byte(ok), Limits{}); err != nil {
		t.Fatalf("valid document: %v", err)
	}
	tests := []struct {
		name, in string
		is       error
		msg      string
	}{
		{"not json", `{"state":`, ErrSyntax, "unexpected end of input"},
		{"not object", `[]`, ErrInvalidDocument, "(root): must be an object"},
		{"unknown member", strings.Replace(ok, `"ack"`, `"acks"`, 1), ErrInvalidDocument, "acks: unknown member"},
		{"no state", strings.Replace(ok, `"state"`, `"name"`, 1), ErrInvalidDocument, "name: must be a string"},
		{"missing reported", strings.Replace(ok, `,"reported":{}},"metadata"`, `},"metadata"`, 1), ErrInvalidDocument, "state.reported: required"},
		{"metadata missing leaf", strings.Replace(ok, `{"a":{"b":{"timestamp":5}}}`, `{"a":{}}`, 1), ErrInvalidDocument, "metadata.desired.a.b: missing"},
		{"metadata extra", strings.Replace(ok, `"reported":{}},"ack"`, `"reported":{"x":{"timestamp":1}}},"ack"`, 1), ErrInvalidDocument, "metadata.reported.x: metadata for a member the state does not have"},
		{"metadata bad leaf", strings.Replace(ok, `{"timestamp":5}`, `{"timestamp":"5"}`, 1), ErrInvalidDocument, "metadata.desired.a.b.timestamp: must be a 64-bit integer"},
		{"metadata leaf shape", strings.Replace(ok, `{"timestamp":5}`, `{"timestamp":5,"x":1}`, 1), ErrInvalidDocument, `metadata.desired.a.b: a leaf's metadata must be {"timestamp":ms}`},
		{"version", strings.Replace(ok, `"version":1`, `"version":-1`, 1), ErrInvalidDocument, "version: must be an unsigned 64-bit integer"},
		{"desiredVersion above", strings.Replace(ok, `"desiredVersion":1`, `"desiredVersion":2`, 1), ErrInvalidDocument, "desiredVersion: is above version 1"},
		{"no timestamp", strings.Replace(ok, `,"timestamp":5`, ``, 1), ErrInvalidDocument, "timestamp: required"},
		{"ack above desired", strings.Replace(ok, `"ack":{}`, `"ack":{"a":{"ac":200,"av":2}}`, 1), ErrInvalidDocument, "ack.a.av: is above desiredVersion 1"},
		{"ack missing code", strings.Replace(ok, `"ack":{}`, `"ack":{"a":{"av":1}}`, 1), ErrInvalidDocument, `ack.a: "ac" and "av" are required`},
		{"ack extra", strings.Replace(ok, `"ack":{}`, `"ack":{"a":{"ac":1,"av":1,"x":1}}`, 1), ErrInvalidDocument, `ack.a.x: unknown member`},
		{"section too deep", strings.Replace(strings.Replace(ok, `{"a":{"b":1}}`, `{"a":{"b":{"c":1}}}`, 1), `{"b":{"timestamp":5}}`, `{"b":{"c":{"timestamp":5}}}`, 1), ErrLimit, "max-depth 2 (found 3) at desired.a.b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lim := Limits{}
			if tc.is == ErrLimit {
				lim.MaxDepth = 2
			}
			_, err := ParseDocument([]byte(tc.in), lim)
			if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v, want %v containing %q", err, tc.is, tc.msg)
			}
		})
	}
}

func TestParseDocumentInputBound(t *testing.T) {
	lim := Limits{MaxDocumentBytes: 100, MaxKeys: 2}
	huge := `{"state":"` + strings.Repeat("x", 5*100+80*2+1024) + `"}`
	var le *LimitError
	if _, err := ParseDocument([]byte(huge), lim); !errors.As(err, &le) || le.Rule != RuleDocumentBytes {
		t.Fatalf("oversized input: %v", err)
	}
	// The largest valid documents fit the input bound: full sections of tiny leaves with the
	// longest timestamps and a full ack section.
	lim = Limits{MaxDocumentBytes: 64, MaxKeys: 6, MaxKeyLength: 8}
	d := Document{Limits: lim}
	at := time.UnixMilli(-9e15)
	patch := `{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6}`
	apply(t, &d, Desired, patch, at)
	apply(t, &d, Reported, patch, at)
	if _, err := d.Apply(Update{Section: Reported, Patch: EmptyObject(), Time: at, Acks: []Ack{{Property: "a", Version: 1, Code: -1000, Description: "xx"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseDocument(d.AppendJSON(nil), lim); err != nil {
		t.Fatalf("largest document (%d bytes): %v", len(d.AppendJSON(nil)), err)
	}
}
