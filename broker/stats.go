package broker

import (
	"sync/atomic"

	mqtt "github.com/mochi-mqtt/server/v2"
)

// Stats is a snapshot of the broker's counters. Counters only grow, except Connections,
// Subscriptions and Retained, which are current values.
type Stats struct {
	// Connections is the number of clients connected now.
	Connections int64
	// RefusedConnects counts CONNECTs refused by the Authenticator or by the identity rules
	// (device ID, client ID, will topic).
	RefusedConnects int64
	// RefusedPublishes counts PUBLISH packets refused by transport.Authorize (answered with
	// PUBACK 0x87 for MQTT v5 QoS 1, dropped for QoS 0, disconnected for MQTT v3.1.1 QoS 1).
	RefusedPublishes int64
	// RefusedSubscribes counts subscription filters refused by transport.Authorize (SUBACK 0x87).
	RefusedSubscribes int64
	// MessagesIn counts PUBLISH packets received from clients.
	MessagesIn int64
	// MessagesOut counts PUBLISH packets written to clients (redeliveries included).
	MessagesOut int64
	// Dropped counts messages not delivered to a subscriber because its queue was full
	// (Config.QueueLimit).
	Dropped int64
	// Subscriptions is the number of subscriptions held now, across all sessions.
	Subscriptions int64
	// Retained is the number of retained messages held now, not counting mochi's own $SYS
	// status topics.
	Retained int64
}

// Stats returns a snapshot of the counters.
func (b *Broker) Stats() Stats {
	in := b.srv.Info
	return Stats{
		Connections:       atomic.LoadInt64(&in.ClientsConnected),
		RefusedConnects:   b.refusedConnects.Load(),
		RefusedPublishes:  b.refusedPublishes.Load(),
		RefusedSubscribes: b.refusedSubscribes.Load(),
		MessagesIn:        atomic.LoadInt64(&in.MessagesReceived),
		MessagesOut:       atomic.LoadInt64(&in.MessagesSent),
		Dropped:           atomic.LoadInt64(&in.MessagesDropped) + atomic.LoadInt64(&in.InflightDropped),
		Subscriptions:     atomic.LoadInt64(&in.Subscriptions),
		Retained:          int64(b.srv.Topics.Retained.Len() - len(b.srv.Topics.Messages(mqtt.SysPrefix+"/#"))),
	}
}
