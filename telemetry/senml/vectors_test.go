package senml_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fleetkit/fleetkit/telemetry/senml"
)

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sec6CBOR(t testing.TB) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.TrimSpace(string(readFile(t, "rfc8428-sec6-example.cbor.hex"))))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// objects decodes a JSON array of objects with encoding/json, the independent reference.
func objects(t *testing.T, data []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("reference decode: %v", err)
	}
	return out
}

// sortByTime sorts reference records stably by "t", as RFC 8428 §4.6 orders resolved records.
func sortByTime(recs []map[string]any) {
	slices.SortStableFunc(recs, func(a, b map[string]any) int {
		ta, _ := a["t"].(float64)
		tb, _ := b["t"].(float64)
		switch {
		case ta < tb:
			return -1
		case ta > tb:
			return 1
		}
		return 0
	})
}

var knownLabels = []string{"bn", "bt", "bu", "bv", "bs", "bver", "n", "u", "v", "vs", "vb", "vd", "s", "t", "ut"}

// sameRecords compares got with want label by label (known labels only, minus ignore); numbers
// within 1e-6, enough to tell milliseconds apart at epoch times.
func sameRecords(t *testing.T, got, want []map[string]any, ignore ...string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d records, want %d\ngot  %v\nwant %v", len(got), len(want), got, want)
	}
	for i := range want {
		for _, k := range knownLabels {
			if slices.Contains(ignore, k) {
				continue
			}
			g, gok := got[i][k]
			w, wok := want[i][k]
			if gok != wok {
				t.Errorf("record %d label %q: present %v, want %v (got %v, want %v)", i, k, gok, wok, got[i], want[i])
				continue
			}
			if gf, ok := g.(float64); ok {
				if wf, ok := w.(float64); !ok || math.Abs(gf-wf) > 1e-6 {
					t.Errorf("record %d label %q: got %v, want %v", i, k, g, w)
				}
			} else if g != w {
				t.Errorf("record %d label %q: got %v, want %v", i, k, g, w)
			}
		}
	}
}

func TestRFC8428Examples(t *testing.T) {
	var file struct {
		Cases []struct {
			ID       string          `json:"id"`
			JSON     json.RawMessage `json:"json"`
			Resolved json.RawMessage `json:"resolved"`
			CBORHex  string          `json:"cbor_hex"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(readFile(t, "rfc8428-examples.json"), &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Cases) != 9 {
		t.Fatalf("got %d cases, want 9", len(file.Cases))
	}
	for _, c := range file.Cases {
		t.Run(c.ID, func(t *testing.T) {
			p, err := senml.ParseJSON(c.JSON, nil)
			if err != nil {
				t.Fatal(err)
			}
			// Decoding agrees with encoding/json on every field.
			sameRecords(t, objects(t, senml.AppendJSON(nil, p)), objects(t, c.JSON))
			res, err := p.Resolve(nil, 1500000000)
			if err != nil {
				t.Fatal(err)
			}
			sameRecords(t, objects(t, senml.AppendJSON(nil, res)), objects(t, c.Resolved))
			// CBOR round trip keeps every field.
			q, err := senml.ParseCBOR(senml.AppendCBOR(nil, p), nil)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := senml.AppendJSON(nil, q), senml.AppendJSON(nil, p); !bytes.Equal(got, want) {
				t.Errorf("CBOR round trip:\ngot  %s\nwant %s", got, want)
			}
			if c.CBORHex != "" {
				b, err := hex.DecodeString(c.CBORHex)
				if err != nil {
					t.Fatal(err)
				}
				q, err := senml.ParseCBOR(b, nil)
				if err != nil {
					t.Fatal(err)
				}
				// The §6 bytes carry t:0 on the last record, which the JSON leaves out.
				p[len(p)-1].SetTime(0)
				if got, want := senml.AppendJSON(nil, q), senml.AppendJSON(nil, p); !bytes.Equal(got, want) {
					t.Errorf("§6 CBOR decodes to\n%s\nwant\n%s", got, want)
				}
			}
		})
	}
}

func TestSection6CBORBytes(t *testing.T) {
	want := sec6CBOR(t)
	if len(want) != 195 {
		t.Fatalf("vector has %d bytes, want 195", len(want))
	}
	if gen := readFile(t, "wg-repo/ex3.gen.cbor"); !bytes.Equal(gen, want) {
		t.Fatal("wg-repo/ex3.gen.cbor differs from the §6 hexdump")
	}
	// ex3.json is the §5.1.2 pack as the WG wrote it, with "t": 0 on the last record.
	p, err := senml.ParseJSON(readFile(t, "wg-repo/ex3.json"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := senml.AppendCBOR(nil, p); !bytes.Equal(got, want) {
		t.Fatalf("encode:\ngot  %x\nwant %x", got, want)
	}
	q, err := senml.ParseCBOR(want, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := senml.AppendCBOR(nil, q); !bytes.Equal(got, want) {
		t.Fatalf("decode+encode:\ngot  %x\nwant %x", got, want)
	}
	if q[4].Value != 1.5 || q[0].BaseVersion != 5 || q[0].BaseTime != 1276020076.001 || q[6].Time != 0 || !q[6].Has(senml.FieldTime) {
		t.Fatalf("decoded fields: %+v", q)
	}
}

// wgNow is the "now" the senmlCat tool used for each WG file with relative times.
var wgNow = map[string]float64{"ex1": 1498780179, "ex2": 1498780179, "ex9": 1498780179, "ex7": 1499109309}

func TestWGRepo(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "wg-repo", "ex*.json"))
	if err != nil || len(files) == 0 {
		t.Fatal("no WG vectors", err)
	}
	parsed := 0
	for _, path := range files {
		name := filepath.Base(path)
		if strings.HasSuffix(name, ".resolved.json") {
			continue
		}
		t.Run(name, func(t *testing.T) {
			data := readFile(t, filepath.Join("wg-repo", name))
			p, err := senml.ParseJSON(data, nil)
			if err != nil {
				t.Fatal(err)
			}
			parsed++
			sameRecords(t, objects(t, senml.AppendJSON(nil, p)), objects(t, data))
			ex := strings.SplitN(name, ".", 2)[0]
			// The generated files are the WG tool's canonical output: our encoder writes the
			// same bytes (ex8 carries the unknown "l" field, which is ignored, so it differs).
			if strings.HasSuffix(name, ".gen.json") && ex != "ex8" {
				compact := strings.ReplaceAll(strings.TrimSpace(string(data)), "\n  ", "")
				compact = strings.ReplaceAll(compact, "\n", "")
				if got := string(senml.AppendJSON(nil, p)); got != compact {
					t.Errorf("encode:\ngot  %s\nwant %s", got, compact)
				}
			}
			resolvedPath := filepath.Join("wg-repo", ex+".gen.resolved.json")
			if _, err := os.Stat(filepath.Join("testdata", resolvedPath)); err != nil {
				if _, err := p.Resolve(nil, 1500000000); err != nil {
					t.Fatal(err)
				}
				return
			}
			res, err := p.Resolve(nil, wgNow[ex])
			if err != nil {
				t.Fatal(err)
			}
			want := objects(t, readFile(t, resolvedPath))
			sortByTime(want)
			got := objects(t, senml.AppendJSON(nil, res))
			var ignore []string
			switch ex {
			case "ex3":
				ignore = append(ignore, "bver") // stripped by the WG tooling, see SOURCE.md
			case "ex7":
				got = slices.DeleteFunc(got, func(m map[string]any) bool { _, ok := m["vd"]; return ok })
			}
			sameRecords(t, got, want, ignore...)
		})
	}
	if parsed != 26 {
		t.Errorf("parsed %d WG packs, want 26", parsed)
	}
}
