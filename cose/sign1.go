package cose

import (
	"errors"
	"io"

	"github.com/fleetkit/fleetkit/internal/cbor"
)

// CBOR tags of the COSE structures (RFC 9052 §2).
const (
	TagSign1 = 18 // COSE_Sign1
	TagSign  = 98 // COSE_Sign
)

// SignOptions tunes signing. The zero value signs a tagged message that carries its payload,
// with no external additional authenticated data.
type SignOptions struct {
	// ExternalAAD is bound into the signature but not carried in the message (RFC 9052 §4.3).
	ExternalAAD []byte
	// Detached leaves the payload out of the message (it is encoded as null); the verifier
	// supplies it in [VerifyOptions.Payload].
	Detached bool
	// Untagged omits the COSE tag (18 or 98); use it where the context already says what the
	// message is.
	Untagged bool
	// Rand is the randomness passed to the key; nil lets the key choose.
	Rand io.Reader
}

// VerifyOptions tunes verification. The zero value expects a message that carries its payload
// and no external additional authenticated data.
type VerifyOptions struct {
	// ExternalAAD must equal the bytes the signer bound with [SignOptions.ExternalAAD].
	ExternalAAD []byte
	// Payload is the detached payload of a message whose payload field is null. It must be nil
	// for a message that carries its payload.
	Payload []byte
}

// Sign1 is a decoded COSE_Sign1 message (RFC 9052 §4.2). Its byte slices alias the input.
// Decoding interprets only the alg and kid header parameters; everything else stays encoded
// until the signature has been checked.
type Sign1 struct {
	// Tagged reports whether the message carried tag 18.
	Tagged bool
	// Protected is the content of the protected header bstr (an encoded map, or empty).
	Protected []byte
	// Unprotected is the encoded unprotected header map.
	Unprotected []byte
	// Payload is the payload, or nil when the message is detached.
	Payload []byte
	// Signature is the signature (raw r||s for ECDSA).
	Signature []byte

	hdr headers
}

// Algorithm returns the alg header (protected, else unprotected) and whether one was present.
func (m *Sign1) Algorithm() (Algorithm, bool) { return m.hdr.alg, m.hdr.hasAlg && !m.hdr.algText }

// KeyID returns the kid header (protected, else unprotected), or nil.
func (m *Sign1) KeyID() []byte { return m.hdr.kid }

// DecodeSign1 decodes a COSE_Sign1 message, tagged (18) or untagged. Any other tag fails with
// [ErrTag].
func DecodeSign1(msg []byte) (*Sign1, error) {
	m := &Sign1{}
	d := cbor.NewDecoder(msg, cbor.Options{})
	tagged, err := readTag(&d, TagSign1)
	if err != nil {
		return nil, err
	}
	m.Tagged = tagged
	if err := readBody(&d, 4, &m.Protected, &m.Unprotected, &m.Payload, &m.hdr, -1); err != nil {
		return nil, err
	}
	if m.Signature, err = d.ReadBytes(); err != nil {
		return nil, fail("signature", -1, ErrMalformed, err)
	}
	if err := d.Finish(); err != nil {
		return nil, fail("message", -1, ErrMalformed, err)
	}
	return m, nil
}

// readTag reads an optional leading tag, which must be want.
func readTag(d *cbor.Decoder, want uint64) (bool, error) {
	h, err := d.PeekHead()
	if err != nil {
		return false, fail("message", -1, ErrMalformed, err)
	}
	if h.Major != cbor.MajorTag {
		return false, nil
	}
	tag, _ := d.ReadTag()
	if tag != want {
		return true, fail("tag", -1, ErrTag, errors.New("got tag "+itoa64(tag)+", want "+itoa64(want)))
	}
	return true, nil
}

// readBody reads the array head and the protected, unprotected and payload fields shared by
// COSE_Sign1 and COSE_Sign.
func readBody(d *cbor.Decoder, n int, prot, unprot, payload *[]byte, h *headers, sig int) error {
	count, err := d.ReadArrayHeader()
	if err != nil {
		return fail("message", sig, ErrMalformed, err)
	}
	if count != n {
		return fail("message", sig, ErrMalformed, errors.New("array of "+itoa64(uint64(count))+" items, want "+itoa64(uint64(n))))
	}
	if *prot, err = d.ReadBytes(); err != nil {
		return fail("protected header", sig, ErrMalformed, err)
	}
	if err := parseProtected(*prot, h, sig); err != nil {
		return err
	}
	if *unprot, err = parseUnprotected(d, h, sig); err != nil {
		return err
	}
	if d.ReadNull() == nil {
		*payload = nil
		return nil
	}
	if *payload, err = d.ReadBytes(); err != nil {
		return fail("payload", sig, ErrMalformed, err)
	}
	if *payload == nil {
		*payload = []byte{}
	}
	return nil
}

func itoa64(u uint64) string {
	var b [20]byte
	p := len(b)
	for {
		p--
		b[p] = byte('0' + u%10)
		u /= 10
		if u == 0 {
			return string(b[p:])
		}
	}
}

// payloadFor picks the payload to verify: the message's, or the detached one.
func payloadFor(inMsg []byte, opts *VerifyOptions) ([]byte, error) {
	var detached []byte
	if opts != nil {
		detached = opts.Payload
	}
	switch {
	case inMsg == nil && detached == nil:
		return nil, fail("payload", -1, ErrPayload, errors.New("message is detached and no payload was supplied"))
	case inMsg != nil && detached != nil:
		return nil, fail("payload", -1, ErrPayload, errors.New("message carries a payload and a detached one was supplied"))
	case inMsg == nil:
		return detached, nil
	}
	return inMsg, nil
}

func aadOf(opts *VerifyOptions) []byte {
	if opts == nil {
		return nil
	}
	return opts.ExternalAAD
}

// Verify checks the signature with the key keys returns for the message's kid and returns
// the payload (the detached one when the message has none) and the verifier that matched.
// Only alg and kid are interpreted before the signature is checked.
func (m *Sign1) Verify(keys Keys, opts *VerifyOptions) ([]byte, *Verifier, error) {
	v, err := resolve(&m.hdr, keys, -1)
	if err != nil {
		return nil, nil, err
	}
	payload, err := payloadFor(m.Payload, opts)
	if err != nil {
		return nil, nil, err
	}
	prot := m.Protected
	if !m.hdr.protected {
		prot = nil
	}
	aad := aadOf(opts)
	buf := make([]byte, 0, 32+len(prot)+len(aad)+len(payload))
	tbs := appendSigStructure(buf, "Signature1", prot, nil, false, aad, payload)
	if !v.VerifySignature(tbs, m.Signature) {
		return nil, nil, fail("signature", -1, ErrSignature, nil)
	}
	return payload, v, nil
}

// Verify1 decodes and verifies a COSE_Sign1 message and returns its payload. See
// [Sign1.Verify].
func Verify1(msg []byte, keys Keys, opts *VerifyOptions) ([]byte, error) {
	m, err := DecodeSign1(msg)
	if err != nil {
		return nil, err
	}
	payload, _, err := m.Verify(keys, opts)
	return payload, err
}

// AppendSign1 signs payload with s and appends the COSE_Sign1 message to dst. The protected
// header carries alg and, when the signer has one, kid; the unprotected header is empty.
func AppendSign1(dst []byte, s *Signer, payload []byte, opts *SignOptions) ([]byte, error) {
	var o SignOptions
	if opts != nil {
		o = *opts
	}
	var pbuf [64]byte
	prot := appendProtected(pbuf[:0], s)
	tbs := appendSigStructure(make([]byte, 0, 32+len(prot)+len(o.ExternalAAD)+len(payload)),
		"Signature1", prot, nil, false, o.ExternalAAD, payload)
	sig, err := s.SignBytes(o.Rand, tbs)
	if err != nil {
		return nil, err
	}
	if !o.Untagged {
		dst = cbor.AppendTag(dst, TagSign1)
	}
	dst = cbor.AppendArrayHeader(dst, 4)
	dst = cbor.AppendBytes(dst, prot)
	dst = cbor.AppendMapHeader(dst, 0)
	if o.Detached {
		dst = cbor.AppendNull(dst)
	} else {
		dst = cbor.AppendBytes(dst, payload)
	}
	return cbor.AppendBytes(dst, sig), nil
}
