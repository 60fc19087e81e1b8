package transport

import (
	"errors"
	"testing"
	"time"
)

// A listener may change the state (close on the first refusal) without deadlocking.
func TestListenerMaySetState(t *testing.T) {
	var tr StateTracker
	var seen []State
	tr.OnStateChange(func(e StateEvent) {
		seen = append(seen, e.State)
		if e.State == Disconnected {
			tr.Set(Closed, e.Err)
		}
	})
	done := make(chan struct{})
	go func() {
		tr.Set(Connected, nil)
		tr.Set(Disconnected, errors.New("refused"))
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("deadlock: a listener that calls Set blocks")
	}
	if tr.State() != Closed || len(seen) != 3 || seen[2] != Closed {
		t.Fatalf("state %v, events %v", tr.State(), seen)
	}
}
