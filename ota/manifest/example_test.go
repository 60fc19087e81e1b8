package manifest_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/fleetkit/fleetkit/cose"
	"github.com/fleetkit/fleetkit/ota/manifest"
)

func Example() {
	// Release side: describe the image and sign the manifest.
	image := bytes.Repeat([]byte{0xA5}, 100_000)
	m := &manifest.Manifest{
		Sequence:  42,
		VendorID:  manifest.UUID{0xfa, 0x6b},
		ClassID:   manifest.UUID{0x14, 0x92},
		Component: "app",
		Digest:    sha256.Sum256(image),
		Size:      uint64(len(image)),
		URIs:      []string{"https://ota.example.com/app-42.bin"},
		Version:   "4.2.0",
	}
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)) // use a real key in production
	signer, _ := cose.NewSigner(cose.EdDSA, []byte("release-2026"), key)
	envelope, err := manifest.Sign(m, signer)
	if err != nil {
		panic(err)
	}

	// Device side: trust the release key, check the envelope against the device state.
	trusted, _ := cose.NewVerifier(cose.EdDSA, []byte("release-2026"), key.Public())
	store, _ := manifest.NewTrustStore(1, trusted)
	v := &manifest.Verifier{Trust: store}
	state := manifest.DeviceState{VendorID: m.VendorID, ClassID: m.ClassID, Sequence: 41, MaxImageSize: 1 << 20}
	got, err := v.Verify(time.Unix(1_800_000_000, 0), envelope, state)
	if err != nil {
		panic(err)
	}
	fmt.Println(got.Component, got.Version, got.Sequence, got.URIs[0])

	// Stream the download through the image verifier.
	iv := manifest.NewImageVerifier(got)
	for off := 0; off < len(image); off += 16 << 10 {
		if _, err := iv.Write(image[off:min(off+16<<10, len(image))]); err != nil {
			panic(err)
		}
	}
	fmt.Println("image:", iv.Finish())

	// A device that already runs sequence 43 refuses the older manifest.
	state.Sequence = 43
	_, err = v.Verify(time.Unix(1_800_000_000, 0), envelope, state)
	fmt.Println(errors.Is(err, manifest.ErrRollback), err)
	// Output:
	// app 4.2.0 42 https://ota.example.com/app-42.bin
	// image: <nil>
	// true manifest: rollback check: sequence: sequence number rollback: 42 below installed 43
}
