package dedupe

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/constant"
	"go/parser"
	"strconv"
	"strings"
	"testing"
)

// replayVectors mirrors testdata/wireguard-replay.json.
type replayVectors struct {
	Symbolic struct {
		L        string `json:"L"`
		Sequence []struct {
			N      string `json:"n"`
			Accept bool   `json:"accept"`
		} `json:"sequence"`
	} `json:"symbolic"`
	Concrete map[string]struct {
		Sequence [][2]any       `json:"sequence"`
		Bulk     map[string]any `json:"bulk"`
	} `json:"concrete"`
	RFC4303 struct {
		Steps [][2]any `json:"steps"`
	} `json:"rfc4303_flavour_example_W63_N64"`
}

type step struct {
	n      uint64
	accept bool
}

// wireguardLimit is WireGuard's RejectAfterMessages, the L of the vectors.
const wireguardLimit = 1<<64 - 1<<4 - 1

// replayJSON is embedded rather than read at run time so that the vectors also run where the
// test binary has no file system (TinyGo's wasip1 runner preopens no directory).
//
//go:embed testdata/wireguard-replay.json
var replayJSON string

func loadReplayVectors(t *testing.T) replayVectors {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(replayJSON))
	d.UseNumber() // the counters near 2^64 do not survive float64
	var v replayVectors
	if err := d.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func toSteps(t *testing.T, pairs [][2]any) []step {
	t.Helper()
	out := make([]step, len(pairs))
	for i, p := range pairs {
		n, err := strconv.ParseUint(string(p[0].(json.Number)), 10, 64)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		out[i] = step{n, p[1].(bool)}
	}
	return out
}

// evalSymbolic evaluates an expression such as "T_LIM*4-(T_LIM-1)" exactly.
func evalSymbolic(t *testing.T, expr string, tlim, l uint64) uint64 {
	t.Helper()
	e, err := parser.ParseExpr(expr)
	if err != nil {
		t.Fatalf("%q: %v", expr, err)
	}
	var eval func(ast.Expr) constant.Value
	eval = func(e ast.Expr) constant.Value {
		switch e := e.(type) {
		case *ast.BasicLit:
			return constant.MakeFromLiteral(e.Value, e.Kind, 0)
		case *ast.Ident:
			switch e.Name {
			case "T_LIM":
				return constant.MakeUint64(tlim)
			case "L":
				return constant.MakeUint64(l)
			}
		case *ast.ParenExpr:
			return eval(e.X)
		case *ast.BinaryExpr:
			return constant.BinaryOp(eval(e.X), e.Op, eval(e.Y))
		}
		t.Fatalf("%q: unsupported expression %T", expr, e)
		return nil
	}
	v, ok := constant.Uint64Val(eval(e))
	if !ok {
		t.Fatalf("%q does not fit uint64", expr)
	}
	return v
}

// bulkSteps expands wireguard-go's six bulk tests for window size w.
func bulkSteps(w uint64) map[string][]step {
	var b [6][]step
	for i := uint64(1); i <= w; i++ {
		b[0] = append(b[0], step{i, true})
	}
	b[0] = append(b[0], step{0, true}, step{0, false})
	for i := uint64(2); i <= w+1; i++ {
		b[1] = append(b[1], step{i, true})
	}
	b[1] = append(b[1], step{1, true}, step{0, false})
	for i := w + 1; i > 0; i-- {
		b[2] = append(b[2], step{i, true})
	}
	for i := w + 2; i > 1; i-- {
		b[3] = append(b[3], step{i, true})
	}
	b[3] = append(b[3], step{0, false})
	for i := w; i > 0; i-- {
		b[4] = append(b[4], step{i, true})
	}
	b[4] = append(b[4], step{w + 1, true}, step{0, false})
	for i := w; i > 0; i-- {
		b[5] = append(b[5], step{i, true})
	}
	b[5] = append(b[5], step{0, true}, step{w + 1, true})
	out := map[string][]step{}
	for i := range b {
		out[fmt.Sprintf("bulk%d", i+1)] = b[i]
	}
	return out
}

func runSteps(t *testing.T, w *Window, steps []step) {
	t.Helper()
	for i, s := range steps {
		test := w.Test(s.n)
		err := w.Check(s.n)
		if (err == nil) != s.accept {
			t.Fatalf("step %d: Check(%d) = %v, want accept=%v (top %d)", i, s.n, err, s.accept, w.Top())
		}
		if test != err {
			t.Fatalf("step %d: Test(%d) = %v but Check = %v", i, s.n, test, err)
		}
		if err := w.Check(s.n); err == nil {
			t.Fatalf("step %d: second Check(%d) accepted", i, s.n)
		}
	}
}

func TestWireGuardVectors(t *testing.T) {
	v := loadReplayVectors(t)
	if len(v.Concrete) != 3 {
		t.Fatalf("expected 3 concrete window sizes, got %d", len(v.Concrete))
	}
	for name, c := range v.Concrete {
		t.Run(name, func(t *testing.T) {
			size, err := strconv.Atoi(strings.TrimPrefix(name, "W="))
			if err != nil {
				t.Fatal(err)
			}
			seq := toSteps(t, c.Sequence)
			// The concrete expansion must equal the symbolic (published) sequence.
			if len(seq) != len(v.Symbolic.Sequence) {
				t.Fatalf("concrete has %d steps, symbolic %d", len(seq), len(v.Symbolic.Sequence))
			}
			for i, s := range v.Symbolic.Sequence {
				n := evalSymbolic(t, s.N, uint64(size)+1, wireguardLimit)
				if n != seq[i].n || s.Accept != seq[i].accept {
					t.Fatalf("step %d: symbolic %s = %d/%v, concrete %d/%v", i, s.N, n, s.Accept, seq[i].n, seq[i].accept)
				}
			}
			w, err := NewWindow(size)
			if err != nil {
				t.Fatal(err)
			}
			w.SetLimit(wireguardLimit)
			runSteps(t, w, seq)

			gen := bulkSteps(uint64(size))
			if len(c.Bulk) != 6 {
				t.Fatalf("expected 6 bulk tests, got %d", len(c.Bulk))
			}
			for bname, raw := range c.Bulk {
				steps := gen[bname]
				if list, ok := raw.([]any); ok { // inlined: the generator must reproduce it
					pairs := make([][2]any, len(list))
					for i, p := range list {
						pairs[i] = [2]any{p.([]any)[0], p.([]any)[1]}
					}
					pub := toSteps(t, pairs)
					if fmt.Sprint(pub) != fmt.Sprint(steps) {
						t.Fatalf("%s: generator differs from the inlined expansion", bname)
					}
				}
				w.Reset()
				// Reset keeps the limit; the bulk tests never reach it.
				t.Run(bname, func(t *testing.T) { runSteps(t, w, steps) })
			}
		})
	}
}

// TestRFC4303Flavour runs the DERIVED RFC 4303/6479 example, where sequence number 0 is never
// valid. That is a caller policy on top of the window (the window accepts a first 0, as
// WireGuard does), so the test refuses 0 before asking the window.
func TestRFC4303Flavour(t *testing.T) {
	v := loadReplayVectors(t)
	steps := toSteps(t, v.RFC4303.Steps)
	if len(steps) == 0 {
		t.Fatal("no steps")
	}
	w, err := NewWindow(63)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range steps {
		accept := s.n != 0 && w.Check(s.n) == nil
		if accept != s.accept {
			t.Fatalf("step %d: %d accepted=%v, want %v", i, s.n, accept, s.accept)
		}
	}
}
