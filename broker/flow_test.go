package broker

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"
)

// flowRun publishes n QoS 1 messages from a device while a cloud subscriber with the given
// Receive Maximum consumes them. It returns what the subscriber got within the time bound.
func flowRun(t *testing.T, b *Broker, rm uint16, n int, bound time.Duration) []*paho.Publish {
	t.Helper()
	got, err := flowTry(t, b, rm, n, bound)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// flowTry is flowRun that returns a publish failure instead of failing the test.
func flowTry(t *testing.T, b *Broker, rm uint16, n int, bound time.Duration) ([]*paho.Publish, error) {
	t.Helper()
	sub := mustDial(t, b.Addr(), &paho.Connect{
		ClientID: "sub", CleanStart: true, Username: DemoCloudUser, UsernameFlag: true,
		Properties: &paho.ConnectProperties{ReceiveMaximum: u16(rm)},
	})
	sub.subscribe(t, "fk/v1/+/tlm", 1)
	pub := mustDial(t, b.Addr(), deviceConnect("pump-1"))

	// Four concurrent publishers keep the broker's queue towards the subscriber busy, so the
	// window is exhausted again and again (the condition of the mochi stall).
	const lanes = 4
	var wg sync.WaitGroup
	errs := make(chan error, lanes)
	for lane := 0; lane < lanes; lane++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := lane; i < n; i += lanes {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				_, err := pub.Publish(ctx, &paho.Publish{Topic: "fk/v1/pump-1/tlm", QoS: 1,
					Payload: []byte(strconv.Itoa(i))})
				cancel()
				if err != nil {
					errs <- fmt.Errorf("publish %d: %w", i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		return sub.in.all(), err
	}
	sub.in.waitN(n, bound)
	return sub.in.all(), nil
}

// TestReceiveMaximumDelivery is the regression test for mochi v2.7.9's flow-control stall: a
// subscriber with a Receive Maximum of 1, 10 or 100 must receive every QoS 1 message, each
// exactly once here (no reconnect), and never more than Receive Maximum unacknowledged.
func TestReceiveMaximumDelivery(t *testing.T) {
	const n = 3000
	for _, rm := range []uint16{1, 10, 100} {
		t.Run(fmt.Sprintf("rm=%d", rm), func(t *testing.T) {
			b := startBroker(t, Config{})
			got := flowRun(t, b, rm, n, 30*time.Second)
			if len(got) != n {
				t.Fatalf("received %d of %d messages (delivery stalled)", len(got), n)
			}
			seen := make([]bool, n)
			for _, p := range got {
				i, err := strconv.Atoi(string(p.Payload))
				if err != nil || i < 0 || i >= n || seen[i] {
					t.Fatalf("unexpected or duplicate payload %q", p.Payload)
				}
				seen[i] = true
			}
			if peak := b.windowPeak(); peak > int(rm) || peak < 1 {
				t.Errorf("peak unacknowledged messages = %d, want 1..%d", peak, rm)
			}
			if s := b.Stats(); s.Dropped != 0 {
				t.Errorf("Stats.Dropped = %d, want 0", s.Dropped)
			}
		})
	}
}

// TestReceiveMaximumPerPublisherOrder checks MQTT v5 §4.6: messages from one publisher reach a
// subscriber in the order published, while the window throttles delivery.
func TestReceiveMaximumPerPublisherOrder(t *testing.T) {
	const n = 1000
	b := startBroker(t, Config{})
	sub := mustDial(t, b.Addr(), &paho.Connect{
		ClientID: "sub", CleanStart: true, Username: DemoCloudUser, UsernameFlag: true,
		Properties: &paho.ConnectProperties{ReceiveMaximum: u16(5)},
	})
	sub.subscribe(t, "fk/v1/+/tlm", 1)
	pub := mustDial(t, b.Addr(), deviceConnect("pump-1"))
	for i := 0; i < n; i++ {
		pub.publish(t, &paho.Publish{Topic: "fk/v1/pump-1/tlm", QoS: 1, Payload: []byte(strconv.Itoa(i))})
	}
	if got := sub.in.waitN(n, 30*time.Second); got != n {
		t.Fatalf("received %d of %d", got, n)
	}
	for i, p := range sub.in.all() {
		if string(p.Payload) != strconv.Itoa(i) {
			t.Fatalf("message %d has payload %q: out of order", i, p.Payload)
		}
	}
}

// TestMochiFlowControlStalls pins the upstream bug the workaround avoids: with mochi's own
// Receive Maximum handling left in place, delivery stops after a few messages. If this test
// starts failing, mochi has fixed the bug and the workaround (flow.go) can be reconsidered.
func TestMochiFlowControlStalls(t *testing.T) {
	const n = 2000
	b, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	b.mochiFlowControl = true
	if err := b.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	// With its own flow control mochi can also deadlock internally (seen under -race: a
	// recursive read lock of a client's inflight map with a writer waiting), and then Close
	// cannot finish. Close in the background with a bound and abandon a deadlocked mochi.
	t.Cleanup(func() {
		done := make(chan struct{})
		go func() { _ = b.Close(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Log("mochi deadlocked internally; its goroutines are abandoned")
		}
	})
	got, err := flowTry(t, b, 10, n, 2*time.Second)
	if err != nil {
		// Publishes timing out is the stall seen from the publisher's side.
		t.Logf("publisher stalled: %v", err)
	}
	if len(got) >= n {
		t.Fatalf("received all %d messages with mochi's flow control: the upstream stall is gone", n)
	}
	t.Logf("mochi flow control alone delivered %d of %d messages at Receive Maximum 10", len(got), n)
}

// windowPeak returns the highest peak over the windows of live connections.
func (b *Broker) windowPeak() int {
	b.conns.mu.RLock()
	defer b.conns.mu.RUnlock()
	peak := 0
	for _, st := range b.conns.m {
		if w := st.window.Load(); w != nil {
			_, p := w.inFlight()
			peak = max(peak, p)
		}
	}
	return peak
}

func TestWindow(t *testing.T) {
	done := make(chan struct{})
	w := newWindow(2, done)
	if !w.acquire(1) || !w.acquire(2) {
		t.Fatal("acquire within the window failed")
	}
	if !w.acquire(2) {
		t.Fatal("re-acquiring an ID already in flight must not block")
	}
	got := make(chan bool)
	go func() { got <- w.acquire(3) }()
	select {
	case <-got:
		t.Fatal("acquire beyond the window did not block")
	case <-time.After(50 * time.Millisecond):
	}
	w.release(1)
	if ok := <-got; !ok {
		t.Fatal("acquire after release failed")
	}
	if n, _ := w.inFlight(); n != 2 {
		t.Fatalf("inFlight = %d, want 2", n)
	}
	w.force(9)
	if n, _ := w.inFlight(); n != 3 {
		t.Fatalf("inFlight after force = %d, want 3", n)
	}
	go func() { got <- w.acquire(4) }()
	close(done)
	if ok := <-got; ok {
		t.Fatal("acquire returned true after the connection ended")
	}
	w.release(77) // unknown ID: no effect
	if n, peak := w.inFlight(); n != 3 || peak != 3 {
		t.Fatalf("inFlight after unknown release = %d (peak %d), want 3 (3)", n, peak)
	}
}
