package transport

import (
	"errors"
	"strconv"
)

// Sentinel errors shared by every transport. Test for them with errors.Is; transports wrap them with
// detail (the topic, the reason code) using %w.
var (
	// ErrNotConnected: the operation needs a live connection and the client has none (and no outbox
	// to hold the message).
	ErrNotConnected = errors.New("transport: not connected")
	// ErrTimeout: a request got no response, or the broker no acknowledgement, in time.
	ErrTimeout = errors.New("transport: timeout")
	// ErrClosed: the client was closed; it will not reconnect.
	ErrClosed = errors.New("transport: client closed")
	// ErrTooLarge: the payload (or whole packet) exceeds the configured or negotiated maximum.
	ErrTooLarge = errors.New("transport: message too large")
	// ErrInvalidTopic: a topic name or filter breaks the MQTT v5 rules or fleetkit's namespace.
	ErrInvalidTopic = errors.New("transport: invalid topic")
	// ErrNotAuthorized: the identity may not publish or subscribe there (another device's prefix, or
	// the broker refused).
	ErrNotAuthorized = errors.New("transport: not authorized")
	// ErrOutboxFull: the durable outbox reached its bound and its policy is to refuse new messages.
	ErrOutboxFull = errors.New("transport: outbox full")
	// ErrRefused: the peer refused the connection or the operation for a reason that is not
	// authorization (bad protocol version, server unavailable, quota exceeded...).
	ErrRefused = errors.New("transport: refused by peer")
)

// TopicError says which rule a topic name or filter broke and where. It matches ErrInvalidTopic.
type TopicError struct {
	Topic  string // the offending topic name or filter
	Offset int    // byte offset of the fault, or -1 when it concerns the whole string
	Rule   string // the rule broken, in words
}

func (e *TopicError) Error() string {
	if e.Offset >= 0 {
		return "transport: invalid topic " + quote(e.Topic) + " at byte " + strconv.Itoa(e.Offset) + ": " + e.Rule
	}
	return "transport: invalid topic " + quote(e.Topic) + ": " + e.Rule
}

// Is reports whether target is ErrInvalidTopic.
func (e *TopicError) Is(target error) bool { return target == ErrInvalidTopic }

func quote(s string) string {
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return "\"" + s + "\""
}
