package transport

import (
	"context"
	"sync"
)

// Subscription is a live subscription returned by Subscribe.
type Subscription struct {
	filter string
	qos    QoS
	once   sync.Once
	err    error
	unsub  func(context.Context) error
}

// NewSubscription is for transport implementations: it wraps the function that removes the
// subscription. unsubscribe is called at most once.
func NewSubscription(filter string, qos QoS, unsubscribe func(context.Context) error) *Subscription {
	return &Subscription{filter: filter, qos: qos, unsub: unsubscribe}
}

// Filter is the topic filter subscribed to.
func (s *Subscription) Filter() string { return s.filter }

// QoS is the maximum QoS requested.
func (s *Subscription) QoS() QoS { return s.qos }

// Unsubscribe stops delivery to the subscription's handler. Calling it again returns the first
// call's result.
func (s *Subscription) Unsubscribe(ctx context.Context) error {
	s.once.Do(func() { s.err = s.unsub(ctx) })
	return s.err
}
