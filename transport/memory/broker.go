package memory

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/fleetkit/fleetkit/transport"
)

// Options configure a Broker. The zero value works.
type Options struct {
	// Seed seeds every fault decision (default 1).
	Seed uint64
	// MaxQueued bounds the QoS 1 messages kept for one absent or partitioned session (default
	// 10,000); beyond it the oldest is dropped and counted in Stats.QueueDropped.
	MaxQueued int
	// MaxPayload is the default payload limit of clients (default 1 MiB).
	MaxPayload int
	// ReconnectDelay is how long a client forced off by Disconnect stays away (default 10ms).
	ReconnectDelay time.Duration
	// MaxRetransmits bounds the retransmissions of one QoS 1 message under a drop fault before it
	// is counted as lost (default 100; with any drop probability p, p^100 is negligible).
	MaxRetransmits int
}

// Direction selects which way a fault applies.
type Direction int

const (
	// Uplink is client to broker.
	Uplink Direction = iota
	// Downlink is broker to client.
	Downlink
)

// Faults describe what the network does to one client's messages in one direction.
type Faults struct {
	Drop      float64       // probability a transmission is lost
	Duplicate float64       // probability a message is delivered twice
	Reorder   float64       // probability a message is held back by an extra ReorderDelay
	DelayMin  time.Duration // every message is delayed uniformly in [DelayMin, DelayMax]
	DelayMax  time.Duration
	// ReorderDelay is the extra hold of a reordered message (default 5ms).
	ReorderDelay time.Duration
}

func (f Faults) zero() bool { return f == Faults{} }

// Stats count the broker's traffic.
type Stats struct {
	Published     uint64 // messages accepted from clients
	Delivered     uint64 // messages handed to clients (each copy counts)
	Dropped       uint64 // transmissions lost to a Drop fault (retransmitted if QoS 1)
	Lost          uint64 // messages lost for good: QoS 0 drops and QoS 1 beyond MaxRetransmits
	Duplicated    uint64 // extra copies from a Duplicate fault
	Queued        uint64 // QoS 1 messages queued for absent sessions
	QueueDropped  uint64 // queued messages dropped because a session queue was full
	Expired       uint64 // queued messages discarded at their expiry
	NoSubscribers uint64 // QoS 0 messages to absent sessions, discarded per MQTT
	Refused       uint64 // publishes and subscribes refused by authorization
}

// Broker is an in-process broker. Its methods are safe for concurrent use.
type Broker struct {
	opts Options

	mu       sync.Mutex
	rng      *rand.Rand
	sessions map[string]*session
	exact    map[string][]*subEntry // filters without wildcards, by topic
	wild     []*subEntry            // filters with wildcards
	shared   map[string]*shareGroup // by "$share/group/filter"
	retained map[string]*transport.Message
	faults   map[faultKey]Faults
	cut      map[string]bool // partitioned client IDs
	stats    Stats
	timers   sync.WaitGroup // delayed deliveries in flight
	closed   bool
}

type faultKey struct {
	id  string
	dir Direction
}

type session struct {
	id         string
	identity   transport.Identity
	persistent bool
	client     *Client // nil while absent
	subs       []*subEntry
	queue      []queued
}

type queued struct {
	m  *transport.Message
	at time.Time
}

type subEntry struct {
	sess   *session
	filter string // as subscribed, possibly $share/...
	match  string // the filter to match topics with
	qos    transport.QoS
}

type shareGroup struct {
	members []*subEntry
	next    int
}

// NewBroker returns a running broker.
func NewBroker(opts Options) *Broker {
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	if opts.MaxQueued <= 0 {
		opts.MaxQueued = 10000
	}
	if opts.MaxPayload <= 0 {
		opts.MaxPayload = 1 << 20
	}
	if opts.ReconnectDelay <= 0 {
		opts.ReconnectDelay = 10 * time.Millisecond
	}
	if opts.MaxRetransmits <= 0 {
		opts.MaxRetransmits = 100
	}
	return &Broker{
		opts:     opts,
		rng:      rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)),
		sessions: make(map[string]*session),
		exact:    make(map[string][]*subEntry),
		shared:   make(map[string]*shareGroup),
		retained: make(map[string]*transport.Message),
		faults:   make(map[faultKey]Faults),
		cut:      make(map[string]bool),
	}
}

// Stats returns the broker's counters.
func (b *Broker) Stats() Stats {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.stats
}

// SetFaults sets the faults for client id in one direction; the zero Faults removes them.
func (b *Broker) SetFaults(id string, dir Direction, f Faults) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if f.zero() {
		delete(b.faults, faultKey{id, dir})
		return
	}
	if f.ReorderDelay <= 0 {
		f.ReorderDelay = 5 * time.Millisecond
	}
	b.faults[faultKey{id, dir}] = f
}

// SetAllFaults sets the same faults for every client ID in ids, both directions.
func (b *Broker) SetAllFaults(ids []string, f Faults) {
	for _, id := range ids {
		b.SetFaults(id, Uplink, f)
		b.SetFaults(id, Downlink, f)
	}
}

// Partition cuts the clients with the given IDs off the broker until Heal: they go Disconnected,
// their publishes fail, and QoS 1 messages for their sessions queue.
func (b *Broker) Partition(ids ...string) {
	b.mu.Lock()
	var affected []*Client
	for _, id := range ids {
		b.cut[id] = true
		if s := b.sessions[id]; s != nil && s.client != nil {
			affected = append(affected, s.client)
		}
	}
	b.mu.Unlock()
	for _, c := range affected {
		c.st.Set(transport.Disconnected, errPartitioned)
	}
}

// Heal ends the partition of the given clients: they reconnect and receive what queued for them.
func (b *Broker) Heal(ids ...string) {
	for _, id := range ids {
		b.mu.Lock()
		delete(b.cut, id)
		s := b.sessions[id]
		var c *Client
		if s != nil {
			c = s.client
		}
		b.mu.Unlock()
		if c != nil {
			c.st.Set(transport.Connected, nil)
			b.flush(id)
		}
	}
}

var (
	errPartitioned = errors.New("memory: network partition")
	errKicked      = errors.New("memory: disconnected by the broker")
	errTakenOver   = errors.New("memory: session taken over by a new connection with the same client ID")
)

// Disconnect forces the client with this ID off; it reconnects after Options.ReconnectDelay,
// keeping its session (if persistent) and receiving what queued meanwhile.
func (b *Broker) Disconnect(id string) {
	b.mu.Lock()
	s := b.sessions[id]
	if s == nil || s.client == nil || b.closed {
		b.mu.Unlock()
		return
	}
	c := s.client
	b.cut[id] = true
	b.timers.Add(1)
	b.mu.Unlock()
	c.st.Set(transport.Disconnected, errKicked)
	time.AfterFunc(b.opts.ReconnectDelay, func() {
		defer b.timers.Done()
		b.Heal(id)
	})
}

// Close stops the broker: every client goes Closed, pending delayed deliveries are awaited.
func (b *Broker) Close() {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.closed = true
	var cs []*Client
	for _, s := range b.sessions {
		if s.client != nil {
			cs = append(cs, s.client)
		}
	}
	b.mu.Unlock()
	for _, c := range cs {
		c.Close()
	}
	b.timers.Wait()
}

// Connect opens a client session. A client with the same ID already connected is taken over (it
// goes Closed), as in MQTT.
func (b *Broker) Connect(cfg ClientConfig) (*Client, error) {
	if err := transport.ValidateDeviceID(cfg.ID); err != nil {
		return nil, fmt.Errorf("memory: client ID: %w", err)
	}
	if cfg.ID == "" {
		return nil, errors.New("memory: ClientConfig.ID is required")
	}
	if cfg.Identity.ID == "" {
		cfg.Identity.ID = cfg.ID
	}
	if !cfg.Identity.Cloud && cfg.Identity.ID != cfg.ID {
		return nil, fmt.Errorf("memory: client ID %q differs from device identity %q", cfg.ID, cfg.Identity.ID)
	}
	if cfg.MaxPayload <= 0 {
		cfg.MaxPayload = b.opts.MaxPayload
	}
	c := &Client{b: b, cfg: cfg, inbox: transport.NewInbox(cfg.ID, cfg.Identity.Cloud)}
	c.mbox = transport.Mailbox{Dispatch: c.router.Dispatch}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil, transport.ErrClosed
	}
	s := b.sessions[cfg.ID]
	var old *Client
	if s != nil && (!s.persistent || cfg.CleanStart) {
		b.dropSessionLocked(s)
		s = nil
	}
	if s == nil {
		s = &session{id: cfg.ID}
		b.sessions[cfg.ID] = s
	} else {
		old = s.client
	}
	s.identity = cfg.Identity
	s.persistent = cfg.SessionExpiry > 0
	s.client = c
	c.sess = s
	cut := b.cut[cfg.ID]
	b.mu.Unlock()
	if old != nil {
		old.closeWith(errTakenOver, false)
	}
	if _, _, err := b.subscribe(c, c.inbox.Filter(), transport.AtLeastOnce); err != nil {
		b.detach(c)
		return nil, fmt.Errorf("memory: response inbox: %w", err)
	}
	if cut {
		c.st.Set(transport.Disconnected, errPartitioned)
	} else {
		c.st.Set(transport.Connected, nil)
		b.flush(cfg.ID)
	}
	return c, nil
}

func (b *Broker) dropSessionLocked(s *session) {
	for _, e := range s.subs {
		b.removeSubLocked(e)
	}
	s.subs = nil
	s.queue = nil
	delete(b.sessions, s.id)
}

func (b *Broker) addSubLocked(e *subEntry) {
	switch {
	case e.filter != e.match:
		g := b.shared[e.filter]
		if g == nil {
			g = &shareGroup{}
			b.shared[e.filter] = g
		}
		g.members = append(g.members, e)
	case strings.ContainsAny(e.match, "+#"):
		b.wild = append(b.wild, e)
	default:
		b.exact[e.match] = append(b.exact[e.match], e)
	}
}

func removeEntry(list []*subEntry, e *subEntry) []*subEntry {
	for i, x := range list {
		if x == e {
			return append(list[:i:i], list[i+1:]...)
		}
	}
	return list
}

func (b *Broker) removeSubLocked(e *subEntry) {
	switch {
	case e.filter != e.match:
		if g := b.shared[e.filter]; g != nil {
			g.members = removeEntry(g.members, e)
			if len(g.members) == 0 {
				delete(b.shared, e.filter)
			}
		}
	case strings.ContainsAny(e.match, "+#"):
		b.wild = removeEntry(b.wild, e)
	default:
		if l := removeEntry(b.exact[e.match], e); len(l) > 0 {
			b.exact[e.match] = l
		} else {
			delete(b.exact, e.match)
		}
	}
}

// delivery is one copy of a message for one session.
type delivery struct {
	sess *session
	m    *transport.Message
}

// route fans a published message out to the matching sessions. Called with b.mu held; returns
// the deliveries to perform after unlocking.
func (b *Broker) routeLocked(m *transport.Message, out []delivery) []delivery {
	if m.Retain {
		if len(m.Payload) == 0 {
			delete(b.retained, m.Topic)
		} else {
			r := m.Clone()
			b.retained[m.Topic] = r
		}
	}
	// One copy per session (and per shared group), at the maximum QoS of the session's matching
	// subscriptions [MQTT-3.3.4-2]; every copy owns its bytes.
	add := func(e *subEntry, qos transport.QoS) {
		c := m.Clone()
		c.Retain = false
		c.QoS = min(m.QoS, qos)
		out = append(out, delivery{e.sess, c})
	}
	best := map[*session]*subEntry{}
	var order []*session
	consider := func(e *subEntry) {
		if cur, ok := best[e.sess]; !ok {
			best[e.sess] = e
			order = append(order, e.sess)
		} else if e.qos > cur.qos {
			best[e.sess] = e
		}
	}
	for _, e := range b.exact[m.Topic] {
		consider(e)
	}
	for _, e := range b.wild {
		if transport.Match(e.match, m.Topic) {
			consider(e)
		}
	}
	for _, s := range order {
		add(best[s], best[s].qos)
	}
	for _, g := range b.shared {
		if len(g.members) == 0 || !transport.Match(g.members[0].match, m.Topic) {
			continue
		}
		e := g.members[g.next%len(g.members)]
		g.next++
		add(e, e.qos)
	}
	return out
}

// publish is called by a client; it applies uplink faults, then routes.
func (b *Broker) publish(ctx context.Context, from *Client, m *transport.Message) error {
	m = m.Clone()
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return transport.ErrClosed
	}
	f, hasF := b.faults[faultKey{from.cfg.ID, Uplink}]
	var delay time.Duration
	if hasF {
		lost := false
		for attempt := 0; b.rng.Float64() < f.Drop; attempt++ {
			b.stats.Dropped++
			if m.QoS == transport.AtMostOnce {
				lost = true
				break
			}
			if attempt >= b.opts.MaxRetransmits {
				b.stats.Lost++
				b.mu.Unlock()
				return fmt.Errorf("%w: no PUBACK for %q after %d retransmissions", transport.ErrTimeout, m.Topic, attempt)
			}
			m.Duplicate = true
		}
		if lost {
			b.stats.Lost++
			b.mu.Unlock()
			return nil
		}
		delay = b.delayLocked(f)
	}
	b.mu.Unlock()
	if delay > 0 {
		if m.QoS == transport.AtMostOnce {
			b.after(delay, func() { b.accept(m) })
			return nil
		}
		t := time.NewTimer(delay) // QoS 1: the PUBACK comes back after the delay
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return transport.ContextError(ctx.Err())
		}
	}
	b.accept(m)
	return nil
}

func (b *Broker) delayLocked(f Faults) time.Duration {
	d := f.DelayMin
	if f.DelayMax > f.DelayMin {
		d += time.Duration(b.rng.Int64N(int64(f.DelayMax - f.DelayMin)))
	}
	if f.Reorder > 0 && b.rng.Float64() < f.Reorder {
		d += f.ReorderDelay
	}
	return d
}

// after runs f after d, tracked so Close waits for it.
func (b *Broker) after(d time.Duration, f func()) {
	b.timers.Add(1)
	time.AfterFunc(d, func() {
		defer b.timers.Done()
		f()
	})
}

// accept routes a message that reached the broker.
func (b *Broker) accept(m *transport.Message) {
	m.Duplicate = false
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.stats.Published++
	ds := b.routeLocked(m, nil)
	now := time.Now()
	var send []delivery
	for _, d := range ds {
		if d.sess.client != nil && !b.cut[d.sess.id] {
			send = append(send, d)
			continue
		}
		b.queueLocked(d.sess, d.m, now)
	}
	b.mu.Unlock()
	for _, d := range send {
		b.deliver(d.sess, d.m)
	}
}

func (b *Broker) queueLocked(s *session, m *transport.Message, now time.Time) {
	if m.QoS == transport.AtMostOnce || !s.persistent {
		b.stats.NoSubscribers++
		return
	}
	if len(s.queue) >= b.opts.MaxQueued {
		s.queue = s.queue[1:]
		b.stats.QueueDropped++
	}
	s.queue = append(s.queue, queued{m, now})
	b.stats.Queued++
}

// deliver applies downlink faults and hands m to the session's client.
func (b *Broker) deliver(s *session, m *transport.Message) {
	b.mu.Lock()
	c := s.client
	if c == nil || b.cut[s.id] {
		b.queueLocked(s, m, time.Now())
		b.mu.Unlock()
		return
	}
	f, hasF := b.faults[faultKey{s.id, Downlink}]
	copies := 1
	var delays [2]time.Duration
	if hasF {
		for attempt := 0; b.rng.Float64() < f.Drop; attempt++ {
			b.stats.Dropped++
			if m.QoS == transport.AtMostOnce || attempt >= b.opts.MaxRetransmits {
				b.stats.Lost++
				b.mu.Unlock()
				return
			}
			m.Duplicate = true // the broker's retransmission carries DUP
		}
		if b.rng.Float64() < f.Duplicate {
			copies = 2
			b.stats.Duplicated++
		}
		for i := 0; i < copies; i++ {
			delays[i] = b.delayLocked(f)
		}
	}
	b.stats.Delivered += uint64(copies)
	b.mu.Unlock()
	for i := 0; i < copies; i++ {
		mm := m
		if i == 1 {
			mm = m.Clone()
			mm.Duplicate = true
		}
		if delays[i] > 0 {
			b.after(delays[i], func() { c.receive(mm) })
		} else {
			c.receive(mm)
		}
	}
}

// flush delivers what queued for a session while it was away, dropping what expired.
func (b *Broker) flush(id string) {
	b.mu.Lock()
	s := b.sessions[id]
	if s == nil || s.client == nil || b.cut[id] || len(s.queue) == 0 {
		b.mu.Unlock()
		return
	}
	q := s.queue
	s.queue = nil
	now := time.Now()
	var send []*transport.Message
	for _, x := range q {
		if x.m.Expiry > 0 {
			left := x.m.Expiry - now.Sub(x.at)
			if left <= 0 {
				b.stats.Expired++
				continue
			}
			x.m.Expiry = left
		}
		send = append(send, x.m)
	}
	b.mu.Unlock()
	for _, m := range send {
		b.deliver(s, m)
	}
}

// subscribe registers a subscription for c's session and returns the retained messages to send.
func (b *Broker) subscribe(c *Client, filter string, qos transport.QoS) (*subEntry, []*transport.Message, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := transport.Authorize(c.sess.identity, transport.ActionSubscribe, filter); err != nil {
		b.stats.Refused++
		return nil, nil, err
	}
	match := filter
	if _, rest, ok := transport.SplitShared(filter); ok {
		match = rest
	}
	e := &subEntry{sess: c.sess, filter: filter, match: match, qos: qos}
	// A repeated subscription to the same filter replaces the old one (MQTT §3.8.4).
	for _, old := range c.sess.subs {
		if old.filter == filter {
			b.removeSubLocked(old)
			c.sess.subs = removeEntry(c.sess.subs, old)
			break
		}
	}
	c.sess.subs = append(c.sess.subs, e)
	b.addSubLocked(e)
	var ret []*transport.Message
	if filter == match {
		for topic, m := range b.retained {
			if transport.Match(match, topic) {
				r := m.Clone()
				r.Retain = true
				r.QoS = min(r.QoS, qos)
				ret = append(ret, r)
			}
		}
	}
	return e, ret, nil
}

func (b *Broker) unsubscribe(c *Client, e *subEntry) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.removeSubLocked(e)
	c.sess.subs = removeEntry(c.sess.subs, e)
}

// detach ends a client's connection; a non-persistent session is discarded.
func (b *Broker) detach(c *Client) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := c.sess
	if s == nil || s.client != c {
		return
	}
	s.client = nil
	if !s.persistent {
		b.dropSessionLocked(s)
	}
}
