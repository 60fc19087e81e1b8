package transport

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestReviewMatchSpecExamples checks Match against the non-normative examples of MQTT v5 §4.7.1
// and the '$' rule of §4.7.2, including the shared-subscription form.
func TestReviewMatchSpecExamples(t *testing.T) {
	tests := []struct {
		filter, topic string
		want          bool
	}{
		{"sport/tennis/player1/#", "sport/tennis/player1", true},
		{"sport/tennis/player1/#", "sport/tennis/player1/ranking", true},
		{"sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", true},
		{"sport/#", "sport", true},
		{"sport/tennis/+", "sport/tennis/player1", true},
		{"sport/tennis/+", "sport/tennis/player1/ranking", false},
		{"sport/+", "sport", false},
		{"sport/+", "sport/", true},
		{"+/+", "/finance", true},
		{"/+", "/finance", true},
		{"+", "/finance", false},
		{"#", "$SYS/monitor/Clients", false},
		{"+/monitor/Clients", "$SYS/monitor/Clients", false},
		{"$SYS/#", "$SYS/monitor/Clients", true},
		{"$SYS/monitor/+", "$SYS/monitor/Clients", true},
		{"$share/g/#", "$SYS/x", false},
		{"$share/g/sport/+", "sport/tennis", true},
		{"$share/g/sport/+", "sport", false},
		{"a/+/c", "a//c", true},
		{"a/b", "a/b/", false},
	}
	for _, tt := range tests {
		if got := Match(tt.filter, tt.topic); got != tt.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tt.filter, tt.topic, got, tt.want)
		}
	}
}

// TestReviewInboxFirstResponseWins: a duplicated response (QoS 1 redelivery) reaches the waiting
// request once; the copy is counted as stray, never delivered to a later request.
func TestReviewInboxFirstResponseWins(t *testing.T) {
	in := NewInbox("d", false)
	var got []*Message
	var mu sync.Mutex
	publish := func(_ context.Context, m *Message) error {
		go func() {
			r1 := &Message{Topic: m.ResponseTopic, CorrelationData: m.CorrelationData, Payload: []byte("one")}
			r2 := &Message{Topic: m.ResponseTopic, CorrelationData: m.CorrelationData, Payload: []byte("two")}
			mu.Lock()
			got = append(got, r1, r2)
			mu.Unlock()
			if !in.Deliver(r1) {
				t.Error("first response not delivered")
			}
			if in.Deliver(r2) {
				t.Error("duplicate response delivered")
			}
		}()
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := in.Do(ctx, &Message{Topic: "fk/v1/d/rpc/x"}, publish)
	if err != nil {
		t.Fatal(err)
	}
	if string(resp.Payload) != "one" {
		t.Fatalf("got %q, want the first response", resp.Payload)
	}
	deadline := time.Now().Add(5 * time.Second)
	for in.Stray() != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("stray = %d, want 1", in.Stray())
		}
		time.Sleep(time.Millisecond)
	}
}

// TestReviewInboxRefusesCallerResponseTopic: the contract says a caller-provided ResponseTopic is
// an error, and nothing is published.
func TestReviewInboxRefusesCallerResponseTopic(t *testing.T) {
	in := NewInbox("d", false)
	called := false
	_, err := in.Do(context.Background(), &Message{Topic: "fk/v1/d/rpc/x", ResponseTopic: "elsewhere"}, func(context.Context, *Message) error {
		called = true
		return nil
	})
	if err == nil || called {
		t.Fatalf("err = %v, published = %v; want an error and no publish", err, called)
	}
}

// TestReviewMailboxBackPressure: Put blocks once Limit messages are queued and resumes when the
// drainer takes one; order is kept.
func TestReviewMailboxBackPressure(t *testing.T) {
	release := make(chan struct{})
	var order []int
	var mu sync.Mutex
	b := &Mailbox{Limit: 2, Dispatch: func(m *Message) {
		<-release
		mu.Lock()
		order = append(order, int(m.Payload[0]))
		mu.Unlock()
	}}
	b.Put(&Message{Payload: []byte{0}}) // taken by the drainer, which blocks
	deadline := time.Now().Add(5 * time.Second)
	for b.Len() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("drainer did not take the first message")
		}
		time.Sleep(time.Millisecond)
	}
	b.Put(&Message{Payload: []byte{1}})
	b.Put(&Message{Payload: []byte{2}})
	var fourth atomic.Bool
	go func() {
		b.Put(&Message{Payload: []byte{3}})
		fourth.Store(true)
	}()
	time.Sleep(50 * time.Millisecond)
	if fourth.Load() {
		t.Fatal("Put did not block with Limit messages queued")
	}
	close(release)
	for !fourth.Load() {
		if time.Now().After(deadline) {
			t.Fatal("blocked Put never resumed")
		}
		time.Sleep(time.Millisecond)
	}
	b.Wait()
	mu.Lock()
	defer mu.Unlock()
	for i, v := range order {
		if v != i {
			t.Fatalf("dispatch order %v, want 0 1 2 3", order)
		}
	}
	if len(order) != 4 {
		t.Fatalf("dispatched %d, want 4", len(order))
	}
}

// TestReviewMailboxCloseReleasesBlockedPut: a Put blocked on a full mailbox returns false when the
// mailbox closes (the network reader of a closing client must not stay stuck).
func TestReviewMailboxCloseReleasesBlockedPut(t *testing.T) {
	release := make(chan struct{})
	b := &Mailbox{Limit: 1, Dispatch: func(*Message) { <-release }}
	b.Put(&Message{})
	deadline := time.Now().Add(5 * time.Second)
	for b.Len() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("drainer did not start")
		}
		time.Sleep(time.Millisecond)
	}
	b.Put(&Message{})
	res := make(chan bool, 1)
	go func() { res <- b.Put(&Message{}) }()
	time.Sleep(20 * time.Millisecond)
	closed := make(chan struct{})
	go func() { b.Close(); close(closed) }()
	select {
	case ok := <-res:
		if ok {
			t.Fatal("Put after Close reported success")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("blocked Put not released by Close")
	}
	close(release)
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return after the handler did")
	}
	if b.Put(&Message{}) {
		t.Fatal("Put on a closed mailbox reported success")
	}
}

// TestReviewStateTrackerOrderAndClosed: listeners see every change in order, the same state twice
// is no event, and nothing follows Closed.
func TestReviewStateTrackerOrderAndClosed(t *testing.T) {
	var tr StateTracker
	var got []State
	tr.OnStateChange(func(e StateEvent) { got = append(got, e.State) })
	tr.Set(Connecting, nil)
	tr.Set(Connecting, nil)
	tr.Set(Connected, nil)
	tr.Set(Disconnected, errors.New("lost"))
	tr.Set(Closed, nil)
	tr.Set(Connected, nil)
	want := []State{Connecting, Connected, Disconnected, Closed}
	if len(got) != len(want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("events %v, want %v", got, want)
		}
	}
	if err := tr.AwaitConnection(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("AwaitConnection after Closed: %v", err)
	}
}
