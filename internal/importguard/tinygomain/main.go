// Command tinygomain links every TinyGo-friendly package into one program so that .ci/run can
// compile-check them for a microcontroller target (cortex-m-qemu). It is not meant to be run.
package main

import (
	_ "github.com/fleetkit/fleetkit/cose"
	_ "github.com/fleetkit/fleetkit/dedupe"
	_ "github.com/fleetkit/fleetkit/internal/cbor"
	_ "github.com/fleetkit/fleetkit/ota/manifest"
	_ "github.com/fleetkit/fleetkit/ota/manifest/suit"
	_ "github.com/fleetkit/fleetkit/slo"
	_ "github.com/fleetkit/fleetkit/telemetry/senml"
	_ "github.com/fleetkit/fleetkit/twin"
)

func main() {}
