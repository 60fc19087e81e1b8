package mqtt

import (
	"context"

	"github.com/eclipse/paho.golang/packets"
	"github.com/eclipse/paho.golang/paho/session"
	"github.com/eclipse/paho.golang/paho/session/state"
)

// ackSession is paho's in-memory session state for one connection, extended so that the outbox
// sender can learn which stored message a PUBACK acknowledges without blocking a goroutine per
// message: a publish whose context carries an *ackTracker routes its acknowledgement to the
// tracker's channel and records packet ID → outbox sequence number.
//
// Each connection gets a fresh session: on reconnect the outbox, not paho, re-sends what was not
// acknowledged (paho's store would re-send it too and double every in-flight message).
type ackSession struct {
	*state.State
}

func newAckSession() *ackSession { return &ackSession{State: state.NewInMemory()} }

type ackKey struct{}

// ackTracker receives the acknowledgements of outbox publishes on one connection.
type ackTracker struct {
	acks chan packets.ControlPacket
	// register is called with the packet identifier paho assigned, before the packet is written.
	register func(packetID uint16, seq uint64)
}

type ackTag struct {
	t   *ackTracker
	seq uint64
}

func withAck(ctx context.Context, t *ackTracker, seq uint64) context.Context {
	return context.WithValue(ctx, ackKey{}, ackTag{t, seq})
}

// AddToSession implements session.SessionManager.
func (s *ackSession) AddToSession(ctx context.Context, p session.Packet, resp chan<- packets.ControlPacket) error {
	tag, ok := ctx.Value(ackKey{}).(ackTag)
	if !ok {
		return s.State.AddToSession(ctx, p, resp)
	}
	if err := s.State.AddToSession(ctx, p, tag.t.acks); err != nil {
		return err
	}
	if pub, ok := p.(*packets.Publish); ok {
		tag.t.register(pub.PacketID, tag.seq)
	}
	return nil
}
