package twin

import (
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"
)

var fuzzLimits = Limits{MaxDocumentBytes: 2048, MaxDepth: 6, MaxKeyLength: 32, MaxKeys: 64}

func addSeeds(f *testing.F) {
	for _, c := range loadMergeCases(f) {
		f.Add([]byte(c.Target), []byte(c.Patch))
	}
	f.Add([]byte(`{"a":"\ud83d\ude00\n","b":[1e400,-0.0,12345678901234567890]}`), []byte(`{"b":null,"c":{"d":{}}}`))
	f.Add([]byte(`[[[[[[[1]]]]]]]`), []byte(`{"":""}`))
	f.Add([]byte(`{"a":1,"a":2}`), []byte("\"\xff\""))
}

// FuzzParse: no panic; limits hold on what parses; encode/parse round-trips exactly.
func FuzzParse(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data, _ []byte) {
		v, err := Parse(data, fuzzLimits)
		if err != nil {
			if !errors.Is(err, ErrSyntax) && !errors.Is(err, ErrLimit) {
				t.Fatalf("unexpected error class: %v", err)
			}
			return
		}
		if err := fuzzLimits.Check(v, ""); err != nil && !isBytesLimit(err) {
			// The byte size may shrink or grow by re-encoding (escapes, whitespace), the other
			// limits are properties of the tree and must hold.
			t.Fatalf("parsed value breaks limits: %v", err)
		}
		enc := v.AppendJSON(nil)
		if encodedLen(v) != len(enc) {
			t.Fatalf("encodedLen %d != %d", encodedLen(v), len(enc))
		}
		w, err := Parse(enc, Limits{MaxDocumentBytes: 1 << 20, MaxDepth: fuzzLimits.MaxDepth, MaxKeyLength: fuzzLimits.MaxKeyLength, MaxKeys: fuzzLimits.MaxKeys})
		if err != nil {
			t.Fatalf("re-parse of %s: %v", enc, err)
		}
		if !Equal(v, w) || string(w.AppendJSON(nil)) != string(enc) {
			t.Fatalf("round trip: %s -> %s", enc, w)
		}
	})
}

func isBytesLimit(err error) bool {
	var le *LimitError
	return errors.As(err, &le) && le.Rule == RuleDocumentBytes
}

// FuzzMerge: no panic; applying a patch twice equals applying it once; the document keeps its
// limits and is unchanged when an update fails; Changes agrees with Merge.
func FuzzMerge(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, targetJSON, patchJSON []byte) {
		target, err1 := Parse(targetJSON, fuzzLimits)
		patch, err2 := Parse(patchJSON, fuzzLimits)
		if err1 != nil || err2 != nil {
			return
		}
		once := Merge(target, patch)
		twice := Merge(once, patch)
		if !Equal(once, twice) {
			t.Fatalf("not idempotent: %s then %s", once, twice)
		}
		if Changes(target, patch) == Equal(once, target) {
			t.Fatalf("Changes = %v but Merge result equal = %v", Changes(target, patch), Equal(once, target))
		}
		if d, err := Diff(target, once); err == nil {
			if got := Merge(target, d); !Equal(got, once) {
				t.Fatalf("Diff: Merge(target, %s) = %s, want %s", d, got, once)
			}
		} else if !errors.Is(err, ErrUnrepresentable) {
			t.Fatal(err)
		}

		doc := Document{Limits: fuzzLimits}
		if target.Kind() == Object {
			if _, err := doc.Apply(Update{Section: Desired, Patch: target, Time: t0}); err != nil && !errors.Is(err, ErrLimit) {
				t.Fatal(err)
			}
		}
		before := string(doc.AppendJSON(nil))
		r, err := doc.Apply(Update{Section: Desired, Patch: patch, Time: t0.Add(time.Second)})
		if err != nil {
			if !errors.Is(err, ErrLimit) && !errors.Is(err, ErrNotObject) {
				t.Fatal(err)
			}
			if after := string(doc.AppendJSON(nil)); after != before {
				t.Fatalf("failed update changed the document")
			}
			return
		}
		if err := fuzzLimits.Check(doc.Desired(), "desired"); err != nil {
			t.Fatalf("accepted update breaks limits: %v", err)
		}
		if !Equal(doc.Desired(), Merge(mustSection(t, before), patch)) {
			t.Fatalf("document state %s != Merge", doc.Desired())
		}
		// Second application: same state, version grows by one, nothing changed.
		state := doc.Desired()
		r2, err := doc.Apply(Update{Section: Desired, Patch: patch, Time: t0.Add(2 * time.Second)})
		if err != nil || r2.Version != r.Version+1 || r2.Changed || !Equal(state, doc.Desired()) {
			t.Fatalf("second application: %+v %v", r2, err)
		}
		// Metadata mirrors the state: the document round-trips through its encoding.
		if _, err := ParseDocument(doc.AppendJSON(nil), fuzzLimits); err != nil {
			t.Fatalf("ParseDocument of an accepted document: %v", err)
		}
	})
}

func mustSection(t *testing.T, docJSON string) Value {
	d, err := ParseDocument([]byte(docJSON), fuzzLimits)
	if err != nil {
		t.Fatal(err)
	}
	return d.Desired()
}

// FuzzParseDocument: no panic, and what decodes re-encodes to a document that decodes the same.
func FuzzParseDocument(f *testing.F) {
	d := Document{Name: "n"}
	d.Apply(Update{Section: Desired, Patch: EmptyObject(), Time: t0})
	for _, c := range loadMergeCases(f) {
		if p, err := Parse(c.Target, Limits{}); err == nil && p.Kind() == Object {
			d.Apply(Update{Section: Reported, Patch: p, Time: t0, Acks: []Ack{{Property: "p", Code: 200, Version: 1}}})
		}
		f.Add(d.AppendJSON(nil))
	}
	f.Add([]byte(`{"state":{"desired":{"a":[1]},"reported":{}},"metadata":{"desired":{"a":{"timestamp":1}},"reported":{}},"version":1,"desiredVersion":1,"timestamp":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := ParseDocument(data, fuzzLimits)
		if err != nil {
			if !errors.Is(err, ErrSyntax) && !errors.Is(err, ErrLimit) && !errors.Is(err, ErrInvalidDocument) {
				t.Fatalf("unexpected error class: %v", err)
			}
			return
		}
		enc := doc.AppendJSON(nil)
		again, err := ParseDocument(enc, fuzzLimits)
		if err != nil {
			t.Fatalf("re-parse: %v\n%s", err, enc)
		}
		if string(again.AppendJSON(nil)) != string(enc) {
			t.Fatalf("round trip differs")
		}
	})
}

// FuzzNumberEqual checks exact numeric equality against math/big on literals with small
// exponents, and that scaling a literal's text (moving the point into the exponent) keeps it equal.
func FuzzNumberEqual(f *testing.F) {
	f.Add("1", "1.0")
	f.Add("-0.05", "-5e-2")
	f.Add("12345678901234567890", "1.2345678901234567890e19")
	f.Add("9007199254740993", "9007199254740992")
	f.Add("0", "-0.0e7")
	f.Fuzz(func(t *testing.T, a, b string) {
		if !validNumber(a) || !validNumber(b) || len(a) > 64 || len(b) > 64 || hugeExp(a) || hugeExp(b) {
			return
		}
		ra, _ := new(big.Rat).SetString(a)
		rb, _ := new(big.Rat).SetString(b)
		if ra == nil || rb == nil {
			t.Fatalf("big.Rat rejects %q or %q", a, b)
		}
		if got, want := numberEqual(a, b), ra.Cmp(rb) == 0; got != want {
			t.Fatalf("numberEqual(%s, %s) = %v, want %v", a, b, got, want)
		}
		if !strings.ContainsAny(a, "eE") && !numberEqual(a, a+"e0") {
			t.Fatalf("%s != %se0", a, a)
		}
	})
}

func hugeExp(s string) bool {
	i := strings.IndexAny(s, "eE")
	return i >= 0 && len(strings.TrimLeft(strings.TrimLeft(s[i+1:], "+-"), "0")) > 4
}
