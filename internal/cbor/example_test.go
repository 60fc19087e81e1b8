package cbor_test

import (
	"fmt"

	"github.com/fleetkit/fleetkit/internal/cbor"
)

func Example() {
	// Encode {1: "fw", 2: [1.5, -7]} into a caller-owned buffer.
	buf := make([]byte, 0, 32)
	buf = cbor.AppendMapHeader(buf, 2)
	buf = cbor.AppendUint(buf, 1)
	buf = cbor.AppendText(buf, "fw")
	buf = cbor.AppendUint(buf, 2)
	buf = cbor.AppendArrayHeader(buf, 2)
	buf = cbor.AppendFloat64(buf, 1.5)
	buf = cbor.AppendInt(buf, -7)
	fmt.Printf("%x\n", buf)

	// Decode it back, item by item, refusing non-deterministic input.
	d := cbor.NewDecoder(buf, cbor.Deterministic)
	n, _ := d.ReadMapHeader()
	for i := 0; i < n; i++ {
		key, _ := d.ReadUint()
		switch key {
		case 1:
			s, _ := d.ReadText()
			fmt.Println(key, string(s))
		default:
			raw, _ := d.ReadRaw()
			fmt.Printf("%d skipped %x\n", key, raw)
		}
	}
	fmt.Println(d.Finish())

	// Errors carry the offset and a sentinel.
	d = cbor.NewDecoder([]byte{0x18, 0x05}, cbor.Deterministic)
	_, err := d.ReadUint()
	fmt.Println(err)
	// Output:
	// a2016266770282f93e0026
	// 1 fw
	// 2 skipped 82f93e0026
	// <nil>
	// cbor: offset 0: argument not in shortest form
}
