package suit

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/fleetkit/fleetkit/cose"
	"github.com/fleetkit/fleetkit/internal/cbor"
)

// envelopeFor wraps manifest (the encoded SUIT_Manifest map) in a signed envelope.
func envelopeFor(t testing.TB, manifest []byte, key *ecdsa.PrivateKey, extra ...[]byte) []byte {
	t.Helper()
	wrapped := cbor.AppendBytes(nil, manifest)
	sum := sha256.Sum256(wrapped)
	digest := cbor.AppendArrayHeader(nil, 2)
	digest = cbor.AppendInt(digest, DigestSHA256)
	digest = cbor.AppendBytes(digest, sum[:])
	s, err := cose.NewSigner(cose.ES256, nil, key)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := cose.AppendSign1(nil, s, digest, &cose.SignOptions{Detached: true})
	if err != nil {
		t.Fatal(err)
	}
	auth := cbor.AppendArrayHeader(nil, 2)
	auth = cbor.AppendBytes(auth, digest)
	auth = cbor.AppendBytes(auth, sig)
	env := cbor.AppendTag(nil, TagEnvelope)
	env = cbor.AppendMapHeader(env, 2+len(extra)/2)
	env = cbor.AppendUint(env, LabelAuthentication)
	env = cbor.AppendBytes(env, auth)
	env = cbor.AppendUint(env, LabelManifest)
	env = append(env, wrapped...)
	for _, e := range extra {
		env = append(env, e...)
	}
	return env
}

// manifestMap encodes a SUIT_Manifest from (key, encoded value) pairs.
func manifestMap(pairs ...any) []byte {
	b := cbor.AppendMapHeader(nil, len(pairs)/2)
	for i := 0; i < len(pairs); i += 2 {
		b = cbor.AppendUint(b, uint64(pairs[i].(int)))
		b = append(b, pairs[i+1].([]byte)...)
	}
	return b
}

func commonWith(components []byte, shared []byte) []byte {
	c := cbor.AppendMapHeader(nil, 2)
	c = cbor.AppendUint(c, LabelComponents)
	c = append(c, components...)
	c = cbor.AppendUint(c, LabelSharedSequence)
	c = cbor.AppendBytes(c, shared)
	return cbor.AppendBytes(nil, c)
}

func TestVerifyErrors(t *testing.T) {
	key, priv := publishedKey(t)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	otherVer, _ := cose.NewVerifier(cose.ES256, nil, &other.PublicKey)
	kidOnly, _ := cose.NewVerifier(cose.ES256, []byte("x"), &priv.PublicKey)
	ex0 := readHex(t, "example0.signed.hex")
	ex2 := readHex(t, "example2.signed.hex")
	flip := func(b []byte, i int) []byte {
		c := append([]byte{}, b...)
		c[i] ^= 1
		return c
	}
	u := func(v uint64) []byte { return cbor.AppendUint(nil, v) }
	oneComp := append(cbor.AppendArrayHeader(cbor.AppendArrayHeader(nil, 1), 1), cbor.AppendBytes(nil, []byte{0})...)
	emptySeq := cbor.AppendArrayHeader(nil, 0)
	good := manifestMap(1, u(1), 2, u(9), 3, commonWith(oneComp, emptySeq))
	seq := func(items ...[]byte) []byte {
		b := cbor.AppendArrayHeader(nil, len(items))
		for _, it := range items {
			b = append(b, it...)
		}
		return b
	}
	tests := []struct {
		name  string
		env   []byte
		keys  cose.Keys
		want  error
		field string
	}{
		{"signature byte flipped", flip(ex0, 100), key, ErrSignature, "authentication-wrapper"},
		{"manifest byte flipped", flip(ex0, len(ex0)-1), key, ErrDigestMismatch, "manifest"},
		{"signed digest flipped", flip(ex0, 20), key, ErrSignature, "authentication-wrapper"},
		{"other key", ex0, otherVer, ErrSignature, "authentication-wrapper"},
		{"unknown key", ex0, kidOnly, ErrUnknownKey, "authentication-wrapper"},
		{"severed install tampered", flip(ex2, installOffset(t, ex2)), key, ErrDigestMismatch, "envelope.install"},
		{"wrong tag", append([]byte{0xd8, 0x6c}, ex0[2:]...), key, ErrMalformed, "envelope"},
		{"truncated", ex0[:len(ex0)-5], key, ErrMalformed, "manifest"},
		{"empty", nil, key, ErrMalformed, "envelope"},
		{"trailing", append(append([]byte{}, ex0...), 0), key, ErrMalformed, "envelope"},
		{"no manifest", cbor.AppendBytes(cbor.AppendUint(cbor.AppendMapHeader(nil, 1), 2), []byte{0x80}), key, ErrMalformed, "manifest"},
		{"no auth", cbor.AppendBytes(cbor.AppendUint(cbor.AppendMapHeader(nil, 1), 3), []byte{0xa0}), key, ErrMalformed, "authentication-wrapper"},
		{"auth without blocks", func() []byte {
			auth := cbor.AppendArrayHeader(nil, 1)
			auth = cbor.AppendBytes(auth, []byte{0x82, 0x2f, 0x40})
			e := cbor.AppendMapHeader(nil, 2)
			e = cbor.AppendBytes(cbor.AppendUint(e, 2), auth)
			return cbor.AppendBytes(cbor.AppendUint(e, 3), []byte{0xa0})
		}(), key, ErrMalformed, "authentication-wrapper"},
		{"version 2", envelopeFor(t, manifestMap(1, u(2), 2, u(9), 3, commonWith(oneComp, emptySeq)), priv), key, ErrUnsupported, "manifest.version"},
		{"missing sequence", envelopeFor(t, manifestMap(1, u(1), 3, commonWith(oneComp, emptySeq)), priv), key, ErrMalformed, "manifest.sequence-number"},
		{"missing common", envelopeFor(t, manifestMap(1, u(1), 2, u(9)), priv), key, ErrMalformed, "manifest.common"},
		{"no components", envelopeFor(t, manifestMap(1, u(1), 2, u(9), 3, commonWith(cbor.AppendArrayHeader(nil, 0), emptySeq)), priv), key, ErrMalformed, "manifest.common.components"},
		{"repeated key", envelopeFor(t, manifestMap(1, u(1), 1, u(1), 2, u(9), 3, commonWith(oneComp, emptySeq)), priv), key, ErrMalformed, "manifest[1]"},
		{"odd sequence", envelopeFor(t, manifestMap(1, u(1), 2, u(9), 3, commonWith(oneComp, seq(u(1)))), priv), key, ErrMalformed, "manifest.common.shared-sequence"},
		{"index beyond components", envelopeFor(t, manifestMap(1, u(1), 2, u(9), 3, commonWith(oneComp, seq(u(12), u(1)))), priv), key, ErrMalformed, "manifest.common.shared-sequence[0]"},
		{"bad parameter", envelopeFor(t, manifestMap(1, u(1), 2, u(9), 3, commonWith(oneComp, seq(u(20), cbor.AppendText(cbor.AppendUint(cbor.AppendMapHeader(nil, 1), 14), "x")))), priv), key, ErrMalformed, "manifest.common.shared-sequence[0]"},
		{"severed element missing digest alg", envelopeFor(t, manifestMap(1, u(1), 2, u(9), 3, commonWith(oneComp, emptySeq), 20, []byte{0x82, 0x20, 0x40}),
			priv, u(20), cbor.AppendBytes(nil, emptySeq)), key, ErrUnsupported, "envelope.install"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Verify(tc.env, tc.keys)
			var se *Error
			if !errors.Is(err, tc.want) || !errors.As(err, &se) || se.Field != tc.field {
				t.Fatalf("err = %v, want %v in %q", err, tc.want, tc.field)
			}
		})
	}
	if m, err := Verify(envelopeFor(t, good, priv), key); err != nil || m.Sequence != 9 {
		t.Fatalf("synthetic good envelope: %v", err)
	}
}

// TestNesting covers set-component-index true and lists, run-sequence, nested try-each and the
// nesting limit.
func TestNesting(t *testing.T) {
	key, priv := publishedKey(t)
	u := func(v uint64) []byte { return cbor.AppendUint(nil, v) }
	seq := func(items ...[]byte) []byte {
		b := cbor.AppendArrayHeader(nil, len(items))
		for _, it := range items {
			b = append(b, it...)
		}
		return b
	}
	params := func(k uint64, v []byte) []byte {
		return append(cbor.AppendUint(cbor.AppendMapHeader(nil, 1), k), v...)
	}
	twoComps := cbor.AppendArrayHeader(nil, 2)
	for _, id := range []byte{0, 1} {
		twoComps = cbor.AppendBytes(cbor.AppendArrayHeader(twoComps, 1), []byte{id})
	}
	shared := seq(
		u(12), []byte{0xf5}, // all components
		u(20), params(14, u(100)),
		u(12), seq(u(1)), // list [1]
		u(32), cbor.AppendBytes(nil, seq(u(20), params(21, cbor.AppendText(nil, "coap://x")))),
		u(15), seq(cbor.AppendBytes(nil, seq(u(15), seq(cbor.AppendBytes(nil, seq(u(20), params(5, u(1))))))), []byte{0xf6}),
	)
	env := envelopeFor(t, manifestMap(1, u(1), 2, u(3), 3, commonWith(twoComps, shared)), priv)
	m, err := Verify(env, key)
	if err != nil {
		t.Fatal(err)
	}
	if got := describe(m.Components[0].Parameters); got != "size=100" {
		t.Fatalf("component 0: %q", got)
	}
	if got := describe(m.Components[1].Parameters); got != "size=100 uri=coap://x" {
		t.Fatalf("component 1: %q", got)
	}
	if len(m.Components[1].Alternatives) != 1 || describe(m.Components[1].Alternatives[0]) != "slot=1" {
		t.Fatalf("alternatives: %+v", m.Components[1].Alternatives)
	}
	// Nine nested run-sequences exceed the limit.
	inner := seq()
	for i := 0; i < 10; i++ {
		inner = seq(u(32), cbor.AppendBytes(nil, inner))
	}
	env = envelopeFor(t, manifestMap(1, u(1), 2, u(3), 3, commonWith(twoComps, inner)), priv)
	if _, err := Verify(env, key); !errors.Is(err, ErrMalformed) {
		t.Fatalf("deep nesting err = %v", err)
	}
}

func FuzzVerify(f *testing.F) {
	for _, name := range []string{"example0.signed.hex", "example1.signed.hex", "example2.signed.hex",
		"example2.unsigned-1.hex", "example3.signed.hex", "example4.signed.hex", "example5.signed.hex"} {
		f.Add(readHex(f, name))
	}
	key, _ := publishedKey(f)
	f.Fuzz(func(t *testing.T, env []byte) {
		if _, err := Verify(env, key); err != nil {
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("error %v is not a *Error", err)
			}
		}
	})
}

// FuzzParseManifest fuzzes the manifest parser directly (the signature would stop almost every
// mutated input before it).
func FuzzParseManifest(f *testing.F) {
	for _, name := range []string{"example0.signed.hex", "example2.signed.hex", "example3.signed.hex", "example4.signed.hex"} {
		env, err := decodeEnvelope(readHex(f, name))
		if err != nil {
			f.Fatal(err)
		}
		d := cbor.NewDecoder(env.manifest, cbor.Options{})
		b, _ := d.ReadBytes()
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := parseManifest(b, nil); err != nil {
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("error %v is not a *Error", err)
			}
		}
	})
}

// installOffset returns the offset of a byte inside the severed install element of env.
func installOffset(t *testing.T, env []byte) int {
	e, err := decodeEnvelope(env)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(env, e.severed[LabelInstall])
	if i < 0 {
		t.Fatal("install element not found")
	}
	return i + len(e.severed[LabelInstall])/2
}
