package broker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"

	mqtt "github.com/mochi-mqtt/server/v2"
)

// Broker is an embedded MQTT v5 (and v3.1.1) broker enforcing fleetkit's namespace rule. Create
// it with New, run it with Start, stop it with Close. Its methods are safe for concurrent use.
type Broker struct {
	cfg   Config
	srv   *mqtt.Server
	conns *connTable
	ids   *identities

	// ctx is the broker's lifetime, handed to Authenticators; cancelled by Close.
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	started bool
	closed  bool
	plain   *listener
	secure  *listener
	close   sync.Once

	refusedConnects   atomic.Int64
	refusedPublishes  atomic.Int64
	refusedSubscribes atomic.Int64

	// mochiFlowControl leaves mochi's own Receive Maximum handling in place (tests only: it
	// reproduces the stall the workaround avoids).
	mochiFlowControl bool
}

// Errors from Start.
var (
	// ErrStarted: Start was called twice.
	ErrStarted = errors.New("broker: already started")
	// ErrClosed: the broker was closed; it cannot be restarted (create a new one).
	ErrClosed = errors.New("broker: closed")
)

// New validates cfg, applies its defaults and builds a broker. It opens no socket: Start does.
// Errors match ErrConfig.
func New(cfg Config) (*Broker, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	caps := mqtt.NewDefaultServerCapabilities()
	caps.MaximumQos = 1             // fleetkit's contract is QoS 0 and 1
	caps.MinimumProtocolVersion = 4 // MQTT v3.1.1 and v5
	caps.MaximumInflight = uint16(cfg.QueueLimit)
	caps.MaximumClientWritesPending = int32(cfg.QueueLimit)
	caps.MaximumPacketSize = cfg.MaxPacketSize
	srv := mqtt.New(&mqtt.Options{
		Capabilities: caps,
		Logger:       cfg.Logger,
		// Write every packet straight to the connection. mochi otherwise coalesces writes into a
		// buffer it flushes only on a later write; the flow-control workaround parks the write
		// goroutine until the client acknowledges, and packets left in that buffer would never
		// reach the client to be acknowledged.
		ClientNetWriteBufferSize: 1,
	})
	ctx, cancel := context.WithCancel(context.Background())
	b := &Broker{cfg: cfg, srv: srv, conns: newConnTable(), ids: newIdentities(), ctx: ctx, cancel: cancel}
	if err := srv.AddHook(&hook{b: b}, nil); err != nil {
		cancel()
		return nil, fmt.Errorf("broker: add hook: %w", err)
	}
	return b, nil
}

// Start binds the listeners and starts serving. ctx bounds only the binding: the broker runs
// until Close. It fails with ErrStarted or ErrClosed when called twice or after Close, and with
// the listen error when an address cannot be bound.
func (b *Broker) Start(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrClosed
	}
	if b.started {
		return ErrStarted
	}
	var lc net.ListenConfig
	var plain, secure *listener
	if !b.cfg.TLSOnly {
		ln, err := lc.Listen(ctx, "tcp", b.cfg.Addr)
		if err != nil {
			return fmt.Errorf("broker: listen on %s: %w", b.cfg.Addr, err)
		}
		plain = newListener("mqtt", ln, nil, b.cfg.ConnectTimeout, b.conns)
	}
	if b.cfg.TLS != nil {
		ln, err := lc.Listen(ctx, "tcp", b.cfg.TLSAddr)
		if err != nil {
			if plain != nil {
				_ = plain.ln.Close()
			}
			return fmt.Errorf("broker: listen on %s: %w", b.cfg.TLSAddr, err)
		}
		secure = newListener("mqtts", ln, b.cfg.TLS.Clone(), b.cfg.ConnectTimeout, b.conns)
	}
	for _, l := range []*listener{plain, secure} {
		if l == nil {
			continue
		}
		if err := b.srv.AddListener(l); err != nil {
			return fmt.Errorf("broker: add listener %s: %w", l.id, err)
		}
	}
	if err := b.srv.Serve(); err != nil {
		return fmt.Errorf("broker: serve: %w", err)
	}
	b.plain, b.secure, b.started = plain, secure, true
	b.cfg.Logger.Info("broker listening", "mqtt", b.addr(plain), "mqtts", b.addr(secure))
	return nil
}

// Close drops every client connection (without a DISCONNECT packet: mochi's path for sending
// them can deadlock, see listener.Close), closes the listeners and returns once every goroutine the broker started for them has
// ended: accept loops, connection readers and writers. mochi's housekeeping goroutine is
// signalled and exits on its own right after. Close is idempotent and always returns nil.
func (b *Broker) Close() error {
	b.close.Do(func() {
		b.mu.Lock()
		b.closed = true
		started := b.started
		b.mu.Unlock()
		b.cancel()
		_ = b.srv.Close()
		if started {
			for _, l := range []*listener{b.plain, b.secure} {
				if l != nil {
					l.wait()
				}
			}
		}
	})
	return nil
}

// Addr returns the plain listener's address ("127.0.0.1:port"), or "" before Start or with
// TLSOnly.
func (b *Broker) Addr() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.addr(b.plain)
}

// URL returns "mqtt://" + Addr(), or "" when Addr() is "".
func (b *Broker) URL() string { return joinURL("mqtt", b.Addr()) }

// TLSAddr returns the TLS listener's address, or "" before Start or without Config.TLS.
func (b *Broker) TLSAddr() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.addr(b.secure)
}

// TLSURL returns "mqtts://" + TLSAddr(), or "" when TLSAddr() is "".
func (b *Broker) TLSURL() string { return joinURL("mqtts", b.TLSAddr()) }

func (b *Broker) addr(l *listener) string {
	if l == nil {
		return ""
	}
	return l.Address()
}

func joinURL(scheme, addr string) string {
	if addr == "" {
		return ""
	}
	return scheme + "://" + addr
}
