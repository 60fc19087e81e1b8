// Package transporttest is the conformance suite every fleetkit transport runs: the behaviour the
// transport contract (package transport) promises, checked end to end through a real broker or
// the in-memory one. A transport's tests call Run with a Harness that knows how to make clients
// and, where the transport has one, restart its broker.
//
// Capabilities a transport lacks are declared in the Harness (a nil function); the suite then
// reports the case as not applicable with t.Log and runs the rest. Nothing is skipped silently.
package transporttest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fleetkit/fleetkit/transport"
)

// ClientOptions describe the client a test wants.
type ClientOptions struct {
	// ID is the client and device identity. Reusing an ID resumes its broker session.
	ID string
	// Cloud asks for a cloud identity (may use any topic and shared subscriptions).
	Cloud bool
	// OutboxDir, if set, asks for a client with a durable outbox stored there.
	OutboxDir string
}

// Harness adapts a transport to the suite.
type Harness struct {
	// NewClient returns a client that is connecting or connected; the suite waits for the
	// connection itself and closes the client. Required.
	NewClient func(t testing.TB, o ClientOptions) transport.Client
	// StopBroker and StartBroker take the broker down and bring it back on the same address.
	// nil: the transport cannot do it, and the restart and outbox cases are reported as not
	// applicable.
	StopBroker, StartBroker func(t testing.TB)
	// PersistentBroker: the broker keeps sessions and queued messages across a restart.
	PersistentBroker bool
	// EnforcesNamespace: the broker refuses a device publishing outside its fk/v1/{device}/ prefix.
	EnforcesNamespace bool
	// SupportsOutbox: NewClient honours ClientOptions.OutboxDir.
	SupportsOutbox bool
	// MaxPayload is the client's configured payload maximum (for the oversize case); 0 means
	// 1 MiB.
	MaxPayload int
}

// Timeout bounds each wait in the suite.
var Timeout = 15 * time.Second

// Run runs the whole suite.
func Run(t *testing.T, h Harness) {
	t.Run("PubSubWildcards", func(t *testing.T) { testPubSub(t, h) })
	t.Run("MetadataRoundTrip", func(t *testing.T) { testMetadata(t, h) })
	t.Run("RequestResponse", func(t *testing.T) { testRequest(t, h) })
	t.Run("CloudToDeviceRequest", func(t *testing.T) { testCloudToDevice(t, h) })
	t.Run("RequestTimeout", func(t *testing.T) { testRequestTimeout(t, h) })
	t.Run("SharedSubscription", func(t *testing.T) { testShared(t, h) })
	t.Run("Retained", func(t *testing.T) { testRetained(t, h) })
	t.Run("OfflineSessionQueue", func(t *testing.T) { testOfflineQueue(t, h) })
	t.Run("MessageExpiry", func(t *testing.T) { testExpiry(t, h) })
	t.Run("InvalidTopics", func(t *testing.T) { testInvalid(t, h) })
	t.Run("Oversize", func(t *testing.T) { testOversize(t, h) })
	t.Run("Namespace", func(t *testing.T) { testNamespace(t, h) })
	t.Run("Unsubscribe", func(t *testing.T) { testUnsubscribe(t, h) })
	t.Run("CloseIsFinal", func(t *testing.T) { testClose(t, h) })
	t.Run("BrokerRestart", func(t *testing.T) { testRestart(t, h) })
	t.Run("OutboxFlushAfterReconnect", func(t *testing.T) { testOutbox(t, h) })
}

var idSeq struct {
	sync.Mutex
	n int
}

// uniqueID makes IDs unique per run so that broker sessions of earlier cases do not interfere.
func uniqueID(prefix string) string {
	idSeq.Lock()
	defer idSeq.Unlock()
	idSeq.n++
	return fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano()%1e6, idSeq.n)
}

func connect(t testing.TB, h Harness, o ClientOptions) transport.Client {
	t.Helper()
	c := h.NewClient(t, o)
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	if err := c.AwaitConnection(ctx); err != nil {
		t.Fatalf("client %s did not connect: %v", o.ID, err)
	}
	return c
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	t.Cleanup(cancel)
	return ctx
}

// collector gathers messages from a handler.
type collector struct {
	mu   sync.Mutex
	msgs []*transport.Message
	ch   chan struct{}
}

func newCollector() *collector { return &collector{ch: make(chan struct{}, 1)} }

func (c *collector) handle(m *transport.Message) {
	c.mu.Lock()
	c.msgs = append(c.msgs, m.Clone())
	c.mu.Unlock()
	select {
	case c.ch <- struct{}{}:
	default:
	}
}

func (c *collector) snapshot() []*transport.Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.msgs)
}

// waitN waits until at least n messages arrived and returns them.
func (c *collector) waitN(t testing.TB, n int) []*transport.Message {
	t.Helper()
	deadline := time.After(Timeout)
	for {
		if ms := c.snapshot(); len(ms) >= n {
			return ms
		}
		select {
		case <-c.ch:
		case <-deadline:
			t.Fatalf("got %d messages, want %d within %v", len(c.snapshot()), n, Timeout)
		}
	}
}

// quiet asserts no further message beyond n arrives for d.
func (c *collector) quiet(t testing.TB, n int, d time.Duration) {
	t.Helper()
	time.Sleep(d)
	if ms := c.snapshot(); len(ms) != n {
		t.Fatalf("got %d messages, want exactly %d", len(ms), n)
	}
}

func subscribe(t testing.TB, c transport.Client, filter string, qos transport.QoS) *collector {
	t.Helper()
	col := newCollector()
	if _, err := c.Subscribe(ctxT(t), filter, qos, col.handle); err != nil {
		t.Fatalf("subscribe %q: %v", filter, err)
	}
	return col
}

// settle gives a broker time to install a subscription made by another connection before a
// publish that depends on it: brokers acknowledge SUBSCRIBE before every path sees it.
func settle() { time.Sleep(50 * time.Millisecond) }

func testPubSub(t *testing.T, h Harness) {
	dev := uniqueID("dev")
	cloud := connect(t, h, ClientOptions{ID: uniqueID("cloud"), Cloud: true})
	d := connect(t, h, ClientOptions{ID: dev})
	all := subscribe(t, cloud, transport.DeviceTopic("+", transport.KindTelemetry), 1)
	mine := subscribe(t, cloud, transport.DevicePrefix(dev)+"#", 1)
	other := subscribe(t, cloud, transport.DeviceTopic("+", transport.KindCommand, "#"), 1)
	settle()
	payload := []byte{0, 1, 2, 0xff, 'h', 'i', 0}
	for _, qos := range []transport.QoS{transport.AtMostOnce, transport.AtLeastOnce} {
		if err := d.Publish(ctxT(t), &transport.Message{Topic: transport.DeviceTopic(dev, transport.KindTelemetry), Payload: payload, QoS: qos}); err != nil {
			t.Fatalf("publish QoS %d: %v", qos, err)
		}
	}
	for name, col := range map[string]*collector{"fk/v1/+/tlm": all, dev + "/#": mine} {
		ms := col.waitN(t, 2)
		for _, m := range ms {
			if !bytes.Equal(m.Payload, payload) || m.Topic != transport.DeviceTopic(dev, transport.KindTelemetry) {
				t.Fatalf("%s: got %q on %q", name, m.Payload, m.Topic)
			}
		}
	}
	other.quiet(t, 0, 100*time.Millisecond)
}

func testMetadata(t *testing.T, h Harness) {
	dev := uniqueID("dev")
	cloud := connect(t, h, ClientOptions{ID: uniqueID("cloud"), Cloud: true})
	d := connect(t, h, ClientOptions{ID: dev})
	col := subscribe(t, cloud, transport.DeviceTopic(dev, "+"), 1)
	settle()
	want := &transport.Message{
		Topic:       transport.DeviceTopic(dev, transport.KindTelemetry),
		Payload:     []byte(`{"t":21.5}`),
		ContentType: transport.ContentJSON,
		QoS:         transport.AtLeastOnce,
		Expiry:      time.Hour,
		UserProperties: []transport.UserProperty{
			{Key: "traceparent", Value: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
			{Key: "k", Value: "1"}, {Key: "k", Value: "2"},
		},
	}
	if err := d.Publish(ctxT(t), want); err != nil {
		t.Fatal(err)
	}
	got := col.waitN(t, 1)[0]
	if got.ContentType != want.ContentType || !bytes.Equal(got.Payload, want.Payload) || got.QoS != want.QoS {
		t.Fatalf("metadata lost: got %+v", got)
	}
	if !slices.Equal(got.UserProperties, want.UserProperties) {
		t.Fatalf("user properties %v, want %v (order and repeats kept)", got.UserProperties, want.UserProperties)
	}
	if got.Expiry <= 0 || got.Expiry > time.Hour {
		t.Fatalf("expiry %v, want (0, 1h]", got.Expiry)
	}
}

func testRequest(t *testing.T, h Harness) {
	dev := uniqueID("dev")
	cloud := connect(t, h, ClientOptions{ID: uniqueID("cloud"), Cloud: true})
	d := connect(t, h, ClientOptions{ID: dev})
	_, err := transport.Respond(ctxT(t), cloud, transport.DeviceTopic("+", transport.KindRPC, "#"), 1,
		func(ctx context.Context, req *transport.Message) (*transport.Message, error) {
			if string(req.Payload) == "fail" {
				return nil, errors.New("refused by test")
			}
			return &transport.Message{Payload: append([]byte("echo:"), req.Payload...), ContentType: "text/plain"}, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	settle()
	const n = 50
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			body := fmt.Sprintf("req-%d", i)
			resp, err := d.Request(ctxT(t), &transport.Message{Topic: transport.DeviceTopic(dev, transport.KindRPC, "echo"), Payload: []byte(body), QoS: 1})
			if err != nil {
				errs <- fmt.Errorf("request %d: %w", i, err)
				return
			}
			if string(resp.Payload) != "echo:"+body {
				errs <- fmt.Errorf("request %d got %q: responses crossed", i, resp.Payload)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	resp, err := d.Request(ctxT(t), &transport.Message{Topic: transport.DeviceTopic(dev, transport.KindRPC, "x"), Payload: []byte("fail"), QoS: 1})
	if err != nil {
		t.Fatal(err)
	}
	var re *transport.RemoteError
	if !errors.As(transport.ResponseError("x", resp), &re) || re.Message != "refused by test" {
		t.Fatalf("error response not recognised: %+v", resp)
	}
}

// testCloudToDevice: the cloud asks a device; the device answers within its own prefix, so the
// request works on a broker that enforces the namespace.
func testCloudToDevice(t *testing.T, h Harness) {
	dev := uniqueID("dev")
	cloud := connect(t, h, ClientOptions{ID: uniqueID("cloud"), Cloud: true})
	d := connect(t, h, ClientOptions{ID: dev})
	if _, err := transport.Respond(ctxT(t), d, transport.DeviceTopic(dev, transport.KindCommand, "#"), 1,
		func(ctx context.Context, req *transport.Message) (*transport.Message, error) {
			return &transport.Message{Payload: append([]byte("done:"), req.Payload...)}, nil
		}); err != nil {
		t.Fatal(err)
	}
	settle()
	resp, err := cloud.Request(ctxT(t), &transport.Message{Topic: transport.DeviceTopic(dev, transport.KindCommand, "reboot"), Payload: []byte("now"), QoS: 1})
	if err != nil {
		t.Fatalf("cloud to device request: %v", err)
	}
	if string(resp.Payload) != "done:now" {
		t.Fatalf("response %q", resp.Payload)
	}
}

func testRequestTimeout(t *testing.T, h Harness) {
	dev := uniqueID("dev")
	d := connect(t, h, ClientOptions{ID: dev})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := d.Request(ctx, &transport.Message{Topic: transport.DeviceTopic(dev, transport.KindRPC, "nobody"), QoS: 1})
	if !errors.Is(err, transport.ErrTimeout) {
		t.Fatalf("request with no responder: %v, want ErrTimeout", err)
	}
	ctx2, cancel2 := context.WithCancel(context.Background())
	go func() { time.Sleep(50 * time.Millisecond); cancel2() }()
	if _, err := d.Request(ctx2, &transport.Message{Topic: transport.DeviceTopic(dev, transport.KindRPC, "nobody"), QoS: 1}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled request: %v, want context.Canceled", err)
	}
}

func testShared(t *testing.T, h Harness) {
	group := uniqueID("g")
	filter := "$share/" + group + "/" + transport.DeviceTopic("+", transport.KindTelemetry)
	var workers []*collector
	for i := 0; i < 3; i++ {
		w := connect(t, h, ClientOptions{ID: uniqueID("worker"), Cloud: true})
		workers = append(workers, subscribe(t, w, filter, 1))
	}
	settle()
	dev := uniqueID("dev")
	d := connect(t, h, ClientOptions{ID: dev})
	const n = 300
	for i := 0; i < n; i++ {
		if err := d.Publish(ctxT(t), &transport.Message{Topic: transport.DeviceTopic(dev, transport.KindTelemetry), Payload: []byte(fmt.Sprint(i)), QoS: 1}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(Timeout)
	for {
		total := 0
		seen := map[string]int{}
		for _, w := range workers {
			for _, m := range w.snapshot() {
				seen[string(m.Payload)]++
				total++
			}
		}
		if len(seen) == n {
			for i, w := range workers {
				if len(w.snapshot()) == 0 {
					t.Fatalf("worker %d received nothing: load not spread (%d total)", i, total)
				}
			}
			if total > n+n/10 {
				t.Fatalf("%d deliveries for %d messages: shared subscription delivered to several members", total, n)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("workers received %d distinct of %d messages", len(seen), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func testRetained(t *testing.T, h Harness) {
	dev := uniqueID("dev")
	d := connect(t, h, ClientOptions{ID: dev})
	topic := transport.DeviceTopic(dev, transport.KindPresence)
	if err := d.Publish(ctxT(t), &transport.Message{Topic: topic, Payload: []byte("online"), QoS: 1, Retain: true}); err != nil {
		t.Fatal(err)
	}
	cloud := connect(t, h, ClientOptions{ID: uniqueID("cloud"), Cloud: true})
	col := subscribe(t, cloud, topic, 1)
	m := col.waitN(t, 1)[0]
	if string(m.Payload) != "online" || !m.Retain {
		t.Fatalf("retained message: %+v", m)
	}
	// An empty retained payload deletes it.
	if err := d.Publish(ctxT(t), &transport.Message{Topic: topic, QoS: 1, Retain: true}); err != nil {
		t.Fatal(err)
	}
	col.waitN(t, 2)
	late := connect(t, h, ClientOptions{ID: uniqueID("cloud"), Cloud: true})
	subscribe(t, late, topic, 1).quiet(t, 0, 200*time.Millisecond)
}

// testOfflineQueue: QoS 1 messages to a device whose session is kept arrive when it returns.
func testOfflineQueue(t *testing.T, h Harness) {
	dev := uniqueID("dev")
	d := connect(t, h, ClientOptions{ID: dev})
	subscribe(t, d, transport.DeviceTopic(dev, transport.KindCommand, "#"), 1)
	d.Close()
	cloud := connect(t, h, ClientOptions{ID: uniqueID("cloud"), Cloud: true})
	for i := 0; i < 5; i++ {
		if err := cloud.Publish(ctxT(t), &transport.Message{Topic: transport.DeviceTopic(dev, transport.KindCommand, "reboot"), Payload: []byte{byte(i)}, QoS: 1}); err != nil {
			t.Fatal(err)
		}
	}
	col := newCollector()
	d2 := h.NewClient(t, ClientOptions{ID: dev})
	t.Cleanup(func() { d2.Close() })
	// The resumed session delivers as soon as it connects; subscribe before waiting so the
	// handler is registered when the queued messages arrive.
	if _, err := d2.Subscribe(ctxT(t), transport.DeviceTopic(dev, transport.KindCommand, "#"), 1, col.handle); err != nil {
		t.Fatal(err)
	}
	ms := col.waitN(t, 5)
	got := map[byte]bool{}
	for _, m := range ms {
		got[m.Payload[0]] = true
	}
	if len(got) != 5 {
		t.Fatalf("got %d distinct queued messages, want 5", len(got))
	}
}

func testExpiry(t *testing.T, h Harness) {
	dev := uniqueID("dev")
	d := connect(t, h, ClientOptions{ID: dev})
	subscribe(t, d, transport.DeviceTopic(dev, transport.KindCommand, "#"), 1)
	d.Close()
	awayGrace() // a message already on its way to the old connection must be redelivered, expiry or not
	cloud := connect(t, h, ClientOptions{ID: uniqueID("cloud"), Cloud: true})
	short := &transport.Message{Topic: transport.DeviceTopic(dev, transport.KindCommand, "short"), Payload: []byte("short"), QoS: 1, Expiry: time.Second}
	long := &transport.Message{Topic: transport.DeviceTopic(dev, transport.KindCommand, "long"), Payload: []byte("long"), QoS: 1, Expiry: time.Minute}
	for _, m := range []*transport.Message{short, long} {
		if err := cloud.Publish(ctxT(t), m); err != nil {
			t.Fatal(err)
		}
	}
	// MQTT carries expiry in whole seconds and brokers enforce it on a sweep (mochi: once a second
	// over its stored messages): wait well past the expiry so that every broker has dropped it.
	time.Sleep(3500 * time.Millisecond)
	col := newCollector()
	d2 := h.NewClient(t, ClientOptions{ID: dev})
	t.Cleanup(func() { d2.Close() })
	if _, err := d2.Subscribe(ctxT(t), transport.DeviceTopic(dev, transport.KindCommand, "#"), 1, col.handle); err != nil {
		t.Fatal(err)
	}
	col.waitN(t, 1)
	time.Sleep(300 * time.Millisecond)
	ms := col.snapshot()
	if len(ms) != 1 {
		var got []string
		for _, m := range ms {
			got = append(got, fmt.Sprintf("%s(dup=%v)", m.Payload, m.Duplicate))
		}
		t.Fatalf("got %v, want only the unexpired message once", got)
	}
	if string(ms[0].Payload) != "long" {
		t.Fatalf("got %q: the expired message was delivered", ms[0].Payload)
	}
	if ms[0].Expiry <= 0 || ms[0].Expiry > 59*time.Second {
		t.Fatalf("delivered expiry %v, want the remaining time (< 59s)", ms[0].Expiry)
	}
}

func testInvalid(t *testing.T, h Harness) {
	dev := uniqueID("dev")
	d := connect(t, h, ClientOptions{ID: dev})
	for _, topic := range []string{"", "fk/v1/" + dev + "/+", "fk/v1/" + dev + "/#", "a\x00b"} {
		if err := d.Publish(ctxT(t), &transport.Message{Topic: topic, QoS: 1}); !errors.Is(err, transport.ErrInvalidTopic) {
			t.Errorf("publish to %q: %v, want ErrInvalidTopic", topic, err)
		}
	}
	for _, filter := range []string{"", "fk/v1/" + dev + "/#/x", "fk/v1/" + dev + "/a+"} {
		if _, err := d.Subscribe(ctxT(t), filter, 1, func(*transport.Message) {}); !errors.Is(err, transport.ErrInvalidTopic) {
			t.Errorf("subscribe to %q: %v, want ErrInvalidTopic", filter, err)
		}
	}
	if d.State() != transport.Connected {
		t.Fatalf("client state %v after invalid input, want connected", d.State())
	}
}

func testOversize(t *testing.T, h Harness) {
	maxP := h.MaxPayload
	if maxP == 0 {
		maxP = 1 << 20
	}
	dev := uniqueID("dev")
	d := connect(t, h, ClientOptions{ID: dev})
	err := d.Publish(ctxT(t), &transport.Message{Topic: transport.DeviceTopic(dev, transport.KindTelemetry), Payload: make([]byte, maxP+1), QoS: 1})
	if !errors.Is(err, transport.ErrTooLarge) {
		t.Fatalf("oversize publish: %v, want ErrTooLarge", err)
	}
	if err := d.Publish(ctxT(t), &transport.Message{Topic: transport.DeviceTopic(dev, transport.KindTelemetry), Payload: make([]byte, 1024), QoS: 1}); err != nil {
		t.Fatalf("normal publish after an oversize one: %v", err)
	}
}

func testNamespace(t *testing.T, h Harness) {
	if !h.EnforcesNamespace {
		t.Log("not applicable: this broker does not enforce the fk/v1/{device}/ namespace")
		return
	}
	dev, victim := uniqueID("dev"), uniqueID("victim")
	d := connect(t, h, ClientOptions{ID: dev})
	v := connect(t, h, ClientOptions{ID: victim})
	col := subscribe(t, v, transport.DeviceTopic(victim, transport.KindCommand, "#"), 1)
	settle()
	err := d.Publish(ctxT(t), &transport.Message{Topic: transport.DeviceTopic(victim, transport.KindCommand, "wipe"), QoS: 1})
	if !errors.Is(err, transport.ErrNotAuthorized) {
		t.Fatalf("publish into another device's prefix: %v, want ErrNotAuthorized", err)
	}
	if _, err := d.Subscribe(ctxT(t), transport.DeviceTopic("+", transport.KindCommand, "#"), 1, func(*transport.Message) {}); !errors.Is(err, transport.ErrNotAuthorized) {
		t.Fatalf("subscribe across devices: %v, want ErrNotAuthorized", err)
	}
	col.quiet(t, 0, 100*time.Millisecond)
}

func testUnsubscribe(t *testing.T, h Harness) {
	dev := uniqueID("dev")
	cloud := connect(t, h, ClientOptions{ID: uniqueID("cloud"), Cloud: true})
	d := connect(t, h, ClientOptions{ID: dev})
	col := newCollector()
	s, err := cloud.Subscribe(ctxT(t), transport.DeviceTopic(dev, transport.KindTelemetry), 1, col.handle)
	if err != nil {
		t.Fatal(err)
	}
	settle()
	pub := func() {
		if err := d.Publish(ctxT(t), &transport.Message{Topic: transport.DeviceTopic(dev, transport.KindTelemetry), QoS: 1}); err != nil {
			t.Fatal(err)
		}
	}
	pub()
	col.waitN(t, 1)
	if err := s.Unsubscribe(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	pub()
	col.quiet(t, 1, 150*time.Millisecond)
}

func testClose(t *testing.T, h Harness) {
	d := connect(t, h, ClientOptions{ID: uniqueID("dev")})
	var events []transport.State
	var mu sync.Mutex
	d.OnStateChange(func(e transport.StateEvent) { mu.Lock(); events = append(events, e.State); mu.Unlock() })
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if d.State() != transport.Closed {
		t.Fatalf("state after Close: %v", d.State())
	}
	if err := d.Publish(ctxT(t), &transport.Message{Topic: transport.DeviceTopic(d.ID(), transport.KindTelemetry)}); !errors.Is(err, transport.ErrClosed) && !errors.Is(err, transport.ErrNotConnected) {
		t.Fatalf("publish after Close: %v", err)
	}
	if err := d.AwaitConnection(ctxT(t)); !errors.Is(err, transport.ErrClosed) {
		t.Fatalf("AwaitConnection after Close: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(events) == 0 || events[len(events)-1] != transport.Closed {
		t.Fatalf("state events %v do not end in closed", events)
	}
}

// testRestart: clients notice the broker going away, reconnect when it returns, keep their
// subscriptions, and (with a persistent broker) get QoS 1 messages queued before the restart.
func testRestart(t *testing.T, h Harness) {
	if h.StopBroker == nil {
		t.Log("not applicable: the harness cannot restart its broker")
		return
	}
	dev := uniqueID("dev")
	cloud := connect(t, h, ClientOptions{ID: uniqueID("cloud"), Cloud: true})
	d := connect(t, h, ClientOptions{ID: dev})
	col := subscribe(t, d, transport.DeviceTopic(dev, transport.KindCommand, "#"), 1)
	offline := connect(t, h, ClientOptions{ID: uniqueID("away")})
	awayID := offline.ID()
	subscribe(t, offline, transport.DeviceTopic(awayID, transport.KindCommand, "#"), 1)
	offline.Close()
	if err := cloud.Publish(ctxT(t), &transport.Message{Topic: transport.DeviceTopic(awayID, transport.KindCommand, "x"), Payload: []byte("queued"), QoS: 1}); err != nil {
		t.Fatal(err)
	}

	h.StopBroker(t)
	waitState(t, d, transport.Disconnected)
	h.StartBroker(t)
	for _, c := range []transport.Client{cloud, d} {
		if err := c.AwaitConnection(ctxT(t)); err != nil {
			t.Fatalf("%s did not reconnect: %v", c.ID(), err)
		}
	}
	settle()
	if err := cloud.Publish(ctxT(t), &transport.Message{Topic: transport.DeviceTopic(dev, transport.KindCommand, "after"), Payload: []byte("after"), QoS: 1}); err != nil {
		t.Fatal(err)
	}
	if m := col.waitN(t, 1)[0]; string(m.Payload) != "after" {
		t.Fatalf("got %q after restart", m.Payload)
	}
	if !h.PersistentBroker {
		t.Log("broker does not persist sessions across restarts: queued-message check not applicable")
		return
	}
	back := newCollector()
	c2 := h.NewClient(t, ClientOptions{ID: awayID})
	t.Cleanup(func() { c2.Close() })
	if _, err := c2.Subscribe(ctxT(t), transport.DeviceTopic(awayID, transport.KindCommand, "#"), 1, back.handle); err != nil {
		t.Fatal(err)
	}
	if m := back.waitN(t, 1)[0]; string(m.Payload) != "queued" {
		t.Fatalf("queued message across restart: got %q", m.Payload)
	}
}

// awayGrace lets a broker notice that a client closed its connection; until it does, it may
// start delivering to the old connection, and MQTT then redelivers on resume regardless of expiry.
func awayGrace() { time.Sleep(200 * time.Millisecond) }

func waitState(t testing.TB, c transport.Client, want transport.State) {
	t.Helper()
	deadline := time.Now().Add(Timeout)
	for c.State() != want {
		if time.Now().After(deadline) {
			t.Fatalf("%s: state %v, want %v", c.ID(), c.State(), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// testOutbox: a device with an outbox publishes while the broker is down and is then shut down
// (as a process would be); a new client on the same outbox directory delivers everything once the
// broker is back, first deliveries in order.
func testOutbox(t *testing.T, h Harness) {
	if !h.SupportsOutbox || h.StopBroker == nil {
		t.Log("not applicable: no outbox or no broker restart in this harness")
		return
	}
	dev := uniqueID("dev")
	dir := t.TempDir()
	cloud := connect(t, h, ClientOptions{ID: uniqueID("cloud"), Cloud: true})
	col := subscribe(t, cloud, transport.DeviceTopic(dev, transport.KindTelemetry), 1)
	d := connect(t, h, ClientOptions{ID: dev, OutboxDir: dir})
	settle()
	const before, during = 20, 200
	pub := func(c transport.Client, i int) {
		if err := c.Publish(ctxT(t), &transport.Message{Topic: transport.DeviceTopic(dev, transport.KindTelemetry), Payload: []byte(fmt.Sprintf("%04d", i)), QoS: 1}); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
	}
	for i := 0; i < before; i++ {
		pub(d, i)
	}
	col.waitN(t, before)
	h.StopBroker(t)
	waitState(t, d, transport.Disconnected)
	for i := before; i < before+during; i++ {
		pub(d, i) // stored in the outbox while offline
	}
	d.Close()
	h.StartBroker(t)
	if err := cloud.AwaitConnection(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	settle()
	connect(t, h, ClientOptions{ID: dev, OutboxDir: dir}) // the "restarted process"
	// Re-sends after a reconnect may repeat messages: wait for every distinct one.
	deadline := time.Now().Add(Timeout)
	for {
		distinct := map[string]bool{}
		for _, m := range col.snapshot() {
			distinct[string(m.Payload)] = true
		}
		if len(distinct) >= before+during || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	ms := col.snapshot()
	seen := map[string]bool{}
	last := -1
	for _, m := range ms {
		if seen[string(m.Payload)] {
			continue // a re-send after a reconnect
		}
		seen[string(m.Payload)] = true
		var n int
		fmt.Sscanf(string(m.Payload), "%d", &n)
		if n < last {
			t.Fatalf("message %d first arrived after %d: outbox order broken", n, last)
		}
		last = n
	}
	if len(seen) != before+during {
		t.Fatalf("%d distinct messages arrived, want %d", len(seen), before+during)
	}
}
