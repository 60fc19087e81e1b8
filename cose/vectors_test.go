package cose

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type jwk struct {
	Kty  string `json:"kty"`
	Kid  string `json:"kid"`
	Crv  string `json:"crv"`
	X    string `json:"x"`
	Y    string `json:"y"`
	D    string `json:"d"`
	XHex string `json:"x_hex"`
	DHex string `json:"d_hex"`
}

type signerInput struct {
	Key      jwk    `json:"key"`
	External string `json:"external"`
}

type vector struct {
	Title string `json:"title"`
	Fail  bool   `json:"fail"`
	Input struct {
		Plaintext string       `json:"plaintext"`
		Sign0     *signerInput `json:"sign0"`
		Sign      *struct {
			Signers []signerInput `json:"signers"`
		} `json:"sign"`
	} `json:"input"`
	Intermediates struct {
		ToBeSignHex string `json:"ToBeSign_hex"`
		Signers     []struct {
			ToBeSignHex string `json:"ToBeSign_hex"`
		} `json:"signers"`
	} `json:"intermediates"`
	Output struct {
		CBOR string `json:"cbor"`
	} `json:"output"`
	// rfc9052-C.2.1.json layout
	Key       *jwk   `json:"key"`
	CBORHex   string `json:"cbor_hex"`
	TBSHex    string `json:"ToBeSign_hex"`
	PayloadAS string `json:"payload_ascii"`
}

func b64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("base64 %q: %v", s, err)
	}
	return b
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("hex %q: %v", s, err)
	}
	return b
}

func curveOf(crv string) elliptic.Curve {
	switch crv {
	case "P-256":
		return elliptic.P256()
	case "P-384":
		return elliptic.P384()
	case "P-521":
		return elliptic.P521()
	}
	return nil
}

// keyOf returns the public and private key of a JWK, or nil, nil for curves the standard
// library lacks (Ed448).
func keyOf(t *testing.T, k jwk) (crypto.PublicKey, crypto.Signer) {
	t.Helper()
	switch {
	case k.Kty == "OKP" && k.Crv == "Ed25519":
		seed := unhex(t, k.DHex)
		priv := ed25519.NewKeyFromSeed(seed)
		pub := priv.Public().(ed25519.PublicKey)
		if k.XHex != "" && !bytes.Equal(pub, unhex(t, k.XHex)) {
			t.Fatalf("kid %s: public key does not match seed", k.Kid)
		}
		return pub, priv
	case k.Kty == "EC":
		c := curveOf(k.Crv)
		x, y := b64(t, k.X), b64(t, k.Y)
		n := (c.Params().BitSize + 7) / 8
		raw := append([]byte{4}, append(append(make([]byte, n-len(x)), x...), append(make([]byte, n-len(y)), y...)...)...)
		pub, err := ecdsa.ParseUncompressedPublicKey(c, raw)
		if err != nil {
			t.Fatalf("kid %s: %v", k.Kid, err)
		}
		d := b64(t, k.D)
		priv, err := ecdsa.ParseRawPrivateKey(c, append(make([]byte, n-len(d)), d...))
		if err != nil {
			t.Fatalf("kid %s: %v", k.Kid, err)
		}
		return pub, priv
	}
	return nil, nil
}

func algOfKey(k jwk, msgAlg Algorithm) Algorithm {
	if k.Kty == "OKP" {
		return EdDSA
	}
	if msgAlg != 0 {
		return msgAlg // the vectors pair the key with the algorithm they use
	}
	return ES256
}

func loadVector(t *testing.T, name string) vector {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var v vector
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

// TestSign1Vectors checks every COSE_Sign1 vector: pass cases verify, fail cases fail with the
// error their failure names.
func TestSign1Vectors(t *testing.T) {
	tests := []struct {
		file string
		want error // nil: must verify
	}{
		{"sign1-tests_sign-pass-01.json", nil},
		{"sign1-tests_sign-pass-02.json", nil},
		{"sign1-tests_sign-pass-03.json", nil},
		{"rfc9052-C.2.1.json", nil},
		{"ecdsa-examples_ecdsa-sig-01.json", nil},
		{"ecdsa-examples_ecdsa-sig-02.json", nil},
		{"ecdsa-examples_ecdsa-sig-03.json", nil},
		{"ecdsa-examples_ecdsa-sig-04.json", nil},
		{"eddsa-examples_eddsa-sig-01.json", nil},
		{"sign1-tests_sign-fail-01.json", ErrTag},                  // tag 998
		{"sign1-tests_sign-fail-02.json", ErrSignature},            // payload changed
		{"sign1-tests_sign-fail-03.json", ErrUnsupportedAlgorithm}, // alg -999
		{"sign1-tests_sign-fail-04.json", ErrUnsupportedAlgorithm}, // alg "unknown"
		{"sign1-tests_sign-fail-06.json", ErrSignature},            // protected attribute added
		{"sign1-tests_sign-fail-07.json", ErrSignature},            // protected attribute removed
	}
	for _, tc := range tests {
		t.Run(strings.TrimSuffix(tc.file, ".json"), func(t *testing.T) {
			v := loadVector(t, tc.file)
			if v.Fail != (tc.want != nil) {
				t.Fatalf("vector fail=%v but table expects error %v", v.Fail, tc.want)
			}
			msgHex, k, tbsHex, external := v.Output.CBOR, jwk{}, v.Intermediates.ToBeSignHex, ""
			if v.Key != nil {
				msgHex, k, tbsHex = v.CBORHex, *v.Key, v.TBSHex
			} else {
				k, external = v.Input.Sign0.Key, v.Input.Sign0.External
			}
			msg := unhex(t, msgHex)
			pub, priv := keyOf(t, k)
			m, err := DecodeSign1(msg)
			if tc.want == ErrTag {
				if !errors.Is(err, ErrTag) {
					t.Fatalf("DecodeSign1 err = %v, want ErrTag", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("DecodeSign1: %v", err)
			}
			msgAlg, _ := m.Algorithm()
			if !msgAlg.supported() {
				msgAlg = 0
			}
			ver, err := NewVerifier(algOfKey(k, msgAlg), []byte(k.Kid), pub)
			if err != nil {
				t.Fatal(err)
			}
			opts := &VerifyOptions{ExternalAAD: unhex(t, external)}
			payload, got, err := m.Verify(ver, opts)
			if tc.want != nil {
				if !errors.Is(err, tc.want) {
					t.Fatalf("Verify err = %v, want %v", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if got != ver || string(payload) != "This is the content." {
				t.Fatalf("payload %q, verifier %p", payload, got)
			}
			// The Sig_structure we rebuild equals the published one (the zero-length protected
			// bstr quirk of sign-pass-01 included).
			prot := m.Protected
			if !m.hdr.protected {
				prot = nil
			}
			tbs := appendSigStructure(nil, "Signature1", prot, nil, false, opts.ExternalAAD, payload)
			if !strings.EqualFold(hex.EncodeToString(tbs), tbsHex) {
				t.Fatalf("ToBeSign = %x, want %s", tbs, tbsHex)
			}
			// Our signer's signature over the same bytes verifies (and, for Ed25519, is identical).
			s, err := NewSigner(ver.Algorithm(), nil, priv)
			if err != nil {
				t.Fatal(err)
			}
			sig, err := s.SignBytes(nil, tbs)
			if err != nil {
				t.Fatal(err)
			}
			if !ver.VerifySignature(tbs, sig) {
				t.Fatal("re-signed Sig_structure does not verify")
			}
			if ver.Algorithm() == EdDSA && !bytes.Equal(sig, m.Signature) {
				t.Fatalf("Ed25519 re-signature differs: %x", sig)
			}
		})
	}
}

// TestEd448Unsupported: the standard library has no Ed448, so eddsa-sig-02 decodes but no
// verifier can be built for it.
func TestEd448Unsupported(t *testing.T) {
	v := loadVector(t, "eddsa-examples_eddsa-sig-02.json")
	m, err := DecodeSign1(unhex(t, v.Output.CBOR))
	if err != nil {
		t.Fatal(err)
	}
	if alg, ok := m.Algorithm(); !ok || alg != EdDSA || string(m.KeyID()) != "ed448" {
		t.Fatalf("alg %v kid %q", alg, m.KeyID())
	}
	if _, err := NewVerifier(EdDSA, []byte("ed448"), unhex(t, v.Input.Sign0.Key.XHex)); !errors.Is(err, ErrKey) {
		t.Fatalf("NewVerifier(Ed448 key) err = %v, want ErrKey", err)
	}
}

// TestSignVectors checks the COSE_Sign vectors whose curves the standard library has.
func TestSignVectors(t *testing.T) {
	for _, file := range []string{"ecdsa-examples_ecdsa-01.json", "ecdsa-examples_ecdsa-02.json",
		"ecdsa-examples_ecdsa-03.json", "ecdsa-examples_ecdsa-04.json", "eddsa-examples_eddsa-01.json"} {
		t.Run(strings.TrimSuffix(file, ".json"), func(t *testing.T) {
			v := loadVector(t, file)
			m, err := DecodeSign(unhex(t, v.Output.CBOR))
			if err != nil {
				t.Fatal(err)
			}
			if !m.Tagged || len(m.Signatures) != len(v.Input.Sign.Signers) {
				t.Fatalf("tagged %v, %d signatures", m.Tagged, len(m.Signatures))
			}
			for i, si := range v.Input.Sign.Signers {
				pub, _ := keyOf(t, si.Key)
				alg, _ := m.Signatures[i].Algorithm()
				ver, err := NewVerifier(algOfKey(si.Key, alg), []byte(si.Key.Kid), pub)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := m.VerifySignature(i, ver, nil); err != nil {
					t.Fatalf("signature %d: %v", i, err)
				}
				// A different payload must not verify.
				m2 := *m
				m2.Payload = []byte("This is the content!")
				if _, err := m2.VerifySignature(i, ver, nil); !errors.Is(err, ErrSignature) {
					t.Fatalf("tampered signature %d err = %v", i, err)
				}
			}
		})
	}
}
