package transport

import (
	"context"
	"strconv"
	"sync"
	"time"
)

// State is a client's connection state.
type State int

const (
	// Disconnected: not connected; the client will try again (after backoff).
	Disconnected State = iota
	// Connecting: a connection attempt is under way.
	Connecting
	// Connected: the session is up; publishes go out.
	Connected
	// Closed: Close was called; terminal.
	Closed
)

func (s State) String() string {
	switch s {
	case Disconnected:
		return "disconnected"
	case Connecting:
		return "connecting"
	case Connected:
		return "connected"
	case Closed:
		return "closed"
	}
	return "state(" + strconv.Itoa(int(s)) + ")"
}

// StateEvent is one connection state change.
type StateEvent struct {
	State State
	// Err is why the client left the Connected state, or why the last attempt failed; nil on a
	// clean transition.
	Err error
	At  time.Time
}

// StateTracker implements the state half of [Client] for transport implementations: the current
// state, AwaitConnection, and ordered, non-concurrent OnStateChange callbacks.
// The zero value is ready (Disconnected).
type StateTracker struct {
	mu        sync.Mutex
	state     State
	changed   chan struct{} // closed and replaced on every change
	listeners []*listener
	pending   []StateEvent // events waiting for the notifying goroutine
	notifying bool
}

type listener struct{ f func(StateEvent) }

// State returns the current state.
func (t *StateTracker) State() State {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.state
}

// Set moves to state s, wakes waiters and calls listeners. Setting the current state again is a
// no-op (no event). Once Closed, the state no longer changes. Listeners are called in order and
// never concurrently; a listener may itself call Set (its event is delivered after it returns).
func (t *StateTracker) Set(s State, err error) {
	t.mu.Lock()
	if t.state == s || t.state == Closed {
		t.mu.Unlock()
		return
	}
	t.state = s
	if t.changed != nil {
		close(t.changed)
		t.changed = nil
	}
	t.pending = append(t.pending, StateEvent{State: s, Err: err, At: time.Now()})
	if t.notifying {
		t.mu.Unlock()
		return // the goroutine already notifying delivers it, in order
	}
	t.notifying = true
	for len(t.pending) > 0 {
		ev := t.pending[0]
		t.pending = t.pending[1:]
		ls := append([]*listener(nil), t.listeners...)
		t.mu.Unlock()
		for _, l := range ls {
			l.f(ev)
		}
		t.mu.Lock()
	}
	t.notifying = false
	t.mu.Unlock()
}

// AwaitConnection blocks until the state is Connected, ctx is done (its error is returned) or the
// tracker is Closed (ErrClosed).
func (t *StateTracker) AwaitConnection(ctx context.Context) error {
	for {
		t.mu.Lock()
		switch t.state {
		case Connected:
			t.mu.Unlock()
			return nil
		case Closed:
			t.mu.Unlock()
			return ErrClosed
		}
		if t.changed == nil {
			t.changed = make(chan struct{})
		}
		ch := t.changed
		t.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// OnStateChange registers f; the returned function removes it.
func (t *StateTracker) OnStateChange(f func(StateEvent)) (remove func()) {
	l := &listener{f: f}
	t.mu.Lock()
	t.listeners = append(t.listeners, l)
	t.mu.Unlock()
	return func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		for i, x := range t.listeners {
			if x == l {
				t.listeners = append(t.listeners[:i:i], t.listeners[i+1:]...)
				return
			}
		}
	}
}
