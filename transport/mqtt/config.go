package mqtt

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"time"

	"github.com/fleetkit/fleetkit/internal/backoff"
	"github.com/fleetkit/fleetkit/transport"
)

// Config configures a Client. Only Servers and ClientID are required; every other field's zero
// value means the default given in its comment.
type Config struct {
	// Servers are broker URLs tried in turn: mqtt://host:port or tcp:// (plain TCP, default port
	// 1883), mqtts://, ssl:// or tls:// (TLS, default port 8883). Required.
	Servers []string
	// ClientID is the MQTT client identifier. For a device it is the device ID and must match the
	// identity the broker authenticates. It must satisfy transport.ValidateDeviceID (it names the
	// response inbox). Required.
	ClientID string
	// Cloud says the client acts for the cloud: its requests to a device carry a response topic in
	// that device's prefix (fk/v1/{device}/rsp/{ClientID}) and it listens on fk/v1/+/rsp/{ClientID}.
	// A device client leaves it false.
	Cloud bool
	// Username and Password authenticate with the broker (optional).
	Username string
	Password []byte
	// TLS configures TLS for mqtts:// servers, including a client certificate for mTLS
	// (Certificates or GetClientCertificate, which lets a renewed certificate take effect on the
	// next connection). nil means crypto/tls defaults. ServerName is filled from the URL if empty.
	TLS *tls.Config
	// KeepAlive is the MQTT keep-alive interval (default 30s).
	KeepAlive time.Duration
	// ConnectTimeout bounds dialing plus the CONNECT/CONNACK exchange (default 10s).
	ConnectTimeout time.Duration
	// SessionExpiry is how long the broker keeps the session (subscriptions and queued QoS 1
	// messages) after a disconnect (default 1h). Negative means the session ends with the
	// connection.
	SessionExpiry time.Duration
	// CleanStart discards any session the broker holds for ClientID on the first connection.
	// Reconnections always resume the session.
	CleanStart bool
	// ReceiveMaximum is how many QoS 1 messages the broker may have in flight to this client
	// (default 20). It also sizes paho's inbound queue: the MQTT default of 65,535 costs ~0.5 MB of
	// heap per connection.
	ReceiveMaximum uint16
	// MaxPayload refuses larger payloads with transport.ErrTooLarge before they are sent
	// (default 1 MiB). A smaller maximum packet size announced by the broker also applies.
	MaxPayload int
	// Backoff spaces reconnection attempts (default: 250ms doubling to 30s, equal jitter).
	Backoff backoff.Policy
	// Will is published by the broker if the connection drops without a clean disconnect
	// (presence). Its topic must be one the client may publish to.
	Will *transport.Message
	// Outbox, if set, makes QoS 1 publishing durable: Publish stores the message in the outbox and
	// returns; the client delivers stored messages in order whenever it is connected and removes
	// each once the broker acknowledged it. See NewOutbox.
	Outbox *Outbox
	// PacketTimeout bounds the wait for a broker acknowledgement (default 10s).
	PacketTimeout time.Duration
	// Logger receives connection events; nil discards them.
	Logger *slog.Logger
	// Dialer opens the network connection; nil uses net.Dialer (and tls.Dialer for TLS URLs).
	// Tests inject faults here.
	Dialer func(ctx context.Context, network, addr string) (net.Conn, error)
}

const (
	defaultKeepAlive      = 30 * time.Second
	defaultConnectTimeout = 10 * time.Second
	defaultSessionExpiry  = time.Hour
	defaultReceiveMaximum = 20
	defaultMaxPayload     = 1 << 20
	defaultPacketTimeout  = 10 * time.Second
)

type server struct {
	addr string
	tls  bool
	host string
}

// withDefaults validates c and returns a copy with defaults applied, plus the parsed servers.
func (c Config) withDefaults() (Config, []server, error) {
	if c.ClientID == "" {
		return c, nil, errors.New("mqtt: Config.ClientID is required")
	}
	if err := transport.ValidateDeviceID(c.ClientID); err != nil {
		return c, nil, fmt.Errorf("mqtt: Config.ClientID: %w", err)
	}
	if len(c.Servers) == 0 {
		return c, nil, errors.New("mqtt: Config.Servers needs at least one broker URL")
	}
	var servers []server
	for i, s := range c.Servers {
		u, err := url.Parse(s)
		if err != nil {
			return c, nil, fmt.Errorf("mqtt: Config.Servers[%d]: %w", i, err)
		}
		sv := server{host: u.Hostname()}
		port := u.Port()
		switch u.Scheme {
		case "mqtt", "tcp":
			if port == "" {
				port = "1883"
			}
		case "mqtts", "ssl", "tls":
			sv.tls = true
			if port == "" {
				port = "8883"
			}
		default:
			return c, nil, fmt.Errorf("mqtt: Config.Servers[%d] %q: scheme must be mqtt, tcp, mqtts, ssl or tls", i, s)
		}
		if sv.host == "" {
			return c, nil, fmt.Errorf("mqtt: Config.Servers[%d] %q: missing host", i, s)
		}
		sv.addr = net.JoinHostPort(sv.host, port)
		servers = append(servers, sv)
	}
	if c.KeepAlive <= 0 {
		c.KeepAlive = defaultKeepAlive
	}
	if c.KeepAlive/time.Second > 65535 {
		return c, nil, errors.New("mqtt: Config.KeepAlive above 65535s")
	}
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = defaultConnectTimeout
	}
	if c.SessionExpiry == 0 {
		c.SessionExpiry = defaultSessionExpiry
	}
	if c.ReceiveMaximum == 0 {
		c.ReceiveMaximum = defaultReceiveMaximum
	}
	if c.MaxPayload <= 0 {
		c.MaxPayload = defaultMaxPayload
	}
	if c.PacketTimeout <= 0 {
		c.PacketTimeout = defaultPacketTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Will != nil {
		if err := transport.ValidateTopic(c.Will.Topic); err != nil {
			return c, nil, fmt.Errorf("mqtt: Config.Will: %w", err)
		}
	}
	return c, servers, nil
}
