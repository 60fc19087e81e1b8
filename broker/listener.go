package broker

import (
	"crypto/tls"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/mochi-mqtt/server/v2/listeners"
)

// listener is the broker's own mochi listener (mochi's TCP listener neither tracks the
// connections it accepts nor waits for their goroutines, so a server Close could return with
// connection goroutines still running). It owns every goroutine it starts: Close closes the
// socket and every accepted connection, then waits for them all.
type listener struct {
	id      string
	ln      net.Listener
	tls     *tls.Config
	timeout time.Duration
	conns   *connTable

	mu     sync.Mutex
	open   map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup // one per connection goroutine
	served chan struct{}  // closed when Serve returns
	once   sync.Once
}

var _ listeners.Listener = (*listener)(nil)

func newListener(id string, ln net.Listener, cfg *tls.Config, timeout time.Duration, conns *connTable) *listener {
	return &listener{id: id, ln: ln, tls: cfg, timeout: timeout, conns: conns,
		open: map[net.Conn]struct{}{}, served: make(chan struct{})}
}

func (l *listener) Init(*slog.Logger) error { return nil } // bound in Start, so Start reports bind errors
func (l *listener) ID() string              { return l.id }
func (l *listener) Address() string         { return l.ln.Addr().String() }
func (l *listener) Protocol() string {
	if l.tls != nil {
		return "tls"
	}
	return "tcp"
}

// Serve accepts connections until the socket closes; each runs establish on its own goroutine.
func (l *listener) Serve(establish listeners.EstablishFn) {
	defer close(l.served)
	for {
		c, err := l.ln.Accept()
		if err != nil {
			return
		}
		if l.tls != nil {
			c = tls.Server(c, l.tls)
		}
		// The deadline covers the TLS handshake and the CONNECT packet; mochi replaces it with
		// the keep-alive deadline once the client is accepted.
		_ = c.SetDeadline(time.Now().Add(l.timeout))
		l.mu.Lock()
		if l.closed {
			l.mu.Unlock()
			_ = c.Close()
			return
		}
		l.open[c] = struct{}{}
		l.wg.Add(1)
		l.mu.Unlock()
		st := l.conns.add(c)
		go func() {
			defer l.wg.Done()
			_ = establish(l.id, c) // mochi logs the reason
			l.conns.remove(c, st)
			l.mu.Lock()
			delete(l.open, c)
			l.mu.Unlock()
			_ = c.Close()
		}()
	}
}

// Close closes the socket and every accepted connection, and waits until all their goroutines
// have returned. It does not call mochi's closeClients (which would send each client a
// DISCONNECT): in mochi v2.7.9 that path, Clients.GetByListener, takes a read lock and calls Len,
// which takes it again, and deadlocks when a client leaving at the same moment waits for the
// write lock (seen in CI). Clients see the connection drop, as in a broker restart.
func (l *listener) Close(_ listeners.CloseFn) {
	l.once.Do(func() {
		_ = l.ln.Close()
		l.mu.Lock()
		l.closed = true
		for c := range l.open {
			_ = c.Close()
		}
		l.mu.Unlock()
		l.wg.Wait()
	})
}

// wait blocks until Serve has returned; only valid once Serve was started.
func (l *listener) wait() { <-l.served }
