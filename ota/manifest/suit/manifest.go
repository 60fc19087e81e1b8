package suit

import (
	"errors"
	"strconv"
	"unicode/utf8"

	"github.com/fleetkit/fleetkit/internal/cbor"
)

// Commands and parameters this package interprets (draft-ietf-suit-manifest-37 §8.4.10, CDDL).
const (
	DirectiveSetComponentIndex = 12
	DirectiveTryEach           = 15
	DirectiveOverrideParams    = 20
	DirectiveRunSequence       = 32
	ParamVendorID              = 1
	ParamClassID               = 2
	ParamImageDigest           = 3
	ParamComponentSlot         = 5
	ParamImageSize             = 14
	ParamURI                   = 21
)

// Parameters are the SUIT parameters this package extracts for a component.
type Parameters struct {
	// VendorID and ClassID are the vendor and class identifiers (16-byte UUIDs), or nil.
	VendorID, ClassID []byte
	// Digest is the image digest, or nil.
	Digest *Digest
	// Size is the image size; HasSize says whether it was set.
	Size    uint64
	HasSize bool
	// Slot is the component slot; HasSlot says whether it was set.
	Slot    uint64
	HasSlot bool
	// URI is where to fetch the image, or "".
	URI string
}

func (p *Parameters) empty() bool {
	return p.VendorID == nil && p.ClassID == nil && p.Digest == nil && !p.HasSize && !p.HasSlot && p.URI == ""
}

// Component is one component of a SUIT manifest and the parameters its command sequences set.
type Component struct {
	// ID is the SUIT_Component_Identifier: a list of byte strings.
	ID [][]byte
	// Parameters holds the values set unconditionally, merged over the sequences in manifest
	// order (shared sequence, validate, load, invoke, payload-fetch, install); a later value
	// overrides an earlier one.
	Parameters
	// Alternatives holds the values set in each branch of a try-each directive (e.g. one image
	// per A/B slot), in order; the device picks the first whose conditions hold. Branches of
	// different sequences that select the same component slot are merged into one entry.
	Alternatives []Parameters
}

// Manifest is what [Verify] extracts from an authenticated SUIT manifest.
type Manifest struct {
	// Sequence is the manifest sequence number (anti-rollback).
	Sequence uint64
	// ReferenceURI is the suit-reference-uri, or "".
	ReferenceURI string
	// Components are the components, in the order of suit-components.
	Components []Component
	// Severed lists the labels of severable elements that the manifest holds only as a digest
	// and that the envelope did not carry (their commands could not be read).
	Severed []uint64
}

func parseManifest(b []byte, severed map[uint64][]byte) (*Manifest, error) {
	d := cbor.NewDecoder(b, cbor.Options{MaxDepth: 16})
	n, err := d.ReadMapHeader()
	if err != nil || n == cbor.Indefinite {
		return nil, fail("manifest", ErrMalformed, orMap(err))
	}
	m := &Manifest{}
	var common []byte
	var sequences [][]byte // in manifest order
	var seqLabels []uint64
	seen := map[uint64]bool{}
	for i := 0; i < n; i++ {
		k, err := d.ReadUint()
		if err != nil {
			return nil, fail("manifest", ErrMalformed, err)
		}
		if seen[k] {
			return nil, fail(label(k), ErrMalformed, errors.New("repeated key"))
		}
		seen[k] = true
		switch k {
		case LabelManifestVersion:
			v, err := d.ReadUint()
			if err != nil {
				return nil, fail("manifest.version", ErrMalformed, err)
			}
			if v != 1 {
				return nil, fail("manifest.version", ErrUnsupported, errors.New("version "+strconv.FormatUint(v, 10)))
			}
		case LabelSequenceNumber:
			if m.Sequence, err = d.ReadUint(); err != nil {
				return nil, fail("manifest.sequence-number", ErrMalformed, err)
			}
		case LabelCommon:
			if common, err = d.ReadBytes(); err != nil {
				return nil, fail("manifest.common", ErrMalformed, err)
			}
		case LabelReferenceURI:
			s, err := d.ReadText()
			if err != nil || !utf8.Valid(s) {
				return nil, fail("manifest.reference-uri", ErrMalformed, err)
			}
			m.ReferenceURI = string(s)
		case LabelValidate, LabelLoad, LabelInvoke, LabelPayloadFetch, LabelInstall, LabelText:
			seq, isDigest, err := severable(&d, k, severed)
			if err != nil {
				return nil, err
			}
			if isDigest && seq == nil {
				m.Severed = append(m.Severed, k)
			}
			if seq != nil && k != LabelText {
				sequences = append(sequences, seq)
				seqLabels = append(seqLabels, k)
			}
		default:
			if err := d.Skip(); err != nil {
				return nil, fail(label(k), ErrMalformed, err)
			}
		}
	}
	if err := d.Finish(); err != nil {
		return nil, fail("manifest", ErrMalformed, err)
	}
	switch {
	case !seen[LabelManifestVersion]:
		return nil, fail("manifest.version", ErrMalformed, errors.New("missing"))
	case !seen[LabelSequenceNumber]:
		return nil, fail("manifest.sequence-number", ErrMalformed, errors.New("missing"))
	case common == nil:
		return nil, fail("manifest.common", ErrMalformed, errors.New("missing"))
	}
	shared, err := m.parseCommon(common)
	if err != nil {
		return nil, err
	}
	if shared != nil {
		sequences = append([][]byte{shared}, sequences...)
		seqLabels = append([]uint64{LabelSharedSequence}, seqLabels...)
	}
	for i, seq := range sequences {
		// Every top-level sequence starts at component index 0.
		if err := m.run(seq, 0, nil, label(seqLabels[i]), []int{0}); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func orMap(err error) error {
	if err != nil {
		return err
	}
	return errors.New("indefinite-length map")
}

func label(k uint64) string {
	switch k {
	case LabelSharedSequence:
		return "manifest.common.shared-sequence"
	case LabelValidate:
		return "manifest.validate"
	case LabelLoad:
		return "manifest.load"
	case LabelInvoke:
		return "manifest.invoke"
	case LabelPayloadFetch:
		return "manifest.payload-fetch"
	case LabelInstall:
		return "manifest.install"
	case LabelText:
		return "manifest.text"
	}
	return "manifest[" + strconv.FormatUint(k, 10) + "]"
}

// severable reads a member that is either a bstr-wrapped command sequence or the SUIT_Digest of
// a severed element; a severed element present in the envelope is checked and returned.
func severable(d *cbor.Decoder, k uint64, severed map[uint64][]byte) (seq []byte, isDigest bool, err error) {
	field := label(k)
	h, err := d.PeekHead()
	if err != nil {
		return nil, false, fail(field, ErrMalformed, err)
	}
	if h.Major == cbor.MajorBytes {
		b, err := d.ReadBytes()
		if err != nil {
			return nil, false, fail(field, ErrMalformed, err)
		}
		return b, false, nil
	}
	var dg Digest
	if err := readDigest(d, &dg); err != nil {
		return nil, true, fail(field, ErrMalformed, err)
	}
	raw, ok := severed[k]
	if !ok {
		return nil, true, nil
	}
	if err := checkDigest(dg, raw, "envelope."+field[len("manifest."):]); err != nil {
		return nil, true, err
	}
	sd := cbor.NewDecoder(raw, cbor.Options{})
	b, err := sd.ReadBytes()
	if err != nil {
		return nil, true, fail("envelope."+field[len("manifest."):], ErrMalformed, err)
	}
	return b, true, nil
}

// parseCommon reads SUIT_Common: the component list and the shared sequence.
func (m *Manifest) parseCommon(b []byte) ([]byte, error) {
	d := cbor.NewDecoder(b, cbor.Options{MaxDepth: 16})
	n, err := d.ReadMapHeader()
	if err != nil || n == cbor.Indefinite {
		return nil, fail("manifest.common", ErrMalformed, orMap(err))
	}
	var shared []byte
	for i := 0; i < n; i++ {
		k, err := d.ReadUint()
		if err != nil {
			return nil, fail("manifest.common", ErrMalformed, err)
		}
		switch k {
		case LabelComponents:
			if m.Components != nil {
				return nil, fail("manifest.common.components", ErrMalformed, errors.New("repeated"))
			}
			if err := m.parseComponents(&d); err != nil {
				return nil, err
			}
		case LabelSharedSequence:
			if shared != nil {
				return nil, fail("manifest.common.shared-sequence", ErrMalformed, errors.New("repeated"))
			}
			if shared, err = d.ReadBytes(); err != nil {
				return nil, fail("manifest.common.shared-sequence", ErrMalformed, err)
			}
		default:
			if err := d.Skip(); err != nil {
				return nil, fail("manifest.common", ErrMalformed, err)
			}
		}
	}
	if err := d.Finish(); err != nil {
		return nil, fail("manifest.common", ErrMalformed, err)
	}
	if len(m.Components) == 0 {
		return nil, fail("manifest.common.components", ErrMalformed, errors.New("missing or empty"))
	}
	return shared, nil
}

func (m *Manifest) parseComponents(d *cbor.Decoder) error {
	n, err := d.ReadArrayHeader()
	if err != nil || n < 1 {
		return fail("manifest.common.components", ErrMalformed, orEmpty(err))
	}
	m.Components = make([]Component, n)
	for i := range m.Components {
		field := "manifest.common.components[" + strconv.Itoa(i) + "]"
		parts, err := d.ReadArrayHeader()
		if err != nil || parts < 1 {
			return fail(field, ErrMalformed, orEmpty(err))
		}
		id := make([][]byte, parts)
		for j := range id {
			if id[j], err = d.ReadBytes(); err != nil {
				return fail(field, ErrMalformed, err)
			}
		}
		m.Components[i].ID = id
	}
	return nil
}

func orEmpty(err error) error {
	if err != nil {
		return err
	}
	return errors.New("empty or indefinite")
}

// run interprets a command sequence starting with the component index current (nested
// sequences inherit the caller's; their own set-component-index does not leak out): it tracks
// the component index and records the parameters that override-parameters sets. alt, when not nil, receives the parameters of a
// try-each branch (one per selected component) instead of the components themselves.
func (m *Manifest) run(seq []byte, depth int, alt map[int]*Parameters, field string, current []int) error {
	if depth > maxNesting {
		return fail(field, ErrMalformed, errors.New("try-each/run-sequence nested too deeply"))
	}
	d := cbor.NewDecoder(seq, cbor.Options{MaxDepth: 16})
	n, err := d.ReadArrayHeader()
	if err != nil || n == cbor.Indefinite || n%2 != 0 {
		if err == nil {
			err = errors.New("want an even number of items (command, argument)")
		}
		return fail(field, ErrMalformed, err)
	}
	for i := 0; i < n; i += 2 {
		cmdField := field + "[" + strconv.Itoa(i) + "]"
		cmd, err := d.ReadUint()
		if err != nil {
			return fail(cmdField, ErrMalformed, err)
		}
		switch cmd {
		case DirectiveSetComponentIndex:
			if current, err = m.readIndex(&d); err != nil {
				return fail(cmdField, ErrMalformed, err)
			}
		case DirectiveOverrideParams:
			var p Parameters
			if err := readParameters(&d, &p); err != nil {
				return fail(cmdField, ErrMalformed, err)
			}
			for _, c := range current {
				dst := &m.Components[c].Parameters
				if alt != nil {
					if alt[c] == nil {
						alt[c] = &Parameters{}
					}
					dst = alt[c]
				}
				merge(dst, &p)
			}
		case DirectiveTryEach:
			branches, err := d.ReadArrayHeader()
			if err != nil || branches == cbor.Indefinite {
				return fail(cmdField, ErrMalformed, orEmpty(err))
			}
			for j := 0; j < branches; j++ {
				if d.ReadNull() == nil { // an empty branch: "do nothing"
					continue
				}
				b, err := d.ReadBytes()
				if err != nil {
					return fail(cmdField, ErrMalformed, err)
				}
				branch := map[int]*Parameters{}
				if err := m.run(b, depth+1, branch, cmdField+".try-each["+strconv.Itoa(j)+"]", current); err != nil {
					return err
				}
				for c := range m.Components {
					if p := branch[c]; p != nil && !p.empty() {
						if alt != nil { // nested try-each: fold into the enclosing branch
							if alt[c] == nil {
								alt[c] = &Parameters{}
							}
							merge(alt[c], p)
							continue
						}
						m.Components[c].addAlternative(p)
					}
				}
			}
		case DirectiveRunSequence:
			b, err := d.ReadBytes()
			if err != nil {
				return fail(cmdField, ErrMalformed, err)
			}
			if err := m.run(b, depth+1, alt, cmdField+".run-sequence", current); err != nil {
				return err
			}
		default:
			// Conditions and other directives: their argument is not needed here.
			if err := d.Skip(); err != nil {
				return fail(cmdField, ErrMalformed, err)
			}
		}
	}
	if err := d.Finish(); err != nil {
		return fail(field, ErrMalformed, err)
	}
	return nil
}

// readIndex reads the argument of set-component-index: an index, true (all), or a list.
func (m *Manifest) readIndex(d *cbor.Decoder) ([]int, error) {
	if b, err := d.ReadBool(); err == nil {
		if !b {
			return nil, errors.New("component index false")
		}
		all := make([]int, len(m.Components))
		for i := range all {
			all[i] = i
		}
		return all, nil
	}
	one := func() (int, error) {
		v, err := d.ReadUint()
		if err != nil {
			return 0, err
		}
		if v >= uint64(len(m.Components)) {
			return 0, errors.New("component index " + strconv.FormatUint(v, 10) + " beyond " + strconv.Itoa(len(m.Components)) + " components")
		}
		return int(v), nil
	}
	if h, err := d.PeekHead(); err == nil && h.Major == cbor.MajorArray {
		n, _ := d.ReadArrayHeader()
		if n < 1 {
			return nil, errors.New("empty or indefinite component index list")
		}
		list := make([]int, 0, n)
		for i := 0; i < n; i++ {
			c, err := one()
			if err != nil {
				return nil, err
			}
			list = append(list, c)
		}
		return list, nil
	}
	c, err := one()
	if err != nil {
		return nil, err
	}
	return []int{c}, nil
}

func readParameters(d *cbor.Decoder, p *Parameters) error {
	n, err := d.ReadMapHeader()
	if err != nil || n == cbor.Indefinite {
		return orMap(err)
	}
	for i := 0; i < n; i++ {
		k, err := d.ReadUint()
		if err != nil {
			return err
		}
		switch k {
		case ParamVendorID:
			p.VendorID, err = d.ReadBytes()
		case ParamClassID:
			p.ClassID, err = d.ReadBytes()
		case ParamImageDigest:
			var b []byte
			if b, err = d.ReadBytes(); err == nil {
				var dg Digest
				dg, err = parseDigest(b)
				p.Digest = &dg
			}
		case ParamComponentSlot:
			p.Slot, err = d.ReadUint()
			p.HasSlot = true
		case ParamImageSize:
			p.Size, err = d.ReadUint()
			p.HasSize = true
		case ParamURI:
			var s []byte
			if s, err = d.ReadText(); err == nil {
				if !utf8.Valid(s) {
					return errors.New("uri is not UTF-8")
				}
				p.URI = string(s)
			}
		default:
			err = d.Skip()
		}
		if err != nil {
			return &paramError{key: k, err: err}
		}
	}
	return nil
}

func merge(dst, src *Parameters) {
	if src.VendorID != nil {
		dst.VendorID = src.VendorID
	}
	if src.ClassID != nil {
		dst.ClassID = src.ClassID
	}
	if src.Digest != nil {
		dst.Digest = src.Digest
	}
	if src.HasSize {
		dst.Size, dst.HasSize = src.Size, true
	}
	if src.HasSlot {
		dst.Slot, dst.HasSlot = src.Slot, true
	}
	if src.URI != "" {
		dst.URI = src.URI
	}
}

// paramError names the parameter whose value failed to decode and keeps the cause.
type paramError struct {
	key uint64
	err error
}

func (e *paramError) Error() string {
	return "parameter " + strconv.FormatUint(e.key, 10) + ": " + e.err.Error()
}

func (e *paramError) Unwrap() error { return e.err }

// addAlternative records a try-each branch. Branches for the same component slot, e.g. the
// digest chosen in the shared sequence and the URI chosen in install, are merged into one
// alternative.
func (c *Component) addAlternative(p *Parameters) {
	if p.HasSlot {
		for i := range c.Alternatives {
			if a := &c.Alternatives[i]; a.HasSlot && a.Slot == p.Slot {
				merge(a, p)
				return
			}
		}
	}
	c.Alternatives = append(c.Alternatives, *p)
}
