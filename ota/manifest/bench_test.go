package manifest

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/sha256"
	"math/big"
	"testing"

	"github.com/fleetkit/fleetkit/cose"
	"github.com/fleetkit/fleetkit/internal/cbor"
)

// BenchmarkVerify compares manifest verification with the raw signature check over the same
// Sig_structure bytes, for Ed25519 and ES256.
func BenchmarkVerify(b *testing.B) {
	for _, tc := range []struct {
		name   string
		signer *cose.Signer
	}{
		{"ed25519", edSigner(b, "ed", 1)},
		{"es256", esSigner(b, "es")},
	} {
		env, err := Sign(testManifest(), tc.signer)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := testManifest().AppendCBOR(nil)
		tbs := cbor.AppendArrayHeader(nil, 4)
		tbs = cbor.AppendText(tbs, "Signature1")
		msg, _ := cose.DecodeSign1(env)
		tbs = cbor.AppendBytes(tbs, msg.Protected)
		tbs = cbor.AppendBytes(tbs, ExternalAAD)
		tbs = cbor.AppendBytes(tbs, body)
		sig := msg.Signature
		ver := verifierOf(b, tc.signer)
		if !ver.VerifySignature(tbs, sig) {
			b.Fatal("raw signature does not verify")
		}
		b.Run("raw-"+tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if !rawVerify(tc.signer, tbs, sig) {
					b.Fatal("verify failed")
				}
			}
		})
		v := &Verifier{Trust: store(b, 1, tc.signer)}
		b.Run("manifest-"+tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := v.Verify(now, env, device()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkImage compares the streaming image verifier with raw SHA-256 over 64 KiB writes.
func BenchmarkImage(b *testing.B) {
	chunk := make([]byte, 64<<10)
	b.Run("raw-sha256", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(chunk)))
		h := sha256.New()
		for i := 0; i < b.N; i++ {
			h.Write(chunk)
		}
	})
	b.Run("image-verifier", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(chunk)))
		m := testManifest()
		m.Size = 1 << 62
		iv := NewImageVerifier(m)
		for i := 0; i < b.N; i++ {
			if _, err := iv.Write(chunk); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// rawVerify is the bare signature check: ed25519.Verify, or SHA-256 and ecdsa.Verify on r||s.
func rawVerify(s *cose.Signer, tbs, sig []byte) bool {
	pub := s.Public()
	if k, ok := pub.(ed25519.PublicKey); ok {
		return ed25519.Verify(k, tbs, sig)
	}
	digest := sha256.Sum256(tbs)
	r, ss := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	return ecdsa.Verify(pub.(*ecdsa.PublicKey), digest[:], r, ss)
}
