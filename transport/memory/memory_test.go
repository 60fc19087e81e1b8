package memory

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/fleetkit/fleetkit/transport"
)

type sink struct {
	mu   sync.Mutex
	msgs []*transport.Message
}

func (s *sink) handle(m *transport.Message) {
	s.mu.Lock()
	s.msgs = append(s.msgs, m)
	s.mu.Unlock()
}

func (s *sink) payloads() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, len(s.msgs))
	for i, m := range s.msgs {
		out[i] = string(m.Payload)
	}
	return out
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func mustConnect(t *testing.T, b *Broker, id string, cloud bool) *Client {
	t.Helper()
	c, err := b.Connect(ClientConfig{ID: id, Identity: transport.Identity{ID: id, Cloud: cloud}, SessionExpiry: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// run publishes n messages from dev through faults and returns what the cloud received, once
// delivery has settled.
func runFaults(t *testing.T, seed uint64, f Faults, qos transport.QoS, n int) ([]string, Stats) {
	b := NewBroker(Options{Seed: seed})
	defer b.Close()
	cloud := mustConnect(t, b, "cloud", true)
	dev := mustConnect(t, b, "dev", false)
	var s sink
	if _, err := cloud.Subscribe(context.Background(), "fk/v1/+/tlm", 1, s.handle); err != nil {
		t.Fatal(err)
	}
	b.SetFaults("dev", Uplink, f)
	b.SetFaults("cloud", Downlink, f)
	for i := 0; i < n; i++ {
		if err := dev.Publish(context.Background(), &transport.Message{Topic: "fk/v1/dev/tlm", Payload: []byte(fmt.Sprint(i)), QoS: qos}); err != nil {
			t.Fatal(err)
		}
	}
	b.timers.Wait()
	cloud.mbox.Wait() // let queued handlers finish
	return s.payloads(), b.Stats()
}

func TestQoS1AtLeastOnceUnderDrop(t *testing.T) {
	got, st := runFaults(t, 3, Faults{Drop: 0.3}, transport.AtLeastOnce, 2000)
	seen := map[string]bool{}
	for _, p := range got {
		seen[p] = true
	}
	if len(seen) != 2000 {
		t.Fatalf("QoS 1 under 30%% drop delivered %d distinct of 2000", len(seen))
	}
	if st.Dropped < 1000 || st.Lost != 0 {
		t.Fatalf("stats %+v: expected ~1700 dropped transmissions and nothing lost", st)
	}
}

func TestQoS0LosesUnderDrop(t *testing.T) {
	got, st := runFaults(t, 3, Faults{Drop: 0.3}, transport.AtMostOnce, 2000)
	// Two hops at 30% each: about 49% arrive.
	if len(got) < 800 || len(got) > 1200 {
		t.Fatalf("QoS 0 under 30%% drop per hop delivered %d of 2000, want about 980", len(got))
	}
	if st.Lost != uint64(2000-len(got)) {
		t.Fatalf("Lost = %d, want %d", st.Lost, 2000-len(got))
	}
}

func TestDuplicatesAreMarked(t *testing.T) {
	got, st := runFaults(t, 5, Faults{Duplicate: 0.2}, transport.AtLeastOnce, 1000)
	if st.Duplicated == 0 || len(got) != 1000+int(st.Duplicated) {
		t.Fatalf("got %d deliveries with %d duplicates counted", len(got), st.Duplicated)
	}
}

func TestFaultsAreDeterministic(t *testing.T) {
	f := Faults{Drop: 0.25, Duplicate: 0.1}
	a, sa := runFaults(t, 42, f, transport.AtMostOnce, 500)
	b, sb := runFaults(t, 42, f, transport.AtMostOnce, 500)
	if fmt.Sprint(a) != fmt.Sprint(b) || sa != sb {
		t.Fatalf("same seed, different outcome:\n%v\n%v", sa, sb)
	}
	c, _ := runFaults(t, 43, f, transport.AtMostOnce, 500)
	if fmt.Sprint(a) == fmt.Sprint(c) {
		t.Fatal("different seeds gave the same outcome")
	}
}

func TestReorder(t *testing.T) {
	got, _ := runFaults(t, 9, Faults{Reorder: 0.3, ReorderDelay: 3 * time.Millisecond}, transport.AtMostOnce, 300)
	if len(got) != 300 {
		t.Fatalf("reorder lost messages: %d of 300", len(got))
	}
	inversions := 0
	for i := 1; i < len(got); i++ {
		var a, b int
		fmt.Sscan(got[i-1], &a)
		fmt.Sscan(got[i], &b)
		if b < a {
			inversions++
		}
	}
	if inversions == 0 {
		t.Fatal("no message overtook another")
	}
}

func TestPartitionQueuesAndHeals(t *testing.T) {
	b := NewBroker(Options{})
	defer b.Close()
	cloud := mustConnect(t, b, "cloud", true)
	dev := mustConnect(t, b, "d1", false)
	var s sink
	if _, err := dev.Subscribe(context.Background(), "fk/v1/d1/cmd/#", 1, s.handle); err != nil {
		t.Fatal(err)
	}
	var events []transport.State
	dev.OnStateChange(func(e transport.StateEvent) { events = append(events, e.State) })
	b.Partition("d1")
	if dev.State() != transport.Disconnected {
		t.Fatalf("partitioned client state %v", dev.State())
	}
	if err := dev.Publish(context.Background(), &transport.Message{Topic: "fk/v1/d1/tlm"}); !errors.Is(err, transport.ErrNotConnected) {
		t.Fatalf("publish while partitioned: %v", err)
	}
	for i := 0; i < 3; i++ {
		cloud.Publish(context.Background(), &transport.Message{Topic: "fk/v1/d1/cmd/x", Payload: []byte{'a' + byte(i)}, QoS: 1})
	}
	cloud.Publish(context.Background(), &transport.Message{Topic: "fk/v1/d1/cmd/x", Payload: []byte("qos0")})
	time.Sleep(20 * time.Millisecond)
	if len(s.payloads()) != 0 {
		t.Fatal("a partitioned client received messages")
	}
	b.Heal("d1")
	waitFor(t, "queued messages", func() bool { return len(s.payloads()) == 3 })
	if fmt.Sprint(s.payloads()) != "[a b c]" {
		t.Fatalf("after heal got %v, want the three QoS 1 messages in order", s.payloads())
	}
	if fmt.Sprint(events) != "[disconnected connected]" {
		t.Fatalf("state events %v", events)
	}
	if st := b.Stats(); st.Queued != 3 || st.NoSubscribers != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestForcedDisconnectReconnects(t *testing.T) {
	b := NewBroker(Options{ReconnectDelay: 5 * time.Millisecond})
	defer b.Close()
	dev := mustConnect(t, b, "d1", false)
	b.Disconnect("d1")
	if dev.State() != transport.Disconnected {
		t.Fatalf("state %v after Disconnect", dev.State())
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := dev.AwaitConnection(ctx); err != nil {
		t.Fatalf("did not reconnect: %v", err)
	}
}

func TestTakeoverAndCleanStart(t *testing.T) {
	b := NewBroker(Options{})
	defer b.Close()
	old := mustConnect(t, b, "d1", false)
	var s sink
	old.Subscribe(context.Background(), "fk/v1/d1/cmd/#", 1, s.handle)
	nu := mustConnect(t, b, "d1", false)
	if old.State() != transport.Closed || nu.State() != transport.Connected {
		t.Fatalf("takeover: old %v new %v", old.State(), nu.State())
	}
	clean, err := b.Connect(ClientConfig{ID: "d1", CleanStart: true})
	if err != nil {
		t.Fatal(err)
	}
	defer clean.Close()
	cloud := mustConnect(t, b, "cloud", true)
	cloud.Publish(context.Background(), &transport.Message{Topic: "fk/v1/d1/cmd/x", QoS: 1})
	time.Sleep(10 * time.Millisecond)
	if len(s.payloads()) != 0 {
		t.Fatal("clean start kept the old session's subscription")
	}
}

func TestBadInput(t *testing.T) {
	b := NewBroker(Options{MaxPayload: 10})
	defer b.Close()
	if _, err := b.Connect(ClientConfig{ID: "a/b"}); !errors.Is(err, transport.ErrInvalidTopic) {
		t.Fatalf("device ID with '/': %v", err)
	}
	dev := mustConnect(t, b, "d1", false)
	ctx := context.Background()
	if err := dev.Publish(ctx, &transport.Message{Topic: "fk/v1/d1/tlm", Payload: make([]byte, 11)}); !errors.Is(err, transport.ErrTooLarge) {
		t.Fatalf("oversize: %v", err)
	}
	if err := dev.Publish(ctx, &transport.Message{Topic: "fk/v1/d2/tlm"}); !errors.Is(err, transport.ErrNotAuthorized) {
		t.Fatalf("other prefix: %v", err)
	}
	if _, err := dev.Subscribe(ctx, "#", 1, func(*transport.Message) {}); !errors.Is(err, transport.ErrNotAuthorized) {
		t.Fatalf("subscribe #: %v", err)
	}
	if err := dev.Publish(ctx, &transport.Message{Topic: "fk/v1/d1/tlm", QoS: 2}); err == nil {
		t.Fatal("QoS 2 accepted")
	}
	if st := b.Stats(); st.Refused != 2 {
		t.Fatalf("refusals counted %d, want 2", st.Refused)
	}
}

func TestNoGoroutineLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	b := NewBroker(Options{})
	var clients []*Client
	for i := 0; i < 200; i++ {
		c, err := b.Connect(ClientConfig{ID: fmt.Sprintf("d%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		c.Subscribe(context.Background(), fmt.Sprintf("fk/v1/d%d/cmd", i), 1, func(*transport.Message) {})
		clients = append(clients, c)
	}
	cloud, _ := b.Connect(ClientConfig{ID: "cloud", Identity: transport.Identity{Cloud: true}})
	b.SetFaults("d7", Downlink, Faults{DelayMin: time.Millisecond, DelayMax: 2 * time.Millisecond})
	for i := 0; i < 200; i++ {
		cloud.Publish(context.Background(), &transport.Message{Topic: fmt.Sprintf("fk/v1/d%d/cmd", i), QoS: 1})
	}
	b.Close()
	waitFor(t, "goroutines to exit", func() bool { return runtime.NumGoroutine() <= before })
}
