package suit

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"strconv"

	"github.com/fleetkit/fleetkit/cose"
	"github.com/fleetkit/fleetkit/internal/cbor"
)

// Envelope and manifest labels (draft-ietf-suit-manifest-37 §8.4, CDDL).
const (
	TagEnvelope          = 107 // SUIT_Envelope_Tagged
	LabelAuthentication  = 2   // suit-authentication-wrapper
	LabelManifest        = 3   // suit-manifest
	LabelManifestVersion = 1   // suit-manifest-version
	LabelSequenceNumber  = 2   // suit-manifest-sequence-number
	LabelCommon          = 3   // suit-common
	LabelReferenceURI    = 4   // suit-reference-uri
	LabelValidate        = 7   // suit-validate
	LabelLoad            = 8   // suit-load
	LabelInvoke          = 9   // suit-invoke
	LabelPayloadFetch    = 16  // suit-payload-fetch
	LabelInstall         = 20  // suit-install
	LabelText            = 23  // suit-text
	LabelComponents      = 2   // suit-components, in SUIT_Common
	LabelSharedSequence  = 4   // suit-shared-sequence, in SUIT_Common
	DigestSHA256         = -16 // COSE algorithm identifier of SHA-256
	maxNesting           = 8   // try-each / run-sequence nesting
)

// Digest is a SUIT_Digest: algorithm and digest bytes.
type Digest struct {
	// Alg is the COSE algorithm identifier (-16 for SHA-256).
	Alg int64
	// Value is the digest.
	Value []byte
}

// Verify authenticates a SUIT envelope (tagged 107 or not) and returns what it says about the
// update. Order: the authentication wrapper is decoded; each COSE_Sign1 authentication block
// is checked against keys over the SUIT_Digest it signs (detached payload), and at least one
// must verify with a trusted key; then the SHA-256 of the bstr-wrapped manifest (the manifest
// element as it appears in the envelope, bstr head included) must equal that digest; only
// then is the manifest parsed. Severed elements present in the envelope (install, text, ...)
// are checked against the digests the manifest holds before they are used.
func Verify(envelope []byte, keys cose.Keys) (*Manifest, error) {
	env, err := decodeEnvelope(envelope)
	if err != nil {
		return nil, err
	}
	digest, err := authenticate(env.auth, keys)
	if err != nil {
		return nil, err
	}
	if err := checkDigest(digest, env.manifest, "manifest"); err != nil {
		return nil, err
	}
	d := cbor.NewDecoder(env.manifest, cbor.Options{MaxDepth: 16})
	inner, err := d.ReadBytes()
	if err != nil {
		return nil, fail("manifest", ErrMalformed, err)
	}
	return parseManifest(inner, env.severed)
}

type envelope struct {
	auth     []byte            // content of the authentication-wrapper bstr
	manifest []byte            // the manifest element, bstr head included
	severed  map[uint64][]byte // other integer-keyed elements, bstr head included
}

func decodeEnvelope(b []byte) (*envelope, error) {
	d := cbor.NewDecoder(b, cbor.Options{MaxDepth: 16})
	if h, err := d.PeekHead(); err == nil && h.Major == cbor.MajorTag {
		tag, _ := d.ReadTag()
		if tag != TagEnvelope {
			return nil, fail("envelope", ErrMalformed, errors.New("tag "+strconv.FormatUint(tag, 10)+", want 107"))
		}
	}
	n, err := d.ReadMapHeader()
	if err != nil {
		return nil, fail("envelope", ErrMalformed, err)
	}
	if n == cbor.Indefinite {
		return nil, fail("envelope", ErrMalformed, errors.New("indefinite-length map"))
	}
	env := &envelope{}
	for i := 0; i < n; i++ {
		h, err := d.PeekHead()
		if err != nil {
			return nil, fail("envelope", ErrMalformed, err)
		}
		if h.Major != cbor.MajorUint {
			// Integrated payloads (text keys) and other labels are not interpreted.
			if err := skipPair(&d); err != nil {
				return nil, fail("envelope", ErrMalformed, err)
			}
			continue
		}
		k, _ := d.ReadUint()
		field := "envelope[" + strconv.FormatUint(k, 10) + "]"
		switch k {
		case LabelAuthentication:
			if env.auth != nil {
				return nil, fail("authentication-wrapper", ErrMalformed, errors.New("repeated"))
			}
			if env.auth, err = d.ReadBytes(); err != nil {
				return nil, fail("authentication-wrapper", ErrMalformed, err)
			}
		case LabelManifest:
			if env.manifest != nil {
				return nil, fail("manifest", ErrMalformed, errors.New("repeated"))
			}
			raw, err := d.ReadRaw()
			if err != nil || raw[0]>>5 != byte(cbor.MajorBytes) || raw[0]&0x1f == 31 {
				return nil, fail("manifest", ErrMalformed, orBstr(err))
			}
			env.manifest = raw
		default:
			raw, err := d.ReadRaw()
			if err != nil {
				return nil, fail(field, ErrMalformed, err)
			}
			if env.severed == nil {
				env.severed = map[uint64][]byte{}
			}
			if _, dup := env.severed[k]; dup {
				return nil, fail(field, ErrMalformed, errors.New("repeated"))
			}
			env.severed[k] = raw
		}
	}
	if err := d.Finish(); err != nil {
		return nil, fail("envelope", ErrMalformed, err)
	}
	switch {
	case env.auth == nil:
		return nil, fail("authentication-wrapper", ErrMalformed, errors.New("missing"))
	case env.manifest == nil:
		return nil, fail("manifest", ErrMalformed, errors.New("missing"))
	}
	return env, nil
}

func orBstr(err error) error {
	if err != nil {
		return err
	}
	return errors.New("not a definite-length byte string")
}

func skipPair(d *cbor.Decoder) error {
	if err := d.Skip(); err != nil {
		return err
	}
	return d.Skip()
}

// authenticate verifies the authentication wrapper and returns the signed manifest digest.
func authenticate(auth []byte, keys cose.Keys) (Digest, error) {
	d := cbor.NewDecoder(auth, cbor.Options{MaxDepth: 16})
	n, err := d.ReadArrayHeader()
	if err != nil || n < 2 {
		if err == nil {
			err = errors.New("want [digest, + authentication block]")
		}
		return Digest{}, fail("authentication-wrapper", ErrMalformed, err)
	}
	digestBytes, err := d.ReadBytes()
	if err != nil {
		return Digest{}, fail("authentication-wrapper.digest", ErrMalformed, err)
	}
	digest, err := parseDigest(digestBytes)
	if err != nil {
		return Digest{}, fail("authentication-wrapper.digest", ErrMalformed, err)
	}
	var errs []error
	verified := false
	for i := 1; i < n; i++ {
		block, err := d.ReadBytes()
		field := "authentication-wrapper[" + strconv.Itoa(i) + "]"
		if err != nil {
			return Digest{}, fail(field, ErrMalformed, err)
		}
		if verified {
			continue
		}
		if len(block) == 0 || block[0] != 0xd2 {
			errs = append(errs, fail(field, ErrUnsupported, errors.New("not a tagged COSE_Sign1")))
			continue
		}
		msg, err := cose.DecodeSign1(block)
		if err != nil {
			return Digest{}, fail(field, ErrMalformed, err)
		}
		if _, _, err := msg.Verify(keys, &cose.VerifyOptions{Payload: digestBytes}); err != nil {
			errs = append(errs, err)
			continue
		}
		verified = true
	}
	if err := d.Finish(); err != nil {
		return Digest{}, fail("authentication-wrapper", ErrMalformed, err)
	}
	if !verified {
		sentinel := ErrSignature
		if len(errs) > 0 && errors.Is(errs[0], cose.ErrUnknownKey) {
			sentinel = ErrUnknownKey
		}
		return Digest{}, fail("authentication-wrapper", sentinel, errors.Join(errs...))
	}
	if digest.Alg != DigestSHA256 {
		return Digest{}, fail("authentication-wrapper.digest", ErrUnsupported, errors.New("digest algorithm "+strconv.FormatInt(digest.Alg, 10)))
	}
	return digest, nil
}

// parseDigest decodes an encoded SUIT_Digest [alg, bstr].
func parseDigest(b []byte) (Digest, error) {
	d := cbor.NewDecoder(b, cbor.Options{})
	var out Digest
	if err := readDigest(&d, &out); err != nil {
		return Digest{}, err
	}
	return out, d.Finish()
}

func readDigest(d *cbor.Decoder, out *Digest) error {
	n, err := d.ReadArrayHeader()
	if err != nil {
		return err
	}
	if n != 2 {
		return errors.New("SUIT_Digest must be [algorithm, bytes]")
	}
	if out.Alg, err = d.ReadInt(); err != nil {
		return err
	}
	out.Value, err = d.ReadBytes()
	return err
}

// checkDigest compares the SHA-256 of raw (an element, bstr head included) with want.
func checkDigest(want Digest, raw []byte, field string) error {
	if want.Alg != DigestSHA256 {
		return fail(field, ErrUnsupported, errors.New("digest algorithm "+strconv.FormatInt(want.Alg, 10)))
	}
	sum := sha256.Sum256(raw)
	if subtle.ConstantTimeCompare(sum[:], want.Value) != 1 {
		return fail(field, ErrDigestMismatch, nil)
	}
	return nil
}
