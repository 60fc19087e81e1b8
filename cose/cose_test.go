package cose

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"io"
	"testing"

	"github.com/fleetkit/fleetkit/internal/cbor"
)

func testSigners(t testing.TB) map[Algorithm]*Signer {
	t.Helper()
	out := map[Algorithm]*Signer{}
	_, edk, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var keys = []struct {
		alg Algorithm
		key crypto.Signer
	}{{EdDSA, edk}}
	for alg, c := range map[Algorithm]elliptic.Curve{ES256: elliptic.P256(), ES384: elliptic.P384(), ES512: elliptic.P521()} {
		k, err := ecdsa.GenerateKey(c, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, struct {
			alg Algorithm
			key crypto.Signer
		}{alg, k})
	}
	for _, k := range keys {
		s, err := NewSigner(k.alg, []byte("kid-"+k.alg.String()), k.key)
		if err != nil {
			t.Fatal(err)
		}
		out[k.alg] = s
	}
	return out
}

func TestSign1RoundTrip(t *testing.T) {
	payload := []byte("firmware manifest")
	for alg, s := range testSigners(t) {
		ver, err := s.Verifier()
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range []SignOptions{{}, {Untagged: true}, {ExternalAAD: []byte("device-42")}, {Detached: true}} {
			msg, err := AppendSign1(nil, s, payload, &o)
			if err != nil {
				t.Fatalf("%v: %v", alg, err)
			}
			vo := &VerifyOptions{ExternalAAD: o.ExternalAAD}
			if o.Detached {
				vo.Payload = payload
			}
			got, err := Verify1(msg, ver, vo)
			if err != nil || string(got) != string(payload) {
				t.Fatalf("%v %+v: payload %q err %v", alg, o, got, err)
			}
			m, _ := DecodeSign1(msg)
			if m.Tagged == o.Untagged || string(m.KeyID()) != "kid-"+alg.String() {
				t.Fatalf("%v: tagged %v kid %q", alg, m.Tagged, m.KeyID())
			}
			if a, ok := m.Algorithm(); !ok || a != alg {
				t.Fatalf("alg = %v", a)
			}
			// Wrong AAD, or tampered payload, fails the signature.
			bad := &VerifyOptions{ExternalAAD: []byte("other"), Payload: vo.Payload}
			if _, err := Verify1(msg, ver, bad); !errors.Is(err, ErrSignature) {
				t.Fatalf("%v: wrong AAD err = %v", alg, err)
			}
		}
		if alg == ES256 {
			msg, _ := AppendSign1(nil, s, payload, nil)
			sig := msg[len(msg)-64:]
			if len(sig) != 64 {
				t.Fatal("ES256 signature is not 64 bytes")
			}
		}
	}
}

func TestSignRoundTrip(t *testing.T) {
	ss := testSigners(t)
	signers := []*Signer{ss[EdDSA], ss[ES256], ss[ES384]}
	msg, err := AppendSign(nil, signers, []byte("p"), &SignOptions{ExternalAAD: []byte("x")})
	if err != nil {
		t.Fatal(err)
	}
	m, err := DecodeSign(msg)
	if err != nil {
		t.Fatal(err)
	}
	keys := KeyFunc(func(kid []byte) (*Verifier, bool) {
		for _, s := range ss {
			if string(s.KeyID()) == string(kid) {
				v, err := s.Verifier()
				return v, err == nil
			}
		}
		return nil, false
	})
	for i := range signers {
		v, err := m.VerifySignature(i, keys, &VerifyOptions{ExternalAAD: []byte("x")})
		if err != nil || v.Algorithm() != signers[i].Algorithm() {
			t.Fatalf("signature %d: %v", i, err)
		}
		if _, err := m.VerifySignature(i, keys, nil); !errors.Is(err, ErrSignature) {
			t.Fatalf("signature %d without AAD err = %v", i, err)
		}
	}
	if _, err := m.VerifySignature(3, keys, nil); !errors.Is(err, ErrMalformed) {
		t.Fatalf("out of range err = %v", err)
	}
	var ce *Error
	_, err = m.VerifySignature(1, ss[EdDSA].mustVerifier(t), nil)
	if !errors.Is(err, ErrUnknownKey) || !errors.As(err, &ce) || ce.Signature != 1 {
		t.Fatalf("unknown key err = %v", err)
	}
	// Too many signatures are refused before any is decoded.
	many := cbor.AppendArrayHeader(cbor.AppendTag(nil, TagSign), 4)
	many = append(many, 0x40, 0xa0, 0x40)
	many = cbor.AppendArrayHeader(many, MaxSignatures+1)
	for i := 0; i <= MaxSignatures; i++ {
		many = append(many, 0x83, 0x40, 0xa0, 0x40)
	}
	if _, err := DecodeSign(many); !errors.Is(err, ErrMalformed) {
		t.Fatalf("too many signatures err = %v", err)
	}
	if _, err := AppendSign(nil, nil, nil, nil); !errors.Is(err, ErrKey) {
		t.Fatalf("no signers err = %v", err)
	}
	// A COSE_Sign1 is not a COSE_Sign and vice versa.
	one, _ := AppendSign1(nil, ss[EdDSA], []byte("p"), nil)
	if _, err := DecodeSign(one); !errors.Is(err, ErrTag) {
		t.Fatalf("DecodeSign(Sign1) err = %v", err)
	}
	if _, err := DecodeSign1(msg); !errors.Is(err, ErrTag) {
		t.Fatalf("DecodeSign1(Sign) err = %v", err)
	}
}

func (s *Signer) mustVerifier(t testing.TB) *Verifier {
	v, err := s.Verifier()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// buildSign1 assembles a COSE_Sign1 by hand from a protected map, an unprotected map and a
// signature computed with s over the resulting Sig_structure.
func buildSign1(t *testing.T, s *Signer, prot, unprot []byte, payload []byte) []byte {
	t.Helper()
	tbs := appendSigStructure(nil, "Signature1", prot, nil, false, nil, payload)
	sig, err := s.SignBytes(nil, tbs)
	if err != nil {
		t.Fatal(err)
	}
	out := cbor.AppendTag(nil, TagSign1)
	out = cbor.AppendArrayHeader(out, 4)
	out = cbor.AppendBytes(out, prot)
	out = append(out, unprot...)
	out = cbor.AppendBytes(out, payload)
	return cbor.AppendBytes(out, sig)
}

func TestVerifyErrors(t *testing.T) {
	ss := testSigners(t)
	ed := ss[EdDSA]
	ver, _ := NewVerifier(EdDSA, nil, ed.key.Public())       // matches any kid
	es, _ := NewVerifier(ES256, nil, ss[ES256].key.Public()) // matches any kid
	h := func(s string) []byte { return unhex(t, s) }
	tests := []struct {
		name  string
		msg   []byte
		keys  Keys
		opts  *VerifyOptions
		want  error
		field string
	}{
		{"alg mismatch", buildSign1(t, ed, h("a10127"), h("a0"), []byte("p")), es, nil, ErrAlgorithmMismatch, "alg"},
		{"unknown kid", buildSign1(t, ed, h("a2012704436b6964"), h("a0"), []byte("p")), ed.mustVerifier(t), nil, ErrUnknownKey, "kid"},
		{"nil keys", buildSign1(t, ed, h("a10127"), h("a0"), []byte("p")), nil, nil, ErrUnknownKey, "kid"},
		{"no alg uses key alg", buildSign1(t, ed, nil, h("a104496b69642d4564445341"), []byte("p")), ed.mustVerifier(t), nil, nil, ""},
		{"crit unknown label", buildSign1(t, ed, h("a201270281182a"), h("a0"), []byte("p")), ver, nil, ErrCritical, "protected header crit"},
		{"crit known label", buildSign1(t, ed, h("a20127028101"), h("a0"), []byte("p")), ver, nil, nil, ""},
		{"crit unprotected", buildSign1(t, ed, h("a10127"), h("a1028101"), []byte("p")), ver, nil, ErrMalformed, "unprotected header crit"},
		{"duplicate alg", buildSign1(t, ed, h("a201270127"), h("a0"), []byte("p")), ver, nil, ErrMalformed, "protected header alg"},
		{"alg in both buckets", buildSign1(t, ed, h("a10127"), h("a10127"), []byte("p")), ver, nil, ErrMalformed, "unprotected header alg"},
		{"kid not bstr", buildSign1(t, ed, h("a201270401"), h("a0"), []byte("p")), ver, nil, ErrMalformed, "protected header kid"},
		{"protected not map", buildSign1(t, ed, h("80"), h("a0"), []byte("p")), ver, nil, ErrMalformed, "protected header"},
		{"protected trailing", buildSign1(t, ed, h("a1012700"), h("a0"), []byte("p")), ver, nil, ErrMalformed, "protected header"},
		{"unprotected not map", buildSign1(t, ed, h("a10127"), h("80"), []byte("p")), ver, nil, ErrMalformed, "unprotected header"},
		{"text labels skipped", buildSign1(t, ed, h("a20127617801"), h("a1617902"), []byte("p")), ver, nil, nil, ""},
		{"detached without payload", func() []byte {
			m, _ := AppendSign1(nil, ed, []byte("p"), &SignOptions{Detached: true})
			return m
		}(), ver, nil, ErrPayload, "payload"},
		{"payload twice", func() []byte { m, _ := AppendSign1(nil, ed, []byte("p"), nil); return m }(), ver, &VerifyOptions{Payload: []byte("p")}, ErrPayload, "payload"},
		{"short array", h("d283404040"), ver, nil, ErrMalformed, "message"},
		{"trailing bytes", append(func() []byte { m, _ := AppendSign1(nil, ed, []byte("p"), nil); return m }(), 0), ver, nil, ErrMalformed, "message"},
		{"truncated", h("d28443a10127a0"), ver, nil, ErrMalformed, "payload"},
		{"signature not bstr", h("d28443a10127a0416101"), ver, nil, ErrMalformed, "signature"},
		{"empty", nil, ver, nil, ErrMalformed, "message"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Verify1(tc.msg, tc.keys, tc.opts)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("err = %v, want success", err)
				}
				return
			}
			var ce *Error
			if !errors.Is(err, tc.want) || !errors.As(err, &ce) || ce.Field != tc.field {
				t.Fatalf("err = %v, want %v in field %q", err, tc.want, tc.field)
			}
		})
	}
}

func TestKeyErrors(t *testing.T) {
	edPub, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"verifier EdDSA with ECDSA key", func() error { _, err := NewVerifier(EdDSA, nil, &ec.PublicKey); return err }(), ErrKey},
		{"verifier ES256 with Ed25519 key", func() error { _, err := NewVerifier(ES256, nil, edPub); return err }(), ErrKey},
		{"verifier unsupported alg", func() error { _, err := NewVerifier(Algorithm(-999), nil, edPub); return err }(), ErrUnsupportedAlgorithm},
		{"signer EdDSA with ECDSA key", func() error { _, err := NewSigner(EdDSA, nil, ec); return err }(), ErrKey},
		{"signer ES256 with Ed25519 key", func() error { _, err := NewSigner(ES256, nil, edPriv); return err }(), ErrKey},
		{"signer nil key", func() error { _, err := NewSigner(ES256, nil, nil); return err }(), ErrKey},
		{"signer unsupported alg", func() error { _, err := NewSigner(Algorithm(1), nil, edPriv); return err }(), ErrUnsupportedAlgorithm},
		{"signer failing key", func() error {
			s, _ := NewSigner(ES256, nil, failingSigner{ec})
			_, err := s.SignBytes(nil, []byte("x"))
			return err
		}(), ErrKey},
	}
	for _, tc := range tests {
		if !errors.Is(tc.err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, tc.err, tc.want)
		}
	}
}

type failingSigner struct{ k *ecdsa.PrivateKey }

func (f failingSigner) Public() crypto.PublicKey { return &f.k.PublicKey }
func (f failingSigner) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return nil, errors.New("hsm unavailable")
}

func TestDERToRaw(t *testing.T) {
	tests := []struct {
		der  string
		want string
		ok   bool
	}{
		{"3006020101020102", "00010002", true},
		{"300702020080020102", "00800002", true}, // leading zero stripped
		{"3006020101020102ff", "", false},        // trailing
		{"3106020101020102", "", false},          // not a SEQUENCE
		{"30060201010201", "", false},            // short
		{"3008020301000002010200", "", false},    // r too wide
	}
	for _, tc := range tests {
		got, ok := derToRaw(unhex(t, tc.der), 2)
		if ok != tc.ok || (ok && hexOf(got) != tc.want) {
			t.Errorf("derToRaw(%s) = %x, %v", tc.der, got, ok)
		}
	}
}

func hexOf(b []byte) string {
	const d = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, d[c>>4], d[c&15])
	}
	return string(out)
}

func TestErrorString(t *testing.T) {
	e := &Error{Field: "alg", Signature: 2, Err: ErrUnsupportedAlgorithm, Cause: errors.New("alg(-999)")}
	if e.Error() != "cose: signature 2: alg: unsupported algorithm: alg(-999)" {
		t.Fatal(e.Error())
	}
	if Algorithm(-999).String() != "alg(-999)" || ES512.String() != "ES512" {
		t.Fatal("Algorithm.String")
	}
}

func FuzzDecodeSign1(f *testing.F) {
	for _, v := range []string{
		"D28443A10126A10442313154546869732069732074686520636F6E74656E742E58408EB33E4CA31D1C465AB05AAC34CC6B23D58FEF5C083106C4D25A91AEF0B0117E2AF9A291AA32E14AB834DC56ED2A223444547E01F11D3B0916E5A4C345CACB36",
		"D28441A0A201260442313154546869732069732074686520636F6E74656E742E584087DB0D2E5571843B78AC33ECB2830DF7B6E0A4D5B7376DE336B23C591C90C425317E56127FBE04370097CE347087B233BF722B64072BEB4486BDA4031D27244F",
		"D28445A201270300A10442313154546869732069732074686520636F6E74656E742E58407142FD2FF96D56DB85BEE905A76BA1D0B7321A95C8C4D3607C5781932B7AFB8711497DFA751BF40B58B3BCC32300B1487F3DB34085EEF013BF08F4A44D6FEF0D",
		"8443A10126A10442313154546869732069732074686520636F6E74656E742E",
	} {
		f.Add(unhex(f, v))
	}
	ed := ed25519.NewKeyFromSeed(make([]byte, 32))
	ver, _ := NewVerifier(EdDSA, nil, ed.Public())
	f.Fuzz(func(t *testing.T, msg []byte) {
		m, err := DecodeSign1(msg)
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %v is not a *Error", err)
			}
			return
		}
		_, _, _ = m.Verify(ver, nil)
		_, _, _ = m.Verify(ver, &VerifyOptions{Payload: []byte{}})
	})
}

func FuzzDecodeSign(f *testing.F) {
	for _, v := range []string{
		"D8628440A054546869732069732074686520636F6E74656E742E818343A10126A1044231315840E2AEAFD40D69D19DFE6E52077C5D7FF4E408282CBEFB5D06CBF414AF2E19D982AC45AC98B8544C908B4507DE1E90B717C3D34816FE926A2B98F53AFD2FA0F30A",
	} {
		f.Add(unhex(f, v))
	}
	ed := ed25519.NewKeyFromSeed(make([]byte, 32))
	ver, _ := NewVerifier(EdDSA, nil, ed.Public())
	f.Fuzz(func(t *testing.T, msg []byte) {
		m, err := DecodeSign(msg)
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %v is not a *Error", err)
			}
			return
		}
		for i := range m.Signatures {
			_, _ = m.VerifySignature(i, ver, nil)
		}
	})
}
