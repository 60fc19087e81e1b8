// Command list prints the TinyGo-friendly packages, one per line, for .ci/run.
package main

import (
	"fmt"

	"github.com/fleetkit/fleetkit/internal/importguard"
)

func main() {
	for _, p := range importguard.TinyGo {
		fmt.Println(p)
	}
}
