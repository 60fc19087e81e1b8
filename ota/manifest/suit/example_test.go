package suit_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/hex"
	"fmt"
	"os"
	"strings"

	"github.com/fleetkit/fleetkit/cose"
	"github.com/fleetkit/fleetkit/ota/manifest/suit"
)

func Example() {
	// The SUIT draft's example 1 and the public half of its published ES256 key.
	pub, _ := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), publishedPublicKey)
	trusted, _ := cose.NewVerifier(cose.ES256, nil, pub)
	hexBytes, _ := os.ReadFile("testdata/example1.signed.hex")
	envelope, _ := hex.DecodeString(strings.Join(strings.Fields(string(hexBytes)), ""))

	m, err := suit.Verify(envelope, trusted)
	if err != nil {
		fmt.Println(err)
		return
	}
	c := m.Components[0]
	fmt.Printf("sequence %d, component %x\n", m.Sequence, c.ID)
	fmt.Printf("vendor %x class %x\n", c.VendorID, c.ClassID)
	fmt.Printf("image %d bytes, sha-256 %x\n", c.Size, c.Digest.Value[:8])
	fmt.Println("fetch from", c.URI)

	// One altered byte in the manifest and the envelope is refused.
	envelope[len(envelope)-3] ^= 1
	_, err = suit.Verify(envelope, trusted)
	fmt.Println(err)
	// Output:
	// sequence 1, component [00]
	// vendor fa6b4a53d5ad5fdfbe9de663e4d41ffe class 1492af1425695e48bf429b2d51f2ab45
	// image 34768 bytes, sha-256 0011223344556677
	// fetch from http://example.com/file.bin
	// suit: manifest: digest mismatch
}

// publishedPublicKey is the public half of the SUIT draft's published ES256 example key
// (testdata/private_key.pem), uncompressed SEC 1 form.
var publishedPublicKey, _ = hex.DecodeString("04" +
	"8496811aae0baaabd26157189eecda26beaa8bf11b6f3fe6e2b5659c85dbc0ad" +
	"3b1f2a4b6c098131c0a36dacd1d78bd381dcdfb09c052db33991db7338b4a896")
