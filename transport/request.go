package transport

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// Inbox implements request/response over publish/subscribe for transports that have no native
// request primitive (MQTT v5, the memory broker): it stamps requests with a response topic and
// unique correlation data and hands each response to the request waiting for it.
//
// Response topics respect the namespace rule, since the responder publishes the answer with its own
// identity: a device's requests carry fk/v1/{device}/rsp/{device}, which the cloud may publish to;
// a cloud client's request to a device topic carries fk/v1/{target}/rsp/{client}, inside the target
// device's own prefix, and the cloud client listens on fk/v1/+/rsp/{client}.
//
// The transport subscribes to Filter() and passes every message whose topic Owns to Deliver.
type Inbox struct {
	id      string
	cloud   bool
	filter  string
	prefix  [8]byte
	seq     atomic.Uint64
	mu      sync.Mutex
	pending map[[16]byte]chan *Message
	stray   atomic.Uint64
}

// NewInbox returns the inbox of client clientID; cloud says whether the client has a cloud
// identity (and so may listen across devices).
func NewInbox(clientID string, cloud bool) *Inbox {
	in := &Inbox{id: clientID, cloud: cloud, pending: make(map[[16]byte]chan *Message)}
	if cloud {
		in.filter = DeviceTopic("+", KindResponse, clientID)
	} else {
		in.filter = DeviceTopic(clientID, KindResponse, clientID)
	}
	if _, err := rand.Read(in.prefix[:]); err != nil {
		// crypto/rand does not fail on supported platforms; a zero prefix still yields unique
		// correlation data within this process.
		in.prefix = [8]byte{}
	}
	return in
}

// Filter is the topic filter the transport subscribes to for responses.
func (in *Inbox) Filter() string { return in.filter }

// Owns reports whether a message on topic is a response for this inbox.
func (in *Inbox) Owns(topic string) bool { return Match(in.filter, topic) }

// ResponseTopic returns the response topic for a request published to reqTopic.
func (in *Inbox) ResponseTopic(reqTopic string) string {
	if in.cloud {
		if t, err := ParseTopic(reqTopic); err == nil && t.Device != ProvisioningDevice {
			return DeviceTopic(t.Device, KindResponse, in.id)
		}
	}
	return DeviceTopic(in.id, KindResponse, in.id)
}

// Stray counts responses that matched no waiting request (late, duplicated or forged).
func (in *Inbox) Stray() uint64 { return in.stray.Load() }

// Deliver hands a message that arrived on Topic() to the request waiting for its correlation data.
// It reports whether one was waiting.
func (in *Inbox) Deliver(m *Message) bool {
	var key [16]byte
	if len(m.CorrelationData) != len(key) {
		in.stray.Add(1)
		return false
	}
	copy(key[:], m.CorrelationData)
	in.mu.Lock()
	ch, ok := in.pending[key]
	if ok {
		delete(in.pending, key) // first response wins; duplicates become stray
	}
	in.mu.Unlock()
	if !ok {
		in.stray.Add(1)
		return false
	}
	ch <- m // buffered, exactly one send per key
	return true
}

// Do sends req through publish with this inbox's response topic and fresh correlation data, and
// waits for the response. A deadline passing yields an error matching ErrTimeout (and
// context.DeadlineExceeded); a cancellation yields context.Canceled.
func (in *Inbox) Do(ctx context.Context, req *Message, publish func(context.Context, *Message) error) (*Message, error) {
	if req.ResponseTopic != "" {
		return nil, fmt.Errorf("transport: request to %q: ResponseTopic is set by the transport, leave it empty", req.Topic)
	}
	var key [16]byte
	copy(key[:8], in.prefix[:])
	binary.BigEndian.PutUint64(key[8:], in.seq.Add(1))
	m := *req
	m.ResponseTopic = in.ResponseTopic(req.Topic)
	m.CorrelationData = key[:]
	ch := make(chan *Message, 1)
	in.mu.Lock()
	in.pending[key] = ch
	in.mu.Unlock()
	defer func() {
		in.mu.Lock()
		delete(in.pending, key)
		in.mu.Unlock()
	}()
	if err := publish(ctx, &m); err != nil {
		return nil, err
	}
	select {
	case resp := <-ch:
		return resp, nil
	case <-ctx.Done():
		return nil, ContextError(ctx.Err())
	}
}

// ContextError maps a context error to the transport's vocabulary: DeadlineExceeded also matches
// ErrTimeout; Canceled is returned as is.
func ContextError(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: %w", ErrTimeout, err)
	}
	return err
}

// ErrorProperty is the user property a responder sets when it answers a request with an error.
const ErrorProperty = "fk-error"

// RemoteError is an error returned by the responder of a request.
type RemoteError struct {
	Topic   string // the request topic
	Message string
}

func (e *RemoteError) Error() string {
	return "transport: responder of " + quote(e.Topic) + ": " + e.Message
}

// RequestHandler answers one request. A returned error is sent back to the requester, which sees
// a *RemoteError.
type RequestHandler func(ctx context.Context, req *Message) (*Message, error)

// Respond subscribes h to filter on c and publishes each result to the request's response topic
// with its correlation data. Messages without a response topic are ignored (they are not
// requests). ctx bounds each response publish, not the subscription.
func Respond(ctx context.Context, c Client, filter string, qos QoS, h RequestHandler) (*Subscription, error) {
	return c.Subscribe(ctx, filter, qos, func(req *Message) {
		if req.ResponseTopic == "" {
			return
		}
		resp, err := h(ctx, req)
		if err != nil {
			resp = &Message{UserProperties: []UserProperty{{Key: ErrorProperty, Value: err.Error()}}, Payload: []byte(err.Error())}
		}
		if resp == nil {
			resp = &Message{}
		}
		out := *resp
		out.Topic = req.ResponseTopic
		out.CorrelationData = req.CorrelationData
		out.ResponseTopic = ""
		out.QoS = req.QoS // a response travels at its request's QoS
		// A failed response publish is the requester's timeout; there is no one else to tell.
		_ = c.Publish(ctx, &out)
	})
}

// ResponseError returns a *RemoteError if resp carries ErrorProperty, else nil.
func ResponseError(reqTopic string, resp *Message) error {
	if v, ok := resp.Property(ErrorProperty); ok {
		return &RemoteError{Topic: reqTopic, Message: v}
	}
	return nil
}
