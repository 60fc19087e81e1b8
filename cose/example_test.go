package cose_test

import (
	"crypto/ed25519"
	"errors"
	"fmt"

	"github.com/fleetkit/fleetkit/cose"
)

func Example() {
	// A deterministic Ed25519 key for the example; use crypto/rand or an HSM in production.
	priv := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	signer, err := cose.NewSigner(cose.EdDSA, []byte("release-2026"), priv)
	if err != nil {
		panic(err)
	}
	msg, err := cose.AppendSign1(nil, signer, []byte("hello, device"), nil)
	if err != nil {
		panic(err)
	}

	// The device trusts the public key under its key ID.
	trusted, _ := cose.NewVerifier(cose.EdDSA, []byte("release-2026"), priv.Public())
	payload, err := cose.Verify1(msg, trusted, nil)
	fmt.Printf("%s %v\n", payload, err)

	// One flipped bit in the payload and verification fails.
	msg[len(msg)-70] ^= 1
	_, err = cose.Verify1(msg, trusted, nil)
	fmt.Println(errors.Is(err, cose.ErrSignature), err)
	// Output:
	// hello, device <nil>
	// true cose: signature: signature verification failed
}
