package cose

import (
	"errors"

	"github.com/fleetkit/fleetkit/internal/cbor"
)

// Signature is one COSE_Signature of a COSE_Sign message. Its byte slices alias the input.
type Signature struct {
	// Protected is the content of the signer's protected header bstr.
	Protected []byte
	// Unprotected is the signer's encoded unprotected header map.
	Unprotected []byte
	// Signature is the signature bytes.
	Signature []byte

	hdr headers
}

// Algorithm returns the signer's alg header and whether one was present.
func (s *Signature) Algorithm() (Algorithm, bool) { return s.hdr.alg, s.hdr.hasAlg && !s.hdr.algText }

// KeyID returns the signer's kid header, or nil.
func (s *Signature) KeyID() []byte { return s.hdr.kid }

// Sign is a decoded COSE_Sign message (RFC 9052 §4.1): one payload, several signatures.
type Sign struct {
	// Tagged reports whether the message carried tag 98.
	Tagged bool
	// Protected is the content of the body's protected header bstr.
	Protected []byte
	// Unprotected is the body's encoded unprotected header map.
	Unprotected []byte
	// Payload is the payload, or nil when the message is detached.
	Payload []byte
	// Signatures are the signatures, in message order.
	Signatures []Signature

	hdr headers
}

// MaxSignatures is the most signatures [DecodeSign] accepts in one COSE_Sign message; it bounds
// the memory and time an unauthenticated message can make a verifier spend.
const MaxSignatures = 64

// DecodeSign decodes a COSE_Sign message, tagged (98) or untagged. Any other tag fails with
// [ErrTag]. A message without signatures, or with more than [MaxSignatures], is malformed.
func DecodeSign(msg []byte) (*Sign, error) {
	m := &Sign{}
	d := cbor.NewDecoder(msg, cbor.Options{})
	tagged, err := readTag(&d, TagSign)
	if err != nil {
		return nil, err
	}
	m.Tagged = tagged
	if err := readBody(&d, 4, &m.Protected, &m.Unprotected, &m.Payload, &m.hdr, -1); err != nil {
		return nil, err
	}
	n, err := d.ReadArrayHeader()
	if err != nil {
		return nil, fail("signatures", -1, ErrMalformed, err)
	}
	if n < 1 || n > MaxSignatures {
		return nil, fail("signatures", -1, ErrMalformed, errors.New("want 1 to "+itoa64(MaxSignatures)+" signatures"))
	}
	m.Signatures = make([]Signature, n)
	for i := range m.Signatures {
		s := &m.Signatures[i]
		cnt, err := d.ReadArrayHeader()
		if err != nil || cnt != 3 {
			return nil, fail("COSE_Signature", i, ErrMalformed, err)
		}
		if s.Protected, err = d.ReadBytes(); err != nil {
			return nil, fail("protected header", i, ErrMalformed, err)
		}
		if err := parseProtected(s.Protected, &s.hdr, i); err != nil {
			return nil, err
		}
		if s.Unprotected, err = parseUnprotected(&d, &s.hdr, i); err != nil {
			return nil, err
		}
		if s.Signature, err = d.ReadBytes(); err != nil {
			return nil, fail("signature", i, ErrMalformed, err)
		}
	}
	if err := d.Finish(); err != nil {
		return nil, fail("message", -1, ErrMalformed, err)
	}
	return m, nil
}

// VerifySignature checks signature i with the key keys returns for its kid, and returns the
// verifier that matched. The payload is the message's or, when detached, opts.Payload.
func (m *Sign) VerifySignature(i int, keys Keys, opts *VerifyOptions) (*Verifier, error) {
	if i < 0 || i >= len(m.Signatures) {
		return nil, fail("signatures", i, ErrMalformed, errors.New("no such signature"))
	}
	s := &m.Signatures[i]
	v, err := resolve(&s.hdr, keys, i)
	if err != nil {
		return nil, err
	}
	payload, err := payloadFor(m.Payload, opts)
	if err != nil {
		return nil, err
	}
	body, sp := m.Protected, s.Protected
	if !m.hdr.protected {
		body = nil
	}
	if !s.hdr.protected {
		sp = nil
	}
	aad := aadOf(opts)
	tbs := appendSigStructure(make([]byte, 0, 40+len(body)+len(sp)+len(aad)+len(payload)),
		"Signature", body, sp, true, aad, payload)
	if !v.VerifySignature(tbs, s.Signature) {
		return nil, fail("signature", i, ErrSignature, nil)
	}
	return v, nil
}

// PayloadFor returns the payload a verification with opts covers: the message's own, or the
// detached one.
func (m *Sign) PayloadFor(opts *VerifyOptions) ([]byte, error) { return payloadFor(m.Payload, opts) }

// AppendSign signs payload with every signer and appends the COSE_Sign message to dst. The
// body's protected header is empty; each signature's protected header carries alg and kid.
func AppendSign(dst []byte, signers []*Signer, payload []byte, opts *SignOptions) ([]byte, error) {
	if len(signers) == 0 {
		return nil, fail("signers", -1, ErrKey, errors.New("no signers"))
	}
	var o SignOptions
	if opts != nil {
		o = *opts
	}
	sigs := make([][]byte, len(signers))
	prots := make([][]byte, len(signers))
	var tbs []byte
	for i, s := range signers {
		if s == nil {
			return nil, fail("signers", i, ErrKey, errors.New("nil signer"))
		}
		prots[i] = appendProtected(nil, s)
		tbs = appendSigStructure(tbs[:0], "Signature", nil, prots[i], true, o.ExternalAAD, payload)
		sig, err := s.SignBytes(o.Rand, tbs)
		if err != nil {
			return nil, err
		}
		sigs[i] = sig
	}
	if !o.Untagged {
		dst = cbor.AppendTag(dst, TagSign)
	}
	dst = cbor.AppendArrayHeader(dst, 4)
	dst = cbor.AppendBytes(dst, nil)
	dst = cbor.AppendMapHeader(dst, 0)
	if o.Detached {
		dst = cbor.AppendNull(dst)
	} else {
		dst = cbor.AppendBytes(dst, payload)
	}
	dst = cbor.AppendArrayHeader(dst, len(signers))
	for i := range signers {
		dst = cbor.AppendArrayHeader(dst, 3)
		dst = cbor.AppendBytes(dst, prots[i])
		dst = cbor.AppendMapHeader(dst, 0)
		dst = cbor.AppendBytes(dst, sigs[i])
	}
	return dst, nil
}
