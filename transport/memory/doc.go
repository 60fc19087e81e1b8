// Package memory is an in-process MQTT-like broker and transport.Client implementation with
// seeded, deterministic fault injection. It is the base of fleetkit's simulator and of fast tests
// of anything built on package transport: the same twin, command, telemetry and OTA code runs over
// it unchanged.
//
// # Semantics
//
// It follows MQTT v5 where the transport contract does: QoS 0 and 1, topic filters with `+` and
// `#`, shared subscriptions ($share/{group}/{filter}, round-robin), retained messages (an empty
// retained payload deletes), message expiry (a message queued past its expiry is discarded; a
// delivered one carries the time it has left), persistent sessions (a client that connects with
// SessionExpiry > 0 keeps its subscriptions and receives, on its return, the QoS 1 messages
// published while it was away, up to Options.MaxQueued per session, oldest dropped first and
// counted), and request/response through transport.Inbox. Authorization is transport.Authorize:
// a device identity is confined to fk/v1/{device}/.
//
// # Faults
//
// Faults are set per client and per direction (Uplink: client to broker; Downlink: broker to
// client) with Broker.SetFaults: a drop probability, a duplicate probability, a delay range, and a
// reorder probability (a reordered message gets an extra delay so later ones overtake it). QoS
// keeps its promise under faults as a real network stack would: a dropped QoS 0 message is lost;
// a dropped QoS 1 message is retransmitted (and arrives with Duplicate set), so QoS 1 remains at
// least once for any drop probability below 1. Broker.Partition cuts clients off: they see
// Disconnected (Publish fails with transport.ErrNotConnected) and QoS 1 messages for their
// sessions queue until Heal. Broker.Disconnect forces a disconnect followed by a reconnect after
// Options.ReconnectDelay.
//
// Every random decision draws from one math/rand/v2 PCG source seeded with Options.Seed, under
// the broker's lock: the same seed and the same sequence of calls give the same drops and
// duplicates. Delays run on wall-clock timers, so their interleaving with other goroutines is not
// part of that promise.
package memory
