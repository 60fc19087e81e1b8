package broker

import (
	"net"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// This file holds the workaround for mochi v2.7.9's flow-control stall (see the package
// documentation, "Flow control"). mochi's own send quota is switched off per connection and the
// client's Receive Maximum is enforced here instead, at the one point every outgoing PUBLISH
// passes: the OnPacketEncode hook, called on the client's write goroutine.

// connState is the broker's state for one accepted network connection.
type connState struct {
	done   chan struct{}          // closed when mochi has finished with the connection
	window atomic.Pointer[window] // nil until CONNECT, and for clients without a Receive Maximum
}

// connTable maps mochi's net.Conn (the key mochi hands back in cl.Net.Conn) to its state.
type connTable struct {
	mu sync.RWMutex
	m  map[net.Conn]*connState
}

func newConnTable() *connTable { return &connTable{m: map[net.Conn]*connState{}} }

func (t *connTable) add(c net.Conn) *connState {
	st := &connState{done: make(chan struct{})}
	t.mu.Lock()
	t.m[c] = st
	t.mu.Unlock()
	return st
}

func (t *connTable) remove(c net.Conn, st *connState) {
	t.mu.Lock()
	delete(t.m, c)
	t.mu.Unlock()
	close(st.done)
}

func (t *connTable) get(c net.Conn) *connState {
	if c == nil {
		return nil
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.m[c]
}

// window is the send quota towards one client (MQTT v5 §4.9): the packet IDs of QoS 1 PUBLISH
// packets sent and not yet acknowledged, at most max of them.
type window struct {
	max  int
	done <-chan struct{}

	mu   sync.Mutex
	out  map[uint16]struct{}
	peak int           // most IDs ever in flight at once (tests check it against max)
	free chan struct{} // capacity 1: a token after every release
}

func newWindow(max int, done <-chan struct{}) *window {
	return &window{max: max, done: done, out: make(map[uint16]struct{}, max), free: make(chan struct{}, 1)}
}

// acquire blocks until the window has room, then records id. It returns false when the
// connection ended first (the packet is then written to a closed connection and stays in the
// session for redelivery).
func (w *window) acquire(id uint16) bool {
	for {
		w.mu.Lock()
		if _, ok := w.out[id]; ok || len(w.out) < w.max {
			w.out[id] = struct{}{}
			w.peak = max(w.peak, len(w.out))
			w.mu.Unlock()
			return true
		}
		w.mu.Unlock()
		select {
		case <-w.free:
		case <-w.done:
			return false
		}
	}
}

// force records id without waiting (redelivery of a session's stored messages, which mochi
// writes from the goroutine that must then read the acknowledgements).
func (w *window) force(id uint16) {
	w.mu.Lock()
	w.out[id] = struct{}{}
	w.peak = max(w.peak, len(w.out))
	w.mu.Unlock()
}

// release frees id's slot on PUBACK.
func (w *window) release(id uint16) {
	w.mu.Lock()
	_, ok := w.out[id]
	delete(w.out, id)
	w.mu.Unlock()
	if ok {
		select {
		case w.free <- struct{}{}:
		default:
		}
	}
}

func (w *window) inFlight() (now, peak int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.out), w.peak
}

// takeFlowControl moves the client's Receive Maximum from mochi to the broker. Called from
// OnConnect, after mochi parsed CONNECT and before it inherits a stored session: with the
// client's Receive Maximum at 0, mochi sets (and, on session takeover, resets) its send quota
// maximum to 0, which disables its queue-when-quota-is-exhausted path entirely.
func takeFlowControl(cl *mqtt.Client, st *connState) {
	rm := int(cl.Properties.Props.ReceiveMaximum) // already capped by mochi at MaximumInflight
	cl.Properties.Props.ReceiveMaximum = 0
	cl.State.Inflight.ResetSendQuota(0)
	if cl.Properties.ProtocolVersion == 5 && rm > 0 {
		st.window.Store(newWindow(rm, st.done))
	}
}

// beforeWrite applies the window to an outgoing packet (OnPacketEncode).
func (st *connState) beforeWrite(pk packets.Packet) packets.Packet {
	w := st.window.Load()
	if w == nil || pk.FixedHeader.Type != packets.Publish || pk.FixedHeader.Qos == 0 {
		return pk
	}
	if pk.FixedHeader.Dup {
		// mochi resends a session's stored messages (DUP set) from the connection goroutine
		// before it reads; blocking there would deadlock. They count against the window.
		w.force(pk.PacketID)
		return pk
	}
	if !w.acquire(pk.PacketID) {
		return pk
	}
	if pk.Expiry > 0 {
		// mochi computed the remaining expiry before this wait; recompute it (MQTT-3.3.2-6).
		left := pk.Expiry - time.Now().Unix()
		if left < 1 {
			left = 1
		}
		pk.Properties.MessageExpiryInterval = uint32(left)
	}
	return pk
}

// afterRead returns quota on PUBACK (OnPacketRead).
func (st *connState) afterRead(pk packets.Packet) {
	if w := st.window.Load(); w != nil && pk.FixedHeader.Type == packets.Puback {
		w.release(pk.PacketID)
	}
}
