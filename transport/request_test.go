package transport

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

func TestInboxDo(t *testing.T) {
	in := NewInbox("d1", false)
	var mu sync.Mutex
	var sent []*Message
	echo := func(ctx context.Context, m *Message) error {
		mu.Lock()
		sent = append(sent, m)
		mu.Unlock()
		go in.Deliver(&Message{Topic: m.ResponseTopic, CorrelationData: m.CorrelationData, Payload: append([]byte("re:"), m.Payload...)})
		return nil
	}
	resp, err := in.Do(context.Background(), &Message{Topic: "fk/v1/d1/rpc/ping", Payload: []byte("hi")}, echo)
	if err != nil || string(resp.Payload) != "re:hi" {
		t.Fatalf("Do = %v, %v", resp, err)
	}
	if sent[0].ResponseTopic != "fk/v1/d1/rsp/d1" || len(sent[0].CorrelationData) != 16 {
		t.Fatalf("request not stamped: %+v", sent[0])
	}
	// A second request gets different correlation data.
	if _, err := in.Do(context.Background(), &Message{Topic: "t"}, echo); err != nil {
		t.Fatal(err)
	}
	if string(sent[0].CorrelationData) == string(sent[1].CorrelationData) {
		t.Fatal("correlation data reused")
	}
	// A late duplicate is stray.
	if in.Deliver(&Message{CorrelationData: sent[0].CorrelationData}) || in.Stray() != 1 {
		t.Fatalf("duplicate response not counted as stray: %d", in.Stray())
	}
}

func TestInboxTimeoutAndCancel(t *testing.T) {
	in := NewInbox("r", false)
	silent := func(context.Context, *Message) error { return nil }
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := in.Do(ctx, &Message{Topic: "t"}, silent)
	if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("timeout error = %v", err)
	}
	ctx2, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if _, err := in.Do(ctx2, &Message{Topic: "t"}, silent); !errors.Is(err, context.Canceled) || errors.Is(err, ErrTimeout) {
		t.Fatalf("cancel error = %v", err)
	}
	if _, err := in.Do(context.Background(), &Message{Topic: "t", ResponseTopic: "mine"}, silent); err == nil {
		t.Fatal("caller-set ResponseTopic accepted")
	}
	boom := errors.New("boom")
	if _, err := in.Do(context.Background(), &Message{Topic: "t"}, func(context.Context, *Message) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("publish error = %v", err)
	}
	if len(in.pending) != 0 {
		t.Fatalf("pending requests leaked: %d", len(in.pending))
	}
}

func TestStateTracker(t *testing.T) {
	var st StateTracker
	var got []State
	remove := st.OnStateChange(func(e StateEvent) { got = append(got, e.State) })
	done := make(chan error, 1)
	go func() { done <- st.AwaitConnection(context.Background()) }()
	st.Set(Connecting, nil)
	st.Set(Connecting, nil) // no event
	st.Set(Connected, nil)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	remove()
	st.Set(Disconnected, errors.New("eof"))
	if len(got) != 2 || got[0] != Connecting || got[1] != Connected {
		t.Fatalf("events = %v", got)
	}
	st.Set(Closed, nil)
	st.Set(Connected, nil)
	if st.State() != Closed {
		t.Fatal("left Closed")
	}
	if err := st.AwaitConnection(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("AwaitConnection after close = %v", err)
	}
}

func TestInboxResponseTopics(t *testing.T) {
	dev := NewInbox("d1", false)
	cloud := NewInbox("cloud-1", true)
	tests := []struct {
		in        *Inbox
		req, want string
	}{
		{dev, "fk/v1/d1/rpc/hello", "fk/v1/d1/rsp/d1"},
		{cloud, "fk/v1/d7/cmd/reboot", "fk/v1/d7/rsp/cloud-1"},
		{cloud, "fk/v1/prov/claim", "fk/v1/cloud-1/rsp/cloud-1"},
		{cloud, "other/topic", "fk/v1/cloud-1/rsp/cloud-1"},
	}
	for _, tt := range tests {
		got := tt.in.ResponseTopic(tt.req)
		if got != tt.want {
			t.Errorf("ResponseTopic(%q) = %q, want %q", tt.req, got, tt.want)
		}
		if !tt.in.Owns(got) {
			t.Errorf("inbox does not own its response topic %q (filter %q)", got, tt.in.Filter())
		}
	}
	// The responder can publish each response topic with its own identity.
	if err := Authorize(Identity{ID: "d7"}, ActionPublish, cloud.ResponseTopic("fk/v1/d7/cmd/reboot")); err != nil {
		t.Errorf("device d7 may not answer the cloud: %v", err)
	}
	if err := Authorize(Identity{ID: "d1"}, ActionSubscribe, dev.Filter()); err != nil {
		t.Errorf("device may not subscribe to its inbox: %v", err)
	}
	if dev.Owns("fk/v1/d2/rsp/d1") || cloud.Owns("fk/v1/d2/rsp/cloud-2") {
		t.Error("inbox owns another client's responses")
	}
}
