package mqtt

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eclipse/paho.golang/packets"
	"github.com/eclipse/paho.golang/paho"

	"github.com/fleetkit/fleetkit/transport"
)

// Client is an MQTT v5 transport.Client. It owns one paho connection at a time and replaces it
// when it drops: reconnecting with jittered exponential backoff, resuming the broker session,
// re-establishing subscriptions, and (with an Outbox) re-sending unacknowledged QoS 1 messages.
type Client struct {
	cfg     Config
	servers []server
	st      transport.StateTracker
	inbox   *transport.Inbox

	mu      sync.Mutex
	conn    *paho.Client // nil while disconnected
	session *ackSession  // the current connection's session state
	maxPkt  int          // broker's maximum packet size, 0 = unlimited
	closed  bool

	ctx    context.Context    // the manager's lifetime
	cancel context.CancelFunc // called by Close
	done   chan struct{}      // closed when the manager goroutine has exited
	once   sync.Once

	mbox transport.Mailbox // between paho's reader and the handlers
	// awaiting counts goroutines waiting for an acknowledgement (PUBACK, SUBACK, UNSUBACK) that
	// only paho's reader can deliver: while it is non-zero the reader never waits for room in
	// the mailbox, or a handler publishing at QoS 1 would wait for itself.
	awaiting atomic.Int64
	router   transport.Router // subscriptions, in subscription order
}

var _ transport.Client = (*Client)(nil)

// New validates cfg and starts connecting in the background; use AwaitConnection to wait for the
// first connection. The client keeps reconnecting until Close.
func New(cfg Config) (*Client, error) {
	cfg, servers, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	c := &Client{
		cfg:     cfg,
		servers: servers,
		inbox:   transport.NewInbox(cfg.ClientID, cfg.Cloud),
		done:    make(chan struct{}),
	}
	c.mbox = transport.Mailbox{Dispatch: c.router.Dispatch, Limit: 64 * int(cfg.ReceiveMaximum)}
	// The response inbox: received() hands its messages to the inbox directly; the route only
	// makes the connection subscribe to it.
	c.router.Add(&transport.Route{Filter: c.inbox.Filter(), QoS: transport.AtLeastOnce, Handler: func(*transport.Message) {}})
	if cfg.Outbox != nil {
		if err := cfg.Outbox.attach(c); err != nil {
			return nil, err
		}
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	go c.run()
	return c, nil
}

// ID returns the MQTT client identifier.
func (c *Client) ID() string { return c.cfg.ClientID }

// State returns the connection state.
func (c *Client) State() transport.State { return c.st.State() }

// AwaitConnection blocks until the client is connected, ctx is done or the client is closed.
func (c *Client) AwaitConnection(ctx context.Context) error { return c.st.AwaitConnection(ctx) }

// OnStateChange registers f for connection state changes; see transport.Client.
func (c *Client) OnStateChange(f func(transport.StateEvent)) (remove func()) {
	return c.st.OnStateChange(f)
}

// Close disconnects cleanly (the broker keeps the session for SessionExpiry and does not publish
// the will) and waits for every goroutine the client started. It is idempotent.
func (c *Client) Close() error {
	c.once.Do(func() {
		c.mu.Lock()
		c.closed = true
		c.mu.Unlock()
		c.cancel()
	})
	<-c.done
	c.mbox.Close()
	return nil
}

// run is the connection manager: connect, serve until the connection drops, back off, repeat.
func (c *Client) run() {
	defer close(c.done)
	defer c.st.Set(transport.Closed, nil)
	ctx := c.ctx
	first := true
	attempt := 0
	for n := 0; ; n++ {
		if ctx.Err() != nil {
			return
		}
		c.st.Set(transport.Connecting, nil)
		srv := c.servers[n%len(c.servers)]
		pc, sess, connack, err := c.connect(ctx, srv, first)
		if err != nil {
			c.cfg.Logger.Warn("mqtt connect failed", "server", srv.addr, "client", c.cfg.ClientID, "err", err)
			c.st.Set(transport.Disconnected, err)
			if !c.sleep(ctx, c.cfg.Backoff.Delay(attempt)) {
				return
			}
			attempt++
			continue
		}
		first, attempt = false, 0
		lost := c.serve(ctx, pc, sess, connack)
		if ctx.Err() != nil {
			return
		}
		c.cfg.Logger.Info("mqtt connection lost", "client", c.cfg.ClientID, "err", lost)
		c.st.Set(transport.Disconnected, lost)
		if !c.sleep(ctx, c.cfg.Backoff.Delay(0)) {
			return
		}
	}
}

func (c *Client) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func (c *Client) dial(ctx context.Context, srv server) (net.Conn, error) {
	var conn net.Conn
	var err error
	if c.cfg.Dialer != nil {
		conn, err = c.cfg.Dialer(ctx, "tcp", srv.addr)
	} else {
		d := &net.Dialer{}
		conn, err = d.DialContext(ctx, "tcp", srv.addr)
	}
	if err != nil {
		return nil, err
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		// Go sets TCP_NODELAY by default; say so explicitly: request/response latency depends on it.
		_ = tc.SetNoDelay(true)
	}
	if srv.tls {
		cfg := &tls.Config{}
		if c.cfg.TLS != nil {
			cfg = c.cfg.TLS.Clone()
		}
		if cfg.ServerName == "" {
			cfg.ServerName = srv.host
		}
		tc := tls.Client(conn, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, fmt.Errorf("mqtt: TLS handshake with %s: %w", srv.addr, err)
		}
		// tls.Conn is not safe for concurrent writes; paho writes from several goroutines.
		return packets.NewThreadSafeConn(tc), nil
	}
	return conn, nil
}

// connect dials srv and performs the CONNECT/CONNACK exchange.
func (c *Client) connect(ctx context.Context, srv server, first bool) (*paho.Client, *ackSession, *paho.Connack, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.ConnectTimeout)
	defer cancel()
	conn, err := c.dial(ctx, srv)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%w: dial %s: %w", transport.ErrNotConnected, srv.addr, err)
	}
	sess := newAckSession()
	pc := paho.NewClient(paho.ClientConfig{
		ClientID:          c.cfg.ClientID,
		Conn:              conn,
		Session:           sess,
		PacketTimeout:     c.cfg.PacketTimeout,
		OnPublishReceived: []func(paho.PublishReceived) (bool, error){c.received},
		OnClientError:     func(error) {},
	})
	cp := &paho.Connect{
		ClientID:   c.cfg.ClientID,
		KeepAlive:  uint16(c.cfg.KeepAlive / time.Second),
		CleanStart: first && c.cfg.CleanStart,
		// RequestProblemInfo: true asks for reason strings; with it false, paho sends 0 and some
		// brokers (mochi) then strip user properties from every PUBLISH, against MQTT-3.1.2-29.
		Properties: &paho.ConnectProperties{ReceiveMaximum: &c.cfg.ReceiveMaximum, RequestProblemInfo: true},
	}
	expiry := uint32(0)
	if c.cfg.SessionExpiry > 0 {
		expiry = uint32(min(c.cfg.SessionExpiry/time.Second, 0xFFFFFFFF))
	}
	cp.Properties.SessionExpiryInterval = &expiry
	if c.cfg.Username != "" {
		cp.Username, cp.UsernameFlag = c.cfg.Username, true
	}
	if c.cfg.Password != nil {
		cp.Password, cp.PasswordFlag = c.cfg.Password, true
	}
	if w := c.cfg.Will; w != nil {
		cp.WillMessage = &paho.WillMessage{Topic: w.Topic, Payload: w.Payload, QoS: byte(w.QoS), Retain: w.Retain}
		cp.WillProperties = &paho.WillProperties{ContentType: w.ContentType, User: userProps(w.UserProperties)}
		if w.Expiry > 0 {
			e := expirySeconds(w.Expiry)
			cp.WillProperties.MessageExpiry = &e
		}
	}
	ca, err := pc.Connect(ctx, cp)
	if err != nil {
		sess.Close()
		conn.Close()
		if ca != nil && ca.ReasonCode >= 0x80 {
			re := &ReasonError{Packet: "CONNACK", Code: ReasonCode(ca.ReasonCode)}
			if ca.Properties != nil {
				re.Reason = ca.Properties.ReasonString
			}
			return nil, nil, nil, re
		}
		return nil, nil, nil, fmt.Errorf("%w: connect to %s: %w", transport.ErrNotConnected, srv.addr, err)
	}
	return pc, sess, ca, nil
}

// serve runs one connection: re-subscribe, start the outbox sender, wait for the end.
func (c *Client) serve(ctx context.Context, pc *paho.Client, sess *ackSession, ca *paho.Connack) error {
	c.mu.Lock()
	c.conn, c.session = pc, sess
	c.maxPkt = 0
	if ca.Properties != nil && ca.Properties.MaximumPacketSize != nil {
		c.maxPkt = int(*ca.Properties.MaximumPacketSize)
	}
	c.mu.Unlock()
	subs := c.router.Routes()

	var lost error
	if err := c.resubscribe(ctx, pc, subs); err != nil {
		lost = err
		_ = pc.Disconnect(&paho.Disconnect{ReasonCode: 0})
	} else {
		c.st.Set(transport.Connected, nil)
	}

	var wg sync.WaitGroup
	if c.cfg.Outbox != nil && lost == nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.cfg.Outbox.send(pc, sess)
		}()
	}
	select {
	case <-pc.Done():
		if lost == nil {
			lost = fmt.Errorf("%w: connection to broker lost", transport.ErrNotConnected)
		}
	case <-ctx.Done():
		_ = pc.Disconnect(&paho.Disconnect{ReasonCode: 0})
		<-pc.Done()
	}
	c.mu.Lock()
	c.conn, c.session = nil, nil
	c.mu.Unlock()
	sess.Close() // releases anything still waiting on this connection
	wg.Wait()
	return lost
}

// resubscribe (re-)establishes every subscription on a new connection in one SUBSCRIBE packet.
// Retain handling 1 sends retained messages only for subscriptions the session did not have.
func (c *Client) resubscribe(ctx context.Context, pc *paho.Client, subs []*transport.Route) error {
	if len(subs) == 0 {
		return nil
	}
	s := &paho.Subscribe{}
	for _, x := range subs {
		s.Subscriptions = append(s.Subscriptions, paho.SubscribeOptions{Topic: x.Filter, QoS: byte(x.QoS), RetainHandling: 1})
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.PacketTimeout)
	defer cancel()
	sa, err := pc.Subscribe(ctx, s)
	if err != nil && sa == nil {
		return fmt.Errorf("%w: re-subscribe: %w", transport.ErrNotConnected, err)
	}
	for i, code := range sa.Reasons {
		if code >= 0x80 && i < len(subs) {
			c.cfg.Logger.Error("mqtt re-subscribe refused", "filter", subs[i].Filter, "reason", ReasonCode(code).String())
		}
	}
	return nil
}

// received takes an inbound PUBLISH from paho's routing goroutine. Responses to this client's
// requests go straight to the waiting request; everything else is queued for the handlers. paho
// acknowledges a QoS 1 message when this returns, that is once it is queued: the broker's
// redelivery covers a lost connection, and fleetkit's end-to-end retries (command outbox,
// telemetry sequence numbers) cover a crash before the handler ran.
func (c *Client) received(pr paho.PublishReceived) (bool, error) {
	m := fromPaho(pr.Packet)
	if c.inbox.Owns(m.Topic) {
		c.inbox.Deliver(m)
		return true, nil
	}
	if c.awaiting.Load() > 0 {
		c.mbox.PutNow(m)
	} else {
		c.mbox.Put(m)
	}
	return true, nil
}

// await runs f, which waits for an acknowledgement read by paho's reader.
func (c *Client) await(f func()) {
	c.awaiting.Add(1)
	defer c.awaiting.Add(-1)
	f()
}

func (c *Client) current() (*paho.Client, *ackSession, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.conn, c.session, c.maxPkt
}

func (c *Client) checkMessage(m *transport.Message) error {
	if err := transport.ValidateTopic(m.Topic); err != nil {
		return err
	}
	if len(m.Payload) > c.cfg.MaxPayload {
		return fmt.Errorf("%w: %d-byte payload to %q exceeds the %d-byte maximum", transport.ErrTooLarge, len(m.Payload), m.Topic, c.cfg.MaxPayload)
	}
	if m.QoS > transport.AtLeastOnce {
		return fmt.Errorf("mqtt: QoS %d to %q: fleetkit uses QoS 0 and 1", m.QoS, m.Topic)
	}
	return nil
}

// Publish sends m; see the transport package for what its return means. With an Outbox, a QoS 1
// message is stored there and Publish returns (transport.ErrOutboxFull if the outbox refuses it).
// Without one, a QoS 1 Publish waits for the broker's PUBACK and fails with
// transport.ErrNotConnected while offline or if the connection drops before the acknowledgement
// (the broker may or may not have received it).
func (c *Client) Publish(ctx context.Context, m *transport.Message) error {
	if err := c.checkMessage(m); err != nil {
		return err
	}
	if c.isClosed() {
		return transport.ErrClosed
	}
	if m.QoS == transport.AtLeastOnce && c.cfg.Outbox != nil {
		return c.cfg.Outbox.put(m)
	}
	pc, _, maxPkt := c.current()
	if pc == nil {
		return fmt.Errorf("%w: publish to %q", transport.ErrNotConnected, m.Topic)
	}
	p := toPaho(m)
	if maxPkt > 0 && len(m.Payload)+len(m.Topic)+64 > maxPkt {
		return fmt.Errorf("%w: publish to %q exceeds the broker's %d-byte maximum packet size", transport.ErrTooLarge, m.Topic, maxPkt)
	}
	var resp *paho.PublishResponse
	var err error
	c.await(func() { resp, err = pc.Publish(ctx, p) })
	return c.publishErr(m.Topic, resp, err)
}

func (c *Client) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// publishErr maps paho's publish outcome to the transport vocabulary.
func (c *Client) publishErr(topic string, resp *paho.PublishResponse, err error) error {
	if resp != nil && resp.ReasonCode >= 0x80 {
		re := &ReasonError{Packet: "PUBACK", Code: ReasonCode(resp.ReasonCode), Topic: topic}
		if resp.Properties != nil {
			re.Reason = resp.Properties.ReasonString
		}
		return re
	}
	if err == nil {
		return nil
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: no PUBACK for %q: %w", transport.ErrTimeout, topic, err)
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	if errors.Is(err, paho.ErrInvalidArguments) {
		// Checked by paho against what the broker announced (no retain, lower maximum QoS...):
		// retrying cannot help.
		return fmt.Errorf("%w: publish to %q: %w", transport.ErrRefused, topic, err)
	}
	return fmt.Errorf("%w: publish to %q: %w", transport.ErrNotConnected, topic, err)
}

// Subscribe adds a subscription; see transport.Subscriber. While disconnected it is recorded and
// established on the next connection. A broker refusal is returned as a *ReasonError.
func (c *Client) Subscribe(ctx context.Context, filter string, qos transport.QoS, h transport.Handler) (*transport.Subscription, error) {
	if err := transport.ValidateFilter(filter); err != nil {
		return nil, err
	}
	if qos > transport.AtLeastOnce {
		return nil, fmt.Errorf("mqtt: subscribe %q: fleetkit uses QoS 0 and 1", filter)
	}
	if h == nil {
		return nil, errors.New("mqtt: subscribe: nil handler")
	}
	c.mu.Lock()
	closed, pc := c.closed, c.conn
	c.mu.Unlock()
	if closed {
		return nil, transport.ErrClosed
	}
	rt := &transport.Route{Filter: filter, QoS: qos, Handler: h}
	held := c.router.Add(rt)
	if pc != nil {
		var sa *paho.Suback
		var err error
		c.await(func() {
			sa, err = pc.Subscribe(ctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: filter, QoS: byte(qos)}}})
		})
		if sa != nil && len(sa.Reasons) == 1 && sa.Reasons[0] >= 0x80 {
			c.router.Remove(rt)
			re := &ReasonError{Packet: "SUBACK", Code: ReasonCode(sa.Reasons[0]), Topic: filter}
			if sa.Properties != nil {
				re.Reason = sa.Properties.ReasonString
			}
			return nil, re
		}
		if err != nil && ctx.Err() != nil {
			c.router.Remove(rt)
			return nil, transport.ContextError(ctx.Err())
		}
		// Any other error means the connection dropped: the subscription is kept and the next
		// connection establishes it.
	}
	for _, m := range held {
		c.mbox.Put(m) // messages of a resumed session that arrived before this subscription
	}
	return transport.NewSubscription(filter, qos, func(ctx context.Context) error {
		removed, inUse := c.router.Remove(rt)
		if !removed || inUse {
			return nil
		}
		pc, _, _ := c.current()
		if pc == nil {
			return nil
		}
		var err error
		c.await(func() { _, err = pc.Unsubscribe(ctx, &paho.Unsubscribe{Topics: []string{filter}}) })
		if err != nil && ctx.Err() != nil {
			return transport.ContextError(ctx.Err())
		}
		return nil
	}), nil
}

// Request publishes m with a response topic of the client's inbox (see transport.Inbox) and waits for
// the correlated response; see transport.Requester. Requests bypass the outbox: a request is only
// meaningful while someone waits for its answer.
func (c *Client) Request(ctx context.Context, m *transport.Message) (*transport.Message, error) {
	if err := c.checkMessage(m); err != nil {
		return nil, err
	}
	return c.inbox.Do(ctx, m, func(ctx context.Context, m *transport.Message) error {
		pc, _, _ := c.current()
		if pc == nil {
			if c.isClosed() {
				return transport.ErrClosed
			}
			return fmt.Errorf("%w: request to %q", transport.ErrNotConnected, m.Topic)
		}
		var resp *paho.PublishResponse
		var err error
		c.await(func() { resp, err = pc.Publish(ctx, toPaho(m)) })
		return c.publishErr(m.Topic, resp, err)
	})
}

func expirySeconds(d time.Duration) uint32 {
	s := (d + time.Second - 1) / time.Second
	if s > 0xFFFFFFFF {
		s = 0xFFFFFFFF
	}
	return uint32(s)
}

func userProps(ps []transport.UserProperty) paho.UserProperties {
	if len(ps) == 0 {
		return nil
	}
	out := make(paho.UserProperties, len(ps))
	for i, p := range ps {
		out[i] = paho.UserProperty{Key: p.Key, Value: p.Value}
	}
	return out
}

func toPaho(m *transport.Message) *paho.Publish {
	p := &paho.Publish{Topic: m.Topic, Payload: m.Payload, QoS: byte(m.QoS), Retain: m.Retain}
	if m.ContentType != "" || m.Expiry > 0 || m.ResponseTopic != "" || m.CorrelationData != nil || len(m.UserProperties) > 0 {
		p.Properties = &paho.PublishProperties{
			ContentType:     m.ContentType,
			ResponseTopic:   m.ResponseTopic,
			CorrelationData: m.CorrelationData,
			User:            userProps(m.UserProperties),
		}
		if m.Expiry > 0 {
			e := expirySeconds(m.Expiry)
			p.Properties.MessageExpiry = &e
		}
	}
	return p
}

func fromPaho(p *paho.Publish) *transport.Message {
	m := &transport.Message{Topic: p.Topic, Payload: p.Payload, QoS: transport.QoS(p.QoS), Retain: p.Retain, Duplicate: p.Duplicate()}
	if pr := p.Properties; pr != nil {
		m.ContentType = pr.ContentType
		m.ResponseTopic = pr.ResponseTopic
		m.CorrelationData = pr.CorrelationData
		if pr.MessageExpiry != nil {
			m.Expiry = time.Duration(*pr.MessageExpiry) * time.Second
		}
		if len(pr.User) > 0 {
			m.UserProperties = make([]transport.UserProperty, len(pr.User))
			for i, u := range pr.User {
				m.UserProperties[i] = transport.UserProperty{Key: u.Key, Value: u.Value}
			}
		}
	}
	return m
}
