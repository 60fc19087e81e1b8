// Package importguard holds the test that keeps fleetkit's TinyGo-friendly packages honest: they
// may import only the standard library (and each other), and never the parts of it that TinyGo
// cannot carry on a microcontroller or that rely on reflection-based encoding.
//
// The list of such packages is TinyGo in this package; .ci/run cross-builds the same list with
// TinyGo. Add a package to both when it joins the floor.
package importguard

// TinyGo lists the packages (relative to the module root) that must build with TinyGo.
var TinyGo = []string{
	"dedupe",
	"slo",
	"twin",
	"telemetry/senml",
	"cose",
	"internal/cbor",
	"ota/manifest",
	"ota/manifest/suit",
}

// Denied are standard-library packages a TinyGo-friendly package must not import directly:
// reflection-based codecs, networking, processes, plugins.
var Denied = []string{
	"encoding/json", "encoding/gob", "encoding/xml", "reflect", "net", "net/http", "os/exec", "plugin",
	"log/slog", "text/template", "html/template",
}
