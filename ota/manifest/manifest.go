package manifest

import (
	"errors"
	"strconv"
	"unicode/utf8"

	"github.com/fleetkit/fleetkit/internal/cbor"
)

// FormatVersion is the manifest format version this package writes and reads.
const FormatVersion = 1

// Map keys of the manifest body.
const (
	KeyFormat      = 1  // uint: format version, must be FormatVersion
	KeySequence    = 2  // uint: sequence number (anti-rollback)
	KeyVendorID    = 3  // bstr .size 16: vendor UUID
	KeyClassID     = 4  // bstr .size 16: class UUID
	KeyComponent   = 5  // tstr: component name
	KeyDigest      = 6  // [alg: -16, bstr .size 32]: SHA-256 of the image (SUIT_Digest form)
	KeySize        = 7  // uint: image size in bytes
	KeyURIs        = 8  // [+ tstr]: where to fetch the image
	KeyMinSequence = 9  // uint, optional: lowest sequence number the device may run to apply
	KeyExpiry      = 10 // uint, optional: unix seconds after which the manifest is refused
	KeyVersion     = 11 // tstr, optional: human-readable version
)

// DigestSHA256 is the COSE algorithm identifier of SHA-256 (RFC 9054), the only image digest
// algorithm.
const DigestSHA256 = -16

// Limits enforced on encode and decode.
const (
	MaxURIs    = 8    // URIs per manifest
	MaxTextLen = 1024 // bytes per component name, URI or version string
)

// UUID is a 16-byte vendor or class identifier (RFC 9562), as in SUIT.
type UUID [16]byte

// String formats the UUID in the 8-4-4-4-12 hex form.
func (u UUID) String() string {
	const hexd = "0123456789abcdef"
	b := make([]byte, 0, 36)
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, hexd[c>>4], hexd[c&15])
	}
	return string(b)
}

// Manifest describes one firmware image for one class of device.
type Manifest struct {
	// Sequence is the monotonically increasing release number used for anti-rollback. It starts
	// at 1: zero is what a device with nothing installed reports.
	Sequence uint64
	// VendorID and ClassID say which devices the image is for.
	VendorID, ClassID UUID
	// Component names the part of the device the image replaces (e.g. "app", "modem").
	Component string
	// Digest is the SHA-256 of the image.
	Digest [32]byte
	// Size is the image size in bytes (at least 1).
	Size uint64
	// URIs lists where the image may be fetched, in order of preference (1 to MaxURIs).
	URIs []string
	// MinSequence, when non-zero, is the lowest sequence number a device may run to apply this
	// manifest.
	MinSequence uint64
	// Expiry, when non-zero, is the unix time (seconds) from which the manifest is refused.
	Expiry int64
	// Version is an optional human-readable version ("2.4.1").
	Version string
}

// validate checks the fields the encoder and decoder both require.
func (m *Manifest) validate() error {
	switch {
	case m.Sequence == 0:
		return fail(CheckBody, "sequence", ErrMalformed, errors.New("zero (reserved for a device with nothing installed)"))
	case m.Component == "":
		return fail(CheckBody, "component", ErrMalformed, errors.New("empty"))
	case m.Size == 0:
		return fail(CheckBody, "size", ErrMalformed, errors.New("zero"))
	case len(m.URIs) == 0:
		return fail(CheckBody, "uris", ErrMalformed, errors.New("no URI"))
	case len(m.URIs) > MaxURIs:
		return fail(CheckBody, "uris", ErrMalformed, errors.New("more than "+strconv.Itoa(MaxURIs)))
	case m.Expiry < 0:
		return fail(CheckBody, "expiry", ErrMalformed, errors.New("negative"))
	}
	if err := checkText("component", m.Component); err != nil {
		return err
	}
	for i, u := range m.URIs {
		if u == "" {
			return fail(CheckBody, "uris["+strconv.Itoa(i)+"]", ErrMalformed, errors.New("empty"))
		}
		if err := checkText("uris["+strconv.Itoa(i)+"]", u); err != nil {
			return err
		}
	}
	return checkText("version", m.Version)
}

func checkText(field, s string) error {
	if len(s) > MaxTextLen {
		return fail(CheckBody, field, ErrMalformed, errors.New("longer than "+strconv.Itoa(MaxTextLen)+" bytes"))
	}
	if !utf8.ValidString(s) {
		return fail(CheckBody, field, ErrMalformed, errors.New("not UTF-8"))
	}
	return nil
}

// AppendCBOR validates m and appends its body (a deterministically encoded CBOR map) to dst.
func (m *Manifest) AppendCBOR(dst []byte) ([]byte, error) {
	if err := m.validate(); err != nil {
		return nil, err
	}
	n := 8
	if m.MinSequence != 0 {
		n++
	}
	if m.Expiry != 0 {
		n++
	}
	if m.Version != "" {
		n++
	}
	dst = cbor.AppendMapHeader(dst, n)
	dst = cbor.AppendUint(cbor.AppendUint(dst, KeyFormat), FormatVersion)
	dst = cbor.AppendUint(cbor.AppendUint(dst, KeySequence), m.Sequence)
	dst = cbor.AppendBytes(cbor.AppendUint(dst, KeyVendorID), m.VendorID[:])
	dst = cbor.AppendBytes(cbor.AppendUint(dst, KeyClassID), m.ClassID[:])
	dst = cbor.AppendText(cbor.AppendUint(dst, KeyComponent), m.Component)
	dst = cbor.AppendArrayHeader(cbor.AppendUint(dst, KeyDigest), 2)
	dst = cbor.AppendBytes(cbor.AppendInt(dst, DigestSHA256), m.Digest[:])
	dst = cbor.AppendUint(cbor.AppendUint(dst, KeySize), m.Size)
	dst = cbor.AppendArrayHeader(cbor.AppendUint(dst, KeyURIs), len(m.URIs))
	for _, u := range m.URIs {
		dst = cbor.AppendText(dst, u)
	}
	if m.MinSequence != 0 {
		dst = cbor.AppendUint(cbor.AppendUint(dst, KeyMinSequence), m.MinSequence)
	}
	if m.Expiry != 0 {
		dst = cbor.AppendUint(cbor.AppendUint(dst, KeyExpiry), uint64(m.Expiry))
	}
	if m.Version != "" {
		dst = cbor.AppendText(cbor.AppendUint(dst, KeyVersion), m.Version)
	}
	return dst, nil
}

var fieldNames = [...]string{
	KeyFormat: "format", KeySequence: "sequence", KeyVendorID: "vendor", KeyClassID: "class",
	KeyComponent: "component", KeyDigest: "digest", KeySize: "size", KeyURIs: "uris",
	KeyMinSequence: "min-sequence", KeyExpiry: "expiry", KeyVersion: "version",
}

// Decode parses a manifest body. It does not authenticate anything: use [Verifier.Verify] for
// envelopes. The body must be deterministically encoded (RFC 8949 §4.2.1: shortest heads, no
// indefinite lengths, keys in ascending order, hence no duplicates); unknown keys are refused,
// since a new field comes with a new format version.
func Decode(body []byte) (*Manifest, error) {
	d := cbor.NewDecoder(body, cbor.Deterministic)
	n, err := d.ReadMapHeader()
	if err != nil {
		return nil, fail(CheckBody, "", ErrMalformed, err)
	}
	m := &Manifest{}
	var seen uint16
	last := int64(-1)
	for i := 0; i < n; i++ {
		k, err := d.ReadUint()
		if err != nil {
			return nil, fail(CheckBody, "key", ErrMalformed, err)
		}
		if k == 0 || k >= uint64(len(fieldNames)) {
			return nil, fail(CheckBody, "key "+strconv.FormatUint(k, 10), ErrMalformed, errors.New("unknown key"))
		}
		if int64(k) <= last {
			return nil, fail(CheckBody, fieldNames[k], ErrMalformed, errors.New("keys not in ascending order (or repeated)"))
		}
		last = int64(k)
		seen |= 1 << k
		name := fieldNames[k]
		if err := m.decodeField(&d, int(k)); err != nil {
			return nil, fail(CheckBody, name, ErrMalformed, err)
		}
	}
	if err := d.Finish(); err != nil {
		return nil, fail(CheckBody, "", ErrMalformed, err)
	}
	for k := KeyFormat; k <= KeyURIs; k++ {
		if seen&(1<<k) == 0 {
			return nil, fail(CheckBody, fieldNames[k], ErrMalformed, errors.New("missing"))
		}
	}
	if err := m.validate(); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *Manifest) decodeField(d *cbor.Decoder, k int) error {
	switch k {
	case KeyFormat:
		v, err := d.ReadUint()
		if err != nil {
			return err
		}
		if v != FormatVersion {
			return errors.New("version " + strconv.FormatUint(v, 10) + " not supported (want " + strconv.Itoa(FormatVersion) + ")")
		}
	case KeySequence:
		v, err := d.ReadUint()
		m.Sequence = v
		return err
	case KeyVendorID:
		return readUUID(d, &m.VendorID)
	case KeyClassID:
		return readUUID(d, &m.ClassID)
	case KeyComponent:
		s, err := readText(d)
		m.Component = s
		return err
	case KeyDigest:
		n, err := d.ReadArrayHeader()
		if err != nil {
			return err
		}
		if n != 2 {
			return errors.New("want [alg, digest]")
		}
		alg, err := d.ReadInt()
		if err != nil {
			return err
		}
		if alg != DigestSHA256 {
			return errors.New("digest algorithm " + strconv.FormatInt(alg, 10) + " not supported (want -16, SHA-256)")
		}
		b, err := d.ReadBytes()
		if err != nil {
			return err
		}
		if len(b) != len(m.Digest) {
			return errors.New("SHA-256 digest of " + strconv.Itoa(len(b)) + " bytes")
		}
		copy(m.Digest[:], b)
	case KeySize:
		v, err := d.ReadUint()
		m.Size = v
		return err
	case KeyURIs:
		n, err := d.ReadArrayHeader()
		if err != nil {
			return err
		}
		if n < 1 || n > MaxURIs {
			return errors.New("want 1 to " + strconv.Itoa(MaxURIs) + " URIs, got " + strconv.Itoa(n))
		}
		m.URIs = make([]string, n)
		for i := range m.URIs {
			if m.URIs[i], err = readText(d); err != nil {
				return errors.New("uris[" + strconv.Itoa(i) + "]: " + err.Error())
			}
		}
	case KeyMinSequence:
		v, err := d.ReadUint()
		if err == nil && v == 0 {
			return errors.New("zero (omit the key instead)")
		}
		m.MinSequence = v
		return err
	case KeyExpiry:
		v, err := d.ReadUint()
		if err != nil {
			return err
		}
		if v == 0 || v > 1<<62 {
			return errors.New("out of range")
		}
		m.Expiry = int64(v)
	case KeyVersion:
		s, err := readText(d)
		if err == nil && s == "" {
			return errors.New("empty (omit the key instead)")
		}
		m.Version = s
		return err
	}
	return nil
}

func readUUID(d *cbor.Decoder, u *UUID) error {
	b, err := d.ReadBytes()
	if err != nil {
		return err
	}
	if len(b) != len(u) {
		return errors.New("want 16 bytes, got " + strconv.Itoa(len(b)))
	}
	copy(u[:], b)
	return nil
}

func readText(d *cbor.Decoder) (string, error) {
	b, err := d.ReadText()
	if err != nil {
		return "", err
	}
	if len(b) > MaxTextLen {
		return "", errors.New("longer than " + strconv.Itoa(MaxTextLen) + " bytes")
	}
	if !utf8.Valid(b) {
		return "", errors.New("not UTF-8")
	}
	return string(b), nil
}
