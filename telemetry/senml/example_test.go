package senml_test

import (
	"errors"
	"fmt"

	"github.com/fleetkit/fleetkit/telemetry/senml"
)

// A device builds a pack with a base name and relative times and encodes it into a reused
// buffer, in CBOR for the radio and in JSON for a log line.
func Example() {
	var buf []byte
	pack := make(senml.Pack, 2)
	pack[0].SetBaseName("urn:dev:ow:10e2073a01080063:")
	pack[0].SetBaseUnit(senml.UnitCelsius)
	pack[0].SetName("temp")
	pack[0].SetValue(23.5)
	pack[1].SetName("temp")
	pack[1].SetTime(-60)
	pack[1].SetValue(23.25)

	buf = senml.AppendJSON(buf[:0], pack)
	fmt.Printf("%s\n", buf)
	buf = senml.AppendCBOR(buf[:0], pack)
	fmt.Printf("%d bytes of CBOR\n", len(buf))
	// Output:
	// [{"bn":"urn:dev:ow:10e2073a01080063:","bu":"Cel","n":"temp","v":23.5},{"n":"temp","t":-60,"v":23.25}]
	// 62 bytes of CBOR
}

// A backend decodes a pack, then resolves it against the time it was received.
func ExamplePack_Resolve() {
	in := []byte(`[{"bn":"urn:dev:ow:10e2073a01080063:","bt":1.320078429e+09,"bu":"%RH","n":"hum","v":30},
		{"n":"temp","u":"Cel","v":25.2,"t":-5}]`)
	pack, err := senml.ParseJSON(in, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	resolved, err := pack.Resolve(nil, 1.7e9) // now: only used for relative times
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range resolved {
		fmt.Printf("%s %.0f %v %s\n", r.Name, r.Time, r.Value, r.Unit)
	}
	// Output:
	// urn:dev:ow:10e2073a01080063:temp 1320078424 25.2 Cel
	// urn:dev:ow:10e2073a01080063:hum 1320078429 30 %RH
}

// Errors name the rule, the record and the field.
func ExampleError() {
	_, err := senml.ParseCBOR([]byte{0x81, 0xa1, 0x64, 'x', 'y', 'z', '_', 0x01}, nil)
	fmt.Println(err, errors.Is(err, senml.ErrMustUnderstand))

	pack, _ := senml.ParseJSON([]byte(`[{"n":"ok","v":1},{"n":"bad name","v":2}]`), nil)
	err = pack.Validate()
	var e *senml.Error
	if errors.As(err, &e) {
		fmt.Println(e.Record, e.Field, errors.Is(err, senml.ErrName))
	}
	// Output:
	// senml: record 0: field "xyz_": offset 2: unknown must-understand field true
	// 1 n true
}
