//go:build !tinygo

package suit

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
)

// TestPublishedKeyMatchesPEM checks the scalar spelled out in publishedD against the published
// PEM file (crypto/x509 is not available under TinyGo, hence the build tag).
func TestPublishedKeyMatchesPEM(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "private_key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(raw)
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	want := k.(*ecdsa.PrivateKey)
	got, err := publishedPrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(want) {
		t.Fatal("publishedD does not match testdata/private_key.pem")
	}
}
