package manifest

import (
	"errors"
	"strconv"

	"github.com/fleetkit/fleetkit/cose"
)

// ExternalAAD is the external additional authenticated data bound into every manifest
// signature (RFC 9052 §4.3). It separates manifest signatures from anything else the same key
// might sign: a COSE message signed for another purpose does not verify as a manifest.
var ExternalAAD = []byte("fleetkit/ota/manifest/v1")

// Sign encodes m and signs it with every signer. One signer gives a COSE_Sign1 envelope
// (tag 18); several give a COSE_Sign envelope (tag 98) with one signature each. Each signer
// needs a key ID (the trust store finds keys by it).
func Sign(m *Manifest, signers ...*cose.Signer) ([]byte, error) {
	if len(signers) == 0 {
		return nil, errors.New("manifest: no signers")
	}
	for i, s := range signers {
		if s == nil || len(s.KeyID()) == 0 {
			return nil, errors.New("manifest: signer " + strconv.Itoa(i) + " has no key ID")
		}
	}
	body, err := m.AppendCBOR(nil)
	if err != nil {
		return nil, err
	}
	opts := &cose.SignOptions{ExternalAAD: ExternalAAD}
	if len(signers) == 1 {
		return cose.AppendSign1(nil, signers[0], body, opts)
	}
	return cose.AppendSign(nil, signers, body, opts)
}
