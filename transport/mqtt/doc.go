// Package mqtt is fleetkit's MQTT v5 transport, built on github.com/eclipse/paho.golang's
// low-level client under fleetkit's own connection manager.
//
// A [Client] satisfies transport.Client. It owns one paho connection at a time (mechanism) and a
// manager goroutine owns the policy: reconnect with jittered exponential backoff across
// Config.Servers, resume the broker session (Config.SessionExpiry, default one hour, so commands
// queued while a device is away are delivered when it returns), re-establish every subscription,
// and report each state change.
//
// # Delivery
//
// QoS 0 and 1 (fleetkit does not use QoS 2: its receivers deduplicate). Without an outbox a QoS 1
// Publish waits for the PUBACK and fails with transport.ErrNotConnected while offline. With an
// [Outbox] (Config.Outbox), Publish stores the message durably and returns; the client delivers
// stored messages in order with up to OutboxOptions.Window in flight whenever it is connected,
// surviving reconnects and kill -9. Request/response uses MQTT v5 response topics and correlation
// data, with the response inbox at fk/v1/{ClientID}/rsp/in.
//
// # Brokers
//
// Tested against fleetkit's embedded broker (package broker) and Mosquitto. Mosquitto 2.0.x leaves
// Nagle's algorithm on: set `set_tcp_nodelay true` in mosquitto.conf or each QoS 1 round trip
// stalls about 40 ms. Mosquitto also caps a client's queue at 1,000 messages by default and drops
// QoS 1 messages beyond it silently (`max_queued_messages`): fleetkit's telemetry and commands
// carry sequence numbers so that such loss shows as a gap.
//
// The client sets a receive maximum (Config.ReceiveMaximum, default 20): paho sizes its inbound
// queue by it, and the protocol default of 65,535 costs about half a megabyte per connection.
//
// # Errors
//
// Broker refusals arrive as *[ReasonError] carrying the MQTT v5 reason code; each matches the
// transport sentinel callers decide on (transport.ErrNotAuthorized for 0x87, and so on).
package mqtt
