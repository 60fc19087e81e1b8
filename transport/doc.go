// Package transport is fleetkit's one contract for moving messages between devices and the cloud.
//
// MQTT v5 (transport/mqtt), the in-process broker (transport/memory) and, later, CoAP and HTTP all
// satisfy [Client]: publish, subscribe with MQTT topic filters (`+` and `#`, shared subscriptions
// `$share/{group}/{filter}`), request/response with correlation data, and connection-state events.
// The twin, command, telemetry and OTA packages see only this package; which wire protocol carries
// their messages is decided in main.
//
// # Messages
//
// A [Message] carries a topic, a payload and the MQTT v5 publish metadata that every transport maps
// onto its own wire: content type, QoS (0 at most once, 1 at least once), retain, message expiry,
// response topic, correlation data and ordered user properties (trace context travels there).
//
// # Delivery contract
//
//   - Publish returns once the transport has taken responsibility for the message: for QoS 0 when it
//     has been written to the connection; for QoS 1 when the broker acknowledged it or, for a
//     transport configured with a durable outbox, when the message is stored there (the outbox then
//     owns delivery and survives a crash). A transport without an outbox returns [ErrNotConnected]
//     while it is offline.
//   - QoS 1 is at least once: receivers must expect duplicates (see package dedupe).
//   - A client calls its handlers from one goroutine, in arrival order, and never from the
//     goroutine that reads the connection: a handler may Publish (including QoS 1, which waits for
//     an acknowledgement) and may make a Request, whose response is routed to it without passing
//     through the handler queue. A handler that blocks delays the client's later deliveries, so
//     hand long work to your own goroutine.
//   - A QoS 1 message is acknowledged to the broker once the client has queued it for its
//     handlers. A lost connection is covered by the broker's redelivery; a crash of the process
//     between acknowledgement and handler is covered end to end by fleetkit's higher layers
//     (the command outbox retries until a final state; telemetry carries sequence numbers).
//   - Subscriptions survive reconnects: the transport re-establishes them.
//
// # Topics
//
// Topic names and filters follow MQTT v5 §4.7 ([ValidateTopic], [ValidateFilter], [Match]). fleetkit's
// own namespace, `fk/v1/{device}/{kind}/...`, is built and parsed only in this package ([DeviceTopic],
// [ParseTopic]); [Authorize] is the rule brokers enforce: a device identity may publish and subscribe
// only under its own `fk/v1/{device}/` prefix.
//
// # Errors
//
// Callers test errors with errors.Is against the sentinels in errors.go ([ErrNotConnected],
// [ErrTimeout], [ErrClosed], [ErrTooLarge], [ErrInvalidTopic], [ErrNotAuthorized], [ErrOutboxFull]).
// Transports wrap protocol detail (an MQTT reason code, say) in typed errors that still match them.
package transport
