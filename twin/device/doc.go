// Package device is the device side of fleetkit twin synchronisation: a client for one named twin
// that keeps the device's reported state in step with the cloud service (twin/cloud) over the
// transport contract, in the manner of the AWS IoT Device Shadow protocol
// (https://docs.aws.amazon.com/iot/latest/developerguide/device-shadow-mqtt.html), with
// acknowledgements following Azure IoT Plug and Play writable properties
// (https://learn.microsoft.com/azure/iot/concepts-convention).
//
// # What the client does
//
//   - On every (re)connect (transport state Connected) it fetches the full document
//     (fk/v1/{device}/twin/{name}/get) and reconciles: every registered handler whose desired
//     value differs from the device's reported value is called ([Client.Handle], and the typed
//     [Client.HandleString], [Client.HandleBool], [Client.HandleInt], [Client.HandleFloat]).
//   - A handler returning nil has applied the value: the client reports it at the same path and
//     acknowledges the property (the first key of the path) with code 200 and the desired
//     version ("ac"/"av"/"ad" in the document's ack section). An error — including a
//     [*TypeError] from a typed handler given the wrong JSON type — is acknowledged with 400 and
//     the error text, the value is not reported, and the handler is not retried until the
//     desired version changes. Desired keys without a handler are left alone.
//   - Deltas (fk/v1/{device}/twin/{name}/delta) are applied as they come. Gap detection: a delta
//     whose version skips ahead of the highest version the client has seen (version > seen+1)
//     means a change never reached it, and the client fetches the whole document; a delta at or
//     below the desired version already known is a duplicate or late and is ignored. An update
//     response announcing a desired version the client has not seen also triggers a fetch.
//   - [Client.Report] merges a patch into the local reported state and sends it. Offline, the
//     changes accumulate and are sent on reconnect as one patch: twin.Diff from the last state
//     the cloud acknowledged to the current one (ten changes to one key send one value; a key
//     added and deleted offline sends nothing), with the time each leaf really changed
//     ("stamps", from Config.Now) so the cloud's metadata keeps the offline write times.
//   - Failed requests (timeouts, lost connection) are retried every Config.RetryInterval while
//     connected; nothing pending is dropped. When Report can send at once it returns the
//     service's verdict: a change the service rejects (4xx) is rolled back locally and returned
//     as a [*RejectedError]. When a fetch or send is already under way (or Report is called from
//     a handler), the client's goroutine sends the change and Report returns nil.
//   - [Client.Sync] forces a fetch; [Client.Synced], [Client.Pending], [Client.Version],
//     [Client.Stats] and [Client.OnVersion] let applications and tests observe progress.
//
// # Conflict policy
//
// If reported changed in the cloud since the client's last acknowledged state (another writer,
// or a restart of the device), the fetch resolves the device's unsent changes against those
// remote changes with twin.Resolve. The default, twin.DeviceWins, keeps the device's value for
// every leaf both sides set — the device is the authority on what it has — and keeps the remote
// leaves the device did not touch. twin.LastWriterWins (Config.Policy) keeps the later write by
// per-leaf time instead (device clock against the cloud's metadata times). Desired is never
// written by the device.
//
// The client starts one goroutine (Start) that Close stops; handlers run on it, one at a time,
// and may call Report (it then returns at once and the goroutine sends the change). The
// document versions the client sees never go backwards except when the twin is deleted in the
// cloud (counted in Stats.Regressions).
package device
