// Package cloud is the cloud side of fleetkit twin synchronisation: a service that keeps twin
// documents (package twin) in a store (package twin/store) and serves devices over the transport
// contract (package transport), following the AWS IoT Device Shadow MQTT protocol
// (https://docs.aws.amazon.com/iot/latest/developerguide/device-shadow-mqtt.html) with the
// acknowledgements of Azure IoT Plug and Play writable properties.
//
// # Topics and messages
//
// A device sends requests (transport.Request: response topic plus correlation data) on
//
//	fk/v1/{device}/twin/{name}/get       body empty or {"clientToken":"t"}
//	fk/v1/{device}/twin/{name}/update    {"state":{"reported":{...}},"stamps":{...},"acks":{"p":{"ac":200,"av":3,"ad":"ok"}},"version":N,"clientToken":"t"}
//	fk/v1/{device}/twin/{name}/delete    body empty or {"version":N}
//
// and gets {"status":"accepted","version":N,"desiredVersion":D[,"document":{...}]} (the
// document with get) or {"status":"rejected","version":N,"error":{"code":409,"rule":"conflict",
// "detail":..,"path":..,"message":..}} — the rule says which check failed (see the Rule
// constants), path where. "version" in a request makes it a compare-and-set. "stamps" carries
// the device's per-leaf write times for the reported patch (twin.Update.Stamps), so metadata
// keeps when coalesced offline changes really happened; they are the device's clock, taken as
// given (a device with a clock far ahead wins last-writer-wins resolutions it should not). "device" may name
// the device and must then be the topic's device.
//
// The service publishes, at QoS 1, the delta (the AWS delta document with the new version) to
// fk/v1/{device}/twin/{name}/delta whenever desired changed, and a document-changed notification
// for cloud subscribers ({"device","name","section":"desired"|"reported"|"deleted","version",
// "document"}) to fk/v1/_twin/changed/{device}/{name} ([ChangedTopic], [ChangedFilter]) — a
// topic outside every device's prefix, so devices can neither forge nor read them.
//
// # Serving
//
// [Service.Start] subscribes with transport.Respond to three shared subscriptions,
// $share/{group}/fk/v1/+/twin/+/{get,update,delete} — narrower than fk/v1/+/twin/#, so the
// service's own delta publishes are not routed back to it. A transport client calls handlers one
// at a time, so one Service serves one request at a time; run several Services (on several
// transport clients, in one process or many) with the same group to serve in parallel: the
// broker spreads the requests and the store's compare-and-set keeps concurrent writes to one twin
// correct (read, apply, CompareAndSet, retry on conflict, up to Config.MaxRetries).
//
// # Rules
//
//   - A device can only touch its own twins: the broker confines a device identity to
//     fk/v1/{device}/ (transport.Authorize), the topic's device level is therefore the
//     authenticated identity, and a body naming another device is refused (403 "forbidden").
//   - Devices write reported (and acks); desired is written by the cloud API,
//     [Service.UpdateDesired]. A device update carrying state.desired is refused (403).
//   - Every accepted update increments the version by one (twin.Document.Apply); a stale
//     expected version is refused with 409 "conflict" and the current version.
//   - Non-object patches, invalid JSON, too deep, too large, unknown members, acks naming a
//     desired version that does not exist: 400 with the rule and path. The stored document is
//     unchanged on every error: it is written only after Apply accepted the update, by one
//     compare-and-set.
//   - Twins are named: the {name} level must satisfy store.ValidateKey and not be empty.
//
// # Conflict policy
//
// Desired is the cloud's: UpdateDesired with expected version 0 merges into whatever is current
// (last writer wins per leaf, as merge patches do); with an expected version it is a
// compare-and-set. Reported is the device's: the service applies reported patches as they come
// (no expected version), and the device client resolves its offline changes against reported
// changes made meanwhile with twin.Resolve under twin.DeviceWins by default (see twin/device).
//
// # Fleet query
//
// [Service.Query] runs a store.Query (predicates on desired and reported paths, and on device
// labels the caller supplies) on stores that implement store.Querier — the memory store and
// twin/store/pgstore — and returns the matching documents; on the file store it fails with
// [ErrQueryUnsupported].
//
// # Errors
//
// Test with errors.Is: [ErrBadRequest], [ErrForbidden], [ErrNotFound], [ErrBadTopic],
// [ErrCASExhausted], [ErrClosed], [ErrQueryUnsupported], and the twin and store sentinels (twin.ErrConflict,
// twin.ErrLimit, store.ErrInvalidKey, ...). Detail: [*RequestError], twin's typed errors.
package cloud
