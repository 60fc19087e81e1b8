package manifest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/fleetkit/fleetkit/cose"
	"github.com/fleetkit/fleetkit/internal/cbor"
)

var (
	vendor = UUID{0xfa, 0x6b, 0x4a, 0x53, 0xd5, 0xad, 0x5f, 0xdf, 0xbe, 0x9d, 0xe6, 0x63, 0xe4, 0xd4, 0x1f, 0xfe}
	class  = UUID{0x14, 0x92, 0xaf, 0x14, 0x25, 0x69, 0x5e, 0x48, 0xbf, 0x42, 0x9b, 0x2d, 0x51, 0xf2, 0xab, 0x45}
	image  = bytes.Repeat([]byte("fleetkit firmware "), 1000)
	now    = time.Unix(1_800_000_000, 0)
)

func testManifest() *Manifest {
	return &Manifest{
		Sequence:  7,
		VendorID:  vendor,
		ClassID:   class,
		Component: "app",
		Digest:    sha256.Sum256(image),
		Size:      uint64(len(image)),
		URIs:      []string{"https://ota.example.com/app-7.bin", "coap://gw.local/app-7.bin"},
		Version:   "2.4.1",
	}
}

func edSigner(t testing.TB, kid string, seed byte) *cose.Signer {
	t.Helper()
	s, err := cose.NewSigner(cose.EdDSA, []byte(kid), ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func esSigner(t testing.TB, kid string) *cose.Signer {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := cose.NewSigner(cose.ES256, []byte(kid), k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func verifierOf(t testing.TB, s *cose.Signer) *cose.Verifier {
	t.Helper()
	v, err := s.Verifier()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func store(t testing.TB, threshold int, signers ...*cose.Signer) *TrustStore {
	t.Helper()
	var vs []*cose.Verifier
	for _, s := range signers {
		vs = append(vs, verifierOf(t, s))
	}
	ts, err := NewTrustStore(threshold, vs...)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func device() DeviceState {
	return DeviceState{VendorID: vendor, ClassID: class, Sequence: 6, MaxImageSize: 1 << 20}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	for _, m := range []*Manifest{
		testManifest(),
		func() *Manifest {
			m := testManifest()
			m.MinSequence, m.Expiry, m.Version = 3, 1_900_000_000, ""
			return m
		}(),
		func() *Manifest { m := testManifest(); m.Sequence, m.Size = 1<<40, 1<<33; return m }(),
	} {
		body, err := m.AppendCBOR(nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Decode(body)
		if err != nil {
			t.Fatalf("Decode(%x): %v", body, err)
		}
		if got.Sequence != m.Sequence || got.VendorID != m.VendorID || got.ClassID != m.ClassID ||
			got.Component != m.Component || got.Digest != m.Digest || got.Size != m.Size ||
			strings.Join(got.URIs, " ") != strings.Join(m.URIs, " ") || got.MinSequence != m.MinSequence ||
			got.Expiry != m.Expiry || got.Version != m.Version {
			t.Fatalf("round trip: got %+v, want %+v", got, m)
		}
	}
}

// TestBodyEncoding pins the wire format of a small manifest.
func TestBodyEncoding(t *testing.T) {
	m := &Manifest{Sequence: 1, VendorID: UUID{1}, ClassID: UUID{2}, Component: "a", Size: 1, URIs: []string{"u"}, Expiry: 10}
	body, err := m.AppendCBOR(nil)
	if err != nil {
		t.Fatal(err)
	}
	want := "a9" + "0101" + "0201" + "0350" + "01" + strings.Repeat("00", 15) + "0450" + "02" + strings.Repeat("00", 15) +
		"056161" + "06822f5820" + strings.Repeat("00", 32) + "0701" + "08816175" + "0a0a"
	if hex.EncodeToString(body) != want {
		t.Fatalf("body = %x\nwant   %s", body, want)
	}
}

func TestDecodeErrors(t *testing.T) {
	good, _ := testManifest().AppendCBOR(nil)
	// build returns a body with the given (key, encoded value) pairs.
	build := func(pairs ...any) []byte {
		b := cbor.AppendMapHeader(nil, len(pairs)/2)
		for i := 0; i < len(pairs); i += 2 {
			b = cbor.AppendUint(b, uint64(pairs[i].(int)))
			b = append(b, pairs[i+1].([]byte)...)
		}
		return b
	}
	u := func(v uint64) []byte { return cbor.AppendUint(nil, v) }
	bs := func(b []byte) []byte { return cbor.AppendBytes(nil, b) }
	tx := func(s string) []byte { return cbor.AppendText(nil, s) }
	dg := append(cbor.AppendInt(cbor.AppendArrayHeader(nil, 2), -16), bs(make([]byte, 32))...)
	uris := append(cbor.AppendArrayHeader(nil, 1), tx("u")...)
	base := func(over map[int][]byte, drop int) []byte {
		fields := map[int][]byte{1: u(1), 2: u(1), 3: bs(vendor[:]), 4: bs(class[:]), 5: tx("app"), 6: dg, 7: u(10), 8: uris}
		for k, v := range over {
			fields[k] = v
		}
		var pairs []any
		for k := 1; k <= 11; k++ {
			if v, ok := fields[k]; ok && k != drop {
				pairs = append(pairs, k, v)
			}
		}
		return build(pairs...)
	}
	if _, err := Decode(base(nil, 0)); err != nil {
		t.Fatalf("base body: %v", err)
	}
	tests := []struct {
		name  string
		body  []byte
		field string
	}{
		{"empty", nil, ""},
		{"not a map", []byte{0x80}, ""},
		{"trailing", append(append([]byte{}, good...), 0), ""},
		{"format 2", base(map[int][]byte{1: u(2)}, 0), "format"},
		{"missing sequence", base(nil, 2), "sequence"},
		{"sequence zero", base(map[int][]byte{2: u(0)}, 0), "sequence"},
		{"missing uris", base(nil, 8), "uris"},
		{"vendor short", base(map[int][]byte{3: bs(make([]byte, 15))}, 0), "vendor"},
		{"class text", base(map[int][]byte{4: tx("x")}, 0), "class"},
		{"component empty", base(map[int][]byte{5: tx("")}, 0), "component"},
		{"component not utf8", base(map[int][]byte{5: cbor.AppendText(nil, "\xff")}, 0), "component"},
		{"component too long", base(map[int][]byte{5: tx(strings.Repeat("a", MaxTextLen+1))}, 0), "component"},
		{"digest alg", base(map[int][]byte{6: append(cbor.AppendInt(cbor.AppendArrayHeader(nil, 2), -44), bs(make([]byte, 32))...)}, 0), "digest"},
		{"digest short", base(map[int][]byte{6: append(cbor.AppendInt(cbor.AppendArrayHeader(nil, 2), -16), bs(make([]byte, 31))...)}, 0), "digest"},
		{"digest shape", base(map[int][]byte{6: bs(make([]byte, 32))}, 0), "digest"},
		{"size zero", base(map[int][]byte{7: u(0)}, 0), "size"},
		{"size negative", base(map[int][]byte{7: cbor.AppendInt(nil, -1)}, 0), "size"},
		{"no uris", base(map[int][]byte{8: cbor.AppendArrayHeader(nil, 0)}, 0), "uris"},
		{"uri not text", base(map[int][]byte{8: append(cbor.AppendArrayHeader(nil, 1), u(1)...)}, 0), "uris"},
		{"too many uris", base(map[int][]byte{8: func() []byte {
			b := cbor.AppendArrayHeader(nil, MaxURIs+1)
			for i := 0; i <= MaxURIs; i++ {
				b = cbor.AppendText(b, "u")
			}
			return b
		}()}, 0), "uris"},
		{"empty uri", base(map[int][]byte{8: append(cbor.AppendArrayHeader(nil, 1), tx("")...)}, 0), "uris[0]"},
		{"min zero", base(map[int][]byte{9: u(0)}, 0), "min-sequence"},
		{"expiry zero", base(map[int][]byte{10: u(0)}, 0), "expiry"},
		{"expiry huge", base(map[int][]byte{10: u(1 << 63)}, 0), "expiry"},
		{"version empty", base(map[int][]byte{11: tx("")}, 0), "version"},
		{"unknown key", build(1, u(1), 12, u(0)), "key 12"},
		{"key zero", build(0, u(0)), "key 0"},
		{"text key", []byte{0xa1, 0x61, 0x61, 0x01}, "key"},
		{"keys out of order", build(2, u(1), 1, u(1)), "format"},
		{"duplicate key", build(1, u(1), 1, u(1)), "format"},
		{"non-shortest", []byte{0xa1, 0x18, 0x01, 0x01}, "key"},
		{"indefinite map", []byte{0xbf, 0xff}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode(tc.body)
			var me *Error
			if !errors.Is(err, ErrMalformed) || !errors.As(err, &me) || me.Field != tc.field || me.Check != CheckBody {
				t.Fatalf("err = %v, want ErrMalformed in field %q", err, tc.field)
			}
		})
	}
}

func TestEncodeValidation(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(*Manifest)
	}{
		{"sequence zero", func(m *Manifest) { m.Sequence = 0 }},
		{"no component", func(m *Manifest) { m.Component = "" }},
		{"zero size", func(m *Manifest) { m.Size = 0 }},
		{"no uris", func(m *Manifest) { m.URIs = nil }},
		{"negative expiry", func(m *Manifest) { m.Expiry = -1 }},
		{"bad version", func(m *Manifest) { m.Version = "\xff" }},
	} {
		m := testManifest()
		tc.mod(m)
		if _, err := m.AppendCBOR(nil); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v", tc.name, err)
		}
		if _, err := Sign(m, edSigner(t, "k", 1)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: Sign err = %v", tc.name, err)
		}
	}
}

func TestVerifyChecks(t *testing.T) {
	ed, es := edSigner(t, "ed", 1), esSigner(t, "es")
	other := edSigner(t, "ed", 2) // same kid, another key
	stranger := edSigner(t, "stranger", 3)
	v := &Verifier{Trust: store(t, 1, ed, es)}
	sign := func(mod func(*Manifest), signers ...*cose.Signer) []byte {
		m := testManifest()
		if mod != nil {
			mod(m)
		}
		env, err := Sign(m, signers...)
		if err != nil {
			t.Fatal(err)
		}
		return env
	}
	installed := device()
	installed.Sequence, installed.Digest = 7, sha256.Sum256(image)
	tests := []struct {
		name  string
		v     *Verifier
		env   []byte
		state DeviceState
		now   time.Time
		want  error
		check Check
	}{
		{"ed25519 ok", v, sign(nil, ed), device(), now, nil, ""},
		{"es256 ok", v, sign(nil, es), device(), now, nil, ""},
		{"both ok", v, sign(nil, ed, es), device(), now, nil, ""},
		{"same sequence same digest", v, sign(nil, ed), installed, now, nil, ""},
		{"expiry in future", v, sign(func(m *Manifest) { m.Expiry = now.Unix() + 1 }, ed), device(), now, nil, ""},
		{"min met", v, sign(func(m *Manifest) { m.MinSequence = 6 }, ed), device(), now, nil, ""},
		{"bad signature", v, sign(nil, other), device(), now, ErrSignature, CheckSignature},
		{"unknown key", v, sign(nil, stranger), device(), now, ErrUnknownKey, CheckSignature},
		{"rollback", v, sign(func(m *Manifest) { m.Sequence = 5 }, ed), device(), now, ErrRollback, CheckRollback},
		{"same sequence other digest", v, sign(func(m *Manifest) { m.Sequence = 6 }, ed), device(), now, ErrRollback, CheckRollback},
		{"wrong vendor", v, sign(func(m *Manifest) { m.VendorID[0]++ }, ed), device(), now, ErrVendor, CheckVendor},
		{"wrong class", v, sign(func(m *Manifest) { m.ClassID[15]++ }, ed), device(), now, ErrClass, CheckClass},
		{"expired", v, sign(func(m *Manifest) { m.Expiry = now.Unix() }, ed), device(), now, ErrExpired, CheckExpiry},
		{"below minimum", v, sign(func(m *Manifest) { m.MinSequence = 7 }, ed), device(), now, ErrBelowMinimum, CheckMinimum},
		{"image oversize", v, sign(func(m *Manifest) { m.Size = 1<<20 + 1 }, ed), device(), now, ErrOversize, CheckSize},
		{"envelope oversize", &Verifier{Trust: v.Trust, MaxEnvelopeSize: 100}, sign(nil, ed), device(), now, ErrOversize, CheckEnvelope},
		{"untagged", v, sign(nil, ed)[1:], device(), now, ErrMalformed, CheckEnvelope},
		{"truncated", v, sign(nil, ed)[:50], device(), now, ErrMalformed, CheckEnvelope},
		{"no trust store", &Verifier{}, sign(nil, ed), device(), now, ErrUnknownKey, CheckSignature},
		{"threshold 2 with Sign1", &Verifier{Trust: store(t, 2, ed, es)}, sign(nil, ed), device(), now, ErrThreshold, CheckSignature},
		{"threshold 2 met", &Verifier{Trust: store(t, 2, ed, es)}, sign(nil, es, ed), device(), now, nil, ""},
		{"threshold 2 one bad", &Verifier{Trust: store(t, 2, ed, es)}, sign(nil, es, other), device(), now, ErrThreshold, CheckSignature},
		{"threshold 2 one unknown", &Verifier{Trust: store(t, 2, ed, es)}, sign(nil, stranger, ed), device(), now, ErrThreshold, CheckSignature},
		{"threshold 2 same key twice", &Verifier{Trust: store(t, 2, ed, es)}, sign(nil, ed, ed), device(), now, ErrThreshold, CheckSignature},
		{"threshold 2 of 3 with a stranger", &Verifier{Trust: store(t, 2, ed, es, stranger)}, sign(nil, stranger, other, es), device(), now, nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := tc.v.Verify(tc.now, tc.env, tc.state)
			if tc.want == nil {
				if err != nil || m.Sequence != 7 || m.Component != "app" {
					t.Fatalf("Verify = %+v, %v", m, err)
				}
				return
			}
			var me *Error
			if !errors.Is(err, tc.want) || !errors.As(err, &me) || me.Check != tc.check || m != nil {
				t.Fatalf("err = %v, want %v at check %q", err, tc.want, tc.check)
			}
		})
	}
}

// TestThresholdCauses: a threshold failure carries the individual signature failures.
func TestThresholdCauses(t *testing.T) {
	ed, es, other := edSigner(t, "ed", 1), edSigner(t, "es", 4), edSigner(t, "ed", 2)
	env, err := Sign(testManifest(), other, es)
	if err != nil {
		t.Fatal(err)
	}
	_, err = (&Verifier{Trust: store(t, 2, ed, es)}).Verify(now, env, device())
	if !errors.Is(err, ErrThreshold) || !errors.Is(err, ErrSignature) || !strings.Contains(err.Error(), "1 of 2") {
		t.Fatalf("err = %v", err)
	}
}

// TestSignatureBeforeBody: a body that would be malformed is never parsed when its signature
// is bad, and the signature error is reported.
func TestSignatureBeforeBody(t *testing.T) {
	ed := edSigner(t, "ed", 1)
	env, err := cose.AppendSign1(nil, ed, []byte{0xff, 0xff}, &cose.SignOptions{ExternalAAD: ExternalAAD})
	if err != nil {
		t.Fatal(err)
	}
	v := &Verifier{Trust: store(t, 1, ed)}
	if _, err := v.Verify(now, env, device()); !errors.Is(err, ErrMalformed) {
		t.Fatalf("signed garbage body err = %v, want ErrMalformed", err)
	}
	env[len(env)-1] ^= 1
	if _, err := v.Verify(now, env, device()); !errors.Is(err, ErrSignature) {
		t.Fatalf("tampered garbage body err = %v, want ErrSignature", err)
	}
	// A valid COSE_Sign1 made without the manifest AAD (another purpose) is refused.
	body, _ := testManifest().AppendCBOR(nil)
	plain, _ := cose.AppendSign1(nil, ed, body, nil)
	if _, err := v.Verify(now, plain, device()); !errors.Is(err, ErrSignature) {
		t.Fatalf("no-AAD envelope err = %v, want ErrSignature", err)
	}
}

func TestTrustStoreErrors(t *testing.T) {
	ed := verifierOf(t, edSigner(t, "ed", 1))
	nokid, _ := cose.NewVerifier(cose.EdDSA, nil, ed25519.NewKeyFromSeed(make([]byte, 32)).Public())
	for _, tc := range []struct {
		name string
		th   int
		keys []*cose.Verifier
	}{
		{"threshold 0", 0, []*cose.Verifier{ed}},
		{"threshold above n", 2, []*cose.Verifier{ed}},
		{"no kid", 1, []*cose.Verifier{nokid}},
		{"nil key", 1, []*cose.Verifier{nil}},
		{"duplicate kid", 1, []*cose.Verifier{ed, ed}},
	} {
		if _, err := NewTrustStore(tc.th, tc.keys...); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
	ts, _ := NewTrustStore(1, ed)
	if ts.Len() != 1 || ts.Threshold() != 1 {
		t.Fatal("Len/Threshold")
	}
	if _, err := Sign(testManifest()); err == nil {
		t.Fatal("Sign without signers succeeded")
	}
	s, _ := cose.NewSigner(cose.EdDSA, nil, ed25519.NewKeyFromSeed(make([]byte, 32)))
	if _, err := Sign(testManifest(), s); err == nil {
		t.Fatal("Sign with a kid-less signer succeeded")
	}
}

func TestImageVerifier(t *testing.T) {
	m := testManifest()
	tests := []struct {
		name   string
		chunks [][]byte
		want   error
	}{
		{"whole", [][]byte{image}, nil},
		{"chunked", [][]byte{image[:1], image[1:4096], image[4096:]}, nil},
		{"truncated", [][]byte{image[:len(image)-1]}, ErrTruncated},
		{"corrupt", [][]byte{append(append([]byte{}, image[:len(image)-1]...), 'X')}, ErrDigestMismatch},
		{"oversize", [][]byte{image, {0}}, ErrOversize},
		{"oversize in one write", [][]byte{append(append([]byte{}, image...), 1, 2)}, ErrOversize},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			iv := NewImageVerifier(m)
			var werr error
			for _, c := range tc.chunks {
				n, err := iv.Write(c)
				if err != nil {
					werr = err
					if n >= len(c) {
						t.Fatalf("Write reported %d of %d bytes with error %v", n, len(c), err)
					}
					break
				}
			}
			if tc.want == ErrOversize {
				if !errors.Is(werr, ErrOversize) || iv.Written() != m.Size {
					t.Fatalf("write err = %v, written %d", werr, iv.Written())
				}
				if _, err := iv.Write([]byte{1}); !errors.Is(err, ErrOversize) {
					t.Fatal("verifier not sticky after oversize")
				}
			}
			err := iv.Finish()
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("Finish = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestImageVerifierResume(t *testing.T) {
	m := testManifest()
	iv := NewImageVerifier(m)
	iv.Write(image[:5000])
	state, err := iv.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	resumed := NewImageVerifier(m)
	if err := resumed.UnmarshalBinary(state); err != nil {
		t.Fatal(err)
	}
	if resumed.Written() != 5000 {
		t.Fatalf("resumed at %d", resumed.Written())
	}
	resumed.Write(image[5000:])
	if err := resumed.Finish(); err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]byte{nil, state[:7], append([]byte{0, 0, 0, 0, 0, 0, 0, 1}, state[8:]...), append(append([]byte{}, state[:8]...), 1, 2, 3)} {
		if err := NewImageVerifier(m).UnmarshalBinary(bad); !errors.Is(err, ErrMalformed) {
			t.Fatalf("UnmarshalBinary(%x) err = %v", bad, err)
		}
	}
	big := append([]byte{0xff, 0, 0, 0, 0, 0, 0, 0}, state[8:]...)
	if err := NewImageVerifier(m).UnmarshalBinary(big); !errors.Is(err, ErrMalformed) {
		t.Fatalf("offset beyond size err = %v", err)
	}
}

func TestImageVerifierConstantMemory(t *testing.T) {
	m := testManifest()
	m.Size = 1 << 30
	iv := NewImageVerifier(m)
	chunk := make([]byte, 64<<10)
	if allocs := testing.AllocsPerRun(100, func() { iv.Write(chunk) }); allocs != 0 {
		t.Fatalf("Write allocates %v times", allocs)
	}
}

func TestUUIDString(t *testing.T) {
	if got := vendor.String(); got != "fa6b4a53-d5ad-5fdf-be9d-e663e4d41ffe" {
		t.Fatal(got)
	}
}

func TestErrorString(t *testing.T) {
	e := &Error{Check: CheckRollback, Field: "sequence", Err: ErrRollback, Cause: errors.New("5 below installed 6")}
	if e.Error() != "manifest: rollback check: sequence: sequence number rollback: 5 below installed 6" {
		t.Fatal(e.Error())
	}
}

func FuzzDecode(f *testing.F) {
	good, _ := testManifest().AppendCBOR(nil)
	f.Add(good)
	m := testManifest()
	m.MinSequence, m.Expiry = 2, 3
	full, _ := m.AppendCBOR(nil)
	f.Add(full)
	f.Add([]byte{0xa0})
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := Decode(body)
		if err != nil {
			var me *Error
			if !errors.As(err, &me) || !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v is not a malformed *Error", err)
			}
			return
		}
		// Whatever decodes re-encodes to the same bytes (the encoding is deterministic).
		again, err := m.AppendCBOR(nil)
		if err != nil || !bytes.Equal(again, body) {
			t.Fatalf("re-encode = %x, %v; want %x", again, err, body)
		}
	})
}

func FuzzVerify(f *testing.F) {
	ed := edSigner(f, "ed", 1)
	env, _ := Sign(testManifest(), ed)
	f.Add(env)
	env2, _ := Sign(testManifest(), ed, edSigner(f, "x", 2))
	f.Add(env2)
	v := &Verifier{Trust: store(f, 1, ed)}
	f.Fuzz(func(t *testing.T, env []byte) {
		_, err := v.Verify(now, env, device())
		if err != nil {
			var me *Error
			if !errors.As(err, &me) {
				t.Fatalf("error %v is not a *Error", err)
			}
		}
	})
}
