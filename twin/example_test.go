package twin_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/fleetkit/fleetkit/twin"
)

var now = time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC)

// A cloud service applies a desired merge patch and a device reports; the delta is what the
// device still has to do.
func Example() {
	var doc twin.Document // zero value: empty twin, default limits

	desired, err := twin.ParseObject([]byte(`{"led":{"color":"red","on":true},"interval":30}`), doc.Limits)
	if err != nil {
		panic(err)
	}
	res, err := doc.Apply(twin.Update{Section: twin.Desired, Patch: desired, ClientToken: "op-17", Time: now})
	fmt.Println(res.Version, res.ClientToken, err)

	reported, _ := twin.ParseObject([]byte(`{"led":{"color":"red","on":false},"interval":30,"fw":"1.2.0"}`), doc.Limits)
	res, err = doc.Apply(twin.Update{Section: twin.Reported, Patch: reported, Time: now.Add(time.Second)})
	fmt.Println(res.Version, err)

	fmt.Println("delta:", doc.Delta())
	for _, leaf := range doc.DeltaLeaves(nil) {
		fmt.Println("todo:", leaf.Path, "=", leaf.Value)
	}
	// Output:
	// 1 op-17 <nil>
	// 2 <nil>
	// delta: {"led":{"on":true}}
	// todo: led.on = true
}

// Merge is RFC 7396: objects merge, null deletes, arrays replace.
func ExampleMerge() {
	target, _ := twin.Parse([]byte(`{"a":"b","c":{"d":"e","f":"g"},"tags":[1,2]}`), twin.Limits{})
	patch, _ := twin.Parse([]byte(`{"a":"z","c":{"f":null},"tags":[3]}`), twin.Limits{})
	fmt.Println(twin.Merge(target, patch))
	fmt.Println(twin.Changes(target, patch))
	// Output:
	// {"a":"z","c":{"d":"e"},"tags":[3]}
	// true
}

// Delta lists desired leaves that differ from reported; keys only in reported never appear.
func ExampleDelta() {
	desired, _ := twin.Parse([]byte(`{"net":{"ssid":"home","channel":6},"mode":"eco","list":[1,2]}`), twin.Limits{})
	reported, _ := twin.Parse([]byte(`{"net":{"ssid":"office","channel":6.0},"list":[1,2],"uptime":99}`), twin.Limits{})
	fmt.Println(twin.Delta(desired, reported))
	// Output:
	// {"mode":"eco","net":{"ssid":"home"}}
}

// An update that expects a stale version fails with ErrConflict and changes nothing.
func ExampleDocument_Apply_conflict() {
	var doc twin.Document
	patch, _ := twin.ParseObject([]byte(`{"setpoint":21}`), doc.Limits)
	doc.Apply(twin.Update{Section: twin.Desired, Patch: patch, Time: now})

	stale, _ := twin.ParseObject([]byte(`{"setpoint":19}`), doc.Limits)
	_, err := doc.Apply(twin.Update{Section: twin.Desired, Patch: stale, CheckVersion: true, Version: 0, Time: now})
	fmt.Println(errors.Is(err, twin.ErrConflict))
	fmt.Println(err)
	fmt.Println(doc.Version(), doc.Desired())

	// Re-read and retry with the current version.
	res, err := doc.Apply(twin.Update{Section: twin.Desired, Patch: stale, CheckVersion: true, Version: doc.Version(), Time: now})
	fmt.Println(res.Version, err, doc.Desired())
	// Output:
	// true
	// twin: version conflict: update expected version 0, document is at version 1
	// 1 {"setpoint":21}
	// 2 <nil> {"setpoint":19}
}

// A device acknowledges the desired version it applied, Plug and Play style.
func ExampleAck() {
	var doc twin.Document
	desired, _ := twin.ParseObject([]byte(`{"targetTemperature":22}`), doc.Limits)
	doc.Apply(twin.Update{Section: twin.Desired, Patch: desired, Time: now})

	reported, _ := twin.ParseObject([]byte(`{"targetTemperature":22}`), doc.Limits)
	doc.Apply(twin.Update{Section: twin.Reported, Patch: reported, Time: now, Acks: []twin.Ack{
		{Property: "targetTemperature", Code: 200, Version: doc.DesiredVersion(), Description: "applied"},
	}})
	fmt.Println(string(doc.AppendJSON(nil)))
	// Output:
	// {"state":{"desired":{"targetTemperature":22},"reported":{"targetTemperature":22}},"metadata":{"desired":{"targetTemperature":{"timestamp":1795586400000}},"reported":{"targetTemperature":{"timestamp":1795586400000}}},"ack":{"targetTemperature":{"ac":200,"av":1,"ad":"applied"}},"version":2,"desiredVersion":1,"timestamp":1795586400000}
}

// Limits are checked while parsing and on every update; errors name the rule and the path.
func ExampleLimits() {
	lim := twin.Limits{MaxDepth: 2}
	_, err := twin.Parse([]byte(`{"network":{"wifi":{"ssid":"x"}}}`), lim)
	fmt.Println(err)
	var le *twin.LimitError
	if errors.As(err, &le) {
		fmt.Println(le.Rule, le.Path)
	}
	// Output:
	// twin: limit exceeded: max-depth 2 (found 3) at network.wifi (byte offset 19)
	// max-depth network.wifi
}

// Resolve merges offline device changes with remote ones, leaf by leaf.
func ExampleResolve() {
	local, _ := twin.Parse([]byte(`{"mode":"manual","fan":{"speed":2}}`), twin.Limits{})
	remote, _ := twin.Parse([]byte(`{"mode":"auto","fan":{"dir":"in"}}`), twin.Limits{})
	merged := twin.Resolve(
		twin.StampPatch(local, now),
		twin.StampPatch(remote, now.Add(time.Minute)),
		twin.LastWriterWins)
	fmt.Println(merged.Patch)
	// Output:
	// {"fan":{"dir":"in","speed":2},"mode":"auto"}
}

// Set builds patches and device-side state by path.
func ExampleSet() {
	patch, _ := twin.Set(twin.Value{}, twin.StringOf("office"), "network", "wifi", "ssid")
	patch, _ = twin.Set(patch, twin.NullValue(), "network", "eth")
	fmt.Println(patch)
	v, ok := patch.Get("network", "wifi", "ssid")
	fmt.Println(v, ok)
	// Output:
	// {"network":{"eth":null,"wifi":{"ssid":"office"}}}
	// "office" true
}
