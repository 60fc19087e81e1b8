package senml_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/fleetkit/fleetkit/telemetry/senml"
)

// seeds adds every vector pack of testdata in the requested encoding.
func seeds(f *testing.F, cborForm bool) {
	files, _ := filepath.Glob(filepath.Join("testdata", "wg-repo", "*.json"))
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		if !cborForm {
			f.Add(data)
			continue
		}
		p, err := senml.ParseJSON(data, nil)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(senml.AppendCBOR(nil, p))
	}
	if cborForm {
		f.Add(sec6CBOR(f))
		f.Add([]byte{0x9f, 0xbf, 0x00, 0x61, 0x61, 0x02, 0xf9, 0x3e, 0x00, 0xff, 0xff})
	} else {
		f.Add([]byte(`[{"n":"a\u00e9\ud83d\ude00","vs":"\"\\","x":{"y":[1,true,null]},"vd":"aGkgCg","vb":false,"t":-1e-3}]`))
	}
}

// checkDecoded checks the invariants of any successful decode: every error path is an *Error,
// Validate and Resolve never panic, and decode(encode(p)) == p in both encodings.
func checkDecoded(t *testing.T, p senml.Pack) {
	if err := p.Validate(); err != nil {
		var e *senml.Error
		if !errors.As(err, &e) {
			t.Fatalf("Validate error %T", err)
		}
	} else if _, err := p.Resolve(nil, 1.7e9); err != nil {
		var e *senml.Error
		if !errors.As(err, &e) || !errors.Is(err, senml.ErrNumber) {
			t.Fatalf("Resolve of a valid pack: %v", err)
		}
	}
	c1 := senml.AppendCBOR(nil, p)
	q, err := senml.ParseCBOR(c1, nil)
	if err != nil {
		t.Fatalf("re-decode CBOR: %v\n%x", err, c1)
	}
	if c2 := senml.AppendCBOR(nil, q); !bytes.Equal(c1, c2) {
		t.Fatalf("CBOR round trip:\n%x\n%x", c1, c2)
	}
	if _, err := p.MarshalJSON(); err != nil {
		return // NaN or Inf from CBOR: not representable in JSON
	}
	j1 := senml.AppendJSON(nil, p)
	r, err := senml.ParseJSON(j1, nil)
	if err != nil {
		t.Fatalf("re-decode JSON: %v\n%s", err, j1)
	}
	if j2 := senml.AppendJSON(nil, r); !bytes.Equal(j1, j2) {
		t.Fatalf("JSON round trip:\n%s\n%s", j1, j2)
	}
}

func checkError(t *testing.T, err error, n int, out senml.Pack) {
	var e *senml.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %T is not *senml.Error: %v", err, err)
	}
	if e.Err == nil || e.Offset < 0 || e.Offset > n {
		t.Fatalf("error without sentinel or offset out of range: %+v", e)
	}
	if len(out) != 0 {
		t.Fatalf("records returned with an error")
	}
}

func FuzzParseJSON(f *testing.F) {
	seeds(f, false)
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := senml.ParseJSON(data, nil)
		if err != nil {
			checkError(t, err, len(data), p)
			return
		}
		// Only UTF-8 text is accepted, so every string re-encodes unchanged.
		checkDecoded(t, p)
	})
}

func FuzzParseCBOR(f *testing.F) {
	seeds(f, true)
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := senml.ParseCBOR(data, nil)
		if err != nil {
			checkError(t, err, len(data), p)
			return
		}
		checkDecoded(t, p)
	})
}
