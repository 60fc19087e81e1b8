package cose

import (
	"errors"
	"strconv"

	"github.com/fleetkit/fleetkit/internal/cbor"
)

// Header labels this package reads and writes (RFC 9052 §3.1).
const (
	LabelAlg  = 1 // alg
	LabelCrit = 2 // crit
	LabelKID  = 4 // kid
)

// headers is what a verifier takes from the header maps: alg and kid, nothing else.
type headers struct {
	alg       Algorithm
	hasAlg    bool
	algText   bool // alg given as a text string: never supported here
	kid       []byte
	hasKID    bool
	protected bool // whether the protected map has at least one entry
}

// parseProtected reads the protected header bucket (the bstr contents). It returns whether the
// map has any entry (an empty map is signed as a zero-length bstr).
func parseProtected(b []byte, h *headers, sig int) error {
	if len(b) == 0 {
		return nil
	}
	d := cbor.NewDecoder(b, cbor.Options{})
	n, err := d.ReadMapHeader()
	if err != nil {
		return fail("protected header", sig, ErrMalformed, err)
	}
	if n == cbor.Indefinite {
		return fail("protected header", sig, ErrMalformed, errors.New("indefinite-length map"))
	}
	h.protected = n > 0
	if err := parseMap(&d, n, h, true, sig); err != nil {
		return err
	}
	if err := d.Finish(); err != nil {
		return fail("protected header", sig, ErrMalformed, err)
	}
	return nil
}

// parseUnprotected reads the unprotected header map at d and returns its encoded bytes.
func parseUnprotected(d *cbor.Decoder, h *headers, sig int) ([]byte, error) {
	start := d.Offset()
	raw, err := d.ReadRaw()
	if err != nil {
		return nil, fail("unprotected header", sig, ErrMalformed, err)
	}
	sub := cbor.NewDecoder(raw, cbor.Options{})
	n, err := sub.ReadMapHeader()
	if err != nil {
		return nil, fail("unprotected header", sig, ErrMalformed, err)
	}
	if n == cbor.Indefinite {
		return nil, fail("unprotected header", sig, ErrMalformed, errors.New("indefinite-length map at offset "+strconv.Itoa(start)))
	}
	if err := parseMap(&sub, n, h, false, sig); err != nil {
		return nil, err
	}
	return raw, nil
}

func parseMap(d *cbor.Decoder, n int, h *headers, protected bool, sig int) error {
	bucket := "unprotected header"
	if protected {
		bucket = "protected header"
	}
	var seen uint8
	for i := 0; i < n; i++ {
		hd, err := d.PeekHead()
		if err != nil {
			return fail(bucket, sig, ErrMalformed, err)
		}
		if hd.Major == cbor.MajorText {
			// Text labels are private-use: skip key and value.
			if err := d.Skip(); err != nil {
				return fail(bucket, sig, ErrMalformed, err)
			}
			if err := d.Skip(); err != nil {
				return fail(bucket, sig, ErrMalformed, err)
			}
			continue
		}
		label, err := d.ReadInt()
		if err != nil {
			return fail(bucket+" label", sig, ErrMalformed, err)
		}
		switch label {
		case LabelAlg:
			if seen&1 != 0 || (!protected && h.hasAlg) {
				return fail(bucket+" alg", sig, ErrMalformed, errors.New("duplicate label 1"))
			}
			seen |= 1
			h.hasAlg = true
			if vh, _ := d.PeekHead(); vh.Major == cbor.MajorText {
				h.algText = true
				if err := d.Skip(); err != nil {
					return fail(bucket+" alg", sig, ErrMalformed, err)
				}
				continue
			}
			a, err := d.ReadInt()
			if err != nil {
				return fail(bucket+" alg", sig, ErrMalformed, err)
			}
			h.alg = Algorithm(a)
		case LabelKID:
			if seen&2 != 0 || (!protected && h.hasKID) {
				return fail(bucket+" kid", sig, ErrMalformed, errors.New("duplicate label 4"))
			}
			seen |= 2
			kid, err := d.ReadBytes()
			if err != nil {
				return fail(bucket+" kid", sig, ErrMalformed, err)
			}
			h.kid, h.hasKID = kid, true
		case LabelCrit:
			if !protected {
				return fail(bucket+" crit", sig, ErrMalformed, errors.New("crit must be protected"))
			}
			if err := parseCrit(d, sig); err != nil {
				return err
			}
		default:
			if err := d.Skip(); err != nil {
				return fail(bucket, sig, ErrMalformed, err)
			}
		}
	}
	return nil
}

// parseCrit accepts a crit list only when it names labels this package processes (alg, kid).
func parseCrit(d *cbor.Decoder, sig int) error {
	n, err := d.ReadArrayHeader()
	if err != nil || n < 1 {
		return fail("protected header crit", sig, ErrMalformed, err)
	}
	for i := 0; i < n; i++ {
		l, err := d.ReadInt()
		if err != nil {
			return fail("protected header crit", sig, ErrCritical, err)
		}
		if l != LabelAlg && l != LabelKID {
			return fail("protected header crit", sig, ErrCritical, errors.New("label "+strconv.FormatInt(l, 10)))
		}
	}
	return nil
}

// appendProtected encodes the protected header map {1: alg, 4: kid} of a signer.
func appendProtected(dst []byte, s *Signer) []byte {
	n := 1
	if len(s.kid) > 0 {
		n = 2
	}
	dst = cbor.AppendMapHeader(dst, n)
	dst = cbor.AppendInt(dst, LabelAlg)
	dst = cbor.AppendInt(dst, int64(s.alg))
	if len(s.kid) > 0 {
		dst = cbor.AppendInt(dst, LabelKID)
		dst = cbor.AppendBytes(dst, s.kid)
	}
	return dst
}

// resolve finds the key for the headers and checks the algorithm against it.
func resolve(h *headers, keys Keys, sig int) (*Verifier, error) {
	if h.algText {
		return nil, fail("alg", sig, ErrUnsupportedAlgorithm, errors.New("text algorithm name"))
	}
	if h.hasAlg && !h.alg.supported() {
		return nil, fail("alg", sig, ErrUnsupportedAlgorithm, errors.New(h.alg.String()))
	}
	if keys == nil {
		return nil, fail("kid", sig, ErrUnknownKey, errors.New("no keys"))
	}
	v, ok := keys.Lookup(h.kid)
	if !ok || v == nil {
		return nil, fail("kid", sig, ErrUnknownKey, errors.New("kid "+quoteBytes(h.kid)))
	}
	if h.hasAlg && h.alg != v.alg {
		return nil, fail("alg", sig, ErrAlgorithmMismatch, errors.New("message says "+h.alg.String()+", key is "+v.alg.String()))
	}
	return v, nil
}

func quoteBytes(b []byte) string {
	const hexd = "0123456789abcdef"
	out := make([]byte, 0, 2+2*len(b))
	out = append(out, "h'"...)
	for _, c := range b {
		out = append(out, hexd[c>>4], hexd[c&15])
	}
	return string(append(out, '\''))
}

// appendSigStructure appends the Sig_structure (RFC 9052 §4.4). A protected bucket with no
// entries is signed as a zero-length bstr.
func appendSigStructure(dst []byte, context string, bodyProtected, signProtected []byte, signer bool, aad, payload []byte) []byte {
	n := 4
	if signer {
		n = 5
	}
	dst = cbor.AppendArrayHeader(dst, n)
	dst = cbor.AppendText(dst, context)
	dst = cbor.AppendBytes(dst, bodyProtected)
	if signer {
		dst = cbor.AppendBytes(dst, signProtected)
	}
	dst = cbor.AppendBytes(dst, aad)
	return cbor.AppendBytes(dst, payload)
}
