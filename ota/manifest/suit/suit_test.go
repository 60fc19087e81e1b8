package suit

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/fleetkit/fleetkit/cose"
)

const (
	vendorHex = "fa6b4a53d5ad5fdfbe9de663e4d41ffe"
	classHex  = "1492af1425695e48bf429b2d51f2ab45"
	d0        = "00112233445566778899aabbccddeeff0123456789abcdeffedcba9876543210"
	d1        = "0123456789abcdeffedcba987654321000112233445566778899aabbccddeeff"
)

func readHex(t testing.TB, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	b, err := hex.DecodeString(strings.Join(strings.Fields(string(raw)), ""))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return b
}

// publishedKey derives the ES256 public key from the draft's published private key.
func publishedKey(t testing.TB) (*cose.Verifier, *ecdsa.PrivateKey) {
	t.Helper()
	priv, err := publishedPrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	v, err := cose.NewVerifier(cose.ES256, nil, &priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return v, priv
}

// publishedD is the private scalar of the draft's published ES256 key (testdata/private_key.pem,
// draft-ietf-suit-manifest-37 §Examples). It is spelled out here because parsing the PEM needs
// crypto/x509, which pulls in package net and so cannot build with TinyGo; TestPublishedKeyMatchesPEM
// checks it against the PEM file with the standard toolchain.
const publishedD = "0296588d909418b339d150420a3612b57fb4f631a69f224fae90cb4f3fe18973"

func publishedPrivateKey() (*ecdsa.PrivateKey, error) {
	d, err := hex.DecodeString(publishedD)
	if err != nil {
		return nil, err
	}
	return ecdsa.ParseRawPrivateKey(elliptic.P256(), d)
}

// describe renders the extracted parameters compactly for comparison.
func describe(p Parameters) string {
	var parts []string
	if p.HasSlot {
		parts = append(parts, "slot="+itoa(p.Slot))
	}
	if p.VendorID != nil {
		parts = append(parts, "vendor="+hex.EncodeToString(p.VendorID))
	}
	if p.ClassID != nil {
		parts = append(parts, "class="+hex.EncodeToString(p.ClassID))
	}
	if p.Digest != nil {
		parts = append(parts, "digest="+itoa(uint64(-p.Digest.Alg))+":"+hex.EncodeToString(p.Digest.Value))
	}
	if p.HasSize {
		parts = append(parts, "size="+itoa(p.Size))
	}
	if p.URI != "" {
		parts = append(parts, "uri="+p.URI)
	}
	return strings.Join(parts, " ")
}

func itoa(v uint64) string { return strconv.FormatUint(v, 10) }

func TestPublishedExamples(t *testing.T) {
	vc := "vendor=" + vendorHex + " class=" + classHex + " "
	tests := []struct {
		file       string
		seq        uint64
		refURI     string
		severed    []uint64
		components map[string][]string // component ID hex -> [parameters, alternatives...]
	}{
		{"example0.signed.hex", 0, "", nil, map[string][]string{
			"00": {vc + "digest=16:" + d0 + " size=34768"}}},
		{"example1.signed.hex", 1, "", nil, map[string][]string{
			"00": {vc + "digest=16:" + d0 + " size=34768 uri=http://example.com/file.bin"}}},
		{"example2.signed.hex", 2, "https://git.io/JJYoj", nil, map[string][]string{
			"00": {vc + "digest=16:" + d0 + " size=34768 uri=http://example.com/very/long/path/to/file/file.bin"}}},
		{"example2.unsigned-1.hex", 2, "https://git.io/JJYoj", []uint64{20, 23}, map[string][]string{
			"00": {vc + "digest=16:" + d0 + " size=34768"}}},
		{"example3.signed.hex", 3, "", nil, map[string][]string{
			"00": {vc[:len(vc)-1],
				"slot=0 digest=16:" + d0 + " size=34768 uri=http://example.com/file1.bin",
				"slot=1 digest=16:" + d1 + " size=76834 uri=http://example.com/file2.bin"}}},
		{"example4.signed.hex", 4, "", nil, map[string][]string{
			"00": {vc + "digest=16:" + d0 + " size=34768"},
			"02": {"digest=16:" + d0 + " uri=http://example.com/file.bin"},
			"01": {"digest=16:" + d1 + " size=76834"}}},
		{"example5.signed.hex", 5, "", nil, map[string][]string{
			"00": {vc + "digest=16:" + d0 + " size=34768 uri=http://example.com/file1.bin"},
			"01": {"digest=16:" + d1 + " size=76834 uri=http://example.com/file2.bin"}}},
	}
	key, _ := publishedKey(t)
	for _, tc := range tests {
		t.Run(strings.TrimSuffix(tc.file, ".hex"), func(t *testing.T) {
			m, err := Verify(readHex(t, tc.file), key)
			if err != nil {
				t.Fatal(err)
			}
			if m.Sequence != tc.seq || m.ReferenceURI != tc.refURI || len(m.Components) != len(tc.components) {
				t.Fatalf("sequence %d, reference %q, %d components", m.Sequence, m.ReferenceURI, len(m.Components))
			}
			if !equalU64(m.Severed, tc.severed) {
				t.Fatalf("severed = %v, want %v", m.Severed, tc.severed)
			}
			for _, c := range m.Components {
				if len(c.ID) != 1 {
					t.Fatalf("component ID %x", c.ID)
				}
				want, ok := tc.components[hex.EncodeToString(c.ID[0])]
				if !ok {
					t.Fatalf("unexpected component %x", c.ID)
				}
				got := []string{describe(c.Parameters)}
				for _, a := range c.Alternatives {
					got = append(got, describe(a))
				}
				if strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Errorf("component %x:\n got %q\nwant %q", c.ID, got, want)
				}
			}
		})
	}
}

func equalU64(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
