package twin

import (
	"encoding/json"
	"os"
	"testing"
)

type mergeCase struct {
	Name   string          `json:"name"`
	Target json.RawMessage `json:"target"`
	Patch  json.RawMessage `json:"patch"`
	Result json.RawMessage `json:"result"`
}

func loadMergeCases(tb testing.TB) []mergeCase {
	tb.Helper()
	b, err := os.ReadFile("testdata/rfc7396-appendix-a.json")
	if err != nil {
		tb.Fatal(err)
	}
	var cases []mergeCase
	if err := json.Unmarshal(b, &cases); err != nil {
		tb.Fatal(err)
	}
	return cases
}

func mustParse(tb testing.TB, s string) Value {
	tb.Helper()
	v, err := Parse([]byte(s), Limits{})
	if err != nil {
		tb.Fatalf("Parse(%s): %v", s, err)
	}
	return v
}

// TestMergeRFC7396AppendixA runs every example of RFC 7396 Appendix A and section 3.
func TestMergeRFC7396AppendixA(t *testing.T) {
	cases := loadMergeCases(t)
	if len(cases) != 16 {
		t.Fatalf("want the 15 Appendix A cases and the section 3 example, got %d", len(cases))
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			target := mustParse(t, string(c.Target))
			patch := mustParse(t, string(c.Patch))
			want := mustParse(t, string(c.Result))
			before := target.String()
			got := Merge(target, patch)
			if !Equal(got, want) {
				t.Fatalf("Merge(%s, %s) = %s, want %s", c.Target, c.Patch, got, want)
			}
			if target.String() != before {
				t.Fatalf("Merge modified its target: %s, was %s", target, before)
			}
			if Changes(target, patch) != !Equal(target, want) {
				t.Fatalf("Changes = %v, but result differs from target: %v", Changes(target, patch), !Equal(target, want))
			}
			// Idempotence: applying the patch again changes nothing.
			if again := Merge(got, patch); !Equal(again, got) {
				t.Fatalf("second application gave %s, want %s", again, got)
			}
			// Diff produces a patch reproducing the result (except where the result holds a
			// null member, which no merge patch can create).
			if findNull(want) {
				return
			}
			d, err := Diff(target, want)
			if err != nil {
				t.Fatalf("Diff: %v", err)
			}
			if got := Merge(target, d); !Equal(got, want) {
				t.Fatalf("Merge(target, Diff) = %s, want %s (diff %s)", got, want, d)
			}
		})
	}
}

func findNull(v Value) bool {
	_, ok := findNullMember(v, nil)
	return ok
}
