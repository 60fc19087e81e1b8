package cose

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"hash"
	"io"
	"math/big"
	"strconv"
)

// Algorithm is a COSE algorithm identifier (IANA "COSE Algorithms" registry).
type Algorithm int64

// Supported signature algorithms (RFC 9053 §2).
const (
	// EdDSA is alg -8 (RFC 9053 §2.2), implemented for Ed25519.
	EdDSA Algorithm = -8
	// ES256 is ECDSA with SHA-256 (alg -7, RFC 9053 §2.1).
	ES256 Algorithm = -7
	// ES384 is ECDSA with SHA-384 (alg -35).
	ES384 Algorithm = -35
	// ES512 is ECDSA with SHA-512 (alg -36).
	ES512 Algorithm = -36
)

// String returns the registry name of the algorithm.
func (a Algorithm) String() string {
	switch a {
	case EdDSA:
		return "EdDSA"
	case ES256:
		return "ES256"
	case ES384:
		return "ES384"
	case ES512:
		return "ES512"
	}
	return "alg(" + strconv.FormatInt(int64(a), 10) + ")"
}

func (a Algorithm) hash() (crypto.Hash, func() hash.Hash) {
	switch a {
	case ES256:
		return crypto.SHA256, sha256.New
	case ES384:
		return crypto.SHA384, sha512.New384
	case ES512:
		return crypto.SHA512, sha512.New
	}
	return 0, nil
}

func (a Algorithm) supported() bool {
	return a == EdDSA || a == ES256 || a == ES384 || a == ES512
}

// Verifier is a trusted public key bound to one algorithm and, optionally, a key ID.
type Verifier struct {
	alg Algorithm
	kid []byte
	ed  ed25519.PublicKey
	ec  *ecdsa.PublicKey
}

// NewVerifier binds pub to alg and kid. pub must be an ed25519.PublicKey for [EdDSA] and an
// *ecdsa.PublicKey on a NIST curve for [ES256], [ES384] and [ES512]. kid may be nil, in which
// case the verifier matches a message whatever its key ID.
func NewVerifier(alg Algorithm, kid []byte, pub crypto.PublicKey) (*Verifier, error) {
	v := &Verifier{alg: alg, kid: bytes.Clone(kid)}
	switch alg {
	case EdDSA:
		k, ok := pub.(ed25519.PublicKey)
		if !ok || len(k) != ed25519.PublicKeySize {
			return nil, fail("verifier", -1, ErrKey, errors.New("EdDSA needs a 32-byte ed25519.PublicKey"))
		}
		v.ed = k
	case ES256, ES384, ES512:
		k, ok := pub.(*ecdsa.PublicKey)
		if !ok || k == nil || k.Curve == nil {
			return nil, fail("verifier", -1, ErrKey, errors.New(alg.String()+" needs an *ecdsa.PublicKey"))
		}
		v.ec = k
	default:
		return nil, fail("verifier", -1, ErrUnsupportedAlgorithm, errors.New(alg.String()))
	}
	return v, nil
}

// Algorithm returns the algorithm the key is bound to.
func (v *Verifier) Algorithm() Algorithm { return v.alg }

// KeyID returns the key ID (nil when the verifier matches any key ID).
func (v *Verifier) KeyID() []byte { return v.kid }

// Lookup makes a single Verifier a [Keys]: it returns itself when it has no key ID or when kid
// equals its key ID.
func (v *Verifier) Lookup(kid []byte) (*Verifier, bool) {
	if v.kid == nil || bytes.Equal(v.kid, kid) {
		return v, true
	}
	return nil, false
}

// VerifySignature checks sig over the to-be-signed bytes (a Sig_structure) with the key.
// ECDSA signatures are the raw r||s form of RFC 9053 §2.1.
func (v *Verifier) VerifySignature(toBeSigned, sig []byte) bool {
	if v.ed != nil {
		return len(sig) == ed25519.SignatureSize && ed25519.Verify(v.ed, toBeSigned, sig)
	}
	n := (v.ec.Curve.Params().BitSize + 7) / 8
	if len(sig) != 2*n {
		return false
	}
	_, newHash := v.alg.hash()
	h := newHash()
	h.Write(toBeSigned)
	var sum [64]byte
	digest := h.Sum(sum[:0])
	r := new(big.Int).SetBytes(sig[:n])
	s := new(big.Int).SetBytes(sig[n:])
	return ecdsa.Verify(v.ec, digest, r, s)
}

// Keys finds the trusted verifier for a key ID.
type Keys interface {
	// Lookup returns the verifier for kid (which may be nil when the message names none).
	Lookup(kid []byte) (*Verifier, bool)
}

// KeyFunc adapts a function to [Keys].
type KeyFunc func(kid []byte) (*Verifier, bool)

// Lookup calls f.
func (f KeyFunc) Lookup(kid []byte) (*Verifier, bool) { return f(kid) }

// Signer is a private key (any crypto.Signer: in memory, HSM, secure element) bound to one
// algorithm and key ID.
type Signer struct {
	alg  Algorithm
	kid  []byte
	key  crypto.Signer
	size int // ECDSA field size in bytes
}

// NewSigner binds key to alg and kid. The key's public half must suit alg: ed25519 for
// [EdDSA], ECDSA for [ES256], [ES384] and [ES512]. kid may be nil (no kid header is written).
func NewSigner(alg Algorithm, kid []byte, key crypto.Signer) (*Signer, error) {
	if key == nil {
		return nil, fail("signer", -1, ErrKey, errors.New("nil key"))
	}
	s := &Signer{alg: alg, kid: bytes.Clone(kid), key: key}
	switch alg {
	case EdDSA:
		if _, ok := key.Public().(ed25519.PublicKey); !ok {
			return nil, fail("signer", -1, ErrKey, errors.New("EdDSA needs an Ed25519 key"))
		}
	case ES256, ES384, ES512:
		pub, ok := key.Public().(*ecdsa.PublicKey)
		if !ok {
			return nil, fail("signer", -1, ErrKey, errors.New(alg.String()+" needs an ECDSA key"))
		}
		s.size = (pub.Curve.Params().BitSize + 7) / 8
	default:
		return nil, fail("signer", -1, ErrUnsupportedAlgorithm, errors.New(alg.String()))
	}
	return s, nil
}

// Algorithm returns the algorithm the key is bound to.
func (s *Signer) Algorithm() Algorithm { return s.alg }

// KeyID returns the key ID (nil when none).
func (s *Signer) KeyID() []byte { return s.kid }

// Public returns the signer's public key.
func (s *Signer) Public() crypto.PublicKey { return s.key.Public() }

// Verifier returns the verifier for the signer's public key.
func (s *Signer) Verifier() (*Verifier, error) { return NewVerifier(s.alg, s.kid, s.key.Public()) }

// SignBytes signs the to-be-signed bytes and returns the COSE signature (raw r||s for ECDSA).
// rand is passed to the key (nil lets the key choose; ECDSA keys then use crypto/rand).
func (s *Signer) SignBytes(rand io.Reader, toBeSigned []byte) ([]byte, error) {
	if s.alg == EdDSA {
		sig, err := s.key.Sign(rand, toBeSigned, crypto.Hash(0))
		if err != nil {
			return nil, fail("sign", -1, ErrKey, err)
		}
		return sig, nil
	}
	ch, newHash := s.alg.hash()
	h := newHash()
	h.Write(toBeSigned)
	der, err := s.key.Sign(rand, h.Sum(nil), ch)
	if err != nil {
		return nil, fail("sign", -1, ErrKey, err)
	}
	sig, ok := derToRaw(der, s.size)
	if !ok {
		return nil, fail("sign", -1, ErrKey, errors.New("signer returned a malformed ASN.1 ECDSA signature"))
	}
	return sig, nil
}

// derToRaw converts an ASN.1 DER ECDSA-Sig-Value SEQUENCE{INTEGER r, INTEGER s} into the
// fixed-width r||s form.
func derToRaw(der []byte, size int) ([]byte, bool) {
	body, rest, ok := derElement(der, 0x30)
	if !ok || len(rest) != 0 {
		return nil, false
	}
	r, body, ok := derElement(body, 0x02)
	if !ok {
		return nil, false
	}
	s, body, ok := derElement(body, 0x02)
	if !ok || len(body) != 0 {
		return nil, false
	}
	out := make([]byte, 2*size)
	for i, v := range [][]byte{r, s} {
		for len(v) > 0 && v[0] == 0 {
			v = v[1:]
		}
		if len(v) > size {
			return nil, false
		}
		copy(out[(i+1)*size-len(v):(i+1)*size], v)
	}
	return out, true
}

func derElement(b []byte, tag byte) (content, rest []byte, ok bool) {
	if len(b) < 2 || b[0] != tag {
		return nil, nil, false
	}
	n, off := int(b[1]), 2
	if n >= 0x80 {
		w := n & 0x7f
		if w == 0 || w > 2 || len(b) < 2+w {
			return nil, nil, false
		}
		n = 0
		for _, c := range b[2 : 2+w] {
			n = n<<8 | int(c)
		}
		off += w
	}
	if len(b)-off < n {
		return nil, nil, false
	}
	return b[off : off+n], b[off+n:], true
}
