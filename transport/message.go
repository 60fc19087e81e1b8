package transport

import (
	"context"
	"time"
)

// QoS is the delivery guarantee of a message.
type QoS byte

const (
	// AtMostOnce (QoS 0): fire and forget.
	AtMostOnce QoS = 0
	// AtLeastOnce (QoS 1): acknowledged, retried until acknowledged; duplicates possible.
	AtLeastOnce QoS = 1
)

// Content types fleetkit puts on the wire.
const (
	ContentJSON  = "application/json"
	ContentCBOR  = "application/cbor"
	ContentSenML = "application/senml+json"
	// ContentSenMLCBOR is SenML in CBOR (RFC 8428 §6).
	ContentSenMLCBOR = "application/senml+cbor"
)

// UserProperty is one MQTT v5 user property. Keys may repeat and order is kept.
type UserProperty struct {
	Key, Value string
}

// Message is one publish: topic, payload and the MQTT v5 metadata every transport maps onto its wire.
// The zero value of each optional field means "absent".
type Message struct {
	Topic   string
	Payload []byte
	// ContentType is a MIME type, e.g. ContentJSON or ContentCBOR.
	ContentType string
	QoS         QoS
	// Retain asks the broker to keep the message for future subscribers. On a received message it
	// says the message came from the retained store.
	Retain bool
	// Expiry is the message expiry interval: a broker discards the message if it cannot deliver it
	// within this time. Zero means it never expires. MQTT carries whole seconds (rounded up).
	Expiry time.Duration
	// ResponseTopic and CorrelationData make a request: the responder publishes its answer to
	// ResponseTopic with the same CorrelationData.
	ResponseTopic   string
	CorrelationData []byte
	// UserProperties are ordered key/value pairs (trace context, tenant, schema version...).
	UserProperties []UserProperty
	// Duplicate is set on a received message the transport knows to be a redelivery (MQTT DUP flag).
	Duplicate bool
}

// Property returns the value of the first user property named key.
func (m *Message) Property(key string) (string, bool) {
	for _, p := range m.UserProperties {
		if p.Key == key {
			return p.Value, true
		}
	}
	return "", false
}

// Clone returns a deep copy of m.
func (m *Message) Clone() *Message {
	c := *m
	c.Payload = append([]byte(nil), m.Payload...)
	if m.CorrelationData != nil {
		c.CorrelationData = append([]byte(nil), m.CorrelationData...)
	}
	if m.UserProperties != nil {
		c.UserProperties = append([]UserProperty(nil), m.UserProperties...)
	}
	return &c
}

// ResponseTo returns a message addressed to req's response topic with req's correlation data,
// carrying payload. It is what a responder publishes.
func ResponseTo(req *Message, payload []byte, contentType string) *Message {
	return &Message{
		Topic:           req.ResponseTopic,
		Payload:         payload,
		ContentType:     contentType,
		QoS:             req.QoS,
		CorrelationData: req.CorrelationData,
	}
}

// Handler receives messages of a subscription. See the package documentation for the rules on
// what it may do.
type Handler func(*Message)

// Publisher publishes messages.
type Publisher interface {
	Publish(ctx context.Context, m *Message) error
}

// Subscriber subscribes handlers to topic filters.
type Subscriber interface {
	// Subscribe asks for the messages matching filter (MQTT wildcards, or a shared subscription
	// `$share/{group}/{filter}`), delivered at most at qos, to h. The subscription survives reconnects
	// until it is unsubscribed or the client closes.
	Subscribe(ctx context.Context, filter string, qos QoS, h Handler) (*Subscription, error)
}

// Requester sends a request and waits for its response.
type Requester interface {
	// Request publishes m with a response topic and fresh correlation data, and returns the first
	// response carrying that correlation data. It fails with ErrTimeout when ctx's deadline passes,
	// or ctx.Err() when ctx is cancelled. m.ResponseTopic and m.CorrelationData are set by the
	// transport; a caller-provided ResponseTopic is an error.
	Request(ctx context.Context, m *Message) (*Message, error)
}

// Client is the contract every fleetkit transport satisfies.
type Client interface {
	Publisher
	Subscriber
	Requester
	// ID is the client's identity on the wire (the MQTT client identifier).
	ID() string
	// State returns the current connection state.
	State() State
	// AwaitConnection blocks until the client is connected, ctx is done, or the client is closed.
	AwaitConnection(ctx context.Context) error
	// OnStateChange registers f to be called, in order and never concurrently, on every state
	// change. f must not block. The returned function removes it.
	OnStateChange(f func(StateEvent)) (remove func())
	// Close disconnects and stops every goroutine the client started. It is idempotent.
	Close() error
}
