package memory

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/fleetkit/fleetkit/transport"
)

// ClientConfig configures a client of a Broker.
type ClientConfig struct {
	// ID is the client ID and, unless Identity says otherwise, the device identity. Required.
	ID string
	// Identity is who the client is for authorization; zero means a device named ID.
	Identity transport.Identity
	// SessionExpiry > 0 makes the session persistent: subscriptions and QoS 1 messages published
	// while the client is away are kept for its return. (The memory broker keeps a persistent
	// session until the broker closes; the value is not a timer.)
	SessionExpiry time.Duration
	// CleanStart discards an existing session for ID.
	CleanStart bool
	// MaxPayload refuses larger payloads with transport.ErrTooLarge (default Options.MaxPayload).
	MaxPayload int
}

// Client is a transport.Client connected to a Broker.
type Client struct {
	b      *Broker
	cfg    ClientConfig
	sess   *session // guarded by b.mu
	st     transport.StateTracker
	inbox  *transport.Inbox
	mbox   transport.Mailbox
	router transport.Router

	closeOnce sync.Once
}

var _ transport.Client = (*Client)(nil)

// ID returns the client ID.
func (c *Client) ID() string { return c.cfg.ID }

// State returns the connection state.
func (c *Client) State() transport.State { return c.st.State() }

// AwaitConnection blocks until connected, ctx is done or the client is closed.
func (c *Client) AwaitConnection(ctx context.Context) error { return c.st.AwaitConnection(ctx) }

// OnStateChange registers f for state changes.
func (c *Client) OnStateChange(f func(transport.StateEvent)) (remove func()) {
	return c.st.OnStateChange(f)
}

// Close ends the connection (a persistent session stays with the broker) and waits for a running
// handler to return. It is idempotent.
func (c *Client) Close() error {
	c.closeWith(nil, true)
	return nil
}

func (c *Client) closeWith(reason error, detach bool) {
	c.closeOnce.Do(func() {
		if detach {
			c.b.detach(c)
		}
		c.st.Set(transport.Closed, reason)
		c.mbox.Close()
	})
}

func (c *Client) check(m *transport.Message) error {
	if c.st.State() == transport.Closed {
		return transport.ErrClosed
	}
	if err := transport.ValidateTopic(m.Topic); err != nil {
		return err
	}
	if len(m.Payload) > c.cfg.MaxPayload {
		return fmt.Errorf("%w: %d-byte payload to %q exceeds the %d-byte maximum", transport.ErrTooLarge, len(m.Payload), m.Topic, c.cfg.MaxPayload)
	}
	if m.QoS > transport.AtLeastOnce {
		return fmt.Errorf("memory: QoS %d to %q: fleetkit uses QoS 0 and 1", m.QoS, m.Topic)
	}
	if c.st.State() != transport.Connected {
		return fmt.Errorf("%w: publish to %q", transport.ErrNotConnected, m.Topic)
	}
	c.b.mu.Lock()
	err := transport.Authorize(c.sess.identity, transport.ActionPublish, m.Topic)
	if err != nil {
		c.b.stats.Refused++
	}
	c.b.mu.Unlock()
	return err
}

// Publish sends m through the broker. QoS 1 returns once the broker has it (after any uplink
// delay); there is no outbox, so a disconnected client gets transport.ErrNotConnected.
func (c *Client) Publish(ctx context.Context, m *transport.Message) error {
	if err := c.check(m); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return transport.ContextError(err)
	}
	return c.b.publish(ctx, c, m)
}

// Subscribe adds a subscription to the client's session; retained messages matching it are
// delivered with Retain set.
func (c *Client) Subscribe(ctx context.Context, filter string, qos transport.QoS, h transport.Handler) (*transport.Subscription, error) {
	if err := transport.ValidateFilter(filter); err != nil {
		return nil, err
	}
	if h == nil {
		return nil, errors.New("memory: subscribe: nil handler")
	}
	if qos > transport.AtLeastOnce {
		return nil, fmt.Errorf("memory: subscribe %q: fleetkit uses QoS 0 and 1", filter)
	}
	if c.st.State() == transport.Closed {
		return nil, transport.ErrClosed
	}
	rt := &transport.Route{Filter: filter, QoS: qos, Handler: h}
	held := c.router.Add(rt)
	e, retained, err := c.b.subscribe(c, filter, qos)
	if err != nil {
		c.router.Remove(rt)
		return nil, err
	}
	for _, m := range held {
		c.mbox.Put(m)
	}
	for _, m := range retained {
		c.b.deliver(c.sess, m)
	}
	return transport.NewSubscription(filter, qos, func(context.Context) error {
		if removed, inUse := c.router.Remove(rt); removed && !inUse {
			c.b.unsubscribe(c, e)
		}
		return nil
	}), nil
}

// Request sends m with the client's response inbox and waits for the correlated response.
func (c *Client) Request(ctx context.Context, m *transport.Message) (*transport.Message, error) {
	if err := c.check(m); err != nil {
		return nil, err
	}
	return c.inbox.Do(ctx, m, func(ctx context.Context, m *transport.Message) error {
		return c.b.publish(ctx, c, m)
	})
}

// receive is called by the broker for each delivered copy.
func (c *Client) receive(m *transport.Message) {
	if c.inbox.Owns(m.Topic) {
		c.inbox.Deliver(m)
		return
	}
	c.mbox.Put(m)
}
