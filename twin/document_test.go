package twin

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC)

func apply(tb testing.TB, d *Document, s Section, patch string, at time.Time) Result {
	tb.Helper()
	r, err := d.Apply(Update{Section: s, Patch: mustParse(tb, patch), Time: at})
	if err != nil {
		tb.Fatalf("Apply(%s %s): %v", s, patch, err)
	}
	return r
}

func encoded(d *Document) string { return string(d.AppendJSON(nil)) }

func mustSet(tb testing.TB, v, val Value, path ...string) Value {
	tb.Helper()
	out, err := Set(v, val, path...)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func TestDeltaAWSSemantics(t *testing.T) {
	tests := []struct {
		name, desired, reported, delta string
		leaves                         []string
	}{
		{"in sync", `{"a":1}`, `{"a":1}`, `{}`, nil},
		{"scalar differs", `{"color":"red"}`, `{"color":"green"}`, `{"color":"red"}`, []string{"color"}},
		{"desired leaf missing in reported", `{"a":1,"b":2}`, `{"a":1}`, `{"b":2}`, []string{"b"}},
		{"reported-only keys absent", `{"a":1}`, `{"a":1,"extra":{"x":1}}`, `{}`, nil},
		{"nested leaves", `{"net":{"wifi":{"ssid":"a","ch":6},"eth":{"mtu":1500}}}`,
			`{"net":{"wifi":{"ssid":"b","ch":6},"eth":{"mtu":1500}}}`, `{"net":{"wifi":{"ssid":"a"}}}`, []string{"net.wifi.ssid"}},
		{"arrays compared whole", `{"l":[1,2,3]}`, `{"l":[1,2]}`, `{"l":[1,2,3]}`, []string{"l"}},
		{"equal arrays", `{"l":[1,{"x":[]}]}`, `{"l":[1.0,{"x":[]}]}`, `{}`, nil},
		{"numbers by value", `{"t":21.50}`, `{"t":2.15e1}`, `{}`, nil},
		{"object vs reported scalar", `{"o":{"a":1,"b":{"c":2}}}`, `{"o":5}`, `{"o":{"a":1,"b":{"c":2}}}`, []string{"o.a", "o.b.c"}},
		{"scalar vs reported object", `{"o":5}`, `{"o":{"a":1}}`, `{"o":5}`, []string{"o"}},
		{"empty desired object has no leaves", `{"e":{},"f":{"g":{}}}`, `{}`, `{}`, nil},
		{"type differs", `{"b":true}`, `{"b":"true"}`, `{"b":true}`, []string{"b"}},
		{"sorted output", `{"z":1,"a":{"y":1,"b":2}}`, `{}`, `{"a":{"b":2,"y":1},"z":1}`, []string{"a.b", "a.y", "z"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var d Document
			apply(t, &d, Desired, tc.desired, t0)
			apply(t, &d, Reported, tc.reported, t0)
			if got := d.Delta().String(); got != tc.delta {
				t.Errorf("Delta = %s, want %s", got, tc.delta)
			}
			leaves := d.DeltaLeaves(nil)
			var paths []string
			for _, l := range leaves {
				paths = append(paths, l.Path.String())
				if v, _ := d.Desired().Get(l.Path...); !Equal(v, l.Value) {
					t.Errorf("leaf %s = %s, desired has %s", l.Path, l.Value, v)
				}
			}
			if len(paths) != len(tc.leaves) {
				t.Fatalf("DeltaLeaves paths = %q, want %q", paths, tc.leaves)
			}
			for i := range paths {
				if paths[i] != tc.leaves[i] {
					t.Fatalf("DeltaLeaves paths = %q, want %q", paths, tc.leaves)
				}
			}
		})
	}
}

func TestApplyVersionTokenAndNull(t *testing.T) {
	var d Document
	if d.Version() != 0 || !d.Timestamp().IsZero() || d.Desired().String() != "{}" {
		t.Fatalf("zero document: version %d, desired %s", d.Version(), d.Desired())
	}
	r, err := d.Apply(Update{Section: Desired, Patch: mustParse(t, `{"color":"red","fan":{"speed":3,"mode":"auto"}}`), ClientToken: "tok-1", Time: t0})
	if err != nil {
		t.Fatal(err)
	}
	if r.Version != 1 || r.ClientToken != "tok-1" || !r.Changed || !r.Time.Equal(t0) {
		t.Errorf("result = %+v", r)
	}
	if d.DesiredVersion() != 1 || !d.Timestamp().Equal(t0) {
		t.Errorf("desiredVersion %d, timestamp %v", d.DesiredVersion(), d.Timestamp())
	}

	// null deletes; the version grows by exactly one per update.
	r = apply(t, &d, Desired, `{"fan":{"mode":null}}`, t0.Add(time.Second))
	if r.Version != 2 || d.Desired().String() != `{"color":"red","fan":{"speed":3}}` {
		t.Errorf("after delete: version %d desired %s", r.Version, d.Desired())
	}
	// Reported updates do not move the desired version.
	r = apply(t, &d, Reported, `{"color":"red"}`, t0.Add(2*time.Second))
	if r.Version != 3 || d.DesiredVersion() != 2 {
		t.Errorf("after reported: version %d desiredVersion %d", r.Version, d.DesiredVersion())
	}
	// A no-op update is accepted and bumps the version, but reports no change.
	r = apply(t, &d, Reported, `{"color":"red","gone":null}`, t0.Add(3*time.Second))
	if r.Version != 4 || r.Changed {
		t.Errorf("no-op: %+v", r)
	}
	if got, _ := d.Updated(Reported, "color"); !got.Equal(t0.Add(3 * time.Second)) {
		t.Errorf("no-op did not restamp the touched leaf: %v", got)
	}
}

func TestApplyCompareAndSet(t *testing.T) {
	var d Document
	apply(t, &d, Desired, `{"a":1}`, t0)
	before := encoded(&d)
	_, err := d.Apply(Update{Section: Desired, Patch: mustParse(t, `{"a":2}`), CheckVersion: true, Version: 0, ClientToken: "x", Time: t0})
	var ce *ConflictError
	if !errors.Is(err, ErrConflict) || !errors.As(err, &ce) || ce.Expected != 0 || ce.Current != 1 {
		t.Fatalf("stale version: %v", err)
	}
	if err.Error() != "twin: version conflict: update expected version 0, document is at version 1" {
		t.Errorf("message: %s", err)
	}
	if encoded(&d) != before {
		t.Fatalf("conflict changed the document:\n%s\n%s", encoded(&d), before)
	}
	r, err := d.Apply(Update{Section: Desired, Patch: mustParse(t, `{"a":2}`), CheckVersion: true, Version: 1, ClientToken: "y", Time: t0})
	if err != nil || r.Version != 2 || r.ClientToken != "y" {
		t.Fatalf("matching version: %+v, %v", r, err)
	}
	// Version 0 can be expected on a fresh document (create-only); {} changes nothing.
	var fresh Document
	if r, err := fresh.Apply(Update{Section: Reported, Patch: EmptyObject(), CheckVersion: true, Time: t0}); err != nil || r.Changed || r.Version != 1 {
		t.Errorf("create with expected version 0: %+v, %v", r, err)
	}
}

func TestApplyRejectsLeaveDocumentUnchanged(t *testing.T) {
	lim := Limits{MaxDocumentBytes: 64, MaxDepth: 3, MaxKeyLength: 8, MaxKeys: 6}
	d := Document{Limits: lim}
	apply(t, &d, Desired, `{"net":{"wifi":{"ssid":"a"}}}`, t0)
	apply(t, &d, Reported, `{"up":true}`, t0)
	deep := mustParse(t, `{"net":{"wifi":{"ssid":{"x":1}}}}`)
	tests := []struct {
		name  string
		u     Update
		is    error
		rule  Rule
		path  string
		error string
	}{
		{"too deep", Update{Section: Desired, Patch: deep}, ErrLimit, RuleDepth, "desired.net.wifi.ssid",
			"twin: limit exceeded: max-depth 3 (found 4) at desired.net.wifi.ssid"},
		{"array patch", Update{Section: Reported, Patch: ArrayOf()}, ErrNotObject, "", "", "twin: reported patch must be an object, got array"},
		{"key too long", Update{Section: Reported, Patch: mustParse(t, `{"net":{"abcdefghi":1}}`)}, ErrLimit, RuleKeyLength, "reported.net.abcdefghi",
			"twin: limit exceeded: max-key-length 8 (found 9) at reported.net.abcdefghi"},
		{"too many keys", Update{Section: Reported, Patch: mustParse(t, `{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6}`)}, ErrLimit, RuleKeys, "reported.up",
			"twin: limit exceeded: max-keys 6 (found 7 or more) at reported.up"},
		{"document bytes", Update{Section: Desired, Patch: mustParse(t, `{"s":"`+strings.Repeat("x", 50)+`"}`)}, ErrLimit, RuleDocumentBytes, "desired", ""},
		{"invalid UTF-8 string", Update{Section: Reported, Patch: mustSet(t, EmptyObject(), StringOf("a\xff"), "net", "name")}, ErrSyntax, "", "",
			"twin: invalid JSON: string is not valid UTF-8 at reported.net.name"},
		{"invalid UTF-8 key", Update{Section: Reported, Patch: mustSet(t, EmptyObject(), IntOf(1), "k\xfe")}, ErrSyntax, "", "",
			"twin: invalid JSON: key is not valid UTF-8 at reported[\"k\ufffd\"]"},
		{"deep patch refused before merging", Update{Section: Desired, Patch: mustParse(t, `{"a":{"b":{"c":{"d":null}}}}`)}, ErrLimit, RuleDepth, "desired.a.b.c", ""},
		{"null patch", Update{Section: Desired, Patch: NullValue()}, ErrNotObject, "", "", "twin: desired patch must be an object, got null"},
		{"no section", Update{Patch: EmptyObject()}, ErrInvalidUpdate, "", "", "twin: invalid update: section must be Desired or Reported, got section(0)"},
		{"ack with desired", Update{Section: Desired, Patch: EmptyObject(), Acks: []Ack{{Property: "net", Code: 200, Version: 1}}}, ErrInvalidUpdate, "", "", ""},
		{"ack of a future version", Update{Section: Reported, Patch: EmptyObject(), Acks: []Ack{{Property: "net", Code: 200, Version: 9}}}, ErrInvalidUpdate, "", "",
			"twin: invalid update: acks[0]: acknowledges desired version 9 but the desired section is at version 1"},
		{"ack twice", Update{Section: Reported, Patch: EmptyObject(), Acks: []Ack{{Property: "a", Version: 1}, {Property: "a", Version: 1}}}, ErrInvalidUpdate, "", "", ""},
		{"ack empty property", Update{Section: Reported, Patch: EmptyObject(), Acks: []Ack{{Version: 1}}}, ErrInvalidUpdate, "", "", ""},
		{"ack key too long", Update{Section: Reported, Patch: EmptyObject(), Acks: []Ack{{Property: "abcdefghi", Version: 1}}}, ErrLimit, RuleKeyLength, "ack.abcdefghi", ""},
		{"ack too large", Update{Section: Reported, Patch: EmptyObject(), Acks: []Ack{{Property: "a", Version: 1, Description: strings.Repeat("d", 60)}}}, ErrLimit, RuleDocumentBytes, "ack", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := encoded(&d)
			if tc.u.Time.IsZero() {
				tc.u.Time = t0.Add(time.Hour)
			}
			_, err := d.Apply(tc.u)
			if !errors.Is(err, tc.is) {
				t.Fatalf("err = %v, want %v", err, tc.is)
			}
			if tc.rule != "" {
				var le *LimitError
				if !errors.As(err, &le) || le.Rule != tc.rule || le.Path != tc.path {
					t.Fatalf("err = %#v, want rule %s at %s", err, tc.rule, tc.path)
				}
			}
			if tc.error != "" && err.Error() != tc.error {
				t.Errorf("message %q, want %q", err, tc.error)
			}
			if after := encoded(&d); after != before {
				t.Fatalf("document changed:\n%s\n%s", after, before)
			}
		})
	}
	if _, err := d.Apply(Update{Section: Desired, Patch: EmptyObject()}); !errors.Is(err, ErrInvalidUpdate) {
		t.Errorf("zero time: %v", err)
	}
	// Patches as JSON bytes: parse errors and limits hit while parsing leave the document alone.
	jsonTests := []struct {
		patch string
		is    error
		msg   string
	}{
		{`{"a":`, ErrSyntax, "twin: invalid JSON: unexpected end of input, want a value at a (byte offset 5)"},
		{`{"a":1,"a":2}`, ErrDuplicateKey, "twin: invalid JSON: duplicate key in the object at a (byte offset 0)"},
		{`[1]`, ErrNotObject, "twin: JSON value must be an object, got array"},
		{`{"a":{"b":{"c":{"d":1}}}}`, ErrLimit, "twin: limit exceeded: max-depth 3 (found 4) at a.b.c (byte offset 15)"},
		{`{"abcdefghi":1}`, ErrLimit, "twin: limit exceeded: max-key-length 8 (found 9) at abcdefghi (byte offset 1)"},
		{`{"s":"` + strings.Repeat("x", 64) + `"}`, ErrLimit, "twin: limit exceeded: max-document-bytes 64 (found 72) (byte offset 64)"},
	}
	for _, tc := range jsonTests {
		before := encoded(&d)
		_, err := d.ApplyJSON(Update{Section: Desired, Time: t0}, []byte(tc.patch))
		if !errors.Is(err, tc.is) || err.Error() != tc.msg {
			t.Errorf("ApplyJSON(%s) = %v, want %q", tc.patch, err, tc.msg)
		}
		if encoded(&d) != before {
			t.Errorf("ApplyJSON(%s) changed the document", tc.patch)
		}
	}
	r, err := d.ApplyJSON(Update{Section: Reported, ClientToken: "j", Time: t0}, []byte(`{"up":false}`))
	if err != nil || r.ClientToken != "j" || !r.Changed {
		t.Errorf("ApplyJSON valid patch: %+v, %v", r, err)
	}
	bad := Document{Limits: Limits{MaxKeys: -1}}
	if _, err := bad.Apply(Update{Section: Desired, Patch: EmptyObject(), Time: t0}); !errors.Is(err, ErrInvalidLimits) {
		t.Errorf("negative limits: %v", err)
	}
}

func TestMetadataTimestamps(t *testing.T) {
	var d Document
	t1, t2, t3 := t0, t0.Add(time.Minute), t0.Add(2*time.Minute)
	apply(t, &d, Reported, `{"fw":"1.0","net":{"ip":"10.0.0.2","mac":"aa"},"l":[1,2]}`, t1)
	apply(t, &d, Reported, `{"net":{"ip":"10.0.0.3"},"l":[3]}`, t2)
	want := `{"fw":1795586400000,"l":1795586460000,"net":{"ip":1795586460000,"mac":1795586400000}}`
	if got := d.Metadata(Reported).String(); got != want {
		t.Errorf("metadata = %s, want %s", got, want)
	}
	checks := []struct {
		path []string
		at   time.Time
		ok   bool
	}{
		{[]string{"fw"}, t1, true},
		{[]string{"net", "ip"}, t2, true},
		{[]string{"net", "mac"}, t1, true},
		{[]string{"net"}, t2, true}, // latest leaf below
		{[]string{"l"}, t2, true},
		{nil, t2, true},
		{[]string{"nope"}, time.Time{}, false},
	}
	for _, c := range checks {
		got, ok := d.Updated(Reported, c.path...)
		if ok != c.ok || !got.Equal(c.at) {
			t.Errorf("Updated(%v) = %v, %v; want %v, %v", c.path, got, ok, c.at, c.ok)
		}
	}
	// Deleting drops the metadata; replacing a leaf with an object restamps below it.
	apply(t, &d, Reported, `{"net":{"mac":null},"fw":{"main":"2.0"},"l":null}`, t3)
	want = `{"fw":{"main":1795586520000},"net":{"ip":1795586460000}}`
	if got := d.Metadata(Reported).String(); got != want {
		t.Errorf("metadata after delete = %s, want %s", got, want)
	}
	if _, ok := d.Updated(Reported, "net", "mac"); ok {
		t.Error("deleted leaf still has a time")
	}
	// An empty object has no leaves and so no time.
	apply(t, &d, Reported, `{"e":{}}`, t3)
	if _, ok := d.Updated(Reported, "e"); ok {
		t.Error("empty object has a time")
	}
	if d.Metadata(Desired).String() != "{}" {
		t.Errorf("desired metadata = %s", d.Metadata(Desired))
	}
}

func TestApplyPerLeafStamps(t *testing.T) {
	var d Document
	apply(t, &d, Reported, `{"old":1}`, t0)
	// An offline device coalesced three changes made at different times into one patch.
	patch := mustParse(t, `{"fw":"2.0","net":{"ip":"10.0.0.7","mask":24},"led":{"on":true,"color":"red"}}`)
	stamps := mustParse(t, `{"fw":1795586000000,"net":{"ip":1795586100000},"led":1795586200000}`)
	before := encoded(&d)
	for _, bad := range []string{`{"fw":"x"}`, `{"net":{"ip":1.5}}`, `[1]`, `{"fw":1e3}`} {
		_, err := d.Apply(Update{Section: Reported, Patch: patch, Stamps: mustParse(t, bad), Time: t0})
		if !errors.Is(err, ErrInvalidUpdate) || encoded(&d) != before {
			t.Errorf("stamps %s: %v", bad, err)
		}
	}
	if _, err := d.Apply(Update{Section: Reported, Patch: patch, Stamps: stamps, Time: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	want := `{"fw":1795586000000,"led":{"color":1795586200000,"on":1795586200000},"net":{"ip":1795586100000,"mask":1795590000000},"old":1795586400000}`
	if got := d.Metadata(Reported).String(); got != want {
		t.Errorf("metadata = %s\nwant       %s", got, want)
	}
	if !d.Timestamp().Equal(t0.Add(time.Hour)) {
		t.Errorf("document timestamp = %v", d.Timestamp())
	}
}

func TestAcks(t *testing.T) {
	var d Document
	apply(t, &d, Desired, `{"targetTemp":21,"mode":"eco"}`, t0)
	r, err := d.Apply(Update{Section: Reported, Patch: mustParse(t, `{"targetTemp":21}`), Time: t0,
		Acks: []Ack{{Property: "targetTemp", Code: 200, Version: 1, Description: "applied"}, {Property: "mode", Code: 202, Version: 1}}})
	if err != nil || !r.Changed || r.Version != 2 {
		t.Fatalf("ack: %+v %v", r, err)
	}
	a, ok := d.Ack("targetTemp")
	if !ok || a != (Ack{Property: "targetTemp", Code: 200, Version: 1, Description: "applied"}) {
		t.Errorf("Ack = %+v, %v", a, ok)
	}
	if acks := d.Acks(); len(acks) != 2 || acks[0].Property != "mode" {
		t.Errorf("Acks = %+v", acks)
	}
	// The same ack again changes nothing; a new status replaces the old one.
	r, _ = d.Apply(Update{Section: Reported, Patch: EmptyObject(), Time: t0, Acks: []Ack{{Property: "mode", Code: 202, Version: 1}}})
	if r.Changed || r.Version != 3 {
		t.Errorf("repeated ack: %+v", r)
	}
	d.Apply(Update{Section: Reported, Patch: EmptyObject(), Time: t0, Acks: []Ack{{Property: "mode", Code: 400, Version: 1, Description: "unsupported"}}})
	if a, _ := d.Ack("mode"); a.Code != 400 {
		t.Errorf("ack not replaced: %+v", a)
	}
	// Acks never show up in the delta.
	if got := d.Delta().String(); got != `{"mode":"eco"}` {
		t.Errorf("Delta = %s", got)
	}
	c := d.Clone()
	c.Apply(Update{Section: Reported, Patch: EmptyObject(), Time: t0, Acks: []Ack{{Property: "mode", Code: 200, Version: 1}}})
	if a, _ := d.Ack("mode"); a.Code != 400 {
		t.Errorf("Clone shares acks: %+v", a)
	}
}
