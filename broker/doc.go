// Package broker is fleetkit's zero-setup embedded MQTT broker, for demos, tests and the
// default of the examples. It speaks MQTT v5 (OASIS MQTT Version 5.0, 2019) and v3.1.1 (OASIS
// MQTT Version 3.1.1, 2014), is built on github.com/mochi-mqtt/server/v2 v2.7.9, and enforces
// fleetkit's namespace rule, transport.Authorize, on every publish, subscription, delivery and
// will message.
//
//	b, err := broker.New(broker.Config{}) // 127.0.0.1, a free port
//	if err != nil { ... }
//	if err := b.Start(ctx); err != nil { ... }
//	defer b.Close()
//	fmt.Println(b.URL()) // mqtt://127.0.0.1:41234
//
// For production fleets use a clustered broker (EMQX, HiveMQ, VerneMQ) or Mosquitto with the
// same rule; this package is the single-process default.
//
// # Identity and authorization
//
// Every CONNECT goes through the [Authenticator] in [Config.Auth], which turns what the client
// presented ([ConnectInfo]: client ID, user name, password, TLS certificates) into a
// transport.Identity: a device (its device ID) or the cloud. Ready-made authenticators:
//
//   - [AllowAll] (the default, with the user name [DemoCloudUser] "cloud" and no password as the
//     cloud): listed cloud user names with their passwords are the cloud; any other connection
//     is the device named by its user name, or by its client ID when it sends none.
//   - [Credentials]: fixed tables of cloud and device passwords; anyone else is refused.
//   - [CertificateIdentity]: the identity comes from the client certificate verified by the TLS
//     listener: URI SAN urn:fleetkit:device:{id} (a device), urn:fleetkit:cloud:{name} (the
//     cloud), or, if enabled, the subject CN as the device ID.
//
// The broker then applies the identity rules: a device identity must be a valid device ID
// (transport.ValidateDeviceID) and must connect with its device ID as the MQTT client ID, so
// that no device can take over another's session; a will message must be one the identity may
// publish. Refusals answer CONNACK with a reason code: 0x86 (Bad user name or password) when
// the Authenticator's error matches [ErrBadCredentials], 0x85 (Client identifier not valid) for
// a device connecting under another client ID, 0x87 (Not authorized) otherwise. MQTT v3.1.1
// clients get the v3.1.1 return codes 0x04, 0x02 and 0x05.
//
// After CONNECT, mochi asks one question, "may this client use this topic", for each PUBLISH,
// each subscription filter and each delivery; the answer is always transport.Authorize: a
// device only under fk/v1/{its id}/ (no shared subscriptions), the cloud anywhere. A refused
// subscription gets SUBACK reason 0x87; a refused MQTT v5 QoS 1 PUBLISH gets PUBACK 0x87; a
// refused QoS 0 PUBLISH is dropped; a refused MQTT v3.1.1 QoS 1 PUBLISH disconnects the client
// (v3.1.1 has no negative PUBACK). Every refusal is counted in [Stats].
//
// # Features
//
// QoS 0 and 1 (the broker advertises Maximum QoS 1, fleetkit's contract; QoS 2 requests are
// downgraded), retained messages, shared subscriptions ($share/{group}/{filter}, cloud only),
// message expiry, session expiry (persistent sessions keep their QoS 1 messages while the
// client is away) and will messages, each covered by a test with a paho.golang client. mochi
// also provides will delay, subscription identifiers and topic aliases; fleetkit does not test
// them.
// Per client the broker holds at most [Config.QueueLimit] messages (default 8192); messages
// beyond it are dropped and counted in Stats.Dropped, never silently.
// Sessions live in memory: they do not survive Close.
//
// # Flow control (the mochi v2.7.9 stall and its workaround)
//
// An MQTT v5 client may announce a Receive Maximum: the most QoS 1 messages the server may
// send it without PUBACK (§3.1.2.11.3, §4.9). fleetkit's MQTT client always does (it saves
// about 500 KB per connection in paho.golang). mochi v2.7.9 stalls such a subscriber after a
// few messages. The cause, in mochi's source:
//
//   - When a client's send quota is 0, publishToClient (server.go) stores the message in the
//     client's Inflight map with Expiry -1 ("send later") instead of sending it.
//   - After each packet it reads from that client, processPacket sends the oldest such message
//     (Inflight.NextImmediate), then deletes it from Inflight and calls DecreaseSendQuota.
//   - When the client acknowledges that message, processPuback no longer finds its packet ID in
//     Inflight and returns early, so IncreaseSendQuota is never called for it. Each message that
//     went through the "send later" path leaks one unit of quota; once the quota reaches 0 for
//     good, every later message is parked forever (until Inflight holds MaximumInflight
//     messages, after which they are dropped). The same deletion loses those messages if the
//     connection drops before the PUBACK, and NextImmediate orders them by creation second only,
//     so messages parked within one second can be delivered out of order.
//
// The workaround uses only mochi's hook API and public fields (mochi's code is neither modified
// nor copied): in the OnConnect hook the broker records the client's Receive Maximum, then sets
// the client's ReceiveMaximum property to 0 and its send quota to 0. mochi reads a maximum of 0
// as "no limit", so it never takes the "send later" path, not even when a stored session is
// taken over (which re-derives the quota from that property). The broker enforces the Receive
// Maximum itself in the OnPacketEncode hook, which mochi calls on the client's writer goroutine
// for every packet: a new QoS 1 PUBLISH waits there until fewer than Receive Maximum are
// unacknowledged, and the OnPacketRead hook returns the slot on PUBACK. Waiting messages stay in
// mochi's per-client queue, in order; their remaining expiry is recomputed when they are sent.
// Redeliveries of a stored session (DUP set) are written by mochi on the connection goroutine
// before it reads acknowledgements, so they are counted but never held. Because the writer can
// now wait, mochi's write coalescing buffer is turned off (Options.ClientNetWriteBufferSize 1):
// a packet left in that buffer would never reach a client that the writer is waiting on.
// TestReceiveMaximumDelivery is the regression test (Receive Maximum 1, 10 and 100);
// TestMochiFlowControlStalls pins the upstream bug with the workaround disabled.
//
// # Lifecycle
//
// [New] validates the configuration and opens nothing; [Broker.Start] binds the listeners;
// [Broker.Close] disconnects every client, closes the listeners and waits for every connection
// goroutine the broker started. The broker owns its listeners (mochi's TCP listener neither
// tracks the connections it accepts nor bounds the wait for CONNECT): each connection gets
// [Config.ConnectTimeout] to complete its TLS handshake and CONNECT. Logs go to
// [Config.Logger]; mochi's own logging, which is verbose, goes there too, and nil discards all.
package broker
