package mqtt

import (
	"fmt"

	"github.com/fleetkit/fleetkit/transport"
)

// ReasonCode is an MQTT v5 reason code (OASIS MQTT 5.0 §2.4, Table 2-6). Codes below 0x80 are
// successes; 0x80 and above are failures.
type ReasonCode byte

// The failure reason codes a broker can return on CONNACK, PUBACK, SUBACK and DISCONNECT.
const (
	Success                      ReasonCode = 0x00
	NoMatchingSubscribers        ReasonCode = 0x10
	UnspecifiedError             ReasonCode = 0x80
	MalformedPacket              ReasonCode = 0x81
	ProtocolError                ReasonCode = 0x82
	ImplementationSpecificError  ReasonCode = 0x83
	UnsupportedProtocolVersion   ReasonCode = 0x84
	ClientIdentifierNotValid     ReasonCode = 0x85
	BadUserNameOrPassword        ReasonCode = 0x86
	NotAuthorized                ReasonCode = 0x87
	ServerUnavailable            ReasonCode = 0x88
	ServerBusy                   ReasonCode = 0x89
	Banned                       ReasonCode = 0x8A
	ServerShuttingDown           ReasonCode = 0x8B
	BadAuthenticationMethod      ReasonCode = 0x8C
	KeepAliveTimeout             ReasonCode = 0x8D
	SessionTakenOver             ReasonCode = 0x8E
	TopicFilterInvalid           ReasonCode = 0x8F
	TopicNameInvalid             ReasonCode = 0x90
	PacketIdentifierInUse        ReasonCode = 0x91
	PacketIdentifierNotFound     ReasonCode = 0x92
	ReceiveMaximumExceeded       ReasonCode = 0x93
	TopicAliasInvalid            ReasonCode = 0x94
	PacketTooLarge               ReasonCode = 0x95
	MessageRateTooHigh           ReasonCode = 0x96
	QuotaExceeded                ReasonCode = 0x97
	AdministrativeAction         ReasonCode = 0x98
	PayloadFormatInvalid         ReasonCode = 0x99
	RetainNotSupported           ReasonCode = 0x9A
	QoSNotSupported              ReasonCode = 0x9B
	UseAnotherServer             ReasonCode = 0x9C
	ServerMoved                  ReasonCode = 0x9D
	SharedSubscriptionsNotSupp   ReasonCode = 0x9E
	ConnectionRateExceeded       ReasonCode = 0x9F
	MaximumConnectTime           ReasonCode = 0xA0
	SubscriptionIDsNotSupported  ReasonCode = 0xA1
	WildcardSubscriptionsNotSupp ReasonCode = 0xA2
)

var reasonNames = map[ReasonCode]string{
	Success: "success", NoMatchingSubscribers: "no matching subscribers",
	UnspecifiedError: "unspecified error", MalformedPacket: "malformed packet", ProtocolError: "protocol error",
	ImplementationSpecificError: "implementation specific error", UnsupportedProtocolVersion: "unsupported protocol version",
	ClientIdentifierNotValid: "client identifier not valid", BadUserNameOrPassword: "bad user name or password",
	NotAuthorized: "not authorized", ServerUnavailable: "server unavailable", ServerBusy: "server busy", Banned: "banned",
	ServerShuttingDown: "server shutting down", BadAuthenticationMethod: "bad authentication method",
	KeepAliveTimeout: "keep alive timeout", SessionTakenOver: "session taken over", TopicFilterInvalid: "topic filter invalid",
	TopicNameInvalid: "topic name invalid", PacketIdentifierInUse: "packet identifier in use",
	PacketIdentifierNotFound: "packet identifier not found", ReceiveMaximumExceeded: "receive maximum exceeded",
	TopicAliasInvalid: "topic alias invalid", PacketTooLarge: "packet too large", MessageRateTooHigh: "message rate too high",
	QuotaExceeded: "quota exceeded", AdministrativeAction: "administrative action", PayloadFormatInvalid: "payload format invalid",
	RetainNotSupported: "retain not supported", QoSNotSupported: "QoS not supported", UseAnotherServer: "use another server",
	ServerMoved: "server moved", SharedSubscriptionsNotSupp: "shared subscriptions not supported",
	ConnectionRateExceeded: "connection rate exceeded", MaximumConnectTime: "maximum connect time",
	SubscriptionIDsNotSupported:  "subscription identifiers not supported",
	WildcardSubscriptionsNotSupp: "wildcard subscriptions not supported",
}

// String names the code as the MQTT v5 specification does.
func (c ReasonCode) String() string {
	if n, ok := reasonNames[c]; ok {
		return n
	}
	return fmt.Sprintf("reason code 0x%02X", byte(c))
}

// IsFailure reports whether c is a failure (0x80 or above).
func (c ReasonCode) IsFailure() bool { return c >= 0x80 }

// sentinel maps a failure code to the transport sentinel callers decide on.
func (c ReasonCode) sentinel() error {
	switch c {
	case NotAuthorized, BadUserNameOrPassword, Banned, BadAuthenticationMethod:
		return transport.ErrNotAuthorized
	case TopicNameInvalid, TopicFilterInvalid:
		return transport.ErrInvalidTopic
	case PacketTooLarge:
		return transport.ErrTooLarge
	}
	return transport.ErrRefused
}

// ReasonError is a broker's refusal: the packet it answered (CONNACK, PUBACK, SUBACK, DISCONNECT),
// the reason code, and the broker's reason string if it sent one. It matches, with errors.Is, the
// transport sentinel for its code: ErrNotAuthorized (0x86, 0x87, 0x8A, 0x8C), ErrInvalidTopic
// (0x8F, 0x90), ErrTooLarge (0x95), otherwise ErrRefused.
type ReasonError struct {
	Packet string // "CONNACK", "PUBACK", "SUBACK" or "DISCONNECT"
	Code   ReasonCode
	Reason string // the broker's reason string property, if any
	Topic  string // the topic or filter concerned, if any
}

func (e *ReasonError) Error() string {
	s := "mqtt: " + e.Packet + " " + e.Code.String() + fmt.Sprintf(" (0x%02X)", byte(e.Code))
	if e.Topic != "" {
		s += " for " + fmt.Sprintf("%q", e.Topic)
	}
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

// Is matches the transport sentinel for the code.
func (e *ReasonError) Is(target error) bool { return target == e.Code.sentinel() }
