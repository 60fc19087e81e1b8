package store

import (
	"bytes"
	"testing"
)

// FuzzDecodeFile: the file-record decoder never panics, and what it accepts is a header followed
// by the document it returns, which re-encodes and decodes to the same version and bytes.
func FuzzDecodeFile(f *testing.F) {
	f.Add(encodeFile(1, []byte(`{"state":{},"version":1}`)))
	f.Add(encodeFile(42, nil))
	f.Add([]byte("fktwin1 1 3 0\nabc"))
	f.Add([]byte("fktwin1 0 0 0\n"))
	f.Add([]byte("no header"))
	f.Fuzz(func(t *testing.T, b []byte) {
		v, doc, err := decodeFile(b)
		if err != nil {
			return
		}
		if v == 0 {
			t.Fatal("accepted version 0")
		}
		if !bytes.HasSuffix(b, doc) {
			t.Fatalf("accepted %q with a document %q that is not its tail", b, doc)
		}
		v2, d2, err := decodeFile(encodeFile(v, doc))
		if err != nil || v2 != v || !bytes.Equal(d2, doc) {
			t.Fatalf("re-encoding of version %d doc %q does not decode back: %v", v, doc, err)
		}
	})
}
