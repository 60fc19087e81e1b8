package broker

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Config configures a Broker. The zero value works: a plain MQTT listener on a free port of
// 127.0.0.1, MQTT v5 and v3.1.1, and the demo authenticator (see [AllowAll] and [DemoCloudUser]).
// Defaults are applied in one place, [New].
type Config struct {
	// Addr is the plain-TCP listen address. Default "127.0.0.1:0" (a free port on loopback).
	// Binding another interface exposes the broker to the network: pair it with a real
	// Authenticator (or use TLSOnly).
	Addr string
	// TLS, when non-nil, opens a second listener speaking MQTT over TLS with this configuration.
	// It needs at least one certificate (Certificates or GetCertificate). To verify client
	// certificates set ClientAuth (tls.RequireAndVerifyClientCert) and ClientCAs; the verified
	// chains reach the Authenticator (see [CertificateIdentity]). Nil means no TLS listener.
	TLS *tls.Config
	// TLSAddr is the TLS listen address. Default "127.0.0.1:0". Ignored when TLS is nil.
	TLSAddr string
	// TLSOnly disables the plain listener; it requires TLS.
	TLSOnly bool
	// Auth authenticates every connection and names its identity. Nil means
	// AllowAll(map[string]string{DemoCloudUser: ""}): the user name "cloud" without a password is
	// the cloud, every other connection is the device named by its user name (or client ID).
	Auth Authenticator
	// Logger receives the broker's and mochi's logs. Nil discards them.
	Logger *slog.Logger
	// QueueLimit bounds, per client, the messages the broker holds for it: QoS 1 messages stored
	// for delivery or awaiting PUBACK, and messages queued for writing. A message beyond the
	// bound is dropped and counted in Stats.Dropped. Default 8192; at most 65535.
	QueueLimit int
	// MaxPacketSize is the largest MQTT packet accepted or sent, in bytes. Default 1 MiB.
	MaxPacketSize uint32
	// ConnectTimeout bounds the time from TCP accept to a complete CONNECT packet (including the
	// TLS handshake). Default 10 s.
	ConnectTimeout time.Duration
}

// DemoCloudUser is the user name that the default authenticator treats as the cloud (with an
// empty password).
const DemoCloudUser = "cloud"

const (
	defaultAddr           = "127.0.0.1:0"
	defaultQueueLimit     = 8192
	maxQueueLimit         = 65535
	defaultMaxPacketSize  = 1 << 20
	defaultConnectTimeout = 10 * time.Second
)

// ErrConfig is matched by every configuration error returned by New.
var ErrConfig = errors.New("broker: invalid config")

func (c Config) withDefaults() (Config, error) {
	if c.Addr == "" {
		c.Addr = defaultAddr
	}
	if c.TLSAddr == "" {
		c.TLSAddr = defaultAddr
	}
	if c.TLSOnly && c.TLS == nil {
		return c, fmt.Errorf("%w: TLSOnly needs Config.TLS", ErrConfig)
	}
	if c.TLS != nil && len(c.TLS.Certificates) == 0 && c.TLS.GetCertificate == nil && c.TLS.GetConfigForClient == nil {
		return c, fmt.Errorf("%w: Config.TLS has no server certificate (Certificates, GetCertificate or GetConfigForClient)", ErrConfig)
	}
	if c.Auth == nil {
		c.Auth = AllowAll(map[string]string{DemoCloudUser: ""})
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	switch {
	case c.QueueLimit == 0:
		c.QueueLimit = defaultQueueLimit
	case c.QueueLimit < 0 || c.QueueLimit > maxQueueLimit:
		return c, fmt.Errorf("%w: QueueLimit %d outside 1..%d", ErrConfig, c.QueueLimit, maxQueueLimit)
	}
	if c.MaxPacketSize == 0 {
		c.MaxPacketSize = defaultMaxPacketSize
	}
	switch {
	case c.ConnectTimeout == 0:
		c.ConnectTimeout = defaultConnectTimeout
	case c.ConnectTimeout < 0:
		return c, fmt.Errorf("%w: ConnectTimeout %v is negative", ErrConfig, c.ConnectTimeout)
	}
	return c, nil
}
